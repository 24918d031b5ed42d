"""Which column of the old system's customer file is which of our fields: guessed from the
header words shops' exports use, and the columns left out named, so that nothing in the
file is dropped without the manager being told (a tester's file with "Фамилия Имя" was
imported as customers without names)."""

from __future__ import annotations

from collections.abc import Sequence

# What a column of the old system's file can become; phone is the one a row needs.
# A name may come whole ("ФИО") or as surname, first name and patronymic in columns of
# their own, joined in that order.
FIELDS = ("phone", "name", "birthday", "group", "balance", "card", "consent", "surname",
          "patronymic")  # fmt: skip
ColumnMap = dict[str, int]  # our field -> the file's column index

# Header words seen in shops' exports (English, Russian, Ukrainian), lower-cased, "ё" as
# "е". A surname-first name column is the usual Russian export ("Фамилия Имя", "ФИО").
HEADER_WORDS = {
    "phone": ("phone", "phone number", "mobile", "tel", "telephone", "телефон", "мобильный",
              "мобильный телефон", "номер телефона", "тел", "тел.", "мобільний", "номер"),
    "name": ("name", "full name", "customer", "client", "имя", "фио", "ф.и.о.", "клиент",
             "покупатель", "имя клиента", "ім'я", "піб", "клієнт", "фамилия имя",
             "имя фамилия", "фамилия имя отчество", "фамилия, имя", "фамилия, имя, отчество",
             "прізвище ім'я", "прізвище, ім'я", "ім'я прізвище", "прізвище ім'я по батькові",
             "last name first name", "first name last name", "first name", "given name"),
    "surname": ("фамилия", "прізвище", "surname", "last name", "family name"),
    "patronymic": ("отчество", "по батькові", "patronymic", "middle name"),
    "birthday": ("birthday", "birth date", "date of birth", "dob", "дата рождения",
                 "день рождения", "др", "д.р.", "д.р", "дата рожд.", "дата рожд", "д/р",
                 "дата народження", "день народження", "д.н."),
    "group": ("group", "customer group", "группа", "группа клиента", "група"),
    "balance": ("balance", "points", "bonus", "bonuses", "bonus balance", "points balance",
                "баланс", "бонусы", "баллы", "бонусный баланс", "остаток бонусов",
                "остаток баллов", "баланс баллов", "баланс бонусов", "бонуси", "бали",
                "залишок балів", "баланс балів"),
    "card": ("card", "card number", "карта", "номер карты", "дисконтная карта", "картка",
             "номер картки"),
    "consent": ("consent", "sms consent", "marketing consent", "согласие", "согласие на рассылку",
                "подписка", "згода"),
}  # fmt: skip
# Columns recognised as something the ledger does not keep: named as such in the summary.
NOT_KEPT = {
    "e-mail": ("email", "e-mail", "e mail", "mail", "почта", "эл. почта", "электронная почта",
               "ел. пошта", "електронна пошта", "пошта"),
}  # fmt: skip
_WORD_OF = {w: f for f, words in HEADER_WORDS.items() for w in words}
_NOT_KEPT_OF = {w: what for what, words in NOT_KEPT.items() for w in words}


def _key(header: str) -> str:
    key = " ".join(header.strip().lower().replace("ё", "е").replace("_", " ").split())
    return key.rstrip(":*").strip()


def guess_mapping(headers: Sequence[str]) -> ColumnMap:
    """Our fields for the columns whose header names one (each field once, the first
    column that names it)."""
    mapping: ColumnMap = {}
    for index, header in enumerate(headers):
        raw = " ".join(header.strip().lower().replace("ё", "е").replace("_", " ").split())
        found = _WORD_OF.get(raw) or _WORD_OF.get(_key(header))
        if found and found not in mapping:
            mapping[found] = index
    return mapping


def column_title(headers: Sequence[str], index: int) -> str:
    """A column as the manager sees it: its header, or its number when it has none."""
    header = headers[index].strip() if index < len(headers) else ""
    return header or f"column {index + 1}"


def left_out(
    headers: Sequence[str], mapping: ColumnMap, rows: Sequence[Sequence[str]] = ()
) -> list[str]:
    """The columns nothing is imported from, as ``column_title`` names them; a column
    without a header counts only if some row holds something in it (a trailing
    separator makes an empty one)."""
    used = set(mapping.values())
    return [
        column_title(headers, i)
        for i in range(len(headers))
        if i not in used and (headers[i].strip() or any(i < len(r) and r[i].strip() for r in rows))
    ]


def not_kept(header: str) -> str | None:
    """What the column holds when it is something the ledger has no place for (e-mail)."""
    return _NOT_KEPT_OF.get(_key(header))

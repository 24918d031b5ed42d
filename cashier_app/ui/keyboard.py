"""Reading keys the way a barcode scanner meant them, whatever keyboard layout is active.

A scanner in keyboard mode sends key codes; the OS turns them into characters through the
active layout, so ``LOYAL:2000123456789`` scanned under the Russian layout arrives as
``ДЩНФДЖ2000123456789``. We decode by the physical key (X11 keycode, Windows virtual key)
when the platform gives it, and otherwise map a Cyrillic character back to the Latin one
on the same key. No Qt here: the scanner filter passes in the event's numbers.
"""

from __future__ import annotations

# X11 keycodes (evdev + 8) of the US layout: (plain, shifted).
_X11: dict[int, tuple[str, str]] = {
    10: ("1", "!"), 11: ("2", "@"), 12: ("3", "#"), 13: ("4", "$"), 14: ("5", "%"),
    15: ("6", "^"), 16: ("7", "&"), 17: ("8", "*"), 18: ("9", "("), 19: ("0", ")"),
    20: ("-", "_"), 21: ("=", "+"), 34: ("[", "{"), 35: ("]", "}"), 47: (";", ":"),
    48: ("'", '"'), 49: ("`", "~"), 51: ("\\", "|"), 59: (",", "<"), 60: (".", ">"),
    61: ("/", "?"), 65: (" ", " "),
}  # fmt: skip
for _code, _ch in zip(range(24, 34), "qwertyuiop", strict=True):
    _X11[_code] = (_ch, _ch.upper())
for _code, _ch in zip(range(38, 47), "asdfghjkl", strict=True):
    _X11[_code] = (_ch, _ch.upper())
for _code, _ch in zip(range(52, 59), "zxcvbnm", strict=True):
    _X11[_code] = (_ch, _ch.upper())
X11_KEYCODE_OF = {plain: code for code, (plain, _) in _X11.items()} | {
    shifted: code for code, (_, shifted) in _X11.items()
}

# Windows virtual-key codes of the same keys.
_VK: dict[int, tuple[str, str]] = {
    0xBA: (";", ":"), 0xBB: ("=", "+"), 0xBC: (",", "<"), 0xBD: ("-", "_"), 0xBE: (".", ">"),
    0xBF: ("/", "?"), 0xC0: ("`", "~"), 0xDB: ("[", "{"), 0xDC: ("\\", "|"), 0xDD: ("]", "}"),
    0xDE: ("'", '"'), 0x20: (" ", " "),
}  # fmt: skip
for _i, (_p, _s) in enumerate(zip("0123456789", ")!@#$%^&*(", strict=True)):
    _VK[0x30 + _i] = (_p, _s)
for _i, _ch in enumerate("abcdefghijklmnopqrstuvwxyz"):
    _VK[0x41 + _i] = (_ch, _ch.upper())

# The Russian (ЙЦУКЕН) and Ukrainian layouts over the US keys.
_CYRILLIC_KEYS = {
    "й": "q", "ц": "w", "у": "e", "к": "r", "е": "t", "н": "y", "г": "u", "ш": "i", "щ": "o",
    "з": "p", "х": "[", "ъ": "]", "ї": "]", "ф": "a", "ы": "s", "і": "s", "в": "d", "а": "f",
    "п": "g", "р": "h", "о": "j", "л": "k", "д": "l", "ж": ";", "э": "'", "є": "'", "я": "z",
    "ч": "x", "с": "c", "м": "v", "и": "b", "т": "n", "ь": "m", "б": ",", "ю": ".", "ё": "`",
    "ґ": "`",
}  # fmt: skip
_SHIFTED = {",": "<", ".": ">", ";": ":", "'": '"', "[": "{", "]": "}", "`": "~"}
LAYOUT_BACK: dict[str, str] = {}
for _cyr, _lat in _CYRILLIC_KEYS.items():
    LAYOUT_BACK[_cyr] = _lat
    LAYOUT_BACK[_cyr.upper()] = _lat.upper() if _lat.isalpha() else _SHIFTED.get(_lat, _lat)
# Shifted digit-row symbols of the Russian layout (№ on Shift+3, and so on).
LAYOUT_BACK.update({"№": "#", '"': "@"})


def char_from_x11(keycode: int, shift: bool) -> str | None:
    pair = _X11.get(keycode)
    return None if pair is None else pair[1 if shift else 0]


def char_from_vk(vk: int, shift: bool) -> str | None:
    pair = _VK.get(vk)
    return None if pair is None else pair[1 if shift else 0]


def layout_back(text: str) -> str:
    """``ДЩНФДЖ2000123456789`` → ``LOYAL:2000123456789``; Latin text is left alone."""
    return "".join(LAYOUT_BACK.get(ch, ch) for ch in text)


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def decode_key(
    text: str,
    *,
    native_scan_code: int = 0,
    native_virtual_key: int = 0,
    shift: bool = False,
    windows: bool = False,
) -> str | None:
    """The character the physical key means on a US layout, or None for a non-character."""
    if windows and native_virtual_key:
        ch = char_from_vk(native_virtual_key, shift)
        if ch is not None:
            return ch
    if not windows and native_scan_code:
        ch = char_from_x11(native_scan_code, shift)
        if ch is not None:
            return ch
    if len(text) == 1 and text.isprintable():
        return layout_back(text)
    return None

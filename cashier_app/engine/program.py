"""The program document: parsed, validated, immutable (docs/program.md).

Structure and types are checked by pydantic (unknown keys refused, strings for amounts);
the rules that span several keys (tiers ascending, references between groups and programs,
one default group) are checked afterwards, each reported with its key path, for example
``bonus_programs[0].accrual.tiers[2].from``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)

from cashier_app.engine.errors import ProgramError
from cashier_app.engine.money import HUNDRED, ZERO, PointsRounding, parse_amount


def _amount(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise ValueError(f'{exc} (for example "12.50")') from None


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Days = Annotated[StrictInt, Field(ge=0, le=36600)]
PositiveDays = Annotated[StrictInt, Field(ge=1, le=36600)]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Doc(BaseModel):
    # Containers are lax (a JSON list becomes a tuple); every scalar type is strict on its
    # own (StrictInt, StrictBool, strings for amounts), so "5" is not a number of days.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Tier(_Doc):
    from_: Amount = Field(alias="from")
    percent: Amount
    name: str | None = Field(default=None, min_length=1, max_length=40)

    @property
    def title(self) -> str:
        return self.name or f"{self.percent.normalize():f}%"


class PercentAccrual(_Doc):
    kind: Literal["percent"]
    tiers: tuple[Tier, ...] = Field(min_length=1)


class StepAccrual(_Doc):
    kind: Literal["per_step"]
    step: Amount
    points: Amount


class CategoryFilter(_Doc):
    only: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None

    def allows(self, value: str | None) -> bool:
        if self.only is not None:
            return value is not None and value in self.only
        if self.exclude is not None:
            return value not in self.exclude
        return True


class Welcome(_Doc):
    points: Amount
    expiry_days: Days | None = None


class Birthday(_Doc):
    points: Amount
    days_before: Days = 0
    expiry_days: Days | None = None


class Winback(_Doc):
    first_after_days: PositiveDays
    second_after_days: PositiveDays | None = None
    second_points: Amount | None = None
    second_points_percent_of_avg_check: Amount | None = None
    second_expiry_days: Days | None = None


class BonusProgram(_Doc):
    id: Identifier
    accrual: PercentAccrual | StepAccrual = Field(discriminator="kind")
    tier_window_days: PositiveDays | None = None
    accrue_when_redeeming: StrictBool = True
    max_redeem_percent: Amount = HUNDRED
    accrual_delay_days: Days = 0
    expiry_days: Days | None = None
    welcome: Welcome | None = None
    birthday: Birthday | None = None
    winback: Winback | None = None
    expiry_warning_days: PositiveDays | None = None
    offline_redeem_limit: Amount | None = None
    categories: CategoryFilter | None = None
    brands: CategoryFilter | None = None

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self.accrual.tiers if isinstance(self.accrual, PercentAccrual) else ()


class DiscountProgram(_Doc):
    id: Identifier
    kind: Literal["fixed", "cumulative"]
    percent: Amount | None = None
    tiers: tuple[Tier, ...] | None = None
    categories: CategoryFilter | None = None
    brands: CategoryFilter | None = None


class Group(_Doc):
    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    default: StrictBool = False
    loyalty: Literal["bonus", "discount", "both", "none"]
    bonus_program: Identifier | None = None
    discount_program: Identifier | None = None

    @property
    def earns_bonus(self) -> bool:
        return self.loyalty in ("bonus", "both")

    @property
    def gets_discount(self) -> bool:
        return self.loyalty in ("discount", "both")


class Program(_Doc):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    version: Annotated[StrictInt, Field(ge=1)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    timezone: str
    default_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    points_rounding: PointsRounding = "unit"
    bonus_value: Amount = Decimal("1")
    groups: tuple[Group, ...] = Field(min_length=1)
    bonus_programs: tuple[BonusProgram, ...] = ()
    discount_programs: tuple[DiscountProgram, ...] = ()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def default_group(self) -> Group:
        return next(g for g in self.groups if g.default)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def bonus_program_of(self, group: Group) -> BonusProgram | None:
        if not group.earns_bonus:
            return None
        return next(p for p in self.bonus_programs if p.id == group.bonus_program)

    def discount_program_of(self, group: Group) -> DiscountProgram | None:
        if not group.gets_discount:
            return None
        return next(p for p in self.discount_programs if p.id == group.discount_program)


MAX_DEPTH = 32  # a real program is 6 levels deep
MAX_DIGITS = 18  # a number of the document fits a 64-bit integer of the ledger
_MAX_SHAPE_ISSUES = 20
_TOO_BIG = 10**MAX_DIGITS


def load_program_text(text: str) -> Any:
    """The program document in a JSON text. A text nested too deeply for the JSON parser,
    or holding a number with thousands of digits, is an invalid program (ProgramError),
    never a crash; a text that is not JSON at all raises json.JSONDecodeError as usual."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ProgramError(
            [("", f"the document is nested deeper than {MAX_DEPTH} levels")]
        ) from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # Python refuses to read an integer of thousands of digits
        raise ProgramError([("", f"a number has at most {MAX_DIGITS} digits")]) from None


def _shape_issues(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Depth and number size, walked without recursion, before any other check."""
    issues: list[tuple[str, str]] = []
    stack: list[tuple[object, list[int | str]]] = [(document, [])]
    while stack and len(issues) < _MAX_SHAPE_ISSUES:
        value, loc = stack.pop()
        if isinstance(value, Mapping | list | tuple) and len(loc) >= MAX_DEPTH:
            issues.append((key_path(loc), f"nested deeper than {MAX_DEPTH} levels"))
        elif isinstance(value, Mapping):
            stack.extend((v, [*loc, str(k)]) for k, v in reversed(list(value.items())))
        elif isinstance(value, list | tuple):
            stack.extend((v, [*loc, i]) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _TOO_BIG:
            issues.append((key_path(loc), f"a number has at most {MAX_DIGITS} digits"))
    return issues


def parse_program(document: Mapping[str, Any]) -> Program:
    """Validate a program document; raise ProgramError naming every bad key path."""
    if not isinstance(document, Mapping):
        raise ProgramError([("", "the program document must be a JSON object")])
    shape = _shape_issues(document)
    if shape:
        raise ProgramError(shape)
    try:
        program = Program.model_validate(dict(document))
    except ValidationError as exc:
        raise ProgramError(
            [(key_path(err["loc"]), _message(err)) for err in exc.errors(include_url=False)]
        ) from None
    issues = _semantic_issues(program)
    if issues:
        raise ProgramError(issues)
    return program


_TAGS = {"percent", "per_step"}


def key_path(loc: Sequence[int | str]) -> str:
    out = ""
    previous: int | str | None = None
    for part in loc:
        if previous == "accrual" and part in _TAGS:
            previous = part
            continue  # pydantic adds the discriminator's tag; the document has no such key
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + ("from" if part == "from_" else part)
        previous = part
    return out


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid value"))
    return re.sub(r"^Value error, ", "", msg)


def _tier_issues(tiers: Sequence[Tier], path: str, *, need_names: bool) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    for i, tier in enumerate(tiers):
        if tier.percent > HUNDRED:
            issues.append((f"{path}[{i}].percent", "a percent must be between 0 and 100"))
        if i and tier.from_ <= tiers[i - 1].from_:
            issues.append((f"{path}[{i}].from", "tiers must be in ascending order of 'from'"))
    if tiers and tiers[0].from_ != ZERO:
        issues.append((f"{path}[0].from", 'the first tier must start from "0"'))
    names = [t.title for t in tiers]
    if need_names and len(set(names)) != len(names):
        issues.append((path, "tier names must be different"))
    return issues


def _filter_issues(flt: CategoryFilter | None, path: str) -> list[tuple[str, str]]:
    if flt is None:
        return []
    if (flt.only is None) == (flt.exclude is None):
        return [(path, "give exactly one of 'only' or 'exclude'")]
    return []


# The regions whose phone numbers a till reads: the phone library's supported regions, kept
# here because the engine must not import it (a test pins the two lists together). Every
# reader of a program (program-check, program-install, the central server) checks the
# default region through parse_program, so none can accept a region another refuses.
_REGIONS = (
    "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL "
    "BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW "
    "CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE "
    "GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ "
    "IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT "
    "LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
    "NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY "
    "SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG "
    "VI VN VU WF WS XK YE YT ZA ZM ZW"
)
KNOWN_REGIONS = frozenset(_REGIONS.split())


def _semantic_issues(p: Program) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    try:
        ZoneInfo(p.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(("timezone", f"unknown time zone {p.timezone!r}"))
    if p.default_region not in KNOWN_REGIONS:
        issues.append(("default_region", f"unknown region {p.default_region!r}"))
    if p.bonus_value <= ZERO:
        issues.append(("bonus_value", "must be greater than zero"))

    bonus_ids = [b.id for b in p.bonus_programs]
    discount_ids = [d.id for d in p.discount_programs]
    for name, ids in (("bonus_programs", bonus_ids), ("discount_programs", discount_ids)):
        for i, pid in enumerate(ids):
            if ids.index(pid) != i:
                issues.append((f"{name}[{i}].id", f"duplicate id {pid!r}"))

    group_ids = [g.id for g in p.groups]
    defaults = [i for i, g in enumerate(p.groups) if g.default]
    if len(defaults) != 1:
        issues.append(("groups", 'exactly one group must have "default": true'))
    for i, g in enumerate(p.groups):
        path = f"groups[{i}]"
        if group_ids.index(g.id) != i:
            issues.append((f"{path}.id", f"duplicate id {g.id!r}"))
        if g.earns_bonus:
            if g.bonus_program is None:
                issues.append((f"{path}.bonus_program", f"required for loyalty {g.loyalty!r}"))
            elif g.bonus_program not in bonus_ids:
                issues.append((f"{path}.bonus_program", f"no bonus program {g.bonus_program!r}"))
        elif g.bonus_program is not None:
            issues.append((f"{path}.bonus_program", f"not used with loyalty {g.loyalty!r}"))
        if g.gets_discount:
            if g.discount_program is None:
                issues.append((f"{path}.discount_program", f"required for loyalty {g.loyalty!r}"))
            elif g.discount_program not in discount_ids:
                issues.append(
                    (f"{path}.discount_program", f"no discount program {g.discount_program!r}")
                )
        elif g.discount_program is not None:
            issues.append((f"{path}.discount_program", f"not used with loyalty {g.loyalty!r}"))

    for i, b in enumerate(p.bonus_programs):
        path = f"bonus_programs[{i}]"
        if isinstance(b.accrual, PercentAccrual):
            issues += _tier_issues(b.accrual.tiers, f"{path}.accrual.tiers", need_names=True)
        else:
            if b.accrual.step <= ZERO:
                issues.append((f"{path}.accrual.step", "must be greater than zero"))
            if b.accrual.points <= ZERO:
                issues.append((f"{path}.accrual.points", "must be greater than zero"))
        if b.max_redeem_percent > HUNDRED:
            issues.append((f"{path}.max_redeem_percent", "a percent must be between 0 and 100"))
        issues += _filter_issues(b.categories, f"{path}.categories")
        issues += _filter_issues(b.brands, f"{path}.brands")
        w = b.winback
        if w is not None:
            wp = f"{path}.winback"
            has_points = w.second_points is not None
            has_pct = w.second_points_percent_of_avg_check is not None
            if w.second_after_days is None:
                if has_points or has_pct or w.second_expiry_days is not None:
                    issues.append((f"{wp}.second_after_days", "required for a second reminder"))
            else:
                if w.second_after_days <= w.first_after_days:
                    issues.append(
                        (f"{wp}.second_after_days", "must be later than first_after_days")
                    )
                if has_points and has_pct:
                    issues.append(
                        (wp, "give second_points or second_points_percent_of_avg_check, not both")
                    )
            pct = w.second_points_percent_of_avg_check
            if pct is not None and pct > HUNDRED:
                issues.append(
                    (f"{wp}.second_points_percent_of_avg_check", "a percent must be 0-100")
                )

    for i, d in enumerate(p.discount_programs):
        path = f"discount_programs[{i}]"
        if d.kind == "fixed":
            if d.percent is None:
                issues.append((f"{path}.percent", "required for a fixed discount"))
            elif d.percent > HUNDRED:
                issues.append((f"{path}.percent", "a percent must be between 0 and 100"))
            if d.tiers is not None:
                issues.append((f"{path}.tiers", "not used with a fixed discount"))
        else:
            if not d.tiers:
                issues.append((f"{path}.tiers", "required for a cumulative discount"))
            else:
                issues += _tier_issues(d.tiers, f"{path}.tiers", need_names=False)
            if d.percent is not None:
                issues.append((f"{path}.percent", "not used with a cumulative discount"))
        issues += _filter_issues(d.categories, f"{path}.categories")
        issues += _filter_issues(d.brands, f"{path}.brands")
    return issues

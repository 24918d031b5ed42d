"""Tiers by the customer's cumulative purchases (the tier basis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cashier_app.engine.program import Tier


def tier_for(tiers: Sequence[Tier], basis: Decimal) -> Tier | None:
    """The highest tier whose threshold the basis has reached (tiers are ascending)."""
    found = None
    for tier in tiers:
        if basis >= tier.from_:
            found = tier
        else:
            break
    return found


@dataclass(frozen=True, slots=True)
class TierProgress:
    current: Tier | None
    next: Tier | None
    missing: Decimal  # purchases still needed to reach ``next`` (0 when at the top)


def tier_progress(tiers: Sequence[Tier], basis: Decimal) -> TierProgress:
    current = tier_for(tiers, basis)
    upcoming = next((t for t in tiers if t.from_ > basis), None)
    missing = upcoming.from_ - basis if upcoming is not None else Decimal("0")
    return TierProgress(current, upcoming, missing)

"""Do next month's plans add up? The floors (保底) and stretches (冲刺) the members planned for
the month after a month end, summed per KPI, against the department's own target for it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.questionnaire import Kpi
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year


@dataclass(frozen=True)
class PlanCheck:
    """One KPI's plans for `month`: the `floor` the `members` who planned one add up to, their
    `stretch` (a member without one counts their floor), and the department's `target`, a
    share of its quarter's or year's when `share_of` says so."""

    kpi: Kpi
    month: Period
    members: int
    floor: Decimal
    stretch: Decimal
    target: Decimal
    share_of: Quarter | Year | None = None

    @property
    def covered(self) -> bool:
        """Whether the floors reach the target."""
        return self.floor >= self.target

    @property
    def gap(self) -> Decimal:
        """How far the floors fall short of the target (0 when they reach it)."""
        return max(self.target - self.floor, Decimal(0))

    @property
    def gap_ratio(self) -> Decimal | None:
        """The gap as a part of the target."""
        return self.gap / self.target if self.target else None

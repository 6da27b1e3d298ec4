"""Five-field cron schedules (minute hour day-of-month month day-of-week), parsed and stepped in UTC.

Each field takes ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, and lists of those
separated by commas; day of week runs 0-6 from Sunday (7 is Sunday too). As in cron, when both the
day of month and the day of week are restricted, a day matching either is due. Names (``MON``,
``JAN``) and macros (``@daily``) are not accepted: the error says so rather than guessing. A small
parser here rather than a dependency: this is all the suites need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_HORIZON_DAYS = 366 * 5  # "30 2 31 2 *" (31 February) never comes: refused rather than searched forever


class CronError(ValueError):
    """A schedule that is not valid five-field cron syntax."""


@dataclass(frozen=True, slots=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is "*"
    any_weekday: bool  # day of week is "*"

    def _day_matches(self, when: datetime) -> bool:
        weekday = (when.weekday() + 1) % 7  # Python: Monday = 0; cron: Sunday = 0
        by_day, by_weekday = when.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, when: datetime) -> datetime:
        """The first due minute strictly after ``when`` (UTC)."""
        current = when.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = current + timedelta(days=_HORIZON_DAYS)
        while current < limit:
            if current.month not in self.months or not self._day_matches(current):
                current = (current + timedelta(days=1)).replace(hour=0, minute=0)
            elif current.hour not in self.hours:
                current = (current + timedelta(hours=1)).replace(minute=0)
            elif current.minute not in self.minutes:
                current += timedelta(minutes=1)
            else:
                return current
        raise CronError("the schedule is never due")


def parse_cron(text: str) -> Cron:
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise CronError(f"a schedule has 5 fields (minute hour day month weekday), got {len(parts)}")
    values = [_field(part, name, low, high) for part, (name, low, high) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if day == 7 else day for day in values[4])
    cron = Cron(values[0], values[1], values[2], values[3], weekdays, parts[2] == "*", parts[4] == "*")
    cron.next_after(datetime(2000, 1, 1, tzinfo=UTC))  # refuses a schedule that is never due
    return cron


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    found: set[int] = set()
    for item in text.split(","):
        found.update(_item(item, name, low, high))
    return frozenset(found)


def _item(item: str, name: str, low: int, high: int) -> range:
    span, _, step_text = item.partition("/")
    step = _number(step_text, name) if step_text else 1
    if step < 1:
        raise CronError(f"{name}: a step must be at least 1")
    if span == "*":
        start, end = low, high
    elif "-" in span:
        first, _, last = span.partition("-")
        start, end = _number(first, name), _number(last, name)
    else:
        start = _number(span, name)
        end = high if step_text else start
    if not low <= start <= end <= high:
        raise CronError(f"{name}: {item!r} is outside {low}-{high} (or its range is reversed)")
    return range(start, end + 1, step)


def _number(text: str, name: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise CronError(f"{name}: {text!r} is not a number (names and macros are not accepted)")
    return int(text)

"""Five-field cron: next due times (UTC) and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trueport.platform.evals.cron import CronError, parse_cron

NOW = datetime(2026, 12, 7, 14, 17, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("schedule", "due"),
    [
        ("* * * * *", datetime(2026, 12, 7, 14, 18, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2026, 12, 7, 14, 30, tzinfo=UTC)),
        ("0 3 * * *", datetime(2026, 12, 8, 3, 0, tzinfo=UTC)),
        ("0 9 * * 1", datetime(2026, 12, 14, 9, 0, tzinfo=UTC)),
        ("0 9 * * 7", datetime(2026, 12, 13, 9, 0, tzinfo=UTC)),  # 7 is Sunday too
        ("30 2 1 1 *", datetime(2027, 1, 1, 2, 30, tzinfo=UTC)),
        ("0 0 13 * 5", datetime(2026, 12, 11, 0, 0, tzinfo=UTC)),  # day 13 or a Friday, as in cron
        ("5,20-22/2 10 * * *", datetime(2026, 12, 8, 10, 5, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_due_time(schedule: str, due: datetime) -> None:
    assert parse_cron(schedule).next_after(NOW) == due


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("* * *", "5 fields"),
        ("60 * * * *", "outside 0-59"),
        ("5-1 * * * *", "reversed"),
        ("*/0 * * * *", "at least 1"),
        ("0 9 * * MON", "not a number"),
        ("@daily", "5 fields"),
        ("0 0 31 2 *", "never due"),
    ],
)
def test_invalid_schedules_are_refused(schedule: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(schedule)

from __future__ import annotations

from trueport.limits.ratelimit import LocalFixedWindow


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_fixed_window_admits_exactly_the_limit_per_minute() -> None:
    clock = Clock(1_000_020.0)
    limiter = LocalFixedWindow(clock)
    decisions = [limiter.hit("k", 3) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert 0 < decisions[-1].reset_s <= 60
    assert limiter.hit("other", 3).allowed  # keys are counted apart
    clock.now += 60
    assert limiter.hit("k", 3).allowed  # a new minute, a new window

"""The pace behind a task's expected end: the progress of the last WINDOW_S seconds, so
slow epochs after a quick first stage are estimated at their own pace."""

import pytest

from app.ml.progress import Pace


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_estimate_follows_the_recent_pace_not_the_pace_since_the_start() -> None:
    clock = Clock()
    pace = Pace(clock)
    # reading and importing: 10 % in 1 s
    for tenth in range(11):
        clock.now = tenth / 10
        pace.seconds_left(tenth / 100)
    # then epochs: 1 % every 2 s, for 40 s
    left = None
    for step in range(1, 21):
        clock.now = 1 + 2 * step
        left = pace.seconds_left(0.10 + step / 100)
    # 70 % left at 1 % per 2 s; since the start it would read 70 % at 30 % per 41 s: 96 s
    assert left == pytest.approx(140.0)


def test_no_estimate_before_the_reports_say_enough_nor_while_they_stand_still() -> None:
    clock = Clock()
    pace = Pace(clock)
    assert pace.seconds_left(0.0) is None
    clock.now = 1.0
    assert pace.seconds_left(0.5) is None  # over less than MIN_SPAN_S
    clock.now = 3.0
    assert pace.seconds_left(0.5) == pytest.approx(3.0)  # half in 3 s
    clock.now = 20.0
    assert pace.seconds_left(0.5) is None  # no progress over the last WINDOW_S


def test_a_report_before_any_real_work_gives_no_estimate() -> None:
    clock = Clock()
    pace = Pace(clock)
    pace.seconds_left(0.0)
    clock.now = 10.0
    assert pace.seconds_left(0.01) is None

"""ChangeTimes: what the replica sync may act on after reading the registry at `read_at`."""

import time

from app.services.change_times import ChangeTimes


def test_a_key_touched_after_the_read_is_left_alone() -> None:
    changes = ChangeTimes()
    assert changes.untouched_since("m", time.monotonic())  # never changed here
    read_at = time.monotonic()
    changes.touch("m")
    assert not changes.untouched_since("m", read_at)
    assert changes.untouched_since("m", time.monotonic())


def test_a_change_under_way_is_left_alone_until_its_last_step() -> None:
    changes = ChangeTimes()
    with changes.changing("m"):
        assert not changes.untouched_since("m", time.monotonic())
        with changes.changing("m"):  # a second thread's change of the same key
            pass
        assert not changes.untouched_since("m", time.monotonic())  # the first is not done
        read_during = time.monotonic()
    assert not changes.untouched_since("m", read_during)  # changed as of its end
    assert changes.untouched_since("m", time.monotonic())
    assert changes.untouched_since("other", read_during)

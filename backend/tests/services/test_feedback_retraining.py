"""Which feedback a retrain holds out: a seeded share, at least one text once there are
two, none of only one, the same split for the same seed."""

from app.services.feedback_retraining import hold_out


def test_a_seeded_share_is_held_out() -> None:
    rows = [(f"text {i}", str(i % 2)) for i in range(31)]
    train, held = hold_out(rows, 0.2, seed=7)
    assert len(held) == 6 and len(train) == 25
    assert sorted(train + held) == sorted(rows)
    assert hold_out(rows, 0.2, seed=7) == (train, held)
    assert hold_out(rows, 0.2, seed=8)[1] != held


def test_a_little_feedback_still_holds_one_out_and_one_holds_none() -> None:
    assert len(hold_out([("a", "1"), ("b", "0")], 0.2, seed=0)[1]) == 1
    assert hold_out([("a", "1")], 0.2, seed=0) == ([("a", "1")], [])

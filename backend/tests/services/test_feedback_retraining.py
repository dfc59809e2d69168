"""Which feedback a retrain holds out: a seeded share, at least one text once there are
two, none of only one, the same split for the same seed."""

from app.services.feedback_retraining import _summary, hold_out
from shared.schemas.feedback import ComparisonScores, FeedbackComparison, ScoresOfBoth


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


def test_the_summary_counts_its_held_out_texts_in_words() -> None:
    def scores(n: int) -> ScoresOfBoth:
        one = ComparisonScores(n=n, accuracy=1.0, macro_f1=0.5)
        return ScoresOfBoth(parent=one, new=one)

    def summary(n: int) -> str:
        comparison = FeedbackComparison(
            parent_id="p", feedback_train_rows=4, feedback_holdout_rows=n,
            parent_holdout=scores(100), feedback_holdout=scores(n), better=False,
        )  # fmt: skip
        return _summary(comparison, 2)

    assert summary(1).startswith("done; on 1 held-out feedback text macro-F1 0.500 vs 0.500")
    assert summary(3).startswith("done; on 3 held-out feedback texts macro-F1")

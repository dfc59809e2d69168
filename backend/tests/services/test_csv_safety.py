import pandas as pd

from app.services.csv_safety import neutralise_formulas


def test_cells_and_header_cells_get_the_apostrophe_numbers_do_not() -> None:
    frame = pd.DataFrame(
        [["=1+1", "-5", "\tx"], ["@SUM(A1)", "-cmd", "+3.5e2"]],
        columns=["=HYPERLINK(1)", "-3.5", "plain"],
    )
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=HYPERLINK(1)", "-3.5", "plain"]
    assert out.values.tolist() == [["'=1+1", "-5", "'\tx"], ["'@SUM(A1)", "'-cmd", "+3.5e2"]]


def test_a_neutralised_name_may_repeat_another_column() -> None:
    frame = pd.DataFrame([["=a", "b"]], columns=["=x", "'=x"])
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=x", "'=x"]
    assert out.values.tolist() == [["'=a", "b"]]

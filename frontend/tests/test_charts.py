"""The model curves keep their legends off the axis titles; learning curves have a panel
and a y axis per measure; the length charts send binned figures, not every length, and
their figures match the data."""

import numpy as np
import pandas as pd

from ui.components.charts import (
    frequency_bars,
    learning_curves,
    length_box,
    length_histogram,
    pr_chart,
    roc_chart,
)

CURVES = [("model a", [0.0, 0.1, 1.0], [0.0, 0.9, 1.0]), ("model b", [0.0, 0.5, 1.0], [0, 0.7, 1])]


def test_curve_legends_sit_inside_the_plot_not_over_the_x_axis_title() -> None:
    for fig in (roc_chart(CURVES), pr_chart(CURVES, base_rate=0.3)):
        legend = fig.layout.legend
        assert fig.layout.xaxis.title.text  # the title the old legend (y=-0.15) covered
        assert 0 <= legend.y <= 1 and 0 <= legend.x <= 1, legend
        assert legend.yanchor == "bottom" and legend.bgcolor


def test_the_pr_legend_keeps_the_chance_line_in_sight() -> None:
    """Bottom-left is the PR chart's empty corner, but the chance line runs through it."""
    for rate in (0.05, 0.3, 0.5):
        legend = pr_chart(CURVES, base_rate=rate).layout.legend
        assert legend.yanchor == "bottom" and legend.y * 1.02 > rate, (rate, legend)
    high = pr_chart(CURVES, base_rate=0.8).layout.legend  # mostly positive: room below it
    assert high.yanchor == "top" and high.y * 1.02 < 0.8, high
    assert pr_chart(CURVES, base_rate=None).layout.legend.y == 0.01


def _lengths() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    chars = np.concatenate([rng.integers(5, 400, 3000), rng.integers(20, 900, 1000)])
    return pd.DataFrame({"chars": chars, "label": ["0"] * 3000 + ["1"] * 1000})


def test_length_histogram_sends_bins_that_sum_to_each_class_within_the_99th_percentile() -> None:
    lengths = _lengths()
    fig = length_histogram(lengths, "chars", ["0", "1", "absent"])
    assert [bar.name for bar in fig.data] == ["0", "1"]  # a class without rows has no bars
    cut = lengths["chars"].quantile(0.99, interpolation="higher")
    for bar in fig.data:
        assert len(bar.x) <= 61  # bins, not one point a text
        shown = lengths[(lengths["label"] == bar.name) & (lengths["chars"] <= cut)]
        assert abs(sum(bar.y) - 100) < 1e-6
        # the bars' widths cover whole lengths: each bin's count is the texts in it
        low, width = bar.x[0] - bar.width[0] / 2, bar.width[0]
        first = shown["chars"].between(low, low + width, inclusive="left").sum()
        assert abs(bar.y[0] - 100 * first / len(shown)) < 1e-9
    assert fig.layout.barmode == "overlay"


def test_length_histogram_of_a_few_short_texts_keeps_one_bar_per_length() -> None:
    lengths = pd.DataFrame({"words": [1, 2, 2, 3], "label": ["a", "a", "a", "a"]})
    bar = length_histogram(lengths, "words", ["a"], group="part").data[0]
    assert list(bar.x) == [1, 2, 3] and list(bar.y) == [25, 50, 25]


def test_length_box_is_five_numbers_a_class_with_tukey_whiskers() -> None:
    lengths = pd.DataFrame({"chars": [1, 2, 3, 4, 5, 6, 7, 8, 100], "label": ["0"] * 9})
    (box,) = length_box(lengths, "chars", ["0", "1"]).data
    assert (box.q1[0], box.median[0], box.q3[0]) == (3, 5, 7)
    assert box.lowerfence[0] == 1 and box.upperfence[0] == 8  # 100 is past 7 + 1.5 × 4
    assert box.y is None  # no raw lengths travel to the browser


def test_a_long_term_is_cut_on_its_tick_and_kept_whole_in_its_bar() -> None:
    long = "ahahahahahahahahahahahahahahaha lmao"
    top = pd.DataFrame({"label": ["1", "1"], "ngram": [long, "idiot"], "count": [3, 9]})
    fig = frequency_bars(top, "ngram", "1", "#d62728")
    assert list(fig.data[0].y) == [long, "idiot"]  # the bars keep their terms
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks["idiot"] == "idiot"
    assert len(ticks[long]) == 24 and ticks[long].endswith("…")


def test_learning_curves_have_a_panel_and_a_y_axis_per_measure() -> None:
    history = {
        "loss": [0.6, 0.4],
        "accuracy": [0.7, 0.9],
        "val_loss": [0.5, 0.45],
        "val_accuracy": [0.8, 0.82],
    }
    fig = learning_curves(history)
    assert [a.text for a in fig.layout.annotations] == ["loss", "accuracy"]
    panels = {t.xaxis: t for t in fig.data if t.name == "training"}
    assert list(panels["x"].y) == [0.6, 0.4] and list(panels["x2"].y) == [0.7, 0.9]
    # loss and accuracy are not on one scale: each panel's y axis is its own
    assert fig.layout.yaxis2.matches is None and fig.layout.yaxis2.showticklabels
    # with room between the panels for the second one's tick labels
    assert fig.layout.xaxis2.domain[0] - fig.layout.xaxis.domain[1] >= 0.08
    dashes = {t.name: t.line.dash for t in fig.data}
    assert dashes == {"training": "solid", "validation": "dash"}

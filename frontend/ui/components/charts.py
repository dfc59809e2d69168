"""Plotly figures the pages share: distributions, frequency bars, model curves."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

HEIGHT = 380
DIAGONAL = {"dash": "dot", "color": "grey"}
MARGIN = {"t": 30, "b": 10, "l": 10, "r": 10}
TERM_TICK_CHARS = 24  # a frequency chart's term as its tick shows it
# inside the plot, in the corner its curves leave empty: never over an axis title
_LEGEND_BOX = {"bgcolor": "rgba(255,255,255,0.8)", "bordercolor": "lightgrey", "borderwidth": 1}
LEGEND_BOTTOM_RIGHT = {**_LEGEND_BOX, "x": 0.99, "xanchor": "right", "y": 0.01, "yanchor": "bottom"}
LEGEND_BOTTOM_LEFT = {**_LEGEND_BOX, "x": 0.01, "xanchor": "left", "y": 0.01, "yanchor": "bottom"}
# One colour per class (in class order) on every chart; distinct where the theme's are not.
CLASS_COLOURS = px.colors.qualitative.D3
MODEL_COLOURS = px.colors.qualitative.Set1
PR_Y_MAX = 1.02  # the y axis of a PR chart: a little room over precision 1


def length_histogram(
    lengths: pd.DataFrame, column: str, order: list[str], group: str = "class"
) -> go.Figure:
    """Overlaid histograms of each `group` (a class; a QA dataset's part).

    Binned here: the browser gets 60 bars a group, not every text's length (20k values
    a chart made each tab switch re-bin them in JavaScript)."""
    clipped = lengths.copy()
    # the long tail hides the body of the distribution: show up to the 99th percentile
    # (a value taken from the data, so that a small set keeps its longest text)
    clipped = clipped[clipped[column] <= clipped[column].quantile(0.99, interpolation="higher")]
    edges = _integer_bin_edges(clipped[column].to_numpy())
    fig = go.Figure()
    for index, label in enumerate(order):
        values = clipped.loc[clipped["label"] == label, column].to_numpy()
        if not len(values):
            continue
        counts, _ = np.histogram(values, bins=edges)
        fig.add_bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=100 * counts / len(values),
            width=np.diff(edges),
            name=str(label),
            opacity=0.6,
            marker_color=CLASS_COLOURS[index % len(CLASS_COLOURS)],
            hovertemplate=f"{group} {label}<br>%{{x}}: %{{y:.1f}} %<extra></extra>",
        )
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        height=HEIGHT,
        margin=MARGIN,
        legend_title_text=group,
        xaxis_title=f"text length ({column})",
        yaxis_title=f"% of the {group}'s texts",
    )
    return fig


def _integer_bin_edges(values: np.ndarray, bins: int = 60) -> np.ndarray:
    """At most `bins` bins of one integer width from the smallest value to the largest
    (lengths are counts: a bin never splits one length)."""
    low = int(values.min()) if len(values) else 0
    high = int(values.max()) if len(values) else 1
    width = max(1, -(-(high - low + 1) // bins))
    return np.arange(low, high + width + 1, width, dtype=float) - 0.5


def length_box(lengths: pd.DataFrame, column: str, order: list[str]) -> go.Figure:
    """One box a class, from quartiles computed here (Tukey's whiskers: the furthest
    length within 1.5 IQR), so the browser gets five numbers a class, not every length."""
    fig = go.Figure()
    for index, label in enumerate(order):
        values = lengths.loc[lengths["label"] == label, column].to_numpy()
        if not len(values):
            continue
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        reach = 1.5 * (q3 - q1)
        fig.add_box(
            x=[str(label)],
            q1=[q1],
            median=[median],
            q3=[q3],
            lowerfence=[values[values >= q1 - reach].min()],
            upperfence=[values[values <= q3 + reach].max()],
            name=str(label),
            marker_color=CLASS_COLOURS[index % len(CLASS_COLOURS)],
        )
    fig.update_layout(
        height=HEIGHT,
        showlegend=False,
        margin=MARGIN,
        xaxis_title="class",
        yaxis_title=f"length ({column})",
    )
    return fig


def class_colour(order: list[str], label: str) -> str:
    index = order.index(label) if label in order else 0
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


def frequency_bars(
    top: pd.DataFrame, term_column: str, label: str, colour: str, title: str | None = None
) -> go.Figure:
    """Horizontal bars, the most frequent at the top; titled `class <label>` by default."""
    rows = top[top["label"] == label].sort_values("count")
    fig = px.bar(
        rows,
        x="count",
        y=term_column,
        orientation="h",
        title=f"class {label}" if title is None else title,
        color_discrete_sequence=[colour],
    )
    fig.update_layout(
        height=max(260, 22 * len(rows) + 80), yaxis_title=None, margin={**MARGIN, "t": 40}
    )
    # a long term ("hahahahaha…", a run-on phrase) would squeeze its bars: its tick is cut,
    # its hover keeps it whole; few count ticks, so they never crowd a narrow column
    terms = [str(t) for t in rows[term_column]]
    fig.update_yaxes(tickvals=terms, ticktext=[_cut(t) for t in terms])
    fig.update_xaxes(nticks=4)
    return fig


def _cut(term: str, width: int = TERM_TICK_CHARS) -> str:
    return term if len(term) <= width else term[: width - 1] + "…"


def pos_bars(counts: pd.DataFrame, order: list[str]) -> go.Figure:
    fig = px.bar(
        counts,
        x="pos",
        y="share",
        color="label",
        barmode="group",
        category_orders={"label": order},
        color_discrete_sequence=CLASS_COLOURS,
        labels={"pos": "part of speech", "share": "share of the class's tokens", "label": "class"},
    )
    fig.update_layout(height=HEIGHT, yaxis_tickformat=".0%", margin=MARGIN)
    return fig


def class_balance_bars(balance: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        balance,
        x="label",
        y="count",
        text="share",
        color="label",
        color_discrete_sequence=CLASS_COLOURS,
        labels={"label": "class"},
    )
    fig.update_traces(texttemplate="%{text:.1%}", textposition="outside")
    fig.update_layout(height=300, xaxis_type="category", showlegend=False, margin=MARGIN)
    return fig


def tsne_scatter(points: pd.DataFrame, order: list[str], group: str = "class") -> go.Figure:
    fig = px.scatter(
        points,
        x="x",
        y="y",
        color="label",
        hover_data={"text": True, "x": False, "y": False},
        category_orders={"label": order},
        color_discrete_sequence=CLASS_COLOURS,
        opacity=0.7,
        labels={"label": group},
    )
    fig.update_traces(marker={"size": 5})
    fig.update_layout(height=560, xaxis_title=None, yaxis_title=None, margin=MARGIN)
    return fig


def confusion_matrix(matrix: Sequence[Sequence[int]], classes: Sequence[object]) -> go.Figure:
    names = [str(c) for c in classes]
    fig = px.imshow(
        matrix,
        x=names,
        y=names,
        text_auto=True,
        color_continuous_scale="Blues",
        labels={"x": "predicted", "y": "true", "color": "texts"},
    )
    fig.update_layout(height=360, xaxis_type="category", yaxis_type="category", margin=MARGIN)
    return fig


def roc_chart(curves: Sequence[tuple[str, Sequence[float], Sequence[float]]]) -> go.Figure:
    """`curves`: (legend name, fpr, tpr) each."""
    fig = go.Figure()
    for i, (name, fpr, tpr) in enumerate(curves):
        colour = MODEL_COLOURS[i % len(MODEL_COLOURS)]
        fig.add_trace(
            go.Scatter(x=list(fpr), y=list(tpr), mode="lines", name=name, line={"color": colour})
        )
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=DIAGONAL, name="chance", hoverinfo="skip")
    )
    fig.update_layout(
        height=460,
        xaxis_title="false positive rate",
        yaxis_title="true positive rate",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1.02],
        legend=LEGEND_BOTTOM_RIGHT,
        margin=MARGIN,
    )
    return fig


def pr_chart(
    curves: Sequence[tuple[str, Sequence[float], Sequence[float]]], base_rate: float | None
) -> go.Figure:
    """`curves`: (legend name, recall, precision) each; `base_rate` draws the chance line."""
    fig = go.Figure()
    for i, (name, recall, precision) in enumerate(curves):
        colour = MODEL_COLOURS[i % len(MODEL_COLOURS)]
        fig.add_trace(
            go.Scatter(
                x=list(recall), y=list(precision), mode="lines", name=name, line={"color": colour}
            )
        )
    if base_rate is not None:
        fig.add_trace(
            go.Scatter(
                x=[0, 1], y=[base_rate, base_rate], mode="lines", line=DIAGONAL, name="chance"
            )
        )
    fig.update_layout(
        height=460,
        xaxis_title="recall",
        yaxis_title="precision",
        xaxis_range=[0, 1],
        yaxis_range=[0, PR_Y_MAX],
        legend=_clear_of(base_rate),
        margin=MARGIN,
    )
    return fig


def _clear_of(base_rate: float | None) -> dict[str, object]:
    """The PR legend at the left, just above the chance line (just below it when the line
    is high): the curves leave that corner empty, and the line stays in sight."""
    if base_rate is None:
        return LEGEND_BOTTOM_LEFT
    if base_rate < 0.6:
        return {**LEGEND_BOTTOM_LEFT, "y": (base_rate + 0.03) / PR_Y_MAX}
    return {**LEGEND_BOTTOM_LEFT, "y": (base_rate - 0.03) / PR_Y_MAX, "yanchor": "top"}


def learning_curves(history: dict[str, list[float]]) -> go.Figure:
    """One panel per measure (loss, accuracy, auc...), each on its own y axis: a loss of
    0.4 and an accuracy of 0.9 are not on one scale. Training solid, validation dashed."""
    frame = pd.DataFrame(
        [
            {
                "epoch": i + 1,
                "value": v,
                "measure": name.removeprefix("val_"),
                "data": "validation" if name.startswith("val_") else "training",
            }
            for name, values in history.items()
            for i, v in enumerate(values)
        ]
    )
    measures = list(dict.fromkeys(frame["measure"]))
    fig = px.line(
        frame,
        x="epoch",
        y="value",
        color="data",
        line_dash="data",
        facet_col="measure",
        # room between the panels for each one's own y tick labels
        facet_col_spacing=0.08,
        markers=True,
        category_orders={"measure": measures, "data": ["training", "validation"]},
        line_dash_map={"training": "solid", "validation": "dash"},
    )
    fig.update_yaxes(matches=None, showticklabels=True, title=None)
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))
    fig.update_layout(height=HEIGHT, margin=MARGIN, legend_title_text=None)
    fig.update_xaxes(dtick=1)
    return fig

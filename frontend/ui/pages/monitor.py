"""Monitor: a model's served predictions over time, from the prediction log's summary:
volume, class mix, confidence, accuracy from feedback, latency, and drift against the
model's own held-out predictions (PSI per bucket with its threshold, a banner when a flag
is up)."""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from shared.schemas import ModelStatus
from shared.schemas.drift import ModelDrift
from shared.schemas.statistics import ModelStatistics
from ui.components.backend import call, call_or_stop, get_client
from ui.components.models import cached_models, label_names, label_text, pick_model
from ui.words import counted

ALL_SEGMENTS = "All segments"
NO_LABEL = "(no label applies)"
PERIODS = ("hour", "day", "week")
DEFAULT_DAYS = 30
# a bucket on the x axis: categories, not times (one bucket would get sub-second ticks)
FORMATS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "week": "week of %Y-%m-%d"}


def bucket_label(start: datetime, period: str) -> str:
    return start.strftime(FORMATS[period])


def render() -> None:
    st.title("Monitor")
    st.caption(
        "What a model answered in production, from the prediction log: per hour, day or "
        "week. Drift compares each segment with the model's own held-out predictions."
    )
    models = call_or_stop("Listing the models", cached_models)
    ready = [m for m in models if m.status == ModelStatus.READY]
    model = pick_model("Model", ready, key="monitor.model")
    if model is None:
        st.info("No trained models yet: train one on the Train page.")
        return
    # its own row: a column cut the label of a long name
    whole_name = st.toggle(
        f"Every version of {model.name}",
        key="monitor.whole_name",
        help="The statistics of all the name's versions together (drift: the newest).",
    )
    ref = model.name if whole_name else model.id
    period_col, range_col = st.columns([1, 2])
    period = period_col.selectbox("Period", PERIODS, index=1, key="monitor.period")
    today = datetime.now(UTC).date()
    picked = range_col.date_input(
        "Time range (UTC)",
        value=(today - timedelta(days=DEFAULT_DAYS), today),
        key="monitor.range",
    )
    first, last = _range(picked, today)
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    segment_col, threshold_col = st.columns(2)
    below = threshold_col.slider(
        "Low confidence: under", 0.0, 1.0, 0.6, 0.01, key="monitor.confidence_below"
    )

    def statistics(segment: str | None) -> ModelStatistics:
        return call_or_stop(
            "Reading the statistics",
            lambda: get_client().model_statistics(
                ref, period=period, start=start, end=end, segment=segment, confidence_below=below
            ),
        )

    overall = statistics(None)  # names the segments of every version it covers
    choice = segment_col.selectbox(
        "Segment", [ALL_SEGMENTS, *overall.segments], key="monitor.segment"
    )
    segment = None if choice == ALL_SEGMENTS else choice
    stats = overall if segment is None else statistics(segment)
    everything = call(
        "Reading the drift",
        lambda: get_client().model_drift(ref, period=period, start=start, end=end),
    )
    if whole_name and everything is not None:
        newest = next((m for m in models if m.id == everything.model_id), None)
        version = f"v{newest.version}" if newest else "the newest version"
        st.caption(
            f"Drift is measured per version: here {version}'s, the newest of "
            f"{model.name}"
            + ("" if everything.buckets else " (it has no predictions in this range)")
            + "."
        )
    drift = everything
    if everything is not None and segment is not None:
        drift = everything.model_copy(
            update={"buckets": [b for b in everything.buckets if b.segment == segment]}
        )
    if drift is not None:
        drift_banner(drift)
    if not stats.buckets:
        st.info("No predictions logged for this model, segment and time range.")
        return
    statistics_charts(stats, label_names(model.id))
    if drift is not None:
        drift_charts(drift)


def _range(picked: object, today: date) -> tuple[date, date]:
    """The date input's pick: a (first, last) pair, one day while a range is half picked."""
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    if isinstance(picked, tuple | list) and len(picked) == 1:
        return picked[0], picked[0]
    return (picked, picked) if isinstance(picked, date) else (today, today)


def drift_banner(drift: ModelDrift) -> None:
    if not drift.reference.available:
        st.info(
            f"No drift reference: {drift.reference.reason}. Only the unknown-token share is shown.",
            icon=":material/info:",
        )
    flagged = [
        (b.segment, b.start, name)
        for b in drift.buckets
        for name, up in (
            ("class mix", b.class_mix_drift),
            ("confidence", b.confidence_drift),
            ("unknown tokens", b.unknown_token_drift),
        )
        if up
    ]
    if flagged:
        shown = "; ".join(
            f"{name} of segment `{segment}` in {bucket_label(start, drift.period)}"
            for segment, start, name in flagged[:8]
        )
        more = f" and {len(flagged) - 8} more" if len(flagged) > 8 else ""
        st.error(
            f"**Drift detected** in {counted(len(flagged), 'figure')} (PSI over "
            f"{drift.psi_threshold:g}, or unknown tokens over the reference by more than "
            f"{drift.unknown_token_threshold:g}): {shown}{more}",
            icon=":material/warning:",
        )
    elif drift.buckets:
        st.success("No drift flag is up.", icon=":material/check_circle:")


def statistics_frame(stats: ModelStatistics) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "start": bucket_label(b.start, stats.period),
                "count": b.count,
                "mean confidence": b.mean_confidence,
                f"share under {stats.confidence_below:g}": b.low_confidence_share,
                "latency p50 (ms)": b.latency_p50_ms,
                "latency p95 (ms)": b.latency_p95_ms,
                "accuracy": b.accuracy,
                "macro-F1": b.macro_f1,
                "feedback": b.feedback_count,
            }
            for b in stats.buckets
        ]
    )


def statistics_charts(stats: ModelStatistics, names: dict[str, str]) -> None:
    """The statistics' charts, labels shown by the display names `names` gives them."""
    frame = statistics_frame(stats)
    volume, mix = st.columns(2)
    volume.plotly_chart(
        _categories(px.bar(frame, x="start", y="count", title="Predictions")),
        use_container_width=True,
    )
    labels = pd.DataFrame(
        [
            {
                "start": bucket_label(b.start, stats.period),
                # a multi-label answer of no label is logged as "": named, not blank
                "label": label_text(label, names) if label else NO_LABEL,
                "predictions": n,
            }
            for b in stats.buckets
            for label, n in sorted(b.class_mix.items())
        ]
    )
    mix.plotly_chart(
        _categories(px.bar(labels, x="start", y="predictions", color="label", title="Class mix")),
        use_container_width=True,
    )
    confidence, latency = st.columns(2)
    under = f"share under {stats.confidence_below:g}"
    confidence.plotly_chart(
        _lines(frame, ["mean confidence", under], "Confidence", (0, 1)),
        use_container_width=True,
    )
    latency.plotly_chart(
        _lines(frame, ["latency p50 (ms)", "latency p95 (ms)"], "Latency (ms)", None),
        use_container_width=True,
    )
    if frame["feedback"].sum():
        st.plotly_chart(
            _lines(frame, ["accuracy", "macro-F1"], "Accuracy from feedback", (0, 1)),
            use_container_width=True,
        )
        st.caption(f"From {counted(int(frame['feedback'].sum()), 'feedback label')}.")
    else:
        st.caption("No feedback for these predictions yet: no accuracy to show.")


def _lines(
    frame: pd.DataFrame, columns: list[str], title: str, y_range: tuple[float, float] | None
) -> go.Figure:
    figure = go.Figure()
    for column in columns:
        figure.add_trace(
            go.Scatter(x=frame["start"], y=frame[column], mode="lines+markers", name=column)
        )
    figure.update_layout(title=title, legend={"orientation": "h"})
    if y_range is not None:
        figure.update_yaxes(range=[y_range[0], y_range[1] * 1.05])
    else:  # latencies and counts: never under 0, however flat the line
        figure.update_yaxes(rangemode="tozero")
    return _categories(figure)


def _categories(figure: go.Figure) -> go.Figure:
    return figure.update_xaxes(type="category", title=None)


def drift_charts(drift: ModelDrift) -> None:
    if not drift.buckets:
        return
    st.subheader("Drift")
    frame = pd.DataFrame(
        [
            {
                "start": bucket_label(b.start, drift.period),
                "segment": b.segment,
                "class mix PSI": b.class_mix_psi,
                "confidence PSI": b.confidence_psi,
                "unknown tokens": b.unknown_token_share,
            }
            for b in drift.buckets
        ]
    )
    columns = st.columns(3 if drift.reference.available else 1)
    charts: list[tuple[str, float | None]] = (
        [("class mix PSI", drift.psi_threshold), ("confidence PSI", drift.psi_threshold)]
        if drift.reference.available
        else []
    )
    unknown_line = (
        drift.reference.unknown_token_share + drift.unknown_token_threshold
        if drift.reference.unknown_token_share is not None
        else None
    )
    charts.append(("unknown tokens", unknown_line))
    for column, (figure_name, line) in zip(columns, charts, strict=True):
        figure = px.line(frame, x="start", y=figure_name, color="segment", markers=True)
        if line is not None:
            figure.add_hline(
                y=line, line_dash="dash", line_color="red", annotation_text="threshold"
            )
        figure.update_layout(title=figure_name, legend={"orientation": "h"})
        # from 0: a scale stretched between two close values makes a hair look like a leap
        figure.update_yaxes(rangemode="tozero")
        column.plotly_chart(_categories(figure), use_container_width=True)

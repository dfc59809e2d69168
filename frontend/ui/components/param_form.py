"""Form widgets derived from a pydantic model's fields: types, bounds, defaults, descriptions.

A field added to a params model in shared/schemas appears here without a frontend change.
"""

import json
import math
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ui.components.param_labels import label, meaning

NONE_OPTION = "\u2205 none"  # the select boxes' value for None (no Literal holds it)
NONE_LABEL = "none"


@dataclass(frozen=True)
class Bounds:
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '≥'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '≤'} {self.high:g}")
        return ", ".join(parts)


def bounds_of(metadata: list[Any]) -> Bounds:
    low = high = None
    low_open = high_open = False
    for item in metadata:
        if isinstance(item, at.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, at.Gt):
            low, low_open = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, at.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, at.Lt):
            high, high_open = float(item.lt), True  # type: ignore[arg-type]
    return Bounds(low, high, low_open, high_open)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without None, whether None was allowed)."""
    if not _is_union(annotation):
        return annotation, False
    args = [a for a in get_args(annotation) if a is not type(None)]
    optional = len(args) < len(get_args(annotation))
    if len(args) == 1:
        return args[0], optional
    if all(get_origin(a) is Literal for a in args):
        return Literal[tuple(v for a in args for v in get_args(a))], optional
    return Union[tuple(args)], optional  # noqa: UP007


def help_text(field: FieldInfo, bounds: Bounds | None = None, default: Any = None) -> str:
    parts = [field.description or ""]
    if bounds is not None and bounds.describe():
        parts.append(f"Allowed: {bounds.describe()}.")
    parts.append(f"Default: {NONE_LABEL if default is None else default}.")
    return " ".join(p for p in parts if p)


def _number_limits(bounds: Bounds, is_int: bool) -> tuple[float | None, float | None]:
    """Closed limits for st.number_input from possibly open bounds."""
    step = 1 if is_int else 1e-6
    low = None if bounds.low is None else bounds.low + (step if bounds.low_open else 0)
    high = None if bounds.high is None else bounds.high - (step if bounds.high_open else 0)
    if is_int:
        low = None if low is None else math.ceil(low)
        high = None if high is None else math.floor(high)
    return low, high


def _float_step(default: float) -> float:
    if default and 0 < abs(default) < 1:
        return 10.0 ** math.floor(math.log10(abs(default)))
    return 0.1 if not default else max(10.0 ** math.floor(math.log10(abs(default))) / 10, 0.1)


def number_widget(
    label: str, field: FieldInfo, default: float, is_int: bool, key: str
) -> int | float:
    bounds = bounds_of(field.metadata)
    low, high = _number_limits(bounds, is_int)
    hint = help_text(field, bounds, default)
    if is_int:
        return st.number_input(
            label,
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
            value=int(default),
            step=1,
            help=hint,
            key=key,
        )
    return st.number_input(
        label,
        min_value=low,
        max_value=high,
        value=float(default),
        step=_float_step(float(default)),
        format="%g",
        help=hint,
        key=key,
    )


def field_widget(name: str, field: FieldInfo, key: str) -> Any:
    """One widget for one field, labelled in words; returns the value the user chose."""
    if meaning(name):
        field = FieldInfo.merge_field_infos(
            field, description=" ".join(p for p in (meaning(name), field.description) if p)
        )
    name = label(name)
    default = field.get_default(call_default_factory=True)
    annotation, optional = _without_none(field.annotation)
    origin, args = get_origin(annotation), get_args(annotation)

    if annotation is bool:
        return st.checkbox(name, value=bool(default), help=help_text(field), key=key)
    if origin is Literal:
        # "none" is an option of its own: a select box whose value is None shows no choice
        # at all once the page reruns (its placeholder), though none was chosen
        options = ([NONE_OPTION] if optional else []) + list(args)
        picked = st.selectbox(
            name,
            options,
            index=options.index(NONE_OPTION if default is None else default),
            format_func=lambda v: NONE_LABEL if v == NONE_OPTION else str(v),
            help=help_text(field, default=default),
            key=key,
        )
        return None if picked == NONE_OPTION else picked
    if annotation in (int, float):
        if optional:
            limited = st.checkbox(
                f"Limit {_lower_first(name)}",
                value=default is not None,
                key=f"{key}.on",
                help=field.description,
            )
            if not limited:
                return None
            fallback = default if default is not None else (bounds_of(field.metadata).low or 1)
            return number_widget(name, field, fallback, annotation is int, key)
        return number_widget(name, field, default, annotation is int, key)
    if origin is tuple and len(args) == 2 and all(_base(a) is int for a in args):
        if optional and not st.checkbox(
            f"Use {_lower_first(name)}",
            value=default is not None,
            key=f"{key}.on",
            help=field.description,
        ):
            return None
        return _int_pair(name, field, args, default or (1, 1), key)
    if origin is list and get_origin(args[0]) is Literal:
        return st.multiselect(
            name, list(get_args(args[0])), default=list(default), help=help_text(field), key=key
        )
    if origin is list and _base(args[0]) is str:  # str, or Annotated[str, ...]
        text = st.text_area(
            name, value="\n".join(default), help=f"{help_text(field)} One per line.", key=key
        )
        return [w.strip() for w in text.replace(",", "\n").splitlines() if w.strip()]
    if annotation is str:
        return st.text_input(name, value=default or "", help=help_text(field), key=key)
    raw = st.text_input(
        name, value=json.dumps(default), help=f"{help_text(field)} As JSON.", key=key
    )
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # the model's validation names the problem


def _base(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_args(annotation) else annotation


def _int_pair(name: str, field: FieldInfo, args: tuple[Any, ...], default: Any, key: str) -> Any:
    item_bounds = [bounds_of(getattr(get_args(a)[1], "metadata", [])) for a in args if get_args(a)]
    low = min((b.low for b in item_bounds if b.low is not None), default=None)
    high = max((b.high for b in item_bounds if b.high is not None), default=None)
    if low is not None and high is not None:
        picked = st.slider(
            name,
            min_value=int(low),
            max_value=int(high),
            value=(int(default[0]), int(default[1])),
            help=help_text(field, Bounds(low, high), list(default)),
            key=key,
        )
        return list(picked)
    left, right = st.columns(2)
    return [
        left.number_input(f"{name} (from)", value=int(default[0]), step=1, key=f"{key}.0"),
        right.number_input(f"{name} (to)", value=int(default[1]), step=1, key=f"{key}.1"),
    ]


SWITCHES_PER_ROW = 2  # at 1,400 px a third column cuts "Letters and digits only (strip_non_…"


def model_form(
    model: type[BaseModel], *, key: str, exclude: frozenset[str] = frozenset(), columns: int = 2
) -> dict[str, Any]:
    """Widgets for every field of `model` (less `exclude`): switches first, up to two a
    row (more and their labels are cut), then the other fields in a grid, each group in
    the model's field order."""
    fields = [(n, f) for n, f in model.model_fields.items() if n not in exclude]
    switches = [(n, f) for n, f in fields if f.annotation is bool]
    others = [(n, f) for n, f in fields if f.annotation is not bool]
    values: dict[str, Any] = {}
    switch_width = min(max(len(switches), 1), SWITCHES_PER_ROW)
    for group, width in ((switches, switch_width), (others, columns)):
        for start in range(0, len(group), width):
            cols = st.columns(width)
            for col, (name, field) in zip(cols, group[start : start + width], strict=False):
                with col:
                    values[name] = field_widget(name, field, key=f"{key}.{name}")
    return {name: values[name] for name, _ in fields}


def params_models() -> dict[str, type[BaseModel]]:
    """Each model kind's params model, read from the `ModelParams` union in shared/schemas."""
    from shared.schemas import ModelParams

    union = get_args(ModelParams)[0]
    return {str(cls.model_fields["kind"].default): cls for cls in get_args(union)}


def _lower_first(label: str) -> str:
    """ "Vocabulary size (max_features)" as the middle of a sentence."""
    return label[:1].lower() + label[1:]

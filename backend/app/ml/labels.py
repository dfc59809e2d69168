"""Class labels as the models see them: read from a CSV column or a request, integer-like
values become ints (within int64) and everything else stripped strings, so "1", 1.0 and 1
are one class."""

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

Label = int | str


# an integer label beyond int64 stays a string: numpy would hold it as an object, which
# scikit-learn refuses ("Unknown label type: unknown")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def normalise_label(value: object) -> Label:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return _int_or_text(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return _int_or_text(int(value))
    text = str(value).strip()
    try:
        return _int_or_text(int(text), text)
    except ValueError:
        return text


def _int_or_text(number: int, text: str | None = None) -> Label:
    if INT64_MIN <= number <= INT64_MAX:
        return number
    return str(number) if text is None else text


def normalise_labels(values: Iterable[object]) -> list[Label]:
    """normalise_label of each value, worked out once per distinct value (a label column
    has a handful): a quarter of the time on a 20,000-row column."""
    if isinstance(values, pd.Series):
        values = values.tolist()  # iterating a Series boxes every value: 50x slower
    known: dict[object, Label] = {}
    out: list[Label] = []
    for value in values:
        try:
            label = known[value]
        except KeyError:
            label = known[value] = normalise_label(value)
        except TypeError:  # unhashable: nothing to remember
            label = normalise_label(value)
        out.append(label)
    return out


def sorted_classes(labels: Iterable[Label]) -> list[Label]:
    """Classes in a stable order: numbers first (ascending), then strings."""
    unique = set(labels)
    return sorted(unique, key=lambda v: (isinstance(v, str), v))


def describe_values(values: Sequence[object], shown: int = 5, width: int = 40) -> str:
    """A few of many values for a message: the first `shown`, each cut to `width`
    characters, and how many more there are ("'a', 'b' and 998 more")."""
    parts = []
    for value in values[:shown]:
        text = repr(value.item() if isinstance(value, np.generic) else value)  # 0, not np.int64(0)
        parts.append(text if len(text) <= width else text[: width - 1] + "…")
    more = len(values) - shown
    return ", ".join(parts) + (f" and {more:,} more" if more > 0 else "")

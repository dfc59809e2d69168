"""Number formats the tables share: scores to three places, counts with their thousands
separated ("1,809", as the sentences write them)."""

from collections.abc import Iterable
from typing import Any

import streamlit as st


def number_columns(scores: Iterable[str] = (), counts: Iterable[str] = ()) -> dict[str, Any]:
    """A `column_config` for st.dataframe: the `scores` columns as 0.936, the `counts` as
    1,809."""
    config = {c: st.column_config.NumberColumn(format="%.3f") for c in scores}
    return config | {c: st.column_config.NumberColumn(format="localized") for c in counts}

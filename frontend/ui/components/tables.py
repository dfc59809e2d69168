"""Number formats the tables share: scores to three places, counts with their thousands
separated ("1,809", as the sentences write them)."""

from collections.abc import Iterable
from typing import Any

import streamlit as st

SCORE_FORMAT = "%.3f"  # 0.936
COUNT_FORMAT = "localized"  # 1,809


def number_columns(scores: Iterable[str] = (), counts: Iterable[str] = ()) -> dict[str, Any]:
    """A `column_config` for st.dataframe: the `scores` columns as 0.936, the `counts` as
    1,809."""
    config = {c: st.column_config.NumberColumn(format=SCORE_FORMAT) for c in scores}
    return config | {c: st.column_config.NumberColumn(format=COUNT_FORMAT) for c in counts}

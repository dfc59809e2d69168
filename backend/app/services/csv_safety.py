"""Keep result CSVs from running anything when opened in a spreadsheet (CSV injection).

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets. Such cells get a leading apostrophe, which spreadsheets
show as text. Plain numbers such as -3.5 are left alone.
"""

import re

import pandas as pd

_TRIGGERS = re.compile(r"^[=+\-@\t\r]")
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype(str)
        risky = text.str.contains(_TRIGGERS) & ~text.str.fullmatch(_NUMBER)
        if risky.any():
            frame[column] = values.where(~risky, "'" + text)
    return frame

"""Keep result CSVs from running anything when opened in a spreadsheet (CSV injection).

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets. Such cells get a leading apostrophe, which spreadsheets
show as text; header cells too, since a spreadsheet reads the header row like any other.
Plain numbers such as -3.5 are left alone.
"""

import re

import pandas as pd

PREFIX = "'"
_TRIGGERS = re.compile(r"^[=+\-@\t\r]")
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    # by position: a label-based frame[name] would be a frame, not a column, for a
    # repeated name (an input column that shares its neutralised name with another)
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype(str)
        risky = text.str.contains(_TRIGGERS) & ~text.str.fullmatch(_NUMBER)
        if risky.any():
            frame.iloc[:, position] = values.where(~risky, PREFIX + text)
    frame.columns = [neutralise_cell(str(name)) for name in frame.columns]
    return frame


def neutralise_cell(text: str) -> str:
    if _TRIGGERS.match(text) and not re.fullmatch(_NUMBER, text):
        return PREFIX + text
    return text

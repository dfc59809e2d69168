"""The result file of predict_csv, as the server writes it and the web UI reads it: every
input column, then these columns (one `P(<label>)` per class, and `Prediction id` when
the prediction log is on)."""

RESULT_COLUMN = "Result"
CONFIDENCE_COLUMN = "Confidence"
NOTE_COLUMN = "Note"
PREDICTION_ID_COLUMN = "Prediction id"
# the Note of a row whose text is empty or only whitespace (its other result cells: empty)
EMPTY_NOTE = "empty text: not predicted"


def probability_column(label: object) -> str:
    return f"P({label})"

"""The tables' shared number formats."""

from ui.components.tables import number_columns


def test_scores_get_three_places_and_counts_their_thousands_separated() -> None:
    config = number_columns(("F1", "ROC AUC"), counts=("support",))
    formats = {name: column["type_config"]["format"] for name, column in config.items()}
    assert formats == {"F1": "%.3f", "ROC AUC": "%.3f", "support": "localized"}
    assert number_columns() == {}

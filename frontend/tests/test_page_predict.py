"""The Predict page: a text, texts one per line, a CSV file and its download; a prediction
through an alias of the name, answered by the version it names."""

import codecs
import json
import time
import uuid
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, ModelRead
from ui.api_client import ApiClient
from ui.components.csv_prediction import for_excel, noted_rows, notes_said

RESULT_COLUMNS = ["Result", "Confidence", "P(0)", "P(1)", "Note", "Prediction id"]


@pytest.fixture
def loaded_model(api: ApiClient, trained_model: ModelRead) -> ModelRead:
    return api.load_model(trained_model.id)


def predict_page(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("predict").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="predict.model").set_value(model.id).run()
    return at


def test_without_a_loaded_model_it_points_to_models(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    loaded = [m for m in api.list_models() if m.loaded]
    for model in loaded:
        api.unload_model(model.id)
    try:
        at = page("predict").run()
        assert not at.exception
        assert "No model is loaded" in at.info[0].value
    finally:
        for model in loaded:
            api.load_model(model.id)


def test_a_multi_line_text_is_one_text(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    at.text_area(key="predict.text").input("You are an idiot.\nAnd a moron.\n\nGo away.").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Label"] in {"0", "1"}
    assert metrics["Confidence"].endswith("%")
    # the threshold the label was decided at is said beside it
    assert loaded_model.thresholds is not None
    (cut,) = loaded_model.thresholds.thresholds
    said = [c.value for c in at.caption if "decision threshold" in c.value]
    assert said == [
        f"`{cut.label}` is predicted when its probability is at least {cut.threshold:.3f}, "
        "the model's decision threshold (chosen at fit; explore it on the Models page); the "
        "confidence is the probability of the label predicted."
    ], [c.value for c in at.caption]


def test_one_text_per_line(page: Callable[[str], AppTest], loaded_model: ModelRead) -> None:
    at = predict_page(page, loaded_model)
    at.text_area(key="predict.text").input("Thanks for the help!\n\nyou stupid idiot\n").run()
    at.toggle(key="predict.per_line").set_value(True).run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["text"]) == ["Thanks for the help!", "you stupid idiot"]
    assert table["confidence"].between(0, 1).all()
    # every score in one format, as the other tables write them: 0.973
    formats = json.loads(at.dataframe[0].proto.columns)
    scores = [c for c in table.columns if c == "confidence" or c.startswith("P(")]
    assert len(scores) == 3
    assert {formats[c]["type_config"]["format"] for c in scores} == {"%.3f"}, formats


def test_an_empty_text_asks_for_one(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    at.button(key="predict.run").click().run()
    assert "Write a text first" in at.warning[0].value


def test_a_csv_file_gives_a_preview_and_a_download(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    content = b'id,comment_text\n1,"Nice work, thanks"\n2,"you idiot"\n3,"multi\nline"\n4,\n'
    at.file_uploader(key="predict.file").upload("comments.csv", content, "text/csv").run()
    assert at.selectbox(key="predict.csv_column").value == "comment_text"
    at.button(key="predict.csv_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["id", "comment_text", *RESULT_COLUMNS]
    assert len(preview) == 4
    # said above the preview, which may not show the rows with notes
    banner = at.warning[0].value
    assert banner.startswith("**1 row not predicted** (an empty text)"), banner
    # the empty text is not predicted: blank cells (not "None"), the note says why
    empty = preview.iloc[3]
    assert empty["Note"] == "empty text: not predicted" and empty["Result"] == ""
    assert empty[["Confidence", "P(0)", "P(1)"]].isna().all()
    assert preview["Confidence"].iloc[:3].between(0, 1).all()  # numbers, not text
    assert at.dataframe[0].proto.HasField("placeholder") and at.dataframe[0].proto.placeholder == ""
    formats = json.loads(at.dataframe[0].proto.columns)
    shown = {c: formats[c]["type_config"]["format"] for c in ("Confidence", "P(0)", "P(1)")}
    assert shown == dict.fromkeys(shown, "%.3f")  # 0.983, as the other tables write scores
    download = at.download_button(key="predict.download")
    assert download.label == "Download the predictions (CSV)"
    assert at.download_button(key="predict.download_excel").label == "Download for Excel"
    # another column, or another file: the last file's results are not shown for it
    at.selectbox(key="predict.csv_column").set_value("id").run()
    assert not at.dataframe and not at.get("download_button")
    at.selectbox(key="predict.csv_column").set_value("comment_text").run()
    assert at.dataframe and at.get("download_button")  # still the one asked about
    other = b"comment_text\nanother file\n"
    at.file_uploader(key="predict.file").upload("other.csv", other, "text/csv").run()
    assert not at.dataframe and not at.get("download_button")


def test_the_rows_with_notes_are_counted_by_the_results_own_note_column() -> None:
    result = (
        "Note,text,Result,Confidence,P(0),P(1),Note,Prediction id\r\n"
        "mine,a,1,0.9,0.1,0.9,,id1\r\n"
        "mine,,,,,,empty text: not predicted,\r\n"
        'mine,"zz\nqq",0,0.6,0.6,0.4,"none of its words is known to the model: …",id3\r\n'
        "mine,   ,,,,,empty text: not predicted,\r\n"
    ).encode()
    assert noted_rows(result) == (2, 1)
    assert noted_rows(b"text,Result\r\na,1\r\n") == (0, 0)
    said = notes_said(2, 1)
    assert said.startswith("**2 rows not predicted** (an empty text) and **1 answer with a")
    assert notes_said(0, 3).startswith("**3 answers with a word of warning**")


def test_the_excel_download_is_the_same_csv_with_a_byte_order_mark() -> None:
    plain = "text,Result\n差评，不推荐,negative\nочень плохо,negative\n".encode()
    excel = for_excel(plain)
    assert excel.startswith(codecs.BOM_UTF8) and excel[3:] == plain
    assert excel.decode("utf-8-sig") == plain.decode("utf-8")


def test_another_text_column_can_be_picked(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    at.file_uploader(key="predict.file").upload("x.csv", b"a,b\n1,2\n", "text/csv").run()
    at.selectbox(key="predict.csv_column").set_value("b").run()
    at.button(key="predict.csv_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value.columns) == ["a", "b", *RESULT_COLUMNS]


def test_every_class_probability_and_a_flag_for_unknown_words(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    at.text_area(key="predict.text").input("Привет, как дела у тебя сегодня?").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    bars = at.get("progress")
    assert [b.proto.text.split("`")[1] for b in bars] == [str(c) for c in loaded_model.classes]
    assert abs(sum(b.proto.value for b in bars) - 100) <= 1  # percent, rounded
    assert "none of its words is known" in at.warning[0].value
    assert any("0% of its words are known" in c.value for c in at.caption)


def test_a_model_unloaded_in_another_tab_is_never_swapped_for_another(
    page: Callable[[str], AppTest],
    api: ApiClient,
    loaded_model: ModelRead,
    default_models: list[ModelRead],
) -> None:
    """Two tabs: this one picked a model; the other unloads it. This tab's next prediction
    must not come from another loaded model."""
    assert any(api.get_model(m.id).loaded for m in default_models)  # another one is loaded
    at = predict_page(page, loaded_model)
    at.text_area(key="predict.text").input("you stupid idiot").run()
    api.unload_model(loaded_model.id)  # the other tab
    try:
        at.button(key="predict.run").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.metric  # no answer from any model
        assert "not loaded" in at.error[0].value
        at.run()  # the page drawn again (after its list of models expired)
        assert at.selectbox(key="predict.model").value == loaded_model.id
        assert "no longer loaded" in at.error[0].value
    finally:
        api.load_model(loaded_model.id)


def test_labels_show_their_display_names(
    page: Callable[[str], AppTest], api: ApiClient, named_labels_model: ModelRead
) -> None:
    at = predict_page(page, api.load_model(named_labels_model.id))
    at.text_area(key="predict.text").input("you stupid idiot, you moron").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    label = {m.label: m.value for m in at.metric}["Label"]
    assert label in {"clean (0)", "toxic (1)"}
    bars = [p.proto.text for p in at.get("progress")]
    assert any("clean (0)" in b for b in bars) and any("toxic (1)" in b for b in bars)
    at.text_area(key="predict.text").input("thanks a lot\nyou stupid idiot").run()
    at.toggle(key="predict.per_line").set_value(True).run()
    at.button(key="predict.run").click().run()
    table = at.dataframe[0].value
    assert set(table["label"]) <= {"clean (0)", "toxic (1)"}
    assert {"P(clean (0))", "P(toxic (1))"} <= set(table.columns)


def test_trained_models_that_are_not_loaded_are_pointed_to(
    page: Callable[[str], AppTest], api: ApiClient, trained_model: ModelRead
) -> None:
    was_loaded = api.get_model(trained_model.id).loaded
    api.unload_model(trained_model.id)
    try:
        at = page("predict").run()
        assert not at.exception, [e.value for e in at.exception]
        idle = sum(1 for m in api.list_models() if m.status == "ready" and not m.loaded)
        noun = "trained model is" if idle == 1 else "trained models are"
        assert any(
            f"{idle:,} {noun} not loaded; load one on the Models page" in c.value
            for c in at.caption
        ), [c.value for c in at.caption]
    finally:
        if was_loaded:
            api.load_model(trained_model.id)


def test_predictions_are_logged_under_the_segment_given(
    page: Callable[[str], AppTest], api: ApiClient, loaded_model: ModelRead
) -> None:
    at = predict_page(page, loaded_model)
    at.text_input(key="predict.segment").input("retail banking").run()
    at.text_area(key="predict.text").input("thanks for the quick answer").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    content = b"comment_text,line\nyou idiot,support\nnice work,\n"
    at.file_uploader(key="predict.file").upload("lines.csv", content, "text/csv").run()
    at.selectbox(key="predict.csv_segment_column").set_value("line").run()
    at.button(key="predict.csv_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + 20
    while not {"retail banking", "support"} <= set(api.model_statistics(loaded_model.id).segments):
        assert time.monotonic() < deadline, api.model_statistics(loaded_model.id).segments
        time.sleep(0.2)


def test_an_aliased_model_says_how_programs_name_it(
    page: Callable[[str], AppTest], api: ApiClient, loaded_model: ModelRead
) -> None:
    api.set_alias(loaded_model.name, "predict-page", loaded_model.version, "a test")
    try:
        at = predict_page(page, loaded_model)
        assert any(
            f"In use as `{loaded_model.name}@predict-page`" in c.value for c in at.caption
        ), [c.value for c in at.caption]
    finally:
        api.delete_alias(loaded_model.name, "predict-page", "the test is done")


def test_a_csv_in_gb18030_with_tabs_is_predicted_with_the_file_format_chosen(
    page: Callable[[str], AppTest], loaded_model: ModelRead
) -> None:
    content = "编号\t评论\n1\t这个产品非常好，我很喜欢\n2\t质量太差了，不要买\n".encode("gb18030")
    at = predict_page(page, loaded_model)
    at.file_uploader(key="predict.file").upload("reviews.csv", content, "text/csv").run()
    assert "it reads as Chinese text (simplified) in gb18030" in at.error[0].value
    at.selectbox(key="predict.format.encoding").set_value("gb18030").run()
    at.selectbox(key="predict.format.delimiter").set_value("\t").run()
    assert not at.error, [e.value for e in at.error]
    at.selectbox(key="predict.csv_column").set_value("评论").run()
    at.button(key="predict.csv_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["编号", "评论", *RESULT_COLUMNS]
    assert preview["评论"].tolist() == ["这个产品非常好，我很喜欢", "质量太差了，不要买"]


def test_a_prediction_through_an_alias_says_which_version_answered(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: Callable[[dict[str, object]], ModelRead],
    demo_dataset: DatasetRead,
) -> None:
    """As a program that names `name@production` is answered by the version it names when
    it asks: the alias moved between two predictions, the page says so each time."""
    name = f"predict-alias-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "kind": "sgd", "dataset_id": demo_dataset.id}
    first, second = fit_and_wait(body), fit_and_wait(body)
    api.set_alias(name, "production", first.version)  # loads it
    at = predict_page(page, api.load_model(second.id))
    with_key = f"predict.with.{second.id}"
    picker = at.selectbox(key=with_key)
    assert picker.options == [
        f"{name} v{second.version}, this version",
        f"{name}@production: the version it names when you press Predict",
    ]
    picker.set_value(f"{name}@production").run()
    at.text_area(key="predict.text").input("you stupid idiot").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [c.value for c in at.caption if c.value.startswith("Answered by")]
    assert said == [f"Answered by **{name} v{first.version}** through `{name}@production`."]
    api.set_alias(name, "production", second.version)
    at.button(key="predict.run").click().run()
    said = [c.value for c in at.caption if c.value.startswith("Answered by")]
    assert said == [f"Answered by **{name} v{second.version}** through `{name}@production`."]
    # a file too: the version the alias named says so
    content = b"comment_text\nyou idiot\nthanks a lot\n"
    at.file_uploader(key="predict.file").upload("alias.csv", content, "text/csv").run()
    at.button(key="predict.csv_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [c.value for c in at.caption if c.value.startswith("Answered by")]
    assert said == [f"Answered by **{name} v{second.version}** through `{name}@production`."] * 2
    # the version itself, picked again: answered by it, and nothing to say
    at.selectbox(key=with_key).set_value(second.id).run()
    at.button(key="predict.run").click().run()
    assert not [c for c in at.caption if c.value.startswith("Answered by")]
    assert at.metric

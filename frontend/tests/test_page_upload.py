"""The Upload page against the real backend: upload, validation, stored datasets, summary."""

import json
import uuid
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, FitRequest, TaskRead, TaskStatus
from testkit.data import DEMO_CSV
from testkit.samples import labelled_csv
from testkit.versions import GrownOnBoth
from ui.api_client import ApiClient
from ui.components.models import models_table
from ui.state import Selection


def test_first_visit_offers_the_uploader(page: Callable[[str], AppTest]) -> None:
    at = page("upload").run()
    assert not at.exception
    assert at.title[0].value == "Upload data"
    assert len(at.file_uploader) == 1
    assert "selection" not in at.session_state


def test_upload_selects_the_dataset_and_shows_its_summary(
    page: Callable[[str], AppTest], demo_dataset: DatasetRead
) -> None:
    at = page("upload").run()
    at.file_uploader[0].upload("demo_data_sample.csv", DEMO_CSV.read_bytes(), "text/csv")
    at.run()
    assert not at.exception
    at.button(key="upload.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Already on the server as **demo data**" in at.success[0].value
    chosen = at.session_state["selection"]
    assert chosen == Selection(demo_dataset.id, demo_dataset.name, "comment_text", "toxic")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == f"{demo_dataset.rows:,}"
    assert metrics["Duplicate rows"] == "0"
    assert any("Class balance" in m.value for m in at.markdown)
    assert len(at.dataframe) >= 3  # preview, missing values, class balance
    counts = {  # each count column says its thousands: 1,198
        name: json.loads(table.proto.columns)[name]["type_config"]["format"]
        for table in at.dataframe
        for name in ("missing", "count")
        if name in table.value.columns
    }
    assert counts == {"missing": "localized", "count": "localized"}
    assert at.selectbox(key=f"upload.text.{demo_dataset.id}").value == "comment_text"
    assert at.selectbox(key=f"upload.label.{demo_dataset.id}").value == "toxic"


def test_a_file_that_is_not_csv_is_refused_before_sending(
    page: Callable[[str], AppTest],
) -> None:
    at = page("upload").run()
    at.file_uploader[0].upload("broken.csv", b'a,b\n"unclosed,1\n', "text/csv")
    at.run()
    assert not at.exception
    assert "cannot be used" in at.error[0].value
    assert "unbalanced quote" in at.error[0].value
    assert not at.button  # nothing to upload


def test_a_file_over_the_limit_is_refused(page: Callable[[str], AppTest]) -> None:
    big = b"comment_text,toxic\n" + b"x" * (6 * 1024 * 1024) + b",0\n"
    at = page("upload").run()
    at.file_uploader[0].upload("big.csv", big, "text/csv")
    at.run()
    assert not at.exception
    assert "the limit is 5 MiB" in at.error[0].value


def test_pick_a_stored_dataset_and_remap_columns(
    page: Callable[[str], AppTest], demo_dataset: DatasetRead, api: ApiClient
) -> None:
    other = api.upload_dataset("another.csv", labelled_csv(40, seed=91), "another")
    at = page("upload").run()
    at.radio(key="upload.source").set_value("Pick a stored dataset").run()
    assert not at.exception
    assert at.selectbox(key="upload.stored").value is None  # nothing in use: nothing shown
    assert not at.subheader
    at.selectbox(key="upload.stored").set_value(demo_dataset.id).run()
    assert not at.exception
    # picking it puts it in use: the section below shows it
    assert at.session_state["selection"].dataset_id == demo_dataset.id
    assert at.subheader[0].value == f"Dataset: {demo_dataset.name}"
    other = api.upload_dataset("another.csv", labelled_csv(40, seed=91), "another")
    at.selectbox(key="upload.stored").set_value(other.id).run()
    assert at.subheader[0].value == f"Dataset: {other.name}"
    at.selectbox(key="upload.stored").set_value(demo_dataset.id).run()
    at.selectbox(key=f"upload.label.{demo_dataset.id}").set_value("comment_text").run()
    assert "same column" in at.warning[0].value
    assert at.session_state["selection"].label_column == "comment_text"
    # no class balance of the texts, no link to train on them
    assert not [m for m in at.markdown if "Class balance" in m.value]
    assert not at.get("page_link")


def test_a_file_of_one_column_says_it_cannot_be_trained_on(
    page: Callable[[str], AppTest],
) -> None:
    content = f"text\nhello {uuid.uuid4().hex}\nworld\n".encode()
    at = page("upload").run()
    at.file_uploader[0].upload("one-column.csv", content, "text/csv").run()
    at.button(key="upload.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "The file has one column, `text`" in at.warning[0].value
    assert not [m for m in at.markdown if "Class balance" in m.value]
    assert not at.get("page_link")


def test_a_new_file_is_stored_under_its_name(page: Callable[[str], AppTest]) -> None:
    content = b"text,label\nfine words,0\nawful words,1\nmore fine words,0\n"
    at = page("upload").run()
    at.file_uploader[0].upload("tiny.csv", content, "text/csv").run()
    at.text_input(key="upload.name").input("tiny set").run()
    at.button(key="upload.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Stored as **tiny set**: 3 rows." in at.success[0].value
    chosen = at.session_state["selection"]
    assert (chosen.dataset_name, chosen.text_column, chosen.label_column) == (
        "tiny set",
        "text",
        "label",
    )


def test_each_file_proposes_its_own_name(page: Callable[[str], AppTest]) -> None:
    """The name typed or proposed for one file is not carried to the next one (the uploads
    after a file the browser refused took an earlier file's name)."""
    at = page("upload").run()
    at.file_uploader[0].upload("first.csv", b"text,label\nfine,0\nawful,1\n", "text/csv").run()
    assert at.text_input(key="upload.name").value == "first"
    at.text_input(key="upload.name").input("my first set").run()
    at.file_uploader[0].upload("second.csv", b"text,label\nok,0\nbad,1\n", "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="upload.name").value == "second"


def test_a_text_column_of_numbers_is_questioned(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    content = b"id,review,label\n" + b"".join(b"%d,text %d,%d\n" % (i, i, i % 2) for i in range(20))
    dataset = api.upload_dataset("ids-first.csv", content, "ids-first")
    at = page("upload")
    at.session_state["selection"] = Selection(dataset.id, dataset.name, "id", "label")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "The text column `id` holds numbers" in at.warning[0].value
    at.selectbox(key=f"upload.text.{dataset.id}").set_value("review").run()
    assert not [w for w in at.warning if "holds numbers" in w.value]


def test_a_dataset_models_were_trained_on_is_deleted_after_a_confirmation(
    page: Callable[[str], AppTest], api: ApiClient, finished: Callable[[str], TaskRead]
) -> None:
    dataset = api.upload_dataset("to-delete.csv", labelled_csv(60, seed=77), "to-delete")
    accepted = api.fit(
        FitRequest.model_validate(
            {"name": "on-deleted-data", "kind": "naive_bayes", "dataset_id": dataset.id}
        )
    )
    assert finished(accepted.task_id).status == TaskStatus.SUCCEEDED
    at = page("upload").run()
    at.radio(key="upload.source").set_value("Pick a stored dataset").run()
    at.selectbox(key="upload.stored").set_value(dataset.id).run()
    at.button(key="upload.delete").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "1 model was trained on it: it stays, and keeps its name" in at.warning[0].value
    assert dataset.id in {d.id for d in api.list_datasets()}  # nothing yet
    at.button(key="upload.delete_yes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Deleted the dataset **to-delete**" in at.success[0].value
    assert dataset.id not in {d.id for d in api.list_datasets()}
    model = api.get_model(accepted.model_id)
    assert model.dataset_id is None and model.dataset_name == "to-delete"
    table = models_table([model], api.list_datasets())
    assert table["dataset"].tolist() == ["to-delete (deleted)"]


def test_a_dataset_a_version_learnt_from_through_its_lineage_counts_and_is_deleted(
    page: Callable[[str], AppTest],
    api: ApiClient,
    grown_on_both: Callable[[str, int], GrownOnBoth],
) -> None:
    """The retrain on both datasets names the added one only in its lineage."""
    grown = grown_on_both("grown", 78)
    added, retrained = grown.added, grown.retrained["model_id"]
    row = models_table(api.list_models(), api.list_datasets()).set_index("id")
    assert row.loc[retrained, "dataset"] == "grown-first + grown-added"
    at = page("upload").run()
    at.radio(key="upload.source").set_value("Pick a stored dataset").run()
    at.selectbox(key="upload.stored").set_value(added).run()
    at.button(key="upload.delete").click().run()
    assert "1 model was trained on it: it stays" in at.warning[0].value
    at.button(key="upload.delete_yes").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Deleted the dataset **grown-added**" in at.success[0].value
    assert added not in {d.id for d in api.list_datasets()}
    row = models_table(api.list_models(), api.list_datasets()).set_index("id")
    assert row.loc[retrained, "dataset"] == "grown-first + grown-added (deleted)"


def test_sizes_are_said_in_one_unit(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("upload")
    at.session_state["selection"] = demo_selection
    at.run()
    assert "at most 5 MiB" in at.file_uploader[0].label
    size = next(m for m in at.metric if m.label == "Size")
    assert size.value.endswith(" KiB"), size.value  # the demo file is 29 KiB


def test_a_qa_dataset_is_sent_to_the_retrieval_pages(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    rows = "".join(f"Context {i} about a topic.,What is topic {i}?,answer {i}\n" for i in range(30))
    dataset = api.upload_dataset("qa-on-upload.csv", f"context,question,answer\n{rows}".encode())
    at = page("upload").run()
    at.radio(key="upload.source").set_value("Pick a stored dataset").run()
    at.selectbox(key="upload.stored").set_value(dataset.id).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("question-answering dataset" in i.value for i in at.info)
    # no class balance of 30 answers, no link to train a classifier on them
    assert not [m for m in at.markdown if "Class balance" in m.value]
    links = [link.proto.page for link in at.get("page_link")]
    assert links == ["retrieval_explore", "retrieval_train"], links
    api.delete_dataset(dataset.id)


RUSSIAN_EXPORT = "текст;метка\r\nхороший товар, рекомендую;0\r\nужасное качество;1\r\n"


def test_a_cp1251_file_with_semicolons_is_read_with_the_file_format_chosen(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    """The page's own check proposes what the server would; with the encoding and the
    delimiter chosen, it reads the columns, and the server stores the file converted."""
    content = RUSSIAN_EXPORT.encode("cp1251")
    at = page("upload").run()
    assert at.selectbox(key="upload.format.encoding").value == "utf-8"
    assert at.selectbox(key="upload.format.delimiter").value == ","
    at.file_uploader[0].upload("russian-export.csv", content, "text/csv").run()
    assert not at.exception
    refused = at.error[0].value
    assert "the file is not UTF-8 text (invalid byte 0xf2 on line 1)" in refused
    assert "it reads as Cyrillic text in cp1251: upload it with encoding cp1251" in refused
    at.selectbox(key="upload.format.encoding").set_value("cp1251").run()
    assert "holds semicolons" in at.error[0].value
    assert "upload it with delimiter ;" in at.error[0].value
    at.selectbox(key="upload.format.delimiter").set_value(";").run()
    assert not at.error, [e.value for e in at.error]
    assert any("columns текст, метка" in c.value for c in at.caption)
    at.text_input(key="upload.name").input(f"russian export {uuid.uuid4().hex[:6]}").run()
    at.button(key="upload.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "2 rows" in at.success[0].value
    chosen = at.session_state["selection"]
    assert (chosen.text_column, chosen.label_column) == ("текст", "метка")
    stored = api.dataset_file(chosen.dataset_id)
    assert stored.decode("utf-8").startswith('текст,метка\r\n"хороший товар, рекомендую",0\r\n')

"""The Models page's lineage panel: a version's source, parent and datasets; retrain,
continue training (and the explanation for a kind that cannot) and download, through the
real backend; the page's import takes the downloaded file back; a continuation on data
that repeats its parent's rows says they were not held out."""

import io
import json
from collections.abc import Callable

import pandas as pd
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, IncrementalRequest, ModelRead, TaskRead, TaskStatus
from ui.api_client import ApiClient
from ui.components.lineage import STARTED

FitAndWait = Callable[[dict[str, object]], ModelRead]


def picked(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("models").run()
    at.selectbox(key="models.picked").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def banner(at: AppTest) -> str:
    """The started training's banner (an error when it failed)."""
    shown = [e.value for e in [*at.success, *at.error] if "**lineage-" in e.value]
    assert len(shown) == 1, shown
    return shown[0]


def test_retrain_continue_and_lineage(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    finished: Callable[[str], TaskRead],
) -> None:
    parent = fit_and_wait({"name": "lineage-sgd", "kind": "sgd", "dataset_id": demo_dataset.id})
    at = picked(page, parent)
    assert any("**Source:** fit" in m.value for m in at.markdown)
    table = next(d for d in at.dataframe if "sha256" in d.value.columns)
    shown = table.value
    assert list(shown["id"]) == [demo_dataset.id] and list(shown["rows"]) == [demo_dataset.rows]
    assert json.loads(table.proto.columns)["rows"]["type_config"]["format"] == "localized"

    at.button(key="lineage.retrain").click().run()
    assert not at.exception, [e.value for e in at.exception]
    retrained = next(m for m in api.list_models() if m.parent_id == parent.id)
    assert retrained.source == "retrain"
    # a banner follows the new version's task, by its name and version
    assert f"Retraining: **lineage-sgd v{retrained.version}** — " in banner(at)

    # only datasets with the columns the model reads are offered
    other = api.upload_dataset("other-columns.csv", "текст,метка\nхорошо,1\nплохо,0\n".encode())
    at.run()
    offered = at.selectbox(key="lineage.continue_dataset").options
    assert f"{demo_dataset.name} ({demo_dataset.rows:,} rows)" in offered
    assert not [o for o in offered if o.startswith(other.name)], offered
    at.selectbox(key="lineage.continue_dataset").set_value(demo_dataset.id)
    at.number_input(key="lineage.epochs").set_value(2)
    at.button(key="lineage.continue").click().run()
    assert not at.exception, [e.value for e in at.exception]
    started = at.session_state[STARTED]
    continued = api.get_model(started["model_id"])
    assert f"Continuing training: **lineage-sgd v{continued.version}** — " in banner(at)
    assert finished(started["task_id"]).status == TaskStatus.SUCCEEDED

    at = picked(page, api.get_model(continued.id))
    text = " ".join(m.value for m in at.markdown)
    assert "**Source:** incremental" in text and f"lineage-sgd v{parent.version}" in text
    assert parent.id in text


def test_download_and_import_through_the_page(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
) -> None:
    model = fit_and_wait(
        {"name": "lineage-nb", "kind": "naive_bayes", "dataset_id": demo_dataset.id}
    )
    at = picked(page, model)
    assert "cannot continue training" in at.info[0].value  # naive_bayes: retrain instead
    assert not [b for b in at.button if b.key == "lineage.continue"]
    at.button(key="lineage.prepare").click().run()
    assert not at.exception
    assert any(model.artifact_sha256 in c.value for c in at.caption if c.value.startswith("sha256"))
    content, sha = api.download_bundle(model.id)
    assert sha == model.artifact_sha256

    # a wrong sha256: the server's reason, nothing kept, and the form keeps what was entered
    at.file_uploader(key="models.import_file.0").upload("nb.zip", content, "application/zip")
    at.text_input(key="models.import_sha256.0").input("0" * 64)
    at.text_input(key="models.import_name.0").input("lineage-imported")
    submit = next(b for b in at.button if b.label == "Import")
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("nothing was imported" in e.value for e in at.error), [e.value for e in at.error]
    assert not [m for m in api.list_models() if m.name == "lineage-imported"]
    assert at.text_input(key="models.import_name.0").value == "lineage-imported"

    at.text_input(key="models.import_sha256.0").input(sha)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    imported = next(m for m in api.list_models() if m.name == "lineage-imported")
    assert at.success[0].value == "Imported as lineage-imported v1."
    assert at.selectbox(key="models.picked").value == imported.id  # the page shows it
    assert at.text_input(key="models.import_sha256.1").value == ""  # a fresh form
    imported = api.get_model(imported.id)
    assert imported.source == "import" and imported.classes == model.classes
    assert imported.dataset_id is None
    # its data was never here, not deleted: the page says so where it cannot score it
    at = picked(page, imported)
    said = [c.value for c in at.caption if "held-out split cannot" in c.value]
    assert len(said) == 2, said  # the threshold explorer's and the misclassified texts'
    assert all(
        c.startswith("Imported: its training data is not in this installation") for c in said
    )
    assert not any("deleted" in c.value for c in at.caption)
    table = next(d for d in at.dataframe if "dataset" in d.value.columns).value
    row = table[table["id"] == imported.id]
    assert list(row["dataset"]) == [f"{demo_dataset.name} (imported)"]
    api.remove_model(imported.id)
    api.remove_model(model.id)


def test_a_continuation_says_which_held_out_rows_its_parent_had_trained_on(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    finished: Callable[[str], TaskRead],
) -> None:
    """New data that repeats the parent's rows (here: its dataset, shuffled): the rows its
    parent trained on are not held out, and the page says how many and what is left."""
    parent = fit_and_wait({"name": "repeat-sgd", "kind": "sgd", "dataset_id": demo_dataset.id})
    rows = pd.read_csv(io.BytesIO(api.dataset_file(demo_dataset.id)), dtype=str)
    shuffled = rows.sample(frac=1, random_state=3).to_csv(index=False).encode()
    again = api.upload_dataset("demo-shuffled.csv", shuffled)
    started = api.continue_training(parent.id, IncrementalRequest(dataset_id=again.id))
    assert finished(started.task_id).status == TaskStatus.SUCCEEDED
    continued = api.get_model(started.model_id)
    assert continued.preprocessing_report and continued.metrics
    moved = continued.preprocessing_report.held_out_seen_by_parent
    assert moved and moved > 0
    at = picked(page, continued)
    held = next(m.value for m in at.markdown if m.value.startswith("**Held out:**"))
    assert f"{moved:,} rows of the new data" in held
    assert f"made on the {continued.metrics.n_test:,} held-out rows it had not seen" in held
    split = next(c.value for c in at.caption if c.value.startswith("Held-out test split"))
    assert f"({continued.test_size:.0%} less the {moved:,} its parent trained on)" in split

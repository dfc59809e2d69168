"""Export and import of a version's bundle over the API (SQLite and PostgreSQL): the file
downloaded with its sha256, imported as the next version of a name, predicting as the
original; an import with the wrong sha256, a file that is not a bundle, or a manifest that
fails validation is refused (422) and stores nothing."""

import io
import json
import pickle
import zipfile

import httpx
import pytest

from shared.schemas import ModelRead
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv

TEXTS = ["you are a stupid idiot", "thanks for fixing the citation"]


@pytest.fixture(scope="module")
def exported(client: httpx.Client) -> tuple[dict, bytes, str]:
    dataset = upload_csv(client, labelled_csv(200, seed=21), "bundles.csv").json()
    accepted = fit(client, dataset["id"], name="bundle-src", kind="sgd")
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    response = client.get(f"/api/v1/models/{model['id']}/bundle")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="bundle-src-v1.zip"' in response.headers["content-disposition"]
    assert response.headers["x-bundle-sha256"] == model["artifact_sha256"]
    return model, response.content, response.headers["x-bundle-sha256"]


def _import(
    client: httpx.Client, content: bytes, sha256: str, name: str | None = None
) -> httpx.Response:
    fields = {"sha256": sha256, **({"name": name} if name else {})}
    return client.post(
        "/api/v1/models/import",
        files={"file": ("model.zip", content, "application/zip")},
        data=fields,
    )


def _predict(client: httpx.Client, model_id: str) -> list[list[float]]:
    assert client.post("/api/v1/models/load", json={"model_id": model_id}).status_code == 200
    answer = client.post("/api/v1/models/predict", json={"model_id": model_id, "texts": TEXTS})
    client.post("/api/v1/models/unload", json={"model_id": model_id})
    return [[c["probability"] for c in p["probabilities"]] for p in answer.json()["predictions"]]


def _rebuilt(content: bytes, **manifest_changes: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest.update(manifest_changes)
                data = json.dumps(manifest).encode()
            dst.writestr(item.filename, data)
    return out.getvalue()


def _sha(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def test_exported_bundle_imports_as_a_new_version(
    client: httpx.Client, exported: tuple[dict, bytes, str]
) -> None:
    model, content, sha = exported
    response = _import(client, content, sha, name="bundle-copy")
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["name"] == "bundle-copy" and imported["version"] == 1
    assert imported["source"] == "import" and imported["status"] == "ready"
    assert imported["kind"] == "sgd" and imported["classes"] == model["classes"]
    assert imported["params"] == model["params"] and imported["artifact_sha256"] == sha
    assert imported["lineage_datasets"] == model["lineage_datasets"]
    assert imported["metrics"]["roc_auc"] == model["metrics"]["roc_auc"]
    assert imported["dataset_id"] is None
    assert imported.keys() == ModelRead.model_fields.keys()  # not where its file lies
    assert _predict(client, imported["id"]) == _predict(client, model["id"])
    # without a name: the bundle's own, as its next version
    again = _import(client, content, sha.upper()).json()
    assert again["name"] == "bundle-src" and again["version"] == model["version"] + 1


def test_imports_that_fail_their_checks_store_nothing(
    client: httpx.Client, exported: tuple[dict, bytes, str]
) -> None:
    _, content, sha = exported
    before = client.get("/api/v1/models/").headers["x-total-count"]
    assert_problem(_import(client, content, "0" * 64), 422, "sha256")
    assert_problem(_import(client, content, "abc"), 422, "64 hex digits")
    assert_problem(_import(client, content, sha, name="bad name!"), 422, "name")
    not_zip = b"not a zip at all"
    assert_problem(_import(client, not_zip, _sha(not_zip)), 422, "not a zip")
    for changes, fragment in (
        ({"kind": "forest"}, "unknown model kind"),
        ({"format_version": 99}, "format"),
        ({"flavor": "keras"}, "flavour"),
        ({"classes": ["only"]}, "classes"),
        ({"params": {"regularization": -1}}, "params"),
        ({"text_column": None}, "text_column"),
    ):
        bad = _rebuilt(content, **changes)
        assert_problem(_import(client, bad, _sha(bad)), 422, fragment)
    # an entry that climbs out of the bundle is refused before anything is read
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../manifest.json", "{}")
    assert_problem(_import(client, evil.getvalue(), _sha(evil.getvalue())), 422, "outside")
    # a pickle that would run code is never opened: the manifest check refuses first
    hostile = io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format_version": 1, "kind": "logreg"}))
        zf.writestr("preprocessing.json", "{}")
        zf.writestr("payload/pipeline.pkl", pickle.dumps(print))
    data = hostile.getvalue()
    assert_problem(_import(client, data, _sha(data)), 422, "flavour")
    assert client.get("/api/v1/models/").headers["x-total-count"] == before


def test_a_model_without_a_bundle_cannot_be_downloaded(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/models/nope/bundle"), 404)

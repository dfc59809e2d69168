"""Export and import of a version's bundle over the API (SQLite and PostgreSQL): the file
downloaded with its sha256, imported as the next version of a name, predicting as the
original; an import with the wrong sha256, a file that is not a bundle, a manifest that
fails validation, a damaged zip, a payload that does not load or classes that are not the
model's is refused (422) and stores nothing; a stored bundle that no longer reads is a 409
that names its model for load, predict_scores and an alias move, never a 500."""

import io
import json
import pickle
import struct
import zipfile
import zlib

import httpx
import pytest
from sqlalchemy import Engine, text

from shared.schemas import ModelRead
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.feedback import import_csv
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

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


def _rebuilt(
    content: bytes, replace: dict[str, bytes] | None = None, **manifest_changes: object
) -> bytes:
    """The bundle with `manifest_changes` merged into its manifest and the entries in
    `replace` given other bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = (replace or {}).get(item.filename) or src.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest.update(manifest_changes)
                data = json.dumps(manifest).encode()
            dst.writestr(item.filename, data)
    return out.getvalue()


def _sha(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def _pipeline_data(content: bytes) -> range:
    """Where the pickled pipeline's compressed bytes lie in the bundle (after its local
    header, whose name and extra field lengths are read from the header itself)."""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        info = zf.getinfo("payload/pipeline.pkl")
    header = info.header_offset
    name_length, extra_length = struct.unpack("<HH", content[header + 26 : header + 30])
    start = header + 30 + name_length + extra_length
    return range(start, start + info.compress_size)


def _flipped(content: bytes, at: int) -> bytes:
    """The bundle with the byte at `at` changed."""
    damaged = bytearray(content)
    damaged[at] ^= 0xFF
    return bytes(damaged)


def _damaged(content: bytes, error: type[Exception]) -> bytes:
    """The bundle with the first byte from the middle of the pickled pipeline's compressed
    data on changed whose change reading the entry detects as `error`: BadZipFile (a
    wrong CRC-32) or zlib.error (data that does not decompress). Not simply the middle
    byte: inside a long run of zeros a changed back-reference can copy the same zeros, and
    a header field is checked by nothing."""
    data = _pipeline_data(content)
    for at in data[len(data) // 2 :]:
        damaged = _flipped(content, at)
        try:
            with zipfile.ZipFile(io.BytesIO(damaged)) as zf:
                zf.read("payload/pipeline.pkl")
        except error:
            return damaged
        except (zipfile.BadZipFile, zlib.error):
            continue
    raise AssertionError(f"no change of one byte gives {error.__name__}")


def _bad_crc(content: bytes) -> bytes:
    return _damaged(content, zipfile.BadZipFile)


def _undecompressable(content: bytes) -> bytes:
    return _damaged(content, zlib.error)


def _stored(client: httpx.Client, server: BackendServer) -> tuple[str, set[str]]:
    """How many models there are and which files the models folder holds."""
    total = client.get("/api/v1/models/").headers["x-total-count"]
    return total, {p.name for p in server.models_dir.iterdir()}


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
    # what its fit's cleaning did (and the language it detected) travels with it
    assert imported["preprocessing_report"] == model["preprocessing_report"]
    assert imported["preprocessing_report"]["language"]
    assert imported["dataset_id"] is None
    assert imported.keys() == ModelRead.model_fields.keys()  # not where its file lies
    assert _predict(client, imported["id"]) == _predict(client, model["id"])
    # without a name: the bundle's own, as its next version
    again = _import(client, content, sha.upper()).json()
    assert again["name"] == "bundle-src" and again["version"] == model["version"] + 1


def test_an_imported_version_is_not_retrained_from_feedback(
    client: httpx.Client, exported: tuple[dict, bytes, str]
) -> None:
    _, content, sha = exported
    imported = _import(client, content, sha, name="bundle-feedback").json()
    given = import_csv(client, imported["id"], "text,label\nyou are kind,0\nyou idiot,1\n")
    assert given.status_code == 201, given.text
    response = client.post(f"/api/v1/models/{imported['id']}/retrain_from_feedback", json={})
    assert_problem(response, 409, "was imported", "retrain it on a dataset here")
    # nor on its parent's data: that is not here either
    response = client.post(f"/api/v1/models/{imported['id']}/retrain", json={"data": "parent"})
    assert_problem(response, 409, "was imported", "not in this installation", "data 'new'")


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
    # a name the API could not address ('@' and ':' split references), unless one is given
    misnamed = _rebuilt(content, name="../../etc x@y")
    assert_problem(
        _import(client, misnamed, _sha(misnamed)),
        422,
        "the bundle names its model '../../etc x@y', which is not a valid model name",
    )
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        digests = zf.read("trained_texts.u64")
    damaged = _rebuilt(content, {"trained_texts.u64": digests[:-3]})
    assert_problem(_import(client, damaged, _sha(damaged)), 422, "trained_texts.u64 is damaged")
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


@pytest.fixture(scope="module")
def exported_words(client: httpx.Client) -> tuple[bytes, str]:
    """A bundle of a model whose classes are the words 'false' and 'true'."""
    csv = labelled_csv(200, seed=22, labels=("false", "true"))
    dataset = upload_csv(client, csv, "bundle-words.csv").json()
    accepted = fit(client, dataset["id"], name="bundle-words", kind="sgd")
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    response = client.get(f"/api/v1/models/{accepted['model_id']}/bundle")
    assert response.status_code == 200, response.text
    assert json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("manifest.json"))[
        "classes"
    ] == ["false", "true"]
    return response.content, response.headers["x-bundle-sha256"]


def test_a_damaged_zip_is_refused_and_stores_nothing(
    client: httpx.Client, server: BackendServer, exported: tuple[dict, bytes, str]
) -> None:
    """One byte changed after the download, imported with the sha256 of the changed file:
    the zip's own checksums (or its compressed data) say it is damaged."""
    _, content, _ = exported
    before = _stored(client, server)
    for damaged in (_bad_crc(content), _undecompressable(content)):
        assert_problem(_import(client, damaged, _sha(damaged)), 422, "damaged", "pipeline.pkl")
    assert _stored(client, server) == before


def test_a_payload_that_does_not_load_is_refused_and_stores_nothing(
    client: httpx.Client, server: BackendServer, exported: tuple[dict, bytes, str]
) -> None:
    _, content, _ = exported
    before = _stored(client, server)
    garbage = _rebuilt(content, replace={"payload/pipeline.pkl": b"garbage"})
    assert_problem(_import(client, garbage, _sha(garbage)), 422, "does not load", "Unpickling")
    assert _stored(client, server) == before


def test_classes_that_are_not_the_models_are_refused_and_store_nothing(
    client: httpx.Client,
    server: BackendServer,
    exported: tuple[dict, bytes, str],
    exported_words: tuple[bytes, str],
) -> None:
    _, content, _ = exported
    words, _ = exported_words
    before = _stored(client, server)
    three = _rebuilt(content, classes=[0, 1, 2])  # a 2-class model: predict would fail
    assert_problem(_import(client, three, _sha(three)), 422, "classes", "[0, 1, 2]")
    numbers = _rebuilt(words, classes=[0, 1])  # a 'false'/'true' model: wrong labels
    assert_problem(_import(client, numbers, _sha(numbers)), 422, "classes", "'false', 'true'")
    assert _stored(client, server) == before


def test_a_stored_bundle_that_no_longer_reads_is_a_409_naming_the_model(
    client: httpx.Client, server: BackendServer, engine: Engine, exported: tuple[dict, bytes, str]
) -> None:
    """A bundle damaged on disk after its import: its sha256 no longer matches (409, as
    always). One whose sha256 was recorded with its damage (an import by a server without
    the checks above) is refused by load, predict_scores and an alias move with a 409 that
    names the model, never a 500."""
    _, content, sha = exported
    imported = _import(client, content, sha, name="bundle-damaged")
    assert imported.status_code == 201, imported.text
    model_id = imported.json()["id"]
    path = server.models_dir / f"{model_id}.zip"
    path.write_bytes(_bad_crc(content))
    load = {"model_id": model_id}
    assert_problem(client.post("/api/v1/models/load", json=load), 409, model_id, "changed")
    scores = {"model_ids": [model_id], "texts": TEXTS, "labels": [1, 0]}
    for damaged in (
        _bad_crc(content),
        _undecompressable(content),
        _rebuilt(content, replace={"payload/pipeline.pkl": b"garbage"}),
        _rebuilt(content, classes=[0, 1, 2]),
    ):
        path.write_bytes(damaged)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE models SET artifact_sha256 = :sha WHERE id = :id"),
                {"sha": _sha(damaged), "id": model_id},
            )
        for response in (
            client.post("/api/v1/models/load", json=load),
            client.post("/api/v1/models/predict_scores", json=scores),
            client.put("/api/v1/aliases/bundle-damaged/production", json={"version": 1}),
        ):
            assert_problem(response, 409, model_id, "cannot be loaded")
    assert client.get(f"/api/v1/models/{model_id}").json()["loaded"] is False
    assert client.get("/api/v1/aliases/bundle-damaged").json() == []


def test_a_model_without_a_bundle_cannot_be_downloaded(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/models/nope/bundle"), 404)

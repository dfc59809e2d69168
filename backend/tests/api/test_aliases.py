"""Aliases through the API, on SQLite and PostgreSQL: set, move, delete, history, `at=`,
references (`name@alias`, `name:version`) wherever a model id is taken, and the answers
that say which version answered."""

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx

from testkit.api import assert_problem, wait_task
from testkit.samples import labelled_csv
from testkit.versions import trained_versions, unique_name

API = "/api/v1"


def put_alias(client: httpx.Client, name: str, alias: str, version: int, reason: str = "") -> dict:
    response = client.put(
        f"{API}/aliases/{quote(name)}/{alias}", json={"version": version, "reason": reason}
    )
    assert response.status_code == 200, response.text
    return response.json()


def predict(client: httpx.Client, ref: str) -> httpx.Response:
    return client.post(f"{API}/models/predict", json={"model_id": ref, "texts": ["nice photo"]})


def test_set_move_and_read_an_alias(client: httpx.Client) -> None:
    name = unique_name("aliased")
    v1, v2 = trained_versions(client, name, 2)
    assert client.get(f"{API}/models/{v1}").json()["loaded"] is False
    before = datetime.now().astimezone()
    read = put_alias(client, name, "production", 1, "first release")
    assert (read["model_id"], read["version"], read["alias"]) == (v1, 1, "production")
    # setting it loaded the version first
    first = client.get(f"{API}/models/{v1}").json()
    assert first["loaded"] is True and first["aliases"] == ["production"]
    answer = predict(client, f"{name}@production")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["model_id"], answer.json()["version"]) == (v1, 1)
    between = datetime.now().astimezone()

    put_alias(client, name, "production", 2, "better recall")
    put_alias(client, name, "staging", 2)
    put_alias(client, name, "staging", 2, "again")  # no change: nothing to record
    assert len(client.get(f"{API}/aliases/{quote(name)}/staging/history").json()) == 1
    answer = predict(client, f"{name}@production").json()
    assert (answer["model_id"], answer["version"]) == (v2, 2)
    # every model read names its aliases: one model, the list, a reference
    assert client.get(f"{API}/models/{v1}").json()["aliases"] == []
    assert client.get(f"{API}/models/{v2}").json()["aliases"] == ["production", "staging"]
    listed = {m["id"]: m["aliases"] for m in client.get(f"{API}/models/").json()}
    assert listed[v1] == [] and listed[v2] == ["production", "staging"]
    by_ref = client.get(f"{API}/models/{quote(name)}@production").json()
    assert by_ref["id"] == v2
    assert client.get(f"{API}/models/{quote(name)}:1").json()["id"] == v1
    aliases = client.get(f"{API}/aliases/{quote(name)}").json()
    assert [(a["alias"], a["version"]) for a in aliases] == [("production", 2), ("staging", 2)]

    history = client.get(f"{API}/aliases/{quote(name)}/production/history").json()
    assert [(h["action"], h["from_version"], h["to_version"], h["reason"]) for h in history] == [
        ("set", None, 1, "first release"),
        ("move", 1, 2, "better recall"),
    ]
    assert all(h["caller"] is None for h in history)  # no token on this server

    def at(when: datetime) -> dict:
        response = client.get(
            f"{API}/aliases/{quote(name)}/production", params={"at": when.isoformat()}
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert at(before - timedelta(seconds=1))["version"] is None
    assert (at(between)["version"], at(between)["model_id"]) == (1, v1)
    assert at(datetime.now().astimezone() + timedelta(seconds=1))["version"] == 2
    # the same instants written with other offsets: the offset is honoured, not dropped
    for zone in (timezone(timedelta(hours=14)), timezone(timedelta(hours=-1))):
        assert at((before - timedelta(seconds=1)).astimezone(zone))["version"] is None
        assert at(between.astimezone(zone))["version"] == 1


def test_references_in_every_model_endpoint(client: httpx.Client) -> None:
    name = unique_name("referenced")
    v1, v2 = trained_versions(client, name, 2, seed=32)
    loaded = client.post(f"{API}/models/load", json={"model_id": f"{name}:2"})
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["id"] == v2 and loaded.json()["loaded"] is True
    answer = predict(client, f"{name}:2").json()
    assert (answer["model_id"], answer["version"]) == (v2, 2)
    # the id keeps working, and its answer names the version too
    assert predict(client, v2).json()["version"] == 2
    put_alias(client, name, "candidate", 2)

    scores = client.post(
        f"{API}/models/predict_scores",
        json={"model_ids": [f"{name}@candidate", v1], "texts": ["nice photo"], "labels": [0]},
    )
    assert scores.status_code == 200, scores.text
    results = scores.json()["results"]
    assert [(r["model_id"], r["version"]) for r in results] == [(v2, 2), (v1, 1)]

    csv = client.post(
        f"{API}/models/predict_csv",
        files={"file": ("in.csv", labelled_csv(10, seed=3), "text/csv")},
        data={"model_id": f"{name}@candidate"},
    )
    assert csv.status_code == 200, csv.text
    assert (csv.headers["x-model-id"], csv.headers["x-model-version"]) == (v2, "2")
    assert csv.text.splitlines()[0].startswith("id,comment_text,toxic,Result")

    unloaded = client.post(f"{API}/models/unload", json={"model_id": f"{name}:2"})
    assert unloaded.status_code == 200 and unloaded.json()["loaded"] is False
    assert_problem(predict(client, f"{name}@candidate"), 409, "not loaded")

    # every other route that names a model in its path takes a reference too
    by_alias, first = f"{API}/models/{quote(name)}@candidate", f"{API}/models/{quote(name)}:1"
    for path in ("errors", "thresholds", "bundle"):
        got = client.get(f"{by_alias}/{path}")
        assert got.status_code == 200, (path, got.text)
    assert client.get(f"{by_alias}/errors").json()["model_id"] == v2
    manual = client.put(f"{by_alias}/thresholds", json={"thresholds": {"1": 0.6}})
    assert manual.status_code == 200, manual.text
    assert manual.json()["model_id"] != v2  # a new version of the name, from v2
    dataset_id = client.get(f"{API}/models/{v1}").json()["dataset_id"]
    more = client.post(f"{first}/incremental", json={"dataset_id": dataset_id})
    assert_problem(more, 409, "retrain")  # logreg cannot continue: the reference was found
    retrained = client.post(f"{first}/retrain", json={})
    assert retrained.status_code == 202, retrained.text
    assert wait_task(client, retrained.json()["task_id"])["status"] == "succeeded"
    assert client.delete(first).status_code == 204
    assert_problem(client.get(f"{API}/models/{v1}"), 404)
    assert_problem(client.delete(f"{API}/models/{quote(name)}:1"), 404, "no version 1")


def test_bad_and_unknown_references(client: httpx.Client) -> None:
    name = unique_name("unknown")
    (v1,) = trained_versions(client, name, 1, seed=33)
    assert_problem(predict(client, f"{name}@nope"), 404, "no alias 'nope'")
    assert_problem(predict(client, f"{name}:7"), 404, "no version 7")
    assert_problem(predict(client, "no-such-name@production"), 404, "no model is named")
    assert_problem(predict(client, "no-such-name:1"), 404, "no model is named")
    # a name where an id was expected: the 404 says how to name a version
    hint = f"name one as '{name}@<alias>' or '{name}:<version>'"
    assert_problem(predict(client, name), 404, hint)
    assert_problem(client.get(f"{API}/models/{quote(name)}"), 404, hint)
    assert_problem(client.get(f"{API}/models/{quote(name)}/errors"), 404, hint)
    assert_problem(predict(client, f"{name}@Prod"), 422, "alias")
    csv = client.post(
        f"{API}/models/predict_csv",
        files={"file": ("in.csv", labelled_csv(3, seed=3), "text/csv")},
        data={"model_id": f"{name}@Prod"},
    )
    assert_problem(csv, 422, "an alias is")  # what is wrong in it, as /predict says
    assert_problem(predict(client, f"{name}:0"), 422, "version")
    assert_problem(predict(client, "a/b@production"), 422, "name")
    assert_problem(client.get(f"{API}/models/{quote(name)}:x"), 422)
    assert_problem(client.get(f"{API}/models/{quote(name)}@nope"), 404, "no alias")
    base = f"{API}/aliases/{quote(name)}"
    assert_problem(client.put(f"{base}/Bad", json={"version": 1}), 422)
    assert_problem(client.put(f"{base}/x" + "y" * 32, json={"version": 1}), 422)
    assert_problem(client.put(f"{base}/prod", json={"version": 0}), 422)
    assert_problem(client.put(f"{base}/prod", json={"version": 9}), 404, "no version 9")
    assert_problem(client.put(f"{API}/aliases/nobody-{name}/prod", json={"version": 1}), 404)
    assert_problem(client.get(f"{base}/prod"), 404, "no alias 'prod'")
    # an alias never set has no history: a 404 like its read, not an empty list
    assert_problem(client.get(f"{base}/nope/history"), 404, f"model '{name}' has no alias 'nope'")
    assert_problem(client.get(f"{API}/aliases/nobody-{name}/prod/history"), 404, "no model")
    assert_problem(client.get(f"{base}/prod", params={"at": "yesterday"}), 422)
    assert_problem(client.delete(f"{base}/prod"), 404, "no alias")
    # nor can it be rolled back: unknown, as its read says (409 is for one with no past)
    assert_problem(
        client.post(f"{base}/prod/rollback", json={"reason": "x"}), 404, "no alias 'prod'"
    )
    assert_problem(client.post(f"{base}/prod/rollback", json={}), 422)
    assert client.get(f"{API}/models/{v1}").json()["aliases"] == []


def test_rollback_goes_back_one_step_each_time(client: httpx.Client) -> None:
    name = unique_name("rolled")
    ids = trained_versions(client, name, 3, seed=34)
    for version in (1, 2, 3):
        put_alias(client, name, "production", version, f"release {version}")
    rollback = f"{API}/aliases/{quote(name)}/production/rollback"
    first = client.post(rollback, json={"reason": "v3 misfires"})
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["model_id"]) == (2, ids[1])
    assert predict(client, f"{name}@production").json()["version"] == 2
    second = client.post(rollback, json={"reason": "v2 too"}).json()
    assert second["version"] == 1
    assert_problem(client.post(rollback, json={"reason": "again"}), 409, "no earlier version")
    history = client.get(f"{API}/aliases/{quote(name)}/production/history").json()
    assert [(h["action"], h["from_version"], h["to_version"]) for h in history[-2:]] == [
        ("rollback", 3, 2),
        ("rollback", 2, 1),
    ]
    assert history[-1]["reason"] == "v2 too"
    # a delete is a change like any other: a rollback brings the alias back
    deleted = client.delete(f"{API}/aliases/{quote(name)}/production", params={"reason": "retired"})
    assert deleted.status_code == 204, deleted.text
    assert_problem(predict(client, f"{name}@production"), 404, "no alias")
    restored = client.post(rollback, json={"reason": "still needed"}).json()
    assert restored["version"] == 1


def test_an_aliased_version_cannot_be_removed(client: httpx.Client) -> None:
    name = unique_name("kept")
    v1, v2 = trained_versions(client, name, 2, seed=35)
    put_alias(client, name, "production", 1)
    assert_problem(
        client.delete(f"{API}/models/{v1}"), 409, f"is in use as {name}@production; move or"
    )
    put_alias(client, name, "production", 2)
    assert client.delete(f"{API}/models/{v1}").status_code == 204
    # the history still reads after the version it names is gone
    history = client.get(f"{API}/aliases/{quote(name)}/production/history").json()
    assert [h["to_model_id"] for h in history] == [v1, v2]
    rollback = client.post(
        f"{API}/aliases/{quote(name)}/production/rollback", json={"reason": "oops"}
    )
    assert_problem(rollback, 409, f"v1 of '{name}', which 'production' named before (model {v1})")

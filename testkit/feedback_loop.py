"""Issue 17's labelling experiment through the real API, shared by its test and its
benchmark: a logreg with default params fitted on 1,000 rows of the toxic sample predicts
8,000 others through predict_csv (each prediction logged); one arm labels the 500
hardest of them (GET hard_examples, labels taken from the file), the other 500 random
ones; each sends its labels as CSV feedback, retrains from feedback, and its new version
is scored on 3,000 further rows. Same seed, same sizes in both arms."""

import csv
import io
import random
from typing import Any

import httpx
import pandas as pd

from testkit.api import fit, upload_csv, wait_task

TEXT, LABEL = "comment_text", "toxic"
SEED_ROWS, POOL, LABELLED, HELD_OUT = 1000, 8000, 500, 3000


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _auc(client: httpx.Client, model_id: str, dataset_id: str) -> float:
    answer = client.post(
        "/api/v1/models/predict_scores", json={"model_ids": [model_id], "dataset_id": dataset_id}
    )
    answer.raise_for_status()
    (result,) = answer.json()["results"]
    assert result["n_rows"] == HELD_OUT and not result["includes_training_rows"]
    return float(result["roc_auc"])


def _parent(client: httpx.Client, dataset_id: str, name: str, seed: int) -> str:
    accepted = fit(
        client, dataset_id, name=name, text_column=TEXT, label_column=LABEL, random_state=seed
    )
    task = wait_task(client, accepted["task_id"], timeout=600)
    assert task["status"] == "succeeded", task
    client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]}).raise_for_status()
    return str(accepted["model_id"])


def _predict_pool(client: httpx.Client, model_id: str, pool: pd.DataFrame) -> None:
    answer = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": model_id, "text_column": TEXT},
        files={"file": ("pool.csv", _csv(pool[[TEXT]]), "text/csv")},
    )
    answer.raise_for_status()
    assert sum(1 for row in csv.DictReader(io.StringIO(answer.text)) if row["Prediction id"])


def _retrained(client: httpx.Client, model_id: str, labelled: pd.DataFrame) -> dict[str, Any]:
    sent = client.post(
        f"/api/v1/models/{model_id}/feedback/csv",
        data={"text_column": TEXT, "label_column": LABEL},
        files={"file": ("feedback.csv", _csv(labelled), "text/csv")},
    )
    sent.raise_for_status()
    accepted = client.post(f"/api/v1/models/{model_id}/retrain_from_feedback", json={})
    accepted.raise_for_status()
    task = wait_task(client, accepted.json()["task_id"], timeout=600)
    assert task["status"] == "succeeded", task
    return dict(client.get(f"/api/v1/models/{accepted.json()['model_id']}").json())


def run_seed(client: httpx.Client, frame: pd.DataFrame, seed: int, strategy: str) -> dict:
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    seed_rows = shuffled[:SEED_ROWS]
    pool = shuffled[SEED_ROWS : SEED_ROWS + POOL]
    held_out = shuffled[SEED_ROWS + POOL : SEED_ROWS + POOL + HELD_OUT]
    truth = dict(zip(pool[TEXT], pool[LABEL], strict=True))
    seed_id = upload_csv(client, _csv(seed_rows), f"loop_seed_{seed}.csv").json()["id"]
    held_out_id = upload_csv(client, _csv(held_out), f"loop_held_out_{seed}.csv").json()["id"]
    figures: dict[str, Any] = {"seed": seed}
    for arm in ("hardest", "random"):
        parent = _parent(client, seed_id, f"loop-{seed}-{arm}", seed)
        figures["parent"] = _auc(client, parent, held_out_id)
        _predict_pool(client, parent, pool)
        if arm == "hardest":
            hard = client.get(
                f"/api/v1/models/{parent}/hard_examples",
                params={"strategy": strategy, "limit": LABELLED},
            )
            hard.raise_for_status()
            texts = [example["text"] for example in hard.json()]
        else:
            texts = random.Random(seed).sample(list(pool[TEXT]), LABELLED)
        labelled = pd.DataFrame({TEXT: texts, LABEL: [truth[t] for t in texts]})
        child = _retrained(client, parent, labelled)
        figures[arm] = _auc(client, child["id"], held_out_id)
        figures[f"{arm}_positive_share"] = float(labelled[LABEL].mean())
    return figures

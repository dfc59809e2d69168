"""The baseline a user would write without this project: FastAPI around predict_proba.

A sync endpoint (FastAPI runs it in its threadpool), one predict_proba call per request,
uvicorn's defaults. `bench_online.py` starts it on the same fitted pipeline:

    PIPELINE=/path/pipeline.joblib .venv/bin/uvicorn naive_server:app --app-dir bench
"""

import os

import joblib
from fastapi import FastAPI
from pydantic import BaseModel

pipeline = joblib.load(os.environ["PIPELINE"])
classes = [c.item() if hasattr(c, "item") else c for c in pipeline.classes_]
app = FastAPI()


class PredictRequest(BaseModel):
    texts: list[str]


@app.post("/predict")
def predict(request: PredictRequest) -> dict:
    proba = pipeline.predict_proba([text.lower() for text in request.texts])
    best = proba.argmax(axis=1)
    return {
        "predictions": [
            {"label": classes[i], "confidence": round(float(row[i]), 6)}
            for i, row in zip(best, proba, strict=True)
        ]
    }

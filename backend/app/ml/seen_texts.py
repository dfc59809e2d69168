"""Which texts a model has learnt from, kept in its bundle as 64-bit digests of the cleaned
texts (8 bytes a text: 160 KB for 20,000 rows; a collision among a million texts is about
one chance in ten million).

A version continued on new rows has learnt its parent's rows too. When the new data holds
some of them (an export that repeats last month's rows, say), those rows are no test of
the continued model: they go to its training part, not its held-out part, and its metrics
say how many moved. Whatever makes a version's held-out split again leaves out the texts
the version learnt, by the same digests, so its figures are made on the same rows."""

import dataclasses
import hashlib
from collections.abc import Iterable

import numpy as np

from app.ml.training_data import DatasetSplit

DTYPE = np.dtype("<u8")


def digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def digests(texts: Iterable[str]) -> np.ndarray:
    """The texts' digests, sorted, each once."""
    return np.unique(np.fromiter((digest(t) for t in texts), dtype=DTYPE))


def union(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else np.union1d(a, b).astype(DTYPE)


def seen_mask(seen: np.ndarray, texts: Iterable[str]) -> np.ndarray:
    """For each text, whether its digest is in `seen`."""
    return np.isin(np.fromiter((digest(t) for t in texts), dtype=DTYPE), seen)


def to_bytes(seen: np.ndarray) -> bytes:
    return seen.astype(DTYPE).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    if len(data) % DTYPE.itemsize:
        raise ValueError(f"{len(data)} bytes is not a whole number of 8-byte digests")
    return np.frombuffer(data, dtype=DTYPE)


def unseen_held_out(split: DatasetSplit, seen: np.ndarray | None) -> tuple[DatasetSplit, int]:
    """The split with the held-out rows whose text is in `seen` moved to its training part
    (at its end, in their order), and how many moved. No digests: the split as it is."""
    if seen is None or not len(split.test):
        return split, 0
    known = seen_mask(seen, split.texts(split.test))
    moved = int(known.sum())
    if not moved:
        return split, 0
    train = np.concatenate([split.train, split.test[known]])
    return dataclasses.replace(split, train=train, test=split.test[~known]), moved

"""Where a retriever's vectors live: Qdrant, embedded or as a server.

- Embedded (the default): a Qdrant Edge shard (`qdrant-edge-py`, Qdrant's own engine in
  the process) in the retriever's folder under the data directory. A shard belongs to one
  process at a time: the training worker creates and fills it, closes it, and from then on
  only the server process opens it. More than one server process needs a Qdrant server.
- Server (QDRANT_URL set): one collection per retriever, through qdrant-client.

Vectors are stored as sparse vectors (named "text"); point ids are context numbers.
Writes happen once, at fit, in one process; searches only read.
"""

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import scipy.sparse as sp

VECTOR = "text"
_UPSERT_BATCH = 256

Hits = list[list[tuple[int, float]]]


class VectorStore(Protocol):
    def upsert(self, vectors: sp.csr_matrix) -> None: ...
    def search(self, queries: sp.csr_matrix, limit: int) -> Hits: ...
    def close(self) -> None: ...


def _rows(matrix: sp.csr_matrix) -> Sequence[tuple[list[int], list[float]]]:
    matrix = matrix.tocsr()
    out = []
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        out.append((matrix.indices[start:end].tolist(), matrix.data[start:end].tolist()))
    return out


class EdgeStore:
    """A Qdrant Edge shard in a folder, owned by this process while it is open."""

    def __init__(self, path: Path, *, create: bool) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.path = path
        if create:
            config = qe.EdgeConfig(sparse_vectors={VECTOR: qe.EdgeSparseVectorParams()})
            self._shard = qe.EdgeShard.create(str(path), config)
        else:
            self._shard = qe.EdgeShard.load(str(path))
        self._lock = threading.Lock()  # writes serialised

    def upsert(self, vectors: sp.csr_matrix) -> None:
        qe = self._qe
        rows = _rows(vectors)
        with self._lock:
            for start in range(0, len(rows), _UPSERT_BATCH):
                points = [
                    qe.Point(i, {VECTOR: qe.SparseVector(idx, val)})
                    for i, (idx, val) in enumerate(rows[start : start + _UPSERT_BATCH], start)
                ]
                self._shard.update(qe.UpdateOperation.upsert_points(points))
            self._shard.flush()

    def search(self, queries: sp.csr_matrix, limit: int) -> Hits:
        qe = self._qe
        requests = [
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(qe.SparseVector(idx, val), using=VECTOR),
                with_payload=False,
                with_vector=False,
            )
            for idx, val in _rows(queries)
        ]
        if len(requests) == 1:
            found = [self._shard.query(requests[0])]
        else:
            found = self._shard.query_batch(qe.QueryBatchRequest(requests))
        return [[(int(p.id), float(p.score)) for p in points] for points in found]

    def close(self) -> None:
        self._shard.close()


class ServerStore:
    """One collection of a Qdrant server, through qdrant-client."""

    def __init__(self, url: str, collection: str, *, api_key: str | None, create: bool) -> None:
        from qdrant_client import QdrantClient, models

        self._models = models
        self.collection = collection
        self._client = QdrantClient(url=url, api_key=api_key)
        if create:
            if self._client.collection_exists(collection):
                self._client.delete_collection(collection)
            self._client.create_collection(
                collection,
                vectors_config={},
                sparse_vectors_config={VECTOR: models.SparseVectorParams()},
            )

    def upsert(self, vectors: sp.csr_matrix) -> None:
        m = self._models
        rows = _rows(vectors)
        for start in range(0, len(rows), _UPSERT_BATCH):
            points = [
                m.PointStruct(id=i, vector={VECTOR: m.SparseVector(indices=idx, values=val)})
                for i, (idx, val) in enumerate(rows[start : start + _UPSERT_BATCH], start)
            ]
            self._client.upsert(self.collection, points=points, wait=True)

    def search(self, queries: sp.csr_matrix, limit: int) -> Hits:
        m = self._models
        requests = [
            m.QueryRequest(query=m.SparseVector(indices=idx, values=val), using=VECTOR, limit=limit)
            for idx, val in _rows(queries)
        ]
        answers = self._client.query_batch_points(self.collection, requests=requests)
        return [[(int(p.id), float(p.score)) for p in a.points] for a in answers]

    def drop(self) -> None:
        self._client.delete_collection(self.collection)

    def close(self) -> None:
        self._client.close()


class StoreLocation:
    """How to reach a retriever's vectors: its shard folder, or a server's collection."""

    def __init__(self, shard_path: Path, *, url: str | None, api_key: str | None) -> None:
        self.shard_path = shard_path
        self.url = url
        self.api_key = api_key

    @property
    def collection(self) -> str:
        return f"retriever_{self.shard_path.parent.name}"

    def open(self, *, create: bool = False) -> VectorStore:
        if self.url:
            return ServerStore(self.url, self.collection, api_key=self.api_key, create=create)
        if create and self.shard_path.exists():
            shutil.rmtree(self.shard_path)
        return EdgeStore(self.shard_path, create=create)

    def drop(self) -> None:
        if self.url:
            store = ServerStore(self.url, self.collection, api_key=self.api_key, create=False)
            try:
                store.drop()
            finally:
                store.close()
        shutil.rmtree(self.shard_path, ignore_errors=True)

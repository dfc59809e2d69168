"""Datasets: uploaded CSV files, checked, summarised and kept under DATASETS_DIR."""

import logging
import os
import time
import uuid
from pathlib import Path

import pandas as pd

from app.core.errors import DATASETS_FOLDER, InvalidInputError, NotFoundError, storage_error
from app.registry.base import Registry
from app.registry.entities import DatasetRecord
from app.registry.tables import utcnow
from app.services.csv_inspection import inspect_csv
from app.services.sweeps import (
    GRACE_S,
    PART_MAX_AGE_S,
    left_to_the_sweep,
    replica_tag,
    set_aside,
    younger_than,
)
from shared.csv_format import CsvFormatError, read_frame
from shared.schemas.strings import DATASET_NAME_MAX, FILENAME_MAX, has_control, printable

log = logging.getLogger(__name__)
INCOMING = ".incoming"


class DatasetService:
    def __init__(
        self,
        *,
        registry: Registry,
        datasets_dir: Path,
        max_columns: int | None = None,
        replica: str | None = None,
    ) -> None:
        """`replica`: the API replica this process is, when several share DATASETS_DIR
        (its partial uploads are named for it, see `sweeps`); None: one process."""
        self.registry = registry
        self.datasets_dir = datasets_dir
        self.max_columns = max_columns
        self.incoming_dir = datasets_dir / INCOMING
        self.replica = replica
        self.part_prefix = f"{replica_tag(replica)}." if replica is not None else ""

    def new_part(self) -> Path:
        """A new partial file's path under the incoming folder (nothing is created)."""
        return self.incoming_dir / f"{self.part_prefix}{uuid.uuid4().hex}.part"

    def ingest(
        self, *, path: Path, filename: str, sha256: str, name: str | None
    ) -> tuple[DatasetRecord, bool]:
        """Register an uploaded file; returns (dataset, created). The file at `path` is
        consumed: moved into place, or deleted when it is a duplicate or invalid."""
        try:
            name, filename = _storable_names(name, filename)
            existing = self.registry.find_dataset_by_sha256(sha256)
            if existing is not None:
                stored_file = self.datasets_dir / existing.file
                if not stored_file.is_file():  # the same bytes: they repair a lost file
                    _move(path, stored_file)
                    log.warning(
                        "dataset %s's file was missing; the upload of the same bytes "
                        "(sha256 %s) restored it",
                        existing.id,
                        sha256,
                    )
                return existing, False
            summary = inspect_csv(path, max_columns=self.max_columns)
            dataset_id = uuid.uuid4().hex
            final = self.datasets_dir / f"{dataset_id}.csv"
            _move(path, final)
            record = DatasetRecord(
                id=dataset_id,
                name=name,
                filename=filename,
                size_bytes=final.stat().st_size,
                sha256=sha256,
                rows=summary.rows,
                columns=summary.columns,
                duplicate_rows=summary.duplicate_rows,
                created_at=utcnow(),
                file=final.name,
            )
            try:
                stored, created = self.registry.add_dataset(record)
            except Exception:
                final.unlink(missing_ok=True)
                raise
            if not created:  # the same bytes, uploaded at the same time, were stored first
                final.unlink(missing_ok=True)
                return stored, False
            log.info("dataset %s stored: %s, %d rows", dataset_id, filename, summary.rows)
            return record, True
        finally:
            path.unlink(missing_ok=True)

    def _owns(self, part_name: str) -> bool:
        """Whether a partial upload is this process's (one process: every one is; a
        replica: its own, and those from before partial uploads named their replica)."""
        if not self.part_prefix:
            return True
        return part_name.startswith(self.part_prefix) or part_name.count(".") == 1

    def get(self, dataset_id: str) -> DatasetRecord:
        dataset = self.registry.get_dataset(dataset_id)
        if dataset is None:
            raise NotFoundError(f"dataset {dataset_id} not found")
        return dataset

    def page(self, *, limit: int, offset: int) -> tuple[list[DatasetRecord], int]:
        """One page of the datasets, newest first, and how many there are in all."""
        return self.registry.list_datasets(
            limit=limit, offset=offset
        ), self.registry.count_datasets()

    def file_path(self, dataset_id: str) -> Path:
        path = self.datasets_dir / self.get(dataset_id).file
        if not path.is_file():
            raise NotFoundError(f"the file of dataset {dataset_id} is missing on disk")
        return path

    def delete(self, dataset_id: str, *, force: bool = False) -> None:
        dataset = self.get(dataset_id)
        # refused (409) while a queued or running task uses it, in the same transaction, and
        # without `force` while models trained on it exist
        self.registry.delete_dataset(dataset_id, force=force)
        path = self.datasets_dir / dataset.file
        with left_to_the_sweep(path, f"dataset {dataset_id}"):
            path.unlink(missing_ok=True)

    def require_columns(self, dataset: DatasetRecord, *columns: str) -> None:
        names = [c.name for c in dataset.columns]
        missing = [c for c in columns if c not in names]
        if missing:
            raise InvalidInputError(
                f"dataset {dataset.name!r} ({dataset.id}) has no "
                + (
                    f"column {missing[0]!r}"
                    if len(missing) == 1
                    else f"columns {', '.join(map(repr, missing[:-1]))} and {missing[-1]!r}"
                )
                + "; "
                f"its columns are {names}"
            )

    def read_columns(self, dataset_id: str, *columns: str) -> pd.DataFrame:
        """Selected columns as strings (missing values as empty strings)."""
        dataset = self.get(dataset_id)
        self.require_columns(dataset, *columns)
        try:
            return read_frame(self.file_path(dataset_id), columns)
        except FileNotFoundError as exc:  # deleted meanwhile
            raise NotFoundError(f"dataset {dataset_id} not found") from exc
        except CsvFormatError as exc:  # stored before the check read it this way
            raise InvalidInputError(f"dataset {dataset_id} cannot be read: {exc}") from None
        except OSError as exc:  # its file's permissions: the operator's to fix
            what = f"dataset {dataset_id} cannot be read"
            raise storage_error(exc, what, DATASETS_FOLDER, reading=True) from exc

    def clean_up(self, *, grace_s: float = GRACE_S) -> None:
        """Remove what a crash may have left, partial uploads, and set aside the files the
        registry lacks (`sweeps.set_aside`: never deleted, they may be another registry's).
        Where several replicas share the folder, only this replica's partial uploads go
        (another's only when older than a day), and a dataset file the registry does not
        know yet stays while it is younger than `grace_s` (an upload is moved into place a
        moment before its record): see `sweeps`."""
        self.datasets_dir.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for part in self.incoming_dir.glob("*.part"):
            if self._owns(part.name) or not younger_than(part, PART_MAX_AGE_S, now, renamed=False):
                part.unlink(missing_ok=True)
        files = list(self.datasets_dir.glob("*.csv"))  # before the records: a newer is young
        known = {d.file for d in self.registry.list_datasets()}
        for file in files:
            if file.name not in known and not younger_than(file, grace_s, now):
                set_aside(file, "the registry has no dataset of it")


def _move(upload: Path, target: Path) -> None:
    """An upload into its place in the datasets folder (a refused write: a typed error)."""
    try:
        os.replace(upload, target)
    except OSError as exc:
        raise storage_error(exc, "storing the dataset failed", DATASETS_FOLDER) from exc


def _storable_names(name: str | None, filename: str) -> tuple[str, str]:
    """The dataset's name and file name as its columns can keep them, on every database: a
    name the user typed is refused when it does not fit (422); the client's file name is
    shortened (its extension kept) and loses its control characters, and so does the name
    taken from it."""
    if "\x00" in (name or "") or "\x00" in filename:
        raise InvalidInputError("the dataset's name and file name must not contain NUL characters")
    name = (name or "").strip()
    if has_control(name):
        raise InvalidInputError(
            "the dataset name must not contain control characters (line breaks, tabs, escapes)"
        )
    # the client's file name is kept only as metadata: shown, logged, put in headers
    filename = printable(filename).strip() or "upload.csv"
    if len(name) > DATASET_NAME_MAX:
        raise InvalidInputError(
            f"the dataset name has {len(name)} characters; "
            f"at most {DATASET_NAME_MAX} characters are allowed"
        )
    if len(filename) > FILENAME_MAX:
        suffix = Path(filename).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        filename = filename[: FILENAME_MAX - len(suffix)] + suffix
    return name or Path(filename).stem[:DATASET_NAME_MAX], filename

"""Multipart uploads streamed straight to disk, with a size limit enforced while reading.

Starlette's form parser spools the whole body before we see it; this one parses on the
event loop, collects the file part's bytes and hands them to a thread a batch at a time to
write and hash (and, at the end, fsync), so the loop never waits on the disk and pays one
thread hop per batch. It stops counting at the limit. A disk error is the server's fault:
507 when the disk is full, 500 otherwise, never a 4xx, and no partial file stays behind.
"""

import hashlib
import os
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fastapi.exceptions import RequestValidationError
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.api.problems import content_type_detail
from app.core.errors import (
    DATASETS_FOLDER,
    AppError,
    InvalidInputError,
    PayloadTooLargeError,
    storage_error,
)

MAX_FIELD_BYTES = 64 * 1024
# bytes collected before a thread writes them: large enough that the hop costs nothing
WRITE_BATCH_BYTES = 1024 * 1024


def form_fields(body: Mapping[str, Any]) -> frozenset[str]:
    """The fields an upload route's `openapi_extra` body declares, beside its file: the one
    list the OpenAPI document shows and `receive_upload` accepts."""
    schema = body["requestBody"]["content"]["multipart/form-data"]["schema"]
    return frozenset(schema["properties"]) - {"file"}


@dataclass
class UploadedFile:
    path: Path
    filename: str
    size_bytes: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    """Multipart callbacks (on the event loop: no I/O) plus `store` (in a thread: the I/O)."""

    def __init__(self, target: Path, file_field: str, limit: int) -> None:
        self.target = target
        self.file_field = file_field
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.too_large = False
        self._digest = hashlib.sha256()
        self._fh: BinaryIO | None = None
        self._pending = bytearray()  # file bytes not yet written
        self._file_ended = False  # the file part is complete: write, fsync and close it
        self._stored = False  # ... and that was done
        self._headers: dict[str, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()
        self.ended = False  # the closing boundary was read
        self.repeated_file = False  # a second part named like the file field
        self.long_field: str | None = None  # a field over MAX_FIELD_BYTES (its rest dropped)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def has_work(self) -> bool:
        if self.filename is None or self._stored:
            return False
        # open the file as its part begins (a crash leaves a .part that start-up removes),
        # write full batches, and finish it as the part ends
        return self._fh is None or self._file_ended or len(self._pending) >= WRITE_BATCH_BYTES

    @property
    def file_complete(self) -> bool:
        """The file part ended and is on disk, synced and closed."""
        return self._stored

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header_field, self._header_value = {}, b"", b""
        self._value = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = self._name == self.file_field
        if self._is_file and self.filename is not None:
            # refused once the body is read (the client then gets our 422, not a broken
            # pipe); its bytes are dropped
            self.repeated_file, self._is_file, self._name = True, False, None
        if self._is_file:
            raw = options.get(b"filename", b"upload.csv").decode("utf-8", "replace")
            self.filename = Path(raw.replace("\\", "/")).name or "upload.csv"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            self.size += len(chunk)
            if self.size > self.limit:
                self.too_large = True
            else:
                self._pending += chunk
        elif len(self._value) + len(chunk) <= MAX_FIELD_BYTES:
            self._value += chunk
        elif self.long_field is None:
            self.long_field = self._name

    def _part_end(self) -> None:
        if self._is_file:
            self._file_ended = True
            self._is_file = False
        elif self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def _end(self) -> None:
        self.ended = True

    def store(self) -> None:
        """Write (and hash) what was collected; fsync and close once the part is complete.
        Blocking: run it in a thread."""
        try:
            if self.filename is not None and self._fh is None and not self._stored:
                self.target.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.target.open("wb")
            if self._pending and self._fh is not None:
                data, self._pending = self._pending, bytearray()
                self._fh.write(data)
                self._digest.update(data)
            if self._file_ended and self._fh is not None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
                self._fh = None
                self._stored = True
        except OSError as exc:  # every upload lands in DATASETS_DIR's incoming folder
            raise storage_error(exc, "storing the upload failed", DATASETS_FOLDER) from exc

    def discard(self) -> None:
        """Close and remove the partial file (blocking: run it in a thread)."""
        fh, self._fh = self._fh, None
        try:
            if fh is not None:
                fh.close()
        except OSError:
            pass  # a failed flush of a file we delete anyway
        self.target.unlink(missing_ok=True)


async def receive_upload(
    request: Request,
    *,
    incoming_dir: Path,
    limit_bytes: int,
    file_field: str = "file",
    fields: Collection[str] = (),
    prefix: str = "",
) -> UploadedFile:
    """Stream the multipart body's `file` part to a new file under `incoming_dir`, named
    `<prefix><uuid>.part` (the prefix names the replica receiving it). `fields`: the form
    fields the route reads beside the file; any other is refused, as an unknown field of
    a JSON body is (a misspelt `text_colum` would otherwise fall back to the default).

    The caller owns the returned file and must move or delete it. On any error the
    partial file is removed before the error propagates.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInputError(
            content_type_detail(
                request.headers.get("content-type"), "multipart/form-data with a 'file' field"
            )
        )
    # the whole body's limit and read timeout are api/security.py's RequestGate's; this
    # counts the file's own bytes against the upload limit
    limit_mb = limit_bytes // (1024 * 1024)
    target = incoming_dir / f"{prefix}{uuid.uuid4().hex}.part"
    receiver = _Receiver(target, file_field, limit_bytes)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            # Past the file's limit we keep reading (and dropping) the body, as far as the
            # gate lets it run, so the client gets our 413 instead of a broken pipe.
            parser.write(chunk)
            if receiver.has_work:
                await run_in_threadpool(receiver.store)
        parser.finalize()
        await run_in_threadpool(receiver.store)
        if receiver.filename is not None and not receiver.file_complete:
            raise InvalidInputError(
                "the multipart body is incomplete: it ended inside the file part"
            )
        if not receiver.ended:
            raise InvalidInputError(
                "the multipart body is incomplete: it ended before its closing boundary"
            )
    except Exception as exc:
        await run_in_threadpool(receiver.discard)
        if isinstance(exc, AppError):
            raise
        raise InvalidInputError(f"the multipart body could not be read: {exc}") from exc
    except BaseException:  # cancelled: no more awaiting, but still nothing left behind
        receiver.discard()
        raise
    if (
        receiver.too_large
        or receiver.filename is None
        or receiver.repeated_file
        or receiver.long_field is not None
    ):
        await run_in_threadpool(receiver.discard)
        if receiver.too_large:
            raise PayloadTooLargeError(f"the file is larger than the {limit_mb} MiB limit")
        if receiver.repeated_file:
            raise InvalidInputError(
                f"the form has more than one '{file_field}' part; send one file per request"
            )
        if receiver.long_field is not None:
            raise InvalidInputError(
                f"the form field '{receiver.long_field}' is longer than "
                f"{MAX_FIELD_BYTES // 1024} KiB, the limit of a field other than the file"
            )
        raise InvalidInputError(f"the form has no '{file_field}' file field")
    unknown = [name for name in receiver.fields if name not in fields]
    if unknown:
        await run_in_threadpool(receiver.discard)
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("body", name),
                    "msg": "Extra inputs are not permitted",
                    "input": receiver.fields[name],
                }
                for name in unknown
            ]
        )
    return UploadedFile(
        path=target,
        filename=receiver.filename,
        size_bytes=receiver.size,
        sha256=receiver.sha256,
        fields=receiver.fields,
    )

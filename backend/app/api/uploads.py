"""Multipart uploads streamed straight to disk, with a size limit enforced while reading.

Starlette's form parser spools the whole body before we see it; this one writes the file
part chunk by chunk, hashes it on the way, and stops counting at the limit.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from app.core.errors import InvalidInputError, PayloadTooLargeError

MAX_FIELD_BYTES = 64 * 1024
# multipart framing around the file: boundaries, part headers, small form fields
_ENVELOPE_BYTES = 256 * 1024


@dataclass
class UploadedFile:
    path: Path
    filename: str
    size_bytes: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    def __init__(self, target: Path, file_field: str, limit: int) -> None:
        self.target = target
        self.file_field = file_field
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.too_large = False
        self._digest = hashlib.sha256()
        self._fh = None
        self._headers: dict[str, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
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
        if self._is_file:
            raw = options.get(b"filename", b"upload.csv").decode("utf-8", "replace")
            self.filename = Path(raw.replace("\\", "/")).name or "upload.csv"
            self._fh = self.target.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            self.size += len(chunk)
            if self.size > self.limit:
                self.too_large = True
            elif self._fh is not None:
                self._fh.write(chunk)
                self._digest.update(chunk)
        elif len(self._value) + len(chunk) <= MAX_FIELD_BYTES:
            self._value += chunk

    def _part_end(self) -> None:
        if self._is_file and self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
        elif self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


async def receive_upload(
    request: Request, *, incoming_dir: Path, limit_bytes: int, file_field: str = "file"
) -> UploadedFile:
    """Stream the multipart body's `file` part to a new file under `incoming_dir`.

    The caller owns the returned file and must move or delete it. On any error the
    partial file is removed before the error propagates.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInputError("send the file as multipart/form-data with a 'file' field")
    declared = request.headers.get("content-length")
    limit_mb = limit_bytes // (1024 * 1024)
    if declared and declared.isdigit() and int(declared) > limit_bytes + _ENVELOPE_BYTES:
        raise PayloadTooLargeError(f"the file is larger than the {limit_mb} MB limit")

    incoming_dir.mkdir(parents=True, exist_ok=True)
    target = incoming_dir / f"{uuid.uuid4().hex}.part"
    receiver = _Receiver(target, file_field, limit_bytes)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            # Past the limit we keep reading (and dropping) the body so the client gets
            # our 413 instead of a broken pipe; the envelope check above bounds this.
            parser.write(chunk)
            if receiver.size > 2 * limit_bytes + _ENVELOPE_BYTES:  # no Content-Length: give up
                raise PayloadTooLargeError(f"the file is larger than the {limit_mb} MB limit")
        parser.finalize()
    except Exception as exc:
        receiver.close()
        target.unlink(missing_ok=True)
        if isinstance(exc, InvalidInputError | PayloadTooLargeError):
            raise
        raise InvalidInputError(f"the multipart body could not be read: {exc}") from exc
    receiver.close()
    if receiver.too_large:
        target.unlink(missing_ok=True)
        raise PayloadTooLargeError(f"the file is larger than the {limit_mb} MB limit")
    if receiver.filename is None:
        target.unlink(missing_ok=True)
        raise InvalidInputError(f"the form has no '{file_field}' file field")
    return UploadedFile(
        path=target,
        filename=receiver.filename,
        size_bytes=receiver.size,
        sha256=receiver.sha256,
        fields=receiver.fields,
    )

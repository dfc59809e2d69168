"""CSV uploads: the `encoding` and `delimiter` form fields every route that takes a CSV
declares, and the file converted once, as it arrives, to the canonical form (UTF-8,
commas: `shared.csv_convert`) when they say it is in another. What the route then checks,
stores and hashes is the converted file, so every later read is the one it always was.
"""

import uuid
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.api.uploads import UploadedFile, form_fields, receive_upload
from app.core.errors import (
    DATASETS_FOLDER,
    InvalidFieldsError,
    InvalidInputError,
    storage_error,
)
from shared.csv_convert import convert, needs_conversion
from shared.csv_encodings import (
    DEFAULT_DELIMITER,
    DEFAULT_ENCODING,
    DELIMITERS,
    ENCODINGS,
    CsvOptionError,
    delimiter_named,
    encoding_named,
)
from shared.csv_format import CsvFormatError

# the two fields beside the file of every CSV upload's OpenAPI body
CSV_FORMAT_PROPERTIES: dict[str, Any] = {
    "encoding": {
        "type": "string",
        "enum": list(ENCODINGS),
        "default": DEFAULT_ENCODING,
        "description": "The file's text encoding (gbk and gb2312: gb18030, which covers "
        "them). Another than utf-8: the file is converted to UTF-8 as it is received.",
    },
    "delimiter": {
        "type": "string",
        "enum": list(DELIMITERS),
        "default": DEFAULT_DELIMITER,
        "description": "The file's column delimiter; a tab may also be sent as 'tab'. "
        "Another than a comma: the file is converted to commas as it is received.",
    },
}


async def receive_csv(
    request: Request, *, incoming_dir: Path, prefix: str, limit_bytes: int, body: dict[str, Any]
) -> UploadedFile:
    """`receive_upload` of a route whose `body` declares `CSV_FORMAT_PROPERTIES`: the
    file, converted to the canonical form when its `encoding` or `delimiter` field names
    another (its size and sha256 are then the converted file's). An encoding or delimiter
    not listed: 422, naming the listed ones; a file that is not text in its encoding or not
    CSV with its delimiter: 422 with the line. The caller owns the returned file."""
    upload = await receive_upload(
        request,
        incoming_dir=incoming_dir,
        prefix=prefix,
        limit_bytes=limit_bytes,
        fields=form_fields(body),
    )
    try:
        encoding, delimiter = _options(upload.fields)
    except InvalidFieldsError:
        await run_in_threadpool(upload.path.unlink, True)
        raise
    if not needs_conversion(encoding, delimiter):
        return upload
    target = incoming_dir / f"{prefix}{uuid.uuid4().hex}.part"
    try:
        size, sha256 = await run_in_threadpool(
            _convert, upload.path, target, encoding=encoding, delimiter=delimiter
        )
    except BaseException:
        await run_in_threadpool(target.unlink, True)
        raise
    finally:
        await run_in_threadpool(upload.path.unlink, True)
    return UploadedFile(
        path=target,
        filename=upload.filename,
        size_bytes=size,
        sha256=sha256,
        fields=upload.fields,
    )


def _options(fields: dict[str, str]) -> tuple[str, str]:
    errors: list[dict[str, Any]] = []
    encoding, delimiter = DEFAULT_ENCODING, DEFAULT_DELIMITER
    try:
        encoding = encoding_named(fields.get("encoding"))
    except CsvOptionError as exc:
        errors.append({"type": "enum", "loc": ("encoding",), "msg": str(exc)})
    try:
        delimiter = delimiter_named(fields.get("delimiter"))
    except CsvOptionError as exc:
        errors.append({"type": "enum", "loc": ("delimiter",), "msg": str(exc)})
    if errors:
        raise InvalidFieldsError(errors)
    return encoding, delimiter


def _convert(source: Path, target: Path, *, encoding: str, delimiter: str) -> tuple[int, str]:
    try:
        return convert(source, target, encoding=encoding, delimiter=delimiter)
    except CsvFormatError as exc:
        raise InvalidInputError(str(exc)) from None
    except OSError as exc:  # the converted file is written beside the upload
        raise storage_error(exc, "converting the upload failed", DATASETS_FOLDER) from exc

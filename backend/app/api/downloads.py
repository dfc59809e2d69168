"""Content-Disposition for files the API sends back, built from a client's upload name.

The name is the client's to choose: it may hold any character, a path, quotes or line
breaks. It is reduced to a plain file name, then written twice (RFC 6266): an ASCII
`filename="..."` for old clients and `filename*=UTF-8''...` (RFC 5987, percent-encoded)
that every current browser prefers. The header is ASCII whatever the name.
"""

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from shared.schemas.strings import printable

MAX_STEM_CHARS = 100
FALLBACK_STEM = "upload"
# not in a file name on Windows (nor a quote or backslash in a quoted-string)
_RESERVED = re.compile(r'[<>:"|?*]+')
# what may stand in a quoted ASCII fallback: no quote, backslash, separator or control
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,=@~-]+")


def attachment(upload_name: str, suffix: str) -> str:
    """`attachment; filename="<stem><suffix>"; filename*=UTF-8''<stem><suffix>` where
    stem is the upload name's, cleaned (suffix is the server's own, e.g. `_predictions.csv`)."""
    stem = clean_stem(upload_name)
    ascii_stem = _ascii(stem)
    return (
        f'attachment; filename="{ascii_stem}{suffix}"; '
        f"filename*=UTF-8''{quote(stem + suffix, safe='')}"
    )


def clean_stem(upload_name: str) -> str:
    """The last path segment without its extension, without control or format characters
    (a right-to-left override can disguise an extension) or characters Windows refuses in
    file names, trimmed and shortened."""
    name = re.split(r"[/\\]", upload_name)[-1]
    name = _RESERVED.sub("_", printable(name))
    stem = PurePosixPath(name).stem if "." in name.lstrip(".") else name
    stem = stem.strip(" .")[:MAX_STEM_CHARS].strip(" .")
    return stem or FALLBACK_STEM


def _ascii(stem: str) -> str:
    decomposed = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE_ASCII.sub("_", decomposed).strip(" ._")
    return cleaned or FALLBACK_STEM

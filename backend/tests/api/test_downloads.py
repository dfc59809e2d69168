"""Content-Disposition from hostile upload names: one ASCII filename, one UTF-8 filename*,
both plain file names, whatever the client sent."""

import email.message
import email.utils

import pytest

from app.api.downloads import attachment, clean_stem

SUFFIX = "_predictions.csv"


def parameters(header: str) -> tuple[list[str], list[str]]:
    """The filename and filename* values as the standard library's RFC 2231 parser reads them."""
    message = email.message.Message()
    message["content-disposition"] = header
    params = message.get_params(header="content-disposition") or []
    assert params[0] == ("attachment", "")
    plain = [v for k, v in params[1:] if k == "filename" and isinstance(v, str)]
    extended = [
        email.utils.collapse_rfc2231_value(v)
        for k, v in params[1:]
        if k == "filename" and isinstance(v, tuple)
    ]
    assert len(params) == 3, params  # nothing else got in
    return plain, extended


@pytest.mark.parametrize(
    ("upload_name", "ascii_name", "unicode_name"),
    [
        ("in.csv", "in_predictions.csv", "in_predictions.csv"),
        ("отчёт.csv", "upload_predictions.csv", "отчёт_predictions.csv"),
        ("café data.csv", "cafe data_predictions.csv", "café data_predictions.csv"),
        ("日本語 2024.csv", "2024_predictions.csv", "日本語 2024_predictions.csv"),
        ("a\nb.csv", "ab_predictions.csv", "ab_predictions.csv"),
        ("a\r\nX-Evil: 1.csv", "aX-Evil_ 1_predictions.csv", "aX-Evil_ 1_predictions.csv"),
        ("a\x00b.csv", "ab_predictions.csv", "ab_predictions.csv"),
        ("..\\..\\windows\\evil.csv", "evil_predictions.csv", "evil_predictions.csv"),
        ("../../etc/passwd", "passwd_predictions.csv", "passwd_predictions.csv"),
        ("report\u202egpj.exe", "reportgpj_predictions.csv", "reportgpj_predictions.csv"),
        ("", "upload_predictions.csv", "upload_predictions.csv"),
        ("...", "upload_predictions.csv", "upload_predictions.csv"),
        ("a\u00a0b\u2028c.csv", "a bc_predictions.csv", "a bc_predictions.csv"),
    ],
)
def test_names(upload_name: str, ascii_name: str, unicode_name: str) -> None:
    header = attachment(upload_name, SUFFIX)
    assert header.isascii() and header.isprintable()
    assert parameters(header) == ([ascii_name], [unicode_name])


@pytest.mark.parametrize(
    "upload_name",
    [
        "x\"; filename*=UTF-8''evil.exe;.csv",
        'x\\"; filename=evil.exe.csv',
        "x'; filename*=UTF-8''evil.exe",
        'q"u"o"t"e.csv',
    ],
)
def test_quotes_cannot_add_parameters(upload_name: str) -> None:
    header = attachment(upload_name, SUFFIX)
    (plain,), (extended,) = parameters(header)
    assert '"' not in plain and "\\" not in plain and ";" not in plain
    assert plain.endswith(SUFFIX) and extended.endswith(SUFFIX) and '"' not in extended
    assert extended == clean_stem(upload_name) + SUFFIX


def test_long_names_are_shortened() -> None:
    (plain,), (extended,) = parameters(attachment("ж" * 5000 + ".csv", SUFFIX))
    assert len(extended) <= 100 + len(SUFFIX)
    assert plain == "upload" + SUFFIX

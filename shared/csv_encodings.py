"""The text encodings and delimiters an uploaded CSV may come in (a fixed, documented
list), and, for a file whose bytes are not text in the encoding it was sent with, which
listed encoding they read as: proposed in the refusal, never applied. Standard library
only: the web UI proposes the same encoding as the server.
"""

import codecs
from collections.abc import Callable
from itertools import pairwise

DEFAULT_ENCODING = "utf-8"
DEFAULT_DELIMITER = ","
# the name a client sends: what it is (docs/api.md lists the same)
ENCODINGS: dict[str, str] = {
    "utf-8": "Unicode, UTF-8 (the default; a byte order mark is fine)",
    "utf-16": "Unicode, UTF-16 with a byte order mark (Excel's 'Unicode text')",
    "utf-16-le": "Unicode, UTF-16 little-endian, without a byte order mark",
    "utf-16-be": "Unicode, UTF-16 big-endian, without a byte order mark",
    "cp1251": "Cyrillic, Windows-1251 (a Russian Excel's CSV)",
    "koi8-r": "Cyrillic, KOI8-R",
    "cp866": "Cyrillic, DOS",
    "gb18030": "Chinese, simplified: GB18030, which covers GBK and GB2312",
    "big5": "Chinese, traditional: Big5",
    "shift_jis": "Japanese, Shift JIS",
    "cp1252": "Western European, Windows-1252",
    "latin-1": "Western European, ISO-8859-1",
}
# other names of the same (or a covering) encoding
_ALIASES = {
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "windows-1251": "cp1251",
    "koi8r": "koi8-r",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-1252": "cp1252",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
# the Python codec of each listed name (UTF-8: a byte order mark is dropped)
CODECS = {name: name for name in ENCODINGS} | {"utf-8": "utf-8-sig"}
UTF16 = ("utf-16", "utf-16-le", "utf-16-be")
# the character: its name (a client may send either)
DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_DELIMITER_NAMES = {name: char for char, name in DELIMITERS.items()} | {"pipe": "|"}

_GUESS_BYTES = 64 * 1024  # of the file's start: plenty of letters to tell the script
_LETTERS_MIN = 6  # beyond ASCII, in the decoded start: fewer do not tell an encoding
_SCRIPT_SHARE_MIN = 0.3  # of the letters, in the script the encoding is for
_LOWERCASE_MIN = 0.75  # of the Cyrillic letters: running text (the wrong table swaps the case)
_MIXED_MAX = 0.25  # of the pairs of letters with a Cyrillic one: Cyrillic next to Latin
_KANA_SHARE_MIN = 0.1  # of the letters: Japanese (Chinese has none)
_COMMON_HAN_MIN = 0.1  # of the Chinese characters: common ones (Chinese text: about half)
# Russian's ten most frequent letters: about 60 % of its letters, 15 % of nonsense's
_COMMON_RUSSIAN = frozenset("оеаинтсрвлОЕАИНТСРВЛ")
_COMMON_RUSSIAN_MIN = 0.35
_CHINESE = {"gb18030": "simplified", "big5": "traditional"}
# the most frequent Chinese characters, simplified and traditional forms: a good share of
# any Chinese text, few of the characters that another table's misreading gives
_COMMON_HAN = frozenset(
    "的一是不了人我在有他这這为為之大来來以个個中上们們到说說国國和地也子时時道出而要于"
    "就下得可你年生自会會那后後能对對着著事其里裡所去行过過家十用发發天如然作方成者多日都"
    "三小军軍二无無同么麼经經法当當起与與好看学學进進种種将將还還分此心前面又定见見只主没"
    "沒公从從很太非常买買卖賣质質量差品问問题題没钱錢服务務快慢新老最真"
)


class CsvOptionError(ValueError):
    """An encoding or delimiter that is not one of the listed ones; the message lists them."""


def encoding_named(value: str | None) -> str:
    """The listed encoding a client's value names (case and '_' or '-' do not matter;
    gbk and gb2312 are read as gb18030, which covers them); no value: UTF-8. An empty
    value is refused, not read as the default (curl's `-F 'delimiter=;'` sends one)."""
    if value is None:
        return DEFAULT_ENCODING
    text = value.strip().lower().replace("_", "-")
    name = _ALIASES.get(text, text)
    if name not in ENCODINGS:
        raise CsvOptionError(
            f"encoding {value!r} is not one of the supported ones: {', '.join(ENCODINGS)} "
            "(gbk and gb2312: gb18030)"
        )
    return name


def delimiter_named(value: str | None) -> str:
    """The listed delimiter a client's value is or names ('tab', 'semicolon', …); no
    value: a comma. An empty value is refused: curl's `-F 'delimiter=;'` sends one (its
    `;` starts an option), which read as the default would split the file wrongly."""
    if value is None:
        return DEFAULT_DELIMITER
    if value in DELIMITERS:
        return value
    char = _DELIMITER_NAMES.get(value.strip().lower())
    if not value:
        raise CsvOptionError(
            "delimiter is empty; with curl, send a semicolon as --form-string 'delimiter=;' "
            "or -F delimiter=semicolon (-F reads ';' as the start of an option)"
        )
    if char is None:
        raise CsvOptionError(
            f"delimiter {value!r} is not one of the supported ones: "
            "',' ';' tab '|' (or their names: comma, semicolon, tab, vertical bar)"
        )
    return char


def delimiter_word(delimiter: str) -> str:
    """How a message names a delimiter: `delimiter ;`, `delimiter tab`."""
    return "tab" if delimiter == "\t" else delimiter


def reads_as(head: bytes, *, besides: str = DEFAULT_ENCODING) -> str | None:
    """Which listed encoding (other than `besides`) the start of a file reads as, in
    words for a refusal ("it reads as Cyrillic text in cp1251: upload it with encoding
    cp1251"), when the bytes tell: they decode in it without an error, and the letters
    are those of the script it is for (Chinese characters for gb18030, Japanese kana for
    shift_jis, mostly lowercase Cyrillic letters for cp1251 and koi8-r: read in the other
    table, Russian text is mostly capitals). None when nothing fits."""
    sample = head[:_GUESS_BYTES]
    if not any(b >= 0x80 for b in sample):
        return None
    if besides != "utf-8" and _decoded(sample, "utf-8") is not None:
        return _hint("UTF-8 text", "utf-8")
    japanese = _decoded(sample, "shift_jis")
    if (
        besides != "shift_jis"
        and japanese is not None
        and _share(japanese, _is_kana) >= (_KANA_SHARE_MIN)
    ):
        return _hint("Japanese text", "shift_jis")
    chinese = _chinese(sample, besides)
    if chinese is not None:
        return chinese
    for encoding in ("cp1251", "koi8-r"):
        text = _decoded(sample, encoding)
        if encoding != besides and text is not None and _reads_as_russian(text):
            return _hint("Cyrillic text", encoding)
    western = _decoded(sample, "cp1252")
    if besides not in ("cp1252", "latin-1") and western is not None:
        high = [ch for ch in western if ord(ch) >= 0x80]
        if high and sum(ch.isalpha() for ch in high) / len(high) >= 0.9:
            return _hint("Western European text", "cp1252")
    return None


def not_text_message(encoding: str, byte: int, line: int, head: bytes) -> str:
    """The refusal of a file whose bytes are not text in `encoding`: where, and the
    listed encoding its start reads as, when the bytes tell (`reads_as`)."""
    name = "UTF-8" if encoding == DEFAULT_ENCODING else encoding
    hint = reads_as(head, besides=encoding)
    if hint is not None:
        fix = f"{hint}, or save it as UTF-8"
    elif encoding == DEFAULT_ENCODING:
        fix = "save it as UTF-8 and upload it again"
    else:
        fix = "upload it with the encoding it was saved in, or save it as UTF-8"
    return f"the file is not {name} text (invalid byte 0x{byte:02x} on line {line}); {fix}"


def _chinese(sample: bytes, besides: str) -> str | None:
    """gb18030 or big5, whichever decodes into Chinese characters, and of them the one
    whose characters are the common ones (GB bytes read as Big5, or the other way round,
    are Chinese characters too, but rare ones: so are Russian letters' bytes read as
    GB18030); both, when that does not tell."""
    scores = {}
    for encoding in ("gb18030", "big5"):
        text = _decoded(sample, encoding)
        if (
            encoding != besides
            and text is not None
            and _share(text, _is_han) >= (_SCRIPT_SHARE_MIN)
        ):
            han = [ch for ch in text if _is_han(ch)]
            scores[encoding] = sum(ch in _COMMON_HAN for ch in han) / len(han)
    best = max(scores, key=lambda e: scores[e], default=None)
    if best is None or scores[best] < _COMMON_HAN_MIN:
        return None
    if all(scores[e] * 2 <= scores[best] for e in scores if e != best):
        return _hint(f"Chinese text ({_CHINESE[best]})", best)
    return (
        "it reads as Chinese text in gb18030 (simplified) or big5 (traditional): "
        "upload it with the encoding it was saved in"
    )


def _hint(what: str, encoding: str) -> str:
    return f"it reads as {what} in {encoding}: upload it with encoding {encoding}"


def _decoded(sample: bytes, encoding: str) -> str | None:
    """The sample decoded strictly (a character cut off at its end is no error); None
    when it does not decode, or holds too few letters beyond ASCII to tell."""
    try:
        text = codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    letters = sum(ch.isalpha() and ord(ch) >= 0x80 for ch in text)
    return text if letters >= _LETTERS_MIN else None


def _share(text: str, in_script: Callable[[str], bool]) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(in_script(ch) for ch in letters) / len(letters) if letters else 0.0


def _reads_as_russian(text: str) -> bool:
    """Mostly Cyrillic letters, mostly lowercase, the frequent ones of Russian, in words of
    their own: accented Latin letters read in a Cyrillic table are Cyrillic letters inside
    Latin words, Chinese characters' bytes read so are rare letters."""
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = [ch for ch in letters if _is_cyrillic(ch)]
    if not cyrillic or len(cyrillic) / len(letters) < _SCRIPT_SHARE_MIN:
        return False
    if sum(ch.islower() for ch in cyrillic) / len(cyrillic) < _LOWERCASE_MIN:
        return False
    if sum(ch in _COMMON_RUSSIAN for ch in cyrillic) / len(cyrillic) < _COMMON_RUSSIAN_MIN:
        return False
    pairs = [
        (a, b)
        for a, b in pairwise(text)
        if a.isalpha() and b.isalpha() and (_is_cyrillic(a) or _is_cyrillic(b))
    ]
    mixed = sum(_is_cyrillic(a) != _is_cyrillic(b) for a, b in pairs)
    return not pairs or mixed / len(pairs) < _MIXED_MAX


def _is_cyrillic(ch: str) -> bool:
    return 0x400 <= ord(ch) <= 0x4FF


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _is_kana(ch: str) -> bool:
    return 0x3040 <= ord(ch) <= 0x30FF

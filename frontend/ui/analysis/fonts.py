"""A font for words in scripts the word-cloud library's own font lacks (Chinese, Japanese,
Korean: it draws them as empty boxes). The images are drawn here, on the server, so the
reader's fonts cannot help: a font installed on this machine that has the characters is
used (Debian: `fonts-wqy-microhei` or `fonts-noto-cjk`), else no cloud is drawn for those
words and the page says what to install."""

import re
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError
from matplotlib import font_manager

# the scripts without spaces that language detection also treats apart (analysis.language)
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_PROBE = "的"  # the commonest Chinese character: a font that lacks it is no help here
INSTALL_HINT = "fonts-wqy-microhei or fonts-noto-cjk (Debian, Ubuntu)"


def needs_wide_font(words: list[str]) -> bool:
    """Whether some of the words are in a script the default font lacks."""
    return any(_WIDE.search(word) for word in words)


@cache
def wide_font(folders: tuple[str, ...] | None = None) -> str | None:
    """The path of an installed font that has Chinese characters, searched once (in
    `folders`, or the system's font folders), or None."""
    found = font_manager.findSystemFonts(fontpaths=None if folders is None else list(folders))
    for path in sorted(found):
        if _covers(Path(path), _PROBE):
            return path
    return None


def _covers(path: Path, character: str) -> bool:
    try:
        font = TTFont(path, fontNumber=0, lazy=True)
    except (TTLibError, OSError, ValueError):
        return False
    try:
        cmap = font.getBestCmap() or {}
    except Exception:  # a broken table in one font file: not the font to use
        return False
    finally:
        font.close()
    return ord(character) in cmap

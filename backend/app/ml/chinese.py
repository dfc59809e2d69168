"""Chinese word segmentation with jieba: one dictionary load per process and per set of
user words, no download, deterministic.

jieba ships its dictionary inside the package; loading it builds a prefix dictionary (about
a second) that jieba caches as a file. The cache goes where `use_cache_dir` says (the models
directory, set by training and by bundle loading), never a shared temporary folder, unless
nothing set one.
"""

import logging
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)  # it logs every dictionary load at DEBUG to stderr
log = logging.getLogger(__name__)

CACHE_DIR_NAME = "jieba"  # in the models directory
_lock = threading.Lock()
_cache_dir: Path | None = None
# distinct new_words lists whose tokenizer stays loaded (each holds the whole dictionary)
_TOKENIZERS_KEPT = 4


def use_cache_dir(directory: Path) -> None:
    """Where jieba keeps its dictionary cache from now on (tokenizers already loaded keep
    theirs in memory)."""
    global _cache_dir
    with _lock:
        _cache_dir = directory


def _cache_path() -> Path:
    """Made when jieba first needs it: a fit of English text leaves no folder behind."""
    if _cache_dir is None:
        return Path(tempfile.gettempdir())
    _cache_dir.mkdir(parents=True, exist_ok=True)
    return _cache_dir


@lru_cache(maxsize=_TOKENIZERS_KEPT)
def _tokenizer(new_words: tuple[str, ...]) -> jieba.Tokenizer:
    """A tokenizer with jieba's dictionary plus `new_words`, in their order (each added with
    the frequency that lets jieba keep it whole)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(_cache_path())
    tokenizer.initialize()
    for word in new_words:
        tokenizer.add_word(word)
        tokenizer.suggest_freq(word, tune=True)
    log.info("jieba dictionary loaded (%d user words)", len(new_words))
    return tokenizer


def tokenizer_for(new_words: Sequence[str]) -> jieba.Tokenizer:
    with _lock:  # one load per process even when threads ask at once
        return _tokenizer(tuple(new_words))


def segment(text: str, new_words: Sequence[str] = ()) -> list[str]:
    """The words of `text` (HMM on, for unknown words), without the whitespace between."""
    return [w for w in tokenizer_for(new_words).cut(text, HMM=True) if not w.isspace()]

"""Chinese words for the EDA, with jieba (its dictionary ships in the package: nothing
downloads). Counting characters says little of Chinese text: "质量很好" is the words 质量,
很 and 好, where its characters are four.

Loading the dictionary builds a prefix dictionary (about a second, once per process) that
jieba caches as a file: here in a folder of this process's own, never a fixed name in a
temporary folder other users share.
"""

import logging
import tempfile
import threading
from functools import cache

import jieba

jieba.setLogLevel(logging.WARNING)  # it logs every dictionary load at DEBUG to stderr
_lock = threading.Lock()


@cache
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.mkdtemp(prefix="eda-jieba-")
    tokenizer.initialize()
    return tokenizer


def words(text: str) -> list[str]:
    """The words of `text` as jieba cuts it (HMM on, for words its dictionary lacks),
    whitespace left out."""
    with _lock:  # one dictionary load when several sessions ask at once
        tokenizer = _tokenizer()
    return [w for w in tokenizer.cut(text, HMM=True) if not w.isspace()]

"""`tokenizer: auto`: which script the training texts are written in, and the preprocessing
(and TF-IDF analyzer) a fit then uses. Decided once, from the raw training texts, before any
cleaning; the resolved choice is what the model stores, so prediction never detects again.

Chinese is written without spaces, so the word pattern takes whole clauses as one token
(held-out ROC AUC 0.70 on zh_reviews_8k). Character 1-3-grams do best for TF-IDF kinds
(ROC AUC 0.905 on the fit's test split, 0.914 on the separate holdout file; jieba words
0.905 / 0.913; docs/performance.md): they are chosen when the kind would otherwise use
the word analyzer. Keras kinds split on spaces, so they get jieba's
words, as does any fit that names `new_words` (the user wants words kept whole) or the
`chinese` stop-word list (its entries are jieba's words: character n-grams of unsplit
text have no words to drop).
"""

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from shared.schemas import PreprocessingConfig
from shared.schemas.language import Language, LanguageChoice
from shared.schemas.params import ModelParams, SgdParams, TfidfParams

# the kinds whose analyzer counts n-grams of text (Keras kinds split on spaces)
NGRAM_PARAMS = (TfidfParams, SgdParams)

log = logging.getLogger(__name__)

SAMPLE_TEXTS = 2000  # texts looked at, evenly spread over the data
SAMPLE_CHARS = 300  # from the start of each
HAN_SHARE_MIN = 0.3  # of the letters: Chinese
CYRILLIC_SHARE_MIN = 0.5  # of the letters: Russian
CHINESE_NGRAMS = (1, 3)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    return "other"


def detect_language(texts: Sequence[object] | pd.Series) -> tuple[Language, float]:
    """The language of most of `texts` (a list or a pandas Series) by script, and the
    share of the letters in that script."""
    step = max(1, len(texts) // SAMPLE_TEXTS)
    counts = _letters_by_script(list(texts)[::step])
    letters = sum(counts.values())
    if not letters:
        return "other", 0.0
    han, cyrillic = counts["han"] / letters, counts["cyrillic"] / letters
    if han >= HAN_SHARE_MIN:
        return "zh", round(han, 4)
    if cyrillic >= CYRILLIC_SHARE_MIN:
        return "ru", round(cyrillic, 4)
    return "other", round(counts["other"] / letters, 4)


def _letters_by_script(texts: Sequence[object]) -> dict[str, int]:
    """The letters of the texts' first SAMPLE_CHARS characters, counted by script."""
    counts = {"han": 0, "cyrillic": 0, "other": 0}
    for value in texts:
        if isinstance(value, str):
            for ch in value[:SAMPLE_CHARS]:
                script = _script(ch)
                if script is not None:
                    counts[script] += 1
    return counts


# a model's training language: the script it is written in, as a warning names them
SCRIPTS = {
    "zh": ("han", "Chinese", "Chinese characters"),
    "ru": ("cyrillic", "Russian", "Cyrillic letters"),
}
# below this share of its letters in the model's script, a text is hardly in its language
# (a Chinese review may name a brand in Latin letters: it is still Chinese)
TEXT_SCRIPT_MIN = 0.1


def script_warning(text: str, model_language: str | None) -> str | None:
    """A text written in another script than the model's training texts (a Chinese model
    asked about an English text): its character n-grams may still be "known" (Latin
    letters occur in Chinese reviews), yet they say little. None when the scripts agree,
    the text has no letters, or the model's language is not Chinese or Russian (a text
    in another script has no known words there, and that is warned about)."""
    if model_language not in SCRIPTS:
        return None
    counts = _letters_by_script([text])
    letters = sum(counts.values())
    key, name, script = SCRIPTS[model_language]
    if not letters or counts[key] / letters >= TEXT_SCRIPT_MIN:
        return None
    return (
        f"the model was trained on {name} texts and this one is hardly written in {script}: "
        "the answer is unreliable"
    )


def _words_asked(config: PreprocessingConfig) -> str:
    """Why a fit that could count character n-grams splits words: what the config asks."""
    asked = [
        *(["new_words given"] if config.new_words else []),
        *(["the chinese stop-word list"] if "chinese" in config.stop_words else []),
    ]
    return f" ({', '.join(asked)})" if asked else ""


@dataclass
class Resolved:
    preprocessing: PreprocessingConfig
    params: ModelParams
    choice: LanguageChoice | None  # None when the tokenizer was given, not detected


def resolve_auto(
    config: PreprocessingConfig, params: ModelParams, texts: Sequence[object] | pd.Series
) -> Resolved:
    """The preprocessing and params a fit uses: `config` and `params` unchanged unless the
    tokenizer is `auto`; then the detected language decides (and says so in the log)."""
    if config.tokenizer != "auto":
        return Resolved(config, params, None)
    language, share = detect_language(texts)
    tokenizer: Literal["regex", "jieba"] = "regex"
    # the Chinese stop-word list holds jieba's words: only jieba's split has them to remove
    wants_words = bool(config.new_words) or "chinese" in config.stop_words
    if language == "zh" and (wants_words or not isinstance(params, NGRAM_PARAMS)):
        tokenizer = "jieba"
        why = "Chinese: jieba words" + _words_asked(config)
    elif language == "zh" and isinstance(params, NGRAM_PARAMS) and params.analyzer == "word":
        params = params.model_copy(update={"analyzer": "char", "ngram_range": CHINESE_NGRAMS})
        why = "Chinese: character 1-3-grams instead of the word analyzer"
    elif language == "zh":
        why = "Chinese: the character analyzer as given"
    else:
        why = f"{'Russian' if language == 'ru' else 'not Chinese'}: the word pattern"
    choice = LanguageChoice(
        detected=language,
        script_share=share,
        tokenizer=tokenizer,
        analyzer=params.analyzer if isinstance(params, NGRAM_PARAMS) else None,
        ngram_range=params.ngram_range if isinstance(params, NGRAM_PARAMS) else None,
        reason=why,
    )
    log.info("tokenizer auto: detected %s (script share %.2f); %s", language, share, why)
    return Resolved(config.model_copy(update={"tokenizer": tokenizer}), params, choice)

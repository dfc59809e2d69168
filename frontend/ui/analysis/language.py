"""The language of a dataset's texts, and what the EDA can do in it: stop words (English,
Russian, simplified Chinese), word splitting (jieba for Chinese), parts of speech.

`langdetect` (a port of Google's language-detection) ships its 55 language profiles in
the wheel: nothing downloads. It guesses per text; the dataset's language is the most
common guess over a fixed random sample, so the answer does not change between runs.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from shared.stopwords import CHINESE as CHINESE_STOP_WORDS
from shared.stopwords import RUSSIAN
from ui.analysis.chinese import words as chinese_words

Splitter = Callable[[str], list[str]]
SAMPLE_TEXTS = 200
MIN_SHARE = 0.15  # of a mixed corpus, a language whose stop words count
MIN_CHARS = 20  # shorter texts are guessed poorly; used only when nothing longer exists
# ... but a character of Han, kana or Hangul is a syllable or a word: 6 of them tell (a
# short Chinese review would otherwise leave the sample to the other language of a mix)
MIN_DENSE_CHARS = 6
DENSE_CHARACTER = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"

# scikit-learn's English list has no contractions; these are as empty as its words
CONTRACTIONS = frozenset(
    """ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll he's
    here's how's i'd i'll i'm i've isn't it'd it'll it's let's mustn't needn't she'd she'll
    she's shouldn't that'll that's there's they'd they'll they're they've wasn't we'd we'll
    we're we've weren't what's where's who's won't wouldn't you'd you'll you're you've""".split()  # noqa: SIM905
)
ENGLISH = frozenset(ENGLISH_STOP_WORDS) | CONTRACTIONS
# every language langdetect knows (its profiles), by name
NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "kn": "Kannada", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian",
    "mk": "Macedonian", "ml": "Malayalam", "mr": "Marathi", "ne": "Nepali", "nl": "Dutch",
    "no": "Norwegian", "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "so": "Somali",
    "sq": "Albanian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "vi": "Vietnamese", "zh-cn": "Chinese", "zh-tw": "Chinese (traditional)",
}  # fmt: skip
# The Chinese list is jieba's words in the simplified script, as the EDA splits Chinese:
# traditional text (zh-tw) writes many of them otherwise (們, 這, 個), so it gets none,
# rather than a list that leaves out half its function words yet is named as its own
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": ENGLISH,
    "ru": RUSSIAN,
    "zh-cn": CHINESE_STOP_WORDS,
}
SHIPPED = "English, Russian and Chinese (simplified)"  # the lists, in words
# written without spaces between words: Chinese split into words by jieba, Japanese
# counted character by character (no segmenter for it here)
UNSPACED = frozenset({"zh-cn", "zh-tw", "ja"})
CHINESE = frozenset({"zh-cn", "zh-tw"})
WORD_PATTERN = r"[^\W\d_]+(?:'[^\W\d_]+)+|[^\W\d_]{2,}"
# one Han, Hiragana or Katakana character, or a word of another script
CHARACTER_PATTERN = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|" + WORD_PATTERN
# what jieba cuts and the EDA keeps: a word of Han characters (one is a word: 好), or a
# word of another script
CHINESE_WORD_PATTERN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|" + WORD_PATTERN
TAGGED = frozenset({"en"})  # languages with a part-of-speech tagger installed (TextBlob's)


@dataclass(frozen=True)
class Language:
    code: str | None  # langdetect's code ("en", "zh-cn"); None when it could not tell

    @property
    def name(self) -> str:
        if self.code is None:
            return "unknown"
        return NAMES.get(self.code, self.code)

    @property
    def stop_words(self) -> frozenset[str]:
        return STOP_WORDS.get(self.code or "", frozenset())

    @property
    def has_stop_words(self) -> bool:
        return bool(self.stop_words)

    @property
    def token_pattern(self) -> str:
        """The tokens counted: of jieba's words for Chinese (`split`), else of the text."""
        if self.code in CHINESE:
            return CHINESE_WORD_PATTERN
        return CHARACTER_PATTERN if self.code in UNSPACED else WORD_PATTERN

    @property
    def split(self) -> Splitter | None:
        """How a text is cut into words before the pattern keeps some (None: the pattern
        finds them in the text)."""
        return chinese_words if self.code in CHINESE else None

    @property
    def counts_characters(self) -> bool:
        """Written without spaces and without a segmenter here: counted by character."""
        return self.code in UNSPACED and self.code not in CHINESE

    @property
    def has_tagger(self) -> bool:
        return self.code in TAGGED


def word_splitter(split: Splitter | None, token_pattern: str) -> Splitter | None:
    """A text's words as the EDA counts them, for a vectorizer: lower-cased, cut by
    `split` and kept where `token_pattern` matches whole; None without a `split` (the
    vectorizer's own word pattern serves)."""
    if split is None:
        return None
    keep = re.compile(token_pattern)
    return lambda text: [w for w in split(text.lower()) if keep.fullmatch(w)]


@dataclass(frozen=True)
class LanguageMix:
    """The languages of a corpus that mixes several (a QA dataset in English and Russian),
    each with its share of the sampled texts, the most common first."""

    shares: tuple[tuple[Language, float], ...]

    @property
    def main(self) -> Language:
        return self.shares[0][0] if self.shares else Language(None)

    @property
    def present(self) -> list[Language]:
        """The languages of at least MIN_SHARE of the texts (the main one always)."""
        kept = [lang for lang, share in self.shares if share >= MIN_SHARE]
        return kept or [self.main]

    @property
    def stop_words(self) -> frozenset[str]:
        return frozenset().union(*(lang.stop_words for lang in self.present))

    @property
    def stop_word_lists(self) -> list[str]:
        return [lang.name for lang in self.present if lang.has_stop_words]

    @property
    def token_pattern(self) -> str:
        # either unspaced pattern also finds the words of spaced scripts
        if self.split is not None:
            return CHINESE_WORD_PATTERN
        unspaced = any(lang.code in UNSPACED for lang in self.present)
        return CHARACTER_PATTERN if unspaced else WORD_PATTERN

    @property
    def split(self) -> Splitter | None:
        """jieba's words when Chinese is present (jieba keeps other scripts' words whole)."""
        return chinese_words if any(lang.code in CHINESE for lang in self.present) else None

    def describe(self) -> str:
        """The languages present with their shares; the rare guesses only counted."""
        if not self.shares:
            return "unknown"
        present = self.present
        shown = ", ".join(
            f"{lang.name} {share:.0%}" for lang, share in self.shares if lang in present
        )
        rare = len(self.shares) - len(present)
        return shown + (f" (and {rare} more, each under {MIN_SHARE:.0%})" if rare else "")


def detect_languages(texts: pd.Series, *, sample: int = SAMPLE_TEXTS, seed: int = 0) -> LanguageMix:
    """Every language langdetect guesses over a fixed random sample, with its share."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = seed  # langdetect is random otherwise
    texts = texts.fillna("").astype(str).str.strip()
    longer = texts[
        (texts.str.len() >= MIN_CHARS) | (texts.str.count(DENSE_CHARACTER) >= MIN_DENSE_CHARS)
    ]
    pool = longer if len(longer) else texts[texts.str.len() > 0]
    if pool.empty:
        return LanguageMix(())
    picked = pool.sample(n=min(sample, len(pool)), random_state=seed)
    votes: Counter[str] = Counter()
    for text in picked:
        try:
            votes[detect(text[:1000])] += 1
        except LangDetectException:  # no letters to go by
            continue
    total = sum(votes.values())
    return LanguageMix(tuple((Language(code), n / total) for code, n in votes.most_common()))


def detect_language(texts: pd.Series, *, sample: int = SAMPLE_TEXTS, seed: int = 0) -> Language:
    """The most common language of a fixed random sample of the texts."""
    return detect_languages(texts, sample=sample, seed=seed).main

"""What the Train page says of the texts' languages and of preprocessing choices that do not
fit them: jieba on texts that are not Chinese, a stemmer or a stop-word list of another
language, the Chinese list on Chinese texts that the regex tokenizer leaves unsplit, texts
of Chinese and of a spaced script in one dataset. The fit accepts them all; the page says
before Train what they will do."""

from typing import Any

from ui.analysis.language import CHINESE, MIN_SHARE, UNSPACED, Language, LanguageMix

# the languages each stemmer and stop-word list is for, as langdetect names them (the
# Chinese list is simplified, yet most of its words are written alike in traditional)
LIST_LANGUAGES: dict[str, frozenset[str]] = {
    "english": frozenset({"en"}),
    "russian": frozenset({"ru"}),
    "chinese": CHINESE,
}


def mismatches(preprocessing: dict[str, Any], lang: Language) -> list[str]:
    """A sentence per choice that does not fit texts in `lang` (none when it is unknown)."""
    if lang.code is None:
        return []
    said = []
    if preprocessing.get("tokenizer") == "jieba" and lang.code not in CHINESE:
        said.append(
            f"**Split words with: jieba** on {lang.name} texts: jieba segments Chinese, and "
            "cuts other scripts into single letters. Pick auto or regex."
        )
    stemming = preprocessing.get("stemming", "none")
    if stemming in LIST_LANGUAGES and lang.code not in LIST_LANGUAGES[stemming]:
        said.append(
            f"**Reduce words to stems: {stemming}** on {lang.name} texts: the stemmer knows "
            f"only {stemming} words, so it changes {lang.name} ones little or wrongly."
        )
    for name in preprocessing.get("stop_words", []):
        if name in LIST_LANGUAGES and lang.code not in LIST_LANGUAGES[name]:
            said.append(
                f"**The {name} stop-word list** on {lang.name} texts removes none of their words."
            )
        elif name == "chinese" and preprocessing.get("tokenizer") == "regex":
            said.append(
                "**The chinese stop-word list** with **Split words with: regex** removes "
                "nothing from Chinese texts: the list holds jieba's words, and the word "
                "pattern takes a whole clause as one word. Pick auto or jieba."
            )
    return said


def _present(mix: LanguageMix) -> list[tuple[Language, float]]:
    return [(lang, share) for lang, share in mix.shares if share >= MIN_SHARE]


def languages_read(mix: LanguageMix) -> str:
    """The language the texts read as, in bold, or each of a mix with its share."""
    present = _present(mix)
    if len(present) < 2:
        return f"**{mix.main.name}**"
    return ", ".join(f"**{lang.name}** ({share:.0%})" for lang, share in present)


def mixed_scripts(mix: LanguageMix) -> str | None:
    """A warning when the texts mix a language written without spaces (Chinese, Japanese)
    with one written with them: a model splits every text one way."""
    present = [lang for lang, _ in _present(mix)]
    unspaced = [lang.name for lang in present if lang.code in UNSPACED]
    spaced = [lang.name for lang in present if lang.code not in UNSPACED]
    if not unspaced or not spaced:
        return None
    return (
        f"**The texts mix {' and '.join(unspaced)} with {' and '.join(spaced)}.** A model "
        "splits every text one way, chosen for the training texts as a whole (with **auto**, "
        "from the share of Chinese characters): words between spaces leave Chinese clauses "
        "whole, and jieba cuts other scripts into single letters. One model per language "
        "does best; for one model of both, **Split texts into: char** (character n-grams) "
        "reads either script."
    )

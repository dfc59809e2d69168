"""What the Train page says of preprocessing choices that do not fit the texts' language:
jieba on texts that are not Chinese, a stemmer or a stop-word list of another language.
The fit accepts them all; the page says before Train what they will do."""

from typing import Any

from ui.analysis.language import CHINESE, Language

# the language each stemmer and stop-word list is for, as langdetect names it
LIST_LANGUAGES = {"english": "en", "russian": "ru"}


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
    if stemming in LIST_LANGUAGES and LIST_LANGUAGES[stemming] != lang.code:
        said.append(
            f"**Reduce words to stems: {stemming}** on {lang.name} texts: the stemmer knows "
            f"only {stemming} words, so it changes {lang.name} ones little or wrongly."
        )
    for name in preprocessing.get("stop_words", []):
        if LIST_LANGUAGES.get(name) not in (None, lang.code):
            said.append(
                f"**The {name} stop-word list** on {lang.name} texts removes none of their words."
            )
    return said

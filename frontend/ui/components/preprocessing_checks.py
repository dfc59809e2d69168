"""What the Train page says of preprocessing choices that do not fit the texts' language:
jieba on texts that are not Chinese, a stemmer or a stop-word list of another language,
the Chinese list on Chinese texts that the regex tokenizer leaves unsplit. The fit
accepts them all; the page says before Train what they will do."""

from typing import Any

from ui.analysis.language import CHINESE, Language

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

"""Where each feature of a fitted text vectorizer comes from in the text it vectorised.

Generic over what the pipeline's feature step is: one CountVectorizer/TfidfVectorizer, or a
FeatureUnion of them (e.g. word n-grams beside char_wb n-grams); the features of a union
are its parts' features one after the other, as `get_feature_names_out` lists them. Only the
features asked about are located: a word n-gram is found as the run of tokens (from
`token_pattern` or the tokenizer, as scikit-learn's analyzer makes them) that spells it; a
character n-gram, by its term: for char_wb as a piece of one word (a space in the term marks
the word's start or end), for char in the text with whitespace runs squeezed as the analyzer
sees it.
"""

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import FeatureUnion

Span = tuple[int, int]
_WHITE_RUNS = re.compile(r"\s\s+", re.UNICODE)


class UnsupportedFeaturesError(ValueError):
    """The feature step is not made of scikit-learn text vectorizers this module knows."""


@dataclass(frozen=True)
class VectorizerBlock:
    """One vectorizer and the index of its first feature in the whole feature vector."""

    vectorizer: CountVectorizer
    offset: int

    @property
    def size(self) -> int:
        return len(self.vectorizer.vocabulary_)


def vectorizer_blocks(step: object, offset: int = 0) -> list[VectorizerBlock]:
    if isinstance(step, CountVectorizer):  # TfidfVectorizer is one
        if callable(step.analyzer):
            raise UnsupportedFeaturesError("a vectorizer with a custom analyzer")
        return [VectorizerBlock(step, offset)]
    if isinstance(step, FeatureUnion):
        blocks: list[VectorizerBlock] = []
        for _, part in step.transformer_list:
            if part == "drop":
                continue
            inner = vectorizer_blocks(part, offset)
            offset = inner[-1].offset + inner[-1].size if inner else offset
            blocks += inner
        return blocks
    raise UnsupportedFeaturesError(f"a feature step of type {type(step).__name__}")


def _tokens(vectorizer: CountVectorizer, text: str) -> list[tuple[str, Span]]:
    if vectorizer.tokenizer is None:
        pattern = re.compile(vectorizer.token_pattern)
        group = 1 if pattern.groups == 1 else 0  # scikit-learn keeps a single group
        return [(m.group(group), m.span(group)) for m in pattern.finditer(text)]
    found: list[tuple[str, Span]] = []
    position = 0
    for token in vectorizer.build_tokenizer()(text):  # a tokenizer's tokens, in order
        start = text.find(token, position)
        if start < 0:
            continue
        found.append((token, (start, start + len(token))))
        position = start + len(token)
    return found


def _word_spans(
    vectorizer: CountVectorizer, text: str, terms: dict[int, str]
) -> dict[int, list[Span]]:
    """Where each word n-gram term occurs: runs of consecutive tokens (stop words of the
    vectorizer left out, as its analyzer does) that spell it."""
    stop = vectorizer.get_stop_words()
    tokens = _tokens(vectorizer, text)
    if stop:
        tokens = [t for t in tokens if t[0] not in stop]
    starts: dict[str, list[int]] = {}
    for i, (token, _) in enumerate(tokens):
        starts.setdefault(token, []).append(i)
    found: dict[int, list[Span]] = {}
    for index, term in terms.items():
        words = term.split(" ")
        for i in starts.get(words[0], []):
            group = tokens[i : i + len(words)]
            if [t for t, _ in group] == words:
                found.setdefault(index, []).append((group[0][1][0], group[-1][1][1]))
    return found


_TERMS: "weakref.WeakKeyDictionary[CountVectorizer, dict[int, str]]" = weakref.WeakKeyDictionary()


def _terms_by_index(vectorizer: CountVectorizer) -> dict[int, str]:
    """The fitted vocabulary turned round, once per vectorizer."""
    terms = _TERMS.get(vectorizer)
    if terms is None:
        terms = {int(i): term for term, i in vectorizer.vocabulary_.items()}
        _TERMS[vectorizer] = terms
    return terms


def _word_part_spans(text: str, term: str) -> list[Span]:
    """Where a char_wb n-gram was counted from. char_wb makes its n-grams inside each word
    (whitespace-separated, as `str.split` splits) padded with a space either side, so a
    term is a piece of one word: a leading space marks the word's start, a trailing one its
    end. Its spans are the piece's occurrences in `text` that meet those marks."""
    core = term.strip(" ")
    if not core or any(c.isspace() for c in core):
        return []
    at_start, at_end = term.startswith(" "), term.endswith(" ")
    spans: list[Span] = []
    start = text.find(core)
    while start >= 0:
        end = start + len(core)
        if (not at_start or start == 0 or text[start - 1].isspace()) and (
            not at_end or end == len(text) or text[end].isspace()
        ):
            spans.append((start, end))
        start = text.find(core, start + 1)
    return spans


def _squeezed(text: str) -> tuple[str, list[int]]:
    """char's view of a text: runs of whitespace as one space, with each character's origin."""
    parts: list[str] = []
    origin: list[int] = []
    position = 0
    for run in _WHITE_RUNS.finditer(text):
        parts.append(text[position : run.start()] + " ")
        origin.extend(range(position, run.start() + 1))
        position = run.end()
    parts.append(text[position:])
    origin.extend(range(position, len(text)))
    return "".join(parts), origin


def _occurrences(haystack: str, origin: list[int], term: str) -> list[Span]:
    """Spans (in the text `origin` points into) of every occurrence of `term`, overlapping
    ones too."""
    spans: list[Span] = []
    last = len(term) - 1
    start = haystack.find(term)
    while start >= 0:
        spans.append((origin[start], origin[start + last] + 1))
        start = haystack.find(term, start + 1)
    return spans


def _block_spans(block: VectorizerBlock, text: str, wanted: list[int]) -> dict[int, list[Span]]:
    vectorizer = block.vectorizer
    prepared = vectorizer.build_preprocessor()(text)
    if len(prepared) != len(text):
        raise UnsupportedFeaturesError("a vectorizer preprocessor that changes the length")
    vocabulary = _terms_by_index(vectorizer)
    terms = {j: vocabulary[j - block.offset] for j in wanted}
    if vectorizer.analyzer == "word":
        return _word_spans(vectorizer, prepared, terms)
    if vectorizer.analyzer == "char_wb":
        return {j: _word_part_spans(prepared, term) for j, term in terms.items()}
    haystack, origin = _squeezed(prepared)
    return {j: _occurrences(haystack, origin, term) for j, term in terms.items()}


def feature_spans(
    blocks: list[VectorizerBlock], text: str, wanted: Iterable[int]
) -> dict[int, tuple[str, list[Span]]]:
    """For each wanted feature index (in the whole vector): its term and the spans of
    `text` it was counted from."""
    out: dict[int, tuple[str, list[Span]]] = {}
    wanted = sorted(set(wanted))
    for block in blocks:
        mine = [j for j in wanted if block.offset <= j < block.offset + block.size]
        if not mine:
            continue
        terms = _terms_by_index(block.vectorizer)
        spans = _block_spans(block, text, mine)
        for j in mine:
            out[j] = (terms[j - block.offset], spans.get(j, []))
    return out

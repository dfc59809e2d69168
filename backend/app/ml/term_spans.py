"""Where each feature of a fitted text vectorizer comes from in the text it vectorised.

Generic over what the pipeline's feature step is: one CountVectorizer/TfidfVectorizer, or a
FeatureUnion of them (e.g. word n-grams beside char_wb n-grams); the features of a union
are its parts' features one after the other, as `get_feature_names_out` lists them. The
n-grams are produced again the way scikit-learn's analyzers make them (word tokens from
`token_pattern` or the tokenizer, joined by spaces; char_wb n-grams of each space-padded
word; char n-grams of the whitespace-squeezed text), each with its character span, and
looked up in the fitted `vocabulary_`.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import FeatureUnion

Span = tuple[int, int]
_WORDS = re.compile(r"\S+", re.UNICODE)
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


def _word_ngrams(vectorizer: CountVectorizer, text: str) -> Iterator[tuple[str, Span]]:
    stop = vectorizer.get_stop_words()
    tokens = _tokens(vectorizer, text)
    if stop:
        tokens = [t for t in tokens if t[0] not in stop]
    low, high = vectorizer.ngram_range
    for n in range(low, high + 1):
        for i in range(len(tokens) - n + 1):
            group = tokens[i : i + n]
            yield " ".join(t for t, _ in group), (group[0][1][0], group[-1][1][1])


def _char_wb_ngrams(vectorizer: CountVectorizer, text: str) -> Iterator[tuple[str, Span]]:
    low, high = vectorizer.ngram_range
    for match in _WORDS.finditer(text):
        word, start = match.group(), match.start()
        padded = f" {word} "
        for n in range(low, high + 1):
            last = max(len(padded) - n, 0)
            for o in range(last + 1):
                # padded[o:o+n] covers word[o-1 : o+n-1]; the padding spaces cover nothing
                begin, end = max(o - 1, 0), min(o + n - 1, len(word))
                yield padded[o : o + n], (start + begin, start + max(end, begin + 1))
            if last == 0:  # a word shorter than n counts once, as scikit-learn does
                break


def _char_ngrams(vectorizer: CountVectorizer, text: str) -> Iterator[tuple[str, Span]]:
    squeezed: list[str] = []
    origin: list[int] = []
    position = 0
    for run in _WHITE_RUNS.finditer(text):
        squeezed.append(text[position : run.start()])
        origin.extend(range(position, run.start()))
        squeezed.append(" ")
        origin.append(run.start())
        position = run.end()
    squeezed.append(text[position:])
    origin.extend(range(position, len(text)))
    flat = "".join(squeezed)
    low, high = vectorizer.ngram_range
    for n in range(low, high + 1):
        for i in range(len(flat) - n + 1):
            yield flat[i : i + n], (origin[i], origin[i + n - 1] + 1)


def ngrams_with_spans(vectorizer: CountVectorizer, text: str) -> Iterator[tuple[str, Span]]:
    """The vectorizer's n-grams of `text`, each with the span of `text` it covers."""
    prepared = vectorizer.build_preprocessor()(text)
    if len(prepared) != len(text):  # e.g. strip_accents="unicode": positions would shift
        raise UnsupportedFeaturesError("a vectorizer preprocessor that changes the length")
    if vectorizer.analyzer == "word":
        return _word_ngrams(vectorizer, prepared)
    if vectorizer.analyzer == "char_wb":
        return _char_wb_ngrams(vectorizer, prepared)
    return _char_ngrams(vectorizer, prepared)


def feature_spans(blocks: list[VectorizerBlock], text: str) -> dict[int, list[Span]]:
    """Feature index (in the whole vector) -> the spans of `text` it was counted from."""
    spans: dict[int, list[Span]] = {}
    for block in blocks:
        vocabulary = block.vectorizer.vocabulary_
        for term, span in ngrams_with_spans(block.vectorizer, text):
            index = vocabulary.get(term)
            if index is not None:
                spans.setdefault(block.offset + int(index), []).append(span)
    return spans


def feature_terms(blocks: list[VectorizerBlock]) -> list[str]:
    """Each feature's term (without a FeatureUnion's part-name prefix), by index."""
    terms: list[str] = []
    for block in blocks:
        names = block.vectorizer.get_feature_names_out()
        terms.extend(str(name) for name in names)
    return terms

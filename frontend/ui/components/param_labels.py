"""Hyperparameters in words: what the form shows beside each field's own name, and what
the field means (the schema's description stays the precise part of the help)."""

from typing import Any

import pandas as pd

# field name -> (label in words, what it does)
WORDS: dict[str, tuple[str, str]] = {
    # TF-IDF
    "analyzer": ("Split texts into", "word: words; char / char_wb: character n-grams."),
    "ngram_range": ("Terms of n words", "from 1 (single words) to n (phrases of n)."),
    "min_df": ("Ignore rare terms", "terms in fewer than N texts are dropped."),
    "max_df": ("Ignore common terms", "terms in more than this share of texts are dropped."),
    "max_features": ("Vocabulary size", "keep only the N most frequent terms."),
    "char_ngram_range": (
        "Character n-grams too",
        "letters inside words: catches typos. Only beside words (analyzer word): a char "
        "analyzer's terms are character n-grams already.",
    ),
    "char_max_features": ("Character n-grams kept", "keep only the N most frequent ones."),
    "sublinear_tf": ("Dampen repeats", "a term said 10 times counts about 3x, not 10x."),
    # linear models
    "C": ("Fit strength", "higher fits the training texts closer (less regularisation)."),
    "class_weight": ("Balance classes", "'balanced' gives rare classes more weight."),
    "max_iter": ("Solver steps", "the optimiser stops after this many iterations."),
    "solver": ("Optimiser", "the algorithm that fits the weights."),
    "calibration_folds": ("Calibration folds", "folds that turn scores into probabilities."),
    # naive Bayes
    "alpha": ("Smoothing", "counts added to every term, so unseen terms are not impossible."),
    "fit_prior": ("Learn class shares", "use how common each class is (else all equal)."),
    "variant": ("Variant", "complement suits unbalanced classes."),
    # sgd
    "n_features": ("Hash buckets", "columns the hashed terms fall into; more: fewer clashes."),
    "regularization": ("Regularisation", "larger: simpler weights, less overfitting."),
    # Keras
    "epochs": ("Passes over the data", "training epochs at most (early stopping may end sooner)."),
    "batch_size": ("Texts per step", "texts in one gradient step."),
    "max_tokens": ("Vocabulary size", "the most frequent words the network knows."),
    "sequence_length": ("Words read per text", "longer texts are cut, shorter ones padded."),
    "embedding_dim": ("Word vector size", "numbers that describe each word."),
    "dropout": ("Dropout", "units switched off at random in training."),
    "learning_rate": ("Learning rate", "step size of the optimiser."),
    "validation_split": ("Validation share", "training texts held back to watch for overfitting."),
    "patience": ("Early-stopping patience", "epochs without improvement before training stops."),
    "filters": ("Filters", "patterns the convolution learns."),
    "kernel_size": ("Filter width", "words each filter looks at at once."),
    "units": ("LSTM units", "memory cells per direction."),
    # preprocessing
    "lowercase": ("Lower-case", "'Idiot' and 'idiot' count as one word."),
    "strip_punctuation": ("Remove punctuation", "punctuation becomes spaces."),
    "strip_non_alphanumeric": ("Letters and digits only", "everything else becomes spaces."),
    "stop_words": (
        "Stop-word lists",
        "built-in lists of words to remove (the, a, и, 的, 了, …); chinese removes "
        "jieba's words (auto splits Chinese texts with jieba when it is picked); their "
        "negations stay unless you untick 'Keep negations'.",
    ),
    "keep_negations": (
        "Keep negations",
        "the lists' not, no, never; 不, 没, 没有; не, нет, без stay in the text: they turn "
        "its meaning.",
    ),
    "custom_stop_words": ("Your stop words", "more words to remove."),
    "drop_duplicates": ("Drop repeated texts", "a text seen twice trains once."),
    "drop_empty": ("Drop empty texts", "texts with nothing left after preprocessing."),
    # preprocessing: languages
    "tokenizer": ("Split words with", "auto: chosen for the language the data is written in."),
    "new_words": (
        "Words to keep whole",
        "jieba's user dictionary: only Chinese text split with jieba uses it; with the regex "
        "tokenizer, or on data that is not Chinese, these words are ignored.",
    ),
    "stemming": ("Reduce words to stems", "Snowball: 'running' and 'runs' become 'run'."),
    # BM25 retrievers
    "k1": ("Term frequency saturation", "how fast a repeated term stops adding to the score."),
    "b": ("Length normalisation", "0: long contexts are not penalised; 1: fully."),
    # split
    "test_size": ("Held-out share", "texts kept out of training to measure the model."),
    "random_state": ("Random seed", "the same seed gives the same split and model."),
}  # fmt: skip


def label(name: str) -> str:
    words = WORDS.get(name)
    return f"{words[0]} ({name})" if words else name


def meaning(name: str) -> str:
    words = WORDS.get(name)
    return words[1][:1].upper() + words[1][1:] if words else ""


def value_text(value: Any) -> str:
    """A setting's value as a table shows it: a range as 1–2, a list joined, nothing as
    "none", a switch as yes / no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return f"{value[0]}–{value[1]}"
        return ", ".join(map(str, value)) if value else "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# the word analyzer's extra character n-grams: nothing for a char or char_wb analyzer
CHAR_EXTRAS = ("char_ngram_range", "char_max_features")
NOT_USED = "not used (the analyzer's terms are characters already)"


def settings_table(values: dict[str, Any]) -> pd.DataFrame:
    """Settings as rows of words: what the form calls each one, and its value (or that
    it is not used: the character extras of a model that is not split into words)."""
    unused = set(CHAR_EXTRAS) if values.get("analyzer", "word") != "word" else set()
    return pd.DataFrame(
        {
            "setting": [label(name) for name in values],
            "value": [
                NOT_USED if name in unused and v is not None else value_text(v)
                for name, v in values.items()
            ],
        }
    )

"""Small labelled CSVs that tests build on the fly."""

import csv
import io
import random

POSITIVE = [
    "you are a stupid idiot",
    "shut up you moron",
    "what a worthless pathetic loser",
    "go to hell you jerk",
    "idiot, nobody wants your garbage",
    "you clown, get lost",
]
NEGATIVE = [
    "thanks for fixing the citation",
    "the article looks great now",
    "I added a source",
    "could you explain this edit please",
    "good point, I agree with you",
    "nice photo",
]


def labelled_csv(
    rows: int = 200, seed: int = 0, labels: tuple[str, str] | None = None, extra_column: bool = True
) -> bytes:
    """A balanced binary CSV with text variety; labels default to 0/1."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "comment_text", "toxic"] if extra_column else ["comment_text", "toxic"])
    for i in range(rows):
        toxic = i % 2
        pool = POSITIVE if toxic else NEGATIVE
        text = f"{rng.choice(pool)} {rng.choice(pool)} #{rng.randint(0, 10**6)}"
        label = labels[toxic] if labels else toxic
        writer.writerow([i, text, label] if extra_column else [text, label])
    return out.getvalue().encode()


def multiclass_csv(rows: int = 300, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    topics = {
        "sport": ["match goal team score", "the striker scored twice", "league table"],
        "food": ["recipe with garlic and butter", "bake the bread", "tasty soup"],
        "tech": ["python code compiles", "the server crashed", "install the package"],
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "topic"])
    names = list(topics)
    for i in range(rows):
        topic = names[i % 3]
        writer.writerow([f"{rng.choice(topics[topic])} {rng.randint(0, 999)}", topic])
    return out.getvalue().encode()


def slow_csv(rows: int = 12_000, seed: int = 3) -> bytes:
    """Random-word texts that make a char n-gram fit take tens of seconds."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(alphabet, k=rng.randint(3, 10))) for _ in range(8000)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["comment_text", "toxic"])
    for i in range(rows):
        writer.writerow([" ".join(rng.choices(vocabulary, k=40)), i % 2])
    return out.getvalue().encode()


def slow_qa_csv(contexts: int = 4_000, seed: int = 5) -> bytes:
    """A QA file of random-word contexts (one question each) that makes a retriever fit
    with SLOW_RETRIEVER_PARAMS take tens of seconds."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(alphabet, k=rng.randint(3, 10))) for _ in range(8000)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["context", "question", "answer"])
    for i in range(contexts):
        words = rng.choices(vocabulary, k=60)
        writer.writerow([f"{i} " + " ".join(words), " ".join(words[:6]) + "?", words[0]])
    return out.getvalue().encode()


# params that make a retriever fit slow on slow_qa_csv()
SLOW_RETRIEVER_PARAMS = {"analyzer": "both", "char_ngram_range": [1, 8]}

# params that make the fit slow on slow_csv()
SLOW_PARAMS = {"analyzer": "char_wb", "ngram_range": [1, 6], "min_df": 1, "max_features": None}

"""A small multi-label CSV that tests build on the fly: three 0/1 label columns, each
signalled by its own words, combined at random (some rows have none, some several)."""

import csv
import io
import random

LABEL_WORDS = {
    "insult": ["idiot", "moron", "loser", "clown"],
    "threat": ["i will hurt you", "watch your back", "you will regret this"],
    "obscene": ["crap", "damn", "bloody hell"],
}
CLEAN = ["thanks for the edit", "the article is fine", "see the talk page", "good source"]
MULTILABEL_COLUMNS = list(LABEL_WORDS)


def multilabel_csv(rows: int = 300, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["comment_text", *MULTILABEL_COLUMNS])
    for _ in range(rows):
        flags = [int(rng.random() < share) for share in (0.35, 0.2, 0.25)]
        words = [rng.choice(CLEAN)]
        words += [
            rng.choice(LABEL_WORDS[c]) for c, f in zip(MULTILABEL_COLUMNS, flags, strict=True) if f
        ]
        rng.shuffle(words)
        writer.writerow([" ".join(words) + f" #{rng.randint(0, 10**6)}", *flags])
    return out.getvalue().encode()

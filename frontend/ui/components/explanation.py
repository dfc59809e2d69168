"""A prediction's explanation: the text with its characters coloured by the weight of the
terms that cover them (red towards the label, blue away from it), and the top terms.

The HTML is built here from escaped text only (no scripts, nothing fetched from a CDN); a
character's weight is the sum, over the terms whose spans cover it, of the term's weight
spread evenly over the characters of the span, so overlapping character n-grams add up.
"""

import html

import pandas as pd
import streamlit as st

from shared.schemas import Explanation, Prediction, TermWeight
from ui.components.models import label_text

TOWARDS_RGB = "220, 38, 38"
AWAY_RGB = "37, 99, 235"
LEVELS = 5  # colour steps: neighbouring characters of one step share a <span>
BOX_HEIGHT_EM = 20  # the explained text's box: about ten lines
SHOWN_TERMS = 10  # a list's length on the page
ASKED_TERMS = 40  # asked of a model of words and characters: ten left once letters go


def char_weights(text: str, explanation: Explanation) -> list[float]:
    weights = [0.0] * len(text)
    for term in explanation.towards + explanation.away:
        for start, end in term.spans:
            start, end = max(start, 0), min(end, len(text))
            if end <= start:
                continue
            share = term.weight / (end - start)
            for i in range(start, end):
                weights[i] += share
    return weights


def _level(weight: float, scale: float) -> int:
    if scale <= 0 or weight == 0:
        return 0
    step = min(LEVELS, max(1, round(abs(weight) / scale * LEVELS)))
    return step if weight > 0 else -step


def highlighted_html(text: str, explanation: Explanation) -> str:
    """`text` as escaped HTML with coloured runs; safe to render as HTML."""
    weights = char_weights(text, explanation)
    scale = max((abs(w) for w in weights), default=0.0)
    parts: list[str] = []
    run_start, run_level = 0, _level(weights[0], scale) if text else 0
    for i in range(1, len(text) + 1):
        level = _level(weights[i], scale) if i < len(text) else None
        if level == run_level:
            continue
        chunk = html.escape(text[run_start:i])
        if run_level:
            rgb = TOWARDS_RGB if run_level > 0 else AWAY_RGB
            alpha = 0.15 + 0.6 * abs(run_level) / LEVELS
            chunk = (
                f'<span style="background: rgba({rgb}, {alpha:.2f}); border-radius: 3px">'
                f"{chunk}</span>"
            )
        parts.append(chunk)
        run_start, run_level = i, level or 0
    body = "".join(parts).replace("\n", "<br>")
    # a long text scrolls in its box, so the terms below stay a glance away
    style = f"line-height: 1.9; max-height: {BOX_HEIGHT_EM}em; overflow-y: auto"
    return f'<div class="explained-text" style="{style}">{body}</div>'


def visible_term(term: str) -> str:
    """A term as a table shows it: a character n-gram's leading or trailing spaces (a word's
    edge) as '␣', so that " " or " a" is not an empty-looking cell."""
    return term if term == term.strip() else term.replace(" ", "␣")


def beside_words(params: dict[str, object]) -> bool:
    """A TF-IDF model of words and character n-grams: its n-grams of one letter (" a", "o")
    weigh something in every text and tell a reader nothing, so the lists leave them out
    (a model of characters alone keeps them: a Chinese character is a word)."""
    return params.get("analyzer") == "word" and params.get("char_ngram_range") is not None


def without_single_letters(explanation: Explanation, shown: int) -> Explanation:
    """The explanation's lists without one-letter terms, `shown` of each at most."""

    def kept(terms: list[TermWeight]) -> list[TermWeight]:
        return [t for t in terms if len(t.term.strip()) > 1][:shown]

    return explanation.model_copy(
        update={"towards": kept(explanation.towards), "away": kept(explanation.away)}
    )


def show_explanation(
    text: str, prediction: Prediction, names: dict[str, str], *, single_letters: bool = True
) -> None:
    """`single_letters` false: the lists leave out one-letter character n-grams (the API
    was asked for more terms, so as many are shown)."""
    explanation = prediction.explanation
    if explanation is None:
        return
    if not single_letters:
        explanation = without_single_letters(explanation, SHOWN_TERMS)
    label = label_text(explanation.label, names)
    method = {
        "linear": "exact contributions (coefficient × TF-IDF value)",
        "naive_bayes": "naive Bayes log-probability ratios",
        "occlusion": "occlusion (the label's probability lost without each word)",
    }[explanation.method]
    st.markdown(f"**Why `{label}`?** Red pushes towards it, blue away; {method}.")
    st.markdown(highlighted_html(text, explanation), unsafe_allow_html=True)
    if explanation.note:
        st.caption(explanation.note)
    if not single_letters:
        st.caption(
            "Character n-grams of a single letter are left out of the lists and the colours: "
            "beside the words they tell little. The API gives every term."
        )
    if any(t.term != t.term.strip() for t in explanation.towards + explanation.away):
        st.caption("“␣” in a term marks a word's edge: a character n-gram at its start or end.")
    left, right = st.columns(2)
    for column, title, terms in (
        (left, f"Towards `{label}`", explanation.towards),
        (right, f"Away from `{label}`", explanation.away),
    ):
        column.markdown(f"**{title}**")
        if not terms:
            column.caption("none")
            continue
        column.dataframe(
            pd.DataFrame(
                {
                    "term": [visible_term(t.term) for t in terms],
                    "weight": [round(t.weight, 4) for t in terms],
                }
            ),
            hide_index=True,
            key=f"predict.explain.{'towards' if column is left else 'away'}",
        )

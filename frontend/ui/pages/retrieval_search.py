"""Search: a question → the retriever's ranked contexts, the question's words marked."""

import streamlit as st

from shared.schemas.retrieval import FindContextRequest
from ui.components.backend import call, get_client, valid
from ui.components.retrieval import choose_retriever, highlight


def render() -> None:
    st.title("Search contexts")
    retriever = choose_retriever("retrieval_search.retriever")
    if retriever is None:
        return
    question = st.text_input("Question", key="retrieval_search.question")
    top_k = st.slider("Contexts", 1, 20, 5, key="retrieval_search.top_k")
    if not question.strip():
        st.caption("Type a question to see the best contexts.")
        return
    request = valid(FindContextRequest, {"question": question, "top_k": top_k})
    if request is None:
        return
    answer = call("Searching", get_client().find_context, retriever.id, request)
    if answer is None:
        return
    hits = answer.results[0].hits
    if not hits:
        st.warning("No context shares a word with this question.")
    elif len(hits) < top_k:
        held = retriever.contexts
        st.caption(
            f"{len(hits)} of the {top_k} asked for: the retriever holds only {held:,} contexts."
            if held is not None and held <= len(hits)
            else f"{len(hits)} of the {top_k} asked for: no other context shares a term "
            "with the question."
        )
    for hit in hits:
        with st.container(border=True):
            st.markdown(f"**#{hit.rank}** · score {hit.score:.3f}")
            st.markdown(highlight(hit.context, question), unsafe_allow_html=True)
            if hit.answers:
                st.caption("Known answers: " + " · ".join(hit.answers[:5]))

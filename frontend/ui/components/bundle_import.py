"""Import a model from another installation: its bundle file (a Models page's "Download
the bundle") and the sha256 shown beside that download, which the server checks."""

import streamlit as st

from shared.schemas import ModelRead
from ui.components.backend import call, get_client

FORM = "models.import_form"  # bumped by an import: the next form starts empty


def bundle_import() -> ModelRead | None:
    """The import form, in an expander; the model once imported. A refused import keeps
    what was entered, to correct."""
    form = st.session_state.setdefault(FORM, 0)
    with st.expander("Import a model from another installation", icon=":material/upload:"):
        st.caption(
            "A bundle downloaded from another installation's Models page (or `GET "
            "/api/v1/models/{id}/bundle`), with the sha256 shown beside its download: the "
            "server checks the file against it, and keeps nothing that fails a check."
        )
        with st.form(f"models.import.{form}", border=False):
            file = st.file_uploader("Bundle file", type=["zip"], key=f"models.import_file.{form}")
            sha256 = st.text_input("Its sha256", key=f"models.import_sha256.{form}", max_chars=64)
            name = st.text_input(
                "Name (optional)",
                key=f"models.import_name.{form}",
                help="The name to keep it under, as its next version; empty: the name it "
                "had where it was made.",
            )
            submitted = st.form_submit_button("Import", icon=":material/upload:")
        if not submitted:
            return None
        if file is None:
            st.warning("Choose the bundle file first.", icon=":material/warning:")
            return None
        imported = call(
            f"Importing {file.name}",
            get_client().import_bundle,
            file.getvalue(),
            sha256.strip(),
            name.strip() or None,
        )
        if imported is not None:
            st.session_state[FORM] = form + 1
        return imported

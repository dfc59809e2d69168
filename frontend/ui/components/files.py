"""CSV files a user picks: the uploader widget and the checks before anything is sent."""

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui.analysis.csv_check import CsvCheck, check_csv, human_size
from ui.settings import get_settings


def csv_uploader(label: str, key: str) -> UploadedFile | None:
    settings = get_settings()
    return st.file_uploader(
        f"{label} (at most {human_size(settings.max_upload_bytes)})",
        type=["csv"],
        max_upload_size=settings.max_upload_mb,
        key=key,
    )


def checked(file: UploadedFile) -> tuple[bytes, CsvCheck] | None:
    """The file's bytes and what the check found; None, after saying why, if unusable."""
    content = file.getvalue()
    check = check_csv(file.name, content, get_settings().max_upload_bytes)
    if not check.ok:
        st.error(
            "**This file cannot be used:**\n" + "\n".join(f"- {p}" for p in check.problems),
            icon=":material/error:",
        )
        return None
    return content, check

"""The shared API client, and calls whose failures become an st.error instead of a traceback
(as does a request a form's input makes invalid)."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import streamlit as st
from pydantic import BaseModel, ValidationError

from shared.schemas.strings import readable_message
from ui.api_client import ApiClient, ApiError
from ui.settings import get_settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@st.cache_resource(show_spinner=False)
def get_client() -> ApiClient:
    return ApiClient.from_settings(get_settings())


def show_error(action: str, error: ApiError) -> None:
    """The problem's detail, said plainly; the title and status as a caption."""
    status = f" · HTTP {error.status}" if error.status else ""
    st.error(f"**{action} failed.** {error.detail}", icon=":material/error:")
    if error.errors:
        for item in error.errors[:5]:
            st.caption(f"• {'.'.join(map(str, item.loc))}: {item.msg}")
    st.caption(f"{error.title}{status}")


def valid(schema: type[M], values: dict[str, Any]) -> M | None:
    """The request the form's values make, or None after saying, field by field and in
    words, what to change (checked here, as the server would, before anything is sent)."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        lines = [
            f"- `{'.'.join(map(str, e['loc'])) or 'the form'}`: {readable_message(e)}"
            for e in exc.errors()
        ]
        st.error("**Check these settings:**\n" + "\n".join(lines), icon=":material/error:")
        return None


def call(action: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """`fn(*args, **kwargs)`, or None after showing what went wrong."""
    try:
        return fn(*args, **kwargs)
    except ApiError as error:
        show_error(action, error)
        return None


def call_or_stop(action: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Like `call`, but the page stops here when the call fails."""
    result = call(action, fn, *args, **kwargs)
    if result is None:
        st.stop()
    return result


@contextmanager
def stop_on_error(action: str) -> Iterator[None]:
    """For calls made deep inside cached helpers: show the error and stop the page."""
    try:
        yield
    except ApiError as error:
        show_error(action, error)
        st.stop()

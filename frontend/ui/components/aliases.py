"""A model name's versions as a timeline, its aliases as badges beside them, and the
controls to set an alias, to roll one back (with a reason) and to delete one. The forms'
widgets are kept per name: what was typed for one name is not set on another."""

import re
from collections.abc import Callable, Sequence

import streamlit as st

from shared.schemas import AliasChange, ModelStatus, ModelSummary
from shared.schemas.strings import ALIAS_PATTERN
from ui.api_client import ApiError
from ui.components.backend import call, get_client
from ui.components.models import forget_models
from ui.words import MISSING

FLASH = "aliases.flash"
SET_ALIAS = "aliases.set_alias"
SET_VERSION = "aliases.set_version"
SET_REASON = "aliases.set_reason"
ROLLBACK_ALIAS = "aliases.rollback_alias"
ROLLBACK_REASON = "aliases.rollback_reason"
SUGGESTED = ("production", "staging")


def key(widget: str, name: str) -> str:
    """A form widget's key for one model name."""
    return f"{widget}.{name}"


def name_aliases(models: Sequence[ModelSummary], name: str) -> None:
    """Everything about the aliases of one name, under the Models page's picked model."""
    versions = sorted((m for m in models if m.name == name), key=lambda m: -m.version)
    st.subheader(f"Versions of {name}")
    show_flash()
    timeline(versions)
    ready = [m for m in versions if m.status == ModelStatus.READY]
    aliases = sorted({a for m in versions for a in m.aliases})
    left, right = st.columns(2)
    with left:
        set_alias_form(name, ready, aliases)
    with right:
        rollback_form(name, aliases)
    if aliases:
        history(name, aliases)


def badges(aliases: Sequence[str]) -> str:
    return " ".join(f":blue-badge[{alias}]" for alias in aliases)


def origin(model: ModelSummary) -> str:
    """How the version came to be, and from which version: `retrain of v1`."""
    if model.parent_version is None:
        return str(model.source)
    return f"{model.source} of v{model.parent_version}"


def timeline(versions: Sequence[ModelSummary]) -> None:
    """Newest first: version, when, status, how it was made (and from which version), a
    score, and the aliases that name it."""
    for model in versions:
        score = f" · F1 {model.metrics.f1:.3f}" if model.metrics else ""
        loaded = " · loaded" if model.loaded else ""
        when = model.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        line = f"**v{model.version}** · {when} · {model.status} · {origin(model)}{score}{loaded}"
        st.markdown(f"{line} {badges(model.aliases)}".rstrip())
    tested = {
        (m.dataset_id, tuple(d.id for d in m.lineage_datasets), m.test_size, m.random_state)
        for m in versions
        if m.metrics
    }
    if len(tested) > 1:
        st.caption(
            "Each F1 is on that version's own held-out split, and these splits are not the "
            "same rows: Compare scores the versions on the same rows."
        )


def set_alias_form(name: str, ready: Sequence[ModelSummary], aliases: Sequence[str]) -> None:
    st.markdown("**Set an alias**")
    if not ready:
        st.caption(f"No version of {name} is ready: an alias can name only a ready one.")
        return
    alias = st.text_input(
        "Alias",
        value=aliases[0] if aliases else SUGGESTED[0],
        key=key(SET_ALIAS, name),
        max_chars=32,
        help="A lower-case letter, then up to 31 lower-case letters, digits, '_' and '-' "
        f"(as {', '.join(SUGGESTED)}). An alias that exists moves; a new one is created.",
    )
    by_version = {m.version: m for m in ready}
    st.selectbox(
        "Version",
        list(by_version),
        key=key(SET_VERSION, name),
        format_func=lambda v: f"v{v}",
        help="Only ready versions; it is loaded before the alias moves to it.",
    )
    st.text_input("Reason", key=key(SET_REASON, name), max_chars=500)
    st.button(
        "Set alias",
        key="aliases.set",
        icon=":material/label:",
        disabled=not alias,
        on_click=_set,
        args=(name,),
    )


def rollback_form(name: str, aliases: Sequence[str]) -> None:
    st.markdown("**Roll back or delete an alias**")
    if not aliases:
        st.caption("No alias yet: set one first.")
        return
    st.selectbox("Alias", aliases, key=key(ROLLBACK_ALIAS, name))
    reason = st.text_input(
        "Reason",
        key=key(ROLLBACK_REASON, name),
        max_chars=500,
        help="Required for a rollback, optional for a deletion: it is kept in the history.",
    )
    back, delete = st.columns(2)
    back.button(
        "Roll back",
        key="aliases.rollback",
        icon=":material/undo:",
        disabled=not reason.strip(),
        help="Back to the version the alias named before its last change.",
        on_click=_rollback,
        args=(name,),
    )
    delete.button(
        "Delete alias",
        key="aliases.delete",
        icon=":material/label_off:",
        help="Programs that name it get 404 from then on; the history keeps it, and a "
        "rollback through the API brings it back.",
        on_click=_delete,
        args=(name,),
    )


def history(name: str, aliases: Sequence[str]) -> None:
    with st.expander("Alias history"):
        alias = st.selectbox("Alias", aliases, key="aliases.history_alias")
        changes = call(f"Reading the history of {name}@{alias}", _history, name, alias) or []
        st.dataframe(
            [_row(c) for c in reversed(changes)],
            hide_index=True,
            key="aliases.history",
            placeholder=MISSING,
        )


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, text = flash
        (st.success if kind == "success" else st.error)(text)


def _set(name: str) -> None:
    """The Set button's callback: the form's values as they are when it is clicked."""
    alias = str(st.session_state.get(key(SET_ALIAS, name)) or "").strip()
    version = st.session_state.get(key(SET_VERSION, name))
    reason = str(st.session_state.get(key(SET_REASON, name)) or "")
    action = f"Setting {name}@{alias}"
    if not re.fullmatch(ALIAS_PATTERN, alias):
        st.session_state[FLASH] = (
            "error",
            f"**{action} failed.** {alias!r} is not an alias: use a lower-case letter, then "
            "up to 31 lower-case letters, digits, '_' and '-'.",
        )
        return
    _act(name, action, get_client().set_alias, name, alias, version, reason)


def _rollback(name: str) -> None:
    alias = str(st.session_state.get(key(ROLLBACK_ALIAS, name)))
    reason = str(st.session_state.get(key(ROLLBACK_REASON, name)) or "")
    _act(name, f"Rolling back {name}@{alias}", get_client().rollback_alias, name, alias, reason)


def _delete(name: str) -> None:
    alias = str(st.session_state.get(key(ROLLBACK_ALIAS, name)))
    reason = str(st.session_state.get(key(ROLLBACK_REASON, name)) or "")
    _act(name, f"Deleting {name}@{alias}", get_client().delete_alias, name, alias, reason)


def _act(name: str, action: str, fn: Callable[..., object], *args: object) -> None:
    """A button callback: it runs before the page does, so the timeline shows the outcome."""
    try:
        fn(*args)
        st.session_state[FLASH] = ("success", f"{action}: done.")
        # a reason belongs to one change: the next starts without it
        st.session_state[key(SET_REASON, name)] = ""
        st.session_state[key(ROLLBACK_REASON, name)] = ""
    except ApiError as error:
        st.session_state[FLASH] = ("error", f"**{action} failed.** {error.detail}")
    finally:
        forget_models()


def _history(name: str, alias: str) -> list[AliasChange]:
    return get_client().alias_history(name, alias)


def _row(change: AliasChange) -> dict[str, object]:
    def version(v: int | None) -> str:
        return "—" if v is None else f"v{v}"

    return {
        "when": change.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "action": str(change.action),
        "from": version(change.from_version),
        "to": version(change.to_version),
        "reason": change.reason,
        "by": change.caller or "",
    }

"""A model as a request names it: its id, `name@alias` (whatever version the alias names
now) or `name:version`. Parsed and looked up here, and nowhere else."""

import re
from dataclasses import dataclass

from app.core.errors import InvalidInputError, NotFoundError
from app.registry.alias_store import AliasStore
from shared.schemas.strings import ALIAS_PATTERN, MODEL_NAME_MAX, NAME_PATTERN, PATTERN_WORDS


@dataclass(frozen=True)
class Reference:
    name: str
    alias: str | None = None
    version: int | None = None


def is_reference(ref: str) -> bool:
    """Whether the text names a model by name (else it is an id)."""
    return "@" in ref or ":" in ref


def parse_reference(ref: str) -> Reference:
    """`name@alias` or `name:version` (a name holds neither '@' nor ':')."""
    if "@" in ref:
        name, _, alias = ref.partition("@")
        if not re.fullmatch(ALIAS_PATTERN, alias):
            raise InvalidInputError(
                f"{ref!r}: an alias is {PATTERN_WORDS[ALIAS_PATTERN]} (as in 'name@production')"
            )
        return Reference(_name(ref, name), alias=alias)
    name, _, version = ref.partition(":")
    if not re.fullmatch(r"[1-9][0-9]{0,8}", version):
        raise InvalidInputError(f"{ref!r}: a version is a number from 1 (as in 'name:3')")
    return Reference(_name(ref, name), version=int(version))


def resolve_model_id(store: AliasStore, ref: str) -> str:
    """The id of the model the text names: an id as it is (its lookup says 404), a
    reference looked up (404 when its name has no such alias or version)."""
    if not is_reference(ref):
        return ref
    reference = parse_reference(ref)
    if reference.alias is not None:
        alias = store.get_alias(reference.name, reference.alias)
        if alias is None:
            _require_name(store, reference.name)
            raise NotFoundError(f"model {reference.name!r} has no alias {reference.alias!r}")
        return alias.model_id
    assert reference.version is not None
    model_id = store.model_id_of_version(reference.name, reference.version)
    if model_id is None:
        _require_name(store, reference.name)
        raise NotFoundError(f"model {reference.name!r} has no version {reference.version}")
    return model_id


def unknown_id(store: AliasStore, model_id: str) -> NotFoundError:
    """The 404 of an id no model has; a model's name given where its id was expected says
    how to name one of its versions."""
    if store.has_model_name(model_id):
        return NotFoundError(
            f"model {model_id} not found: no model has that id, but models are named "
            f"{model_id!r}; name one as '{model_id}@<alias>' or '{model_id}:<version>'"
        )
    return NotFoundError(f"model {model_id} not found")


def _require_name(store: AliasStore, name: str) -> None:
    if not store.has_model_name(name):
        raise NotFoundError(f"no model is named {name!r}")


def _name(ref: str, name: str) -> str:
    if not name or len(name) > MODEL_NAME_MAX or not re.fullmatch(NAME_PATTERN, name):
        raise InvalidInputError(
            f"{ref!r}: a model name is 1 to {MODEL_NAME_MAX} {PATTERN_WORDS[NAME_PATTERN]}, "
            "before the '@' or ':'"
        )
    return name

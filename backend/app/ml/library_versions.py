"""The library versions a bundle was written with, and a warning when one is loaded by
another major version of a library it uses (pickles and saved networks may not carry
across a major version; the load is still tried, and the log says why it may fail)."""

import importlib.metadata
import logging
import platform

log = logging.getLogger(__name__)


def runtime_versions() -> dict[str, str]:
    """What every bundle records besides its flavour's libraries."""
    return {"python": platform.python_version()}


def installed_version(library: str) -> str | None:
    if library == "python":
        return platform.python_version()
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return None


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def major_mismatches(recorded: dict[str, str]) -> list[tuple[str, str, str]]:
    """(library, recorded version, installed version) for each library whose installed
    major version differs from the one the bundle was written with."""
    found = []
    for library, version in sorted(recorded.items()):
        now = installed_version(library)
        if now is not None and _major(str(version)) != _major(now):
            found.append((library, str(version), now))
    return found


def warn_on_major_mismatch(recorded: dict[str, str], bundle_name: str) -> None:
    for library, version, now in major_mismatches(recorded):
        log.warning(
            "model file %s was written with %s %s and is loaded with %s %s, another major "
            "version; it may not load or predict the same (retrain it with this version)",
            bundle_name,
            library,
            version,
            library,
            now,
        )

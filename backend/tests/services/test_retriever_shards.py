"""RETRIEVERS_DIR's start-up sweep: a folder no retriever record knows is set aside in
`orphaned/`, a lock or serving file of none is removed, a known retriever's files and
anything younger than the grace time stay."""

import time
from pathlib import Path

from app.services.retriever_shards import RetrieverStorage

GRACE_S = 1.0


def entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_the_sweep_sets_strangers_aside_and_keeps_known_and_young_files(tmp_path: Path) -> None:
    folder = tmp_path / "retrievers"
    for name in ("known", "stranger"):
        (folder / name).mkdir(parents=True)
        (folder / name / "config.json").write_text("{}")
    for name in (".known.lock", ".known.serving", ".gone.lock", ".gone.serving", ".gitkeep"):
        (folder / name).write_text("")
    time.sleep(GRACE_S + 0.2)  # the entries above are older than the grace time now
    (folder / "young").mkdir()  # a fit being queued: its lock file, then its record
    (folder / ".young.lock").write_text("")

    RetrieverStorage(folder).sweep(lambda: {"known"}, grace_s=GRACE_S)

    assert entries(folder) == {
        "known", ".known.lock", ".known.serving", ".gitkeep", "young", ".young.lock",
        "orphaned",
    }  # fmt: skip
    assert entries(folder / "orphaned") == {"stranger"}  # set aside, whole
    assert (folder / "orphaned" / "stranger" / "config.json").read_text() == "{}"


def test_a_missing_folder_is_nothing_to_sweep(tmp_path: Path) -> None:
    RetrieverStorage(tmp_path / "absent").sweep(set, grace_s=0)
    assert not (tmp_path / "absent").exists()

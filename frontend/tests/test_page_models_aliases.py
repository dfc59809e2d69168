"""The Models page's aliases: a name's versions as a timeline with alias badges; set an
alias, roll it back (with a reason) and delete it from the page, against the real backend;
an aliased version cannot be removed; what was typed for one name stays with it."""

import uuid
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, FitAccepted, ModelRead
from ui.api_client import ApiClient
from ui.components.models import forget_models

FitAndWait = Callable[[dict[str, object]], ModelRead]


def two_versions(fit_and_wait: FitAndWait, dataset: DatasetRead) -> tuple[ModelRead, ModelRead]:
    name = f"aliases-page-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "kind": "naive_bayes", "dataset_id": dataset.id}
    return fit_and_wait(body), fit_and_wait({**body, "random_state": 7})


def picked(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("models").run()
    at.selectbox(key="models.picked").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def timeline(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**v")]


def test_set_an_alias_and_roll_it_back_from_the_page(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
) -> None:
    first, second = two_versions(fit_and_wait, demo_dataset)
    at = picked(page, second)
    assert any(s.value == f"Versions of {second.name}" for s in at.subheader)
    assert [line.split(" · ")[0] for line in timeline(at)] == ["**v2**", "**v1**"]
    # v2 was fitted with another random_state: its F1 is on other rows, and the page says so
    assert any("not the same rows" in c.value for c in at.caption)
    assert "No alias yet" in at.caption[-1].value or any(
        "No alias yet" in c.value for c in at.caption
    )

    name = second.name
    at.text_input(key=f"aliases.set_alias.{name}").input("production")
    at.selectbox(key=f"aliases.set_version.{name}").set_value(1)
    at.text_input(key=f"aliases.set_reason.{name}").input("first release")
    at.button(key="aliases.set").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("done" in s.value for s in at.success), [e.value for e in at.error]
    assert api.get_model(first.id).aliases == ["production"]
    lines = timeline(at)
    assert lines[1].startswith("**v1**") and ":blue-badge[production]" in lines[1]

    at.selectbox(key=f"aliases.set_version.{name}").set_value(2)
    at.button(key="aliases.set").click().run()
    assert api.get_model(second.id).aliases == ["production"]
    assert ":blue-badge[production]" in timeline(at)[0]

    # a rollback needs a reason: the button waits for one
    assert at.button(key="aliases.rollback").disabled
    at.text_input(key=f"aliases.rollback_reason.{name}").input("v2 misfires").run()
    at.button(key="aliases.rollback").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert api.get_model(first.id).aliases == ["production"]
    assert api.get_model(second.id).aliases == []
    table = at.dataframe(key="models.table").value.set_index("id")
    assert (table.loc[first.id, "aliases"], table.loc[second.id, "aliases"]) == ("production", "")
    history = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert list(history["action"]) == ["rollback", "move", "set"]
    assert list(history["reason"]) == ["v2 misfires", "", "first release"]
    # the version an alias names cannot be removed: the button says why
    at = picked(page, api.get_model(first.id))
    remove = at.button(key="models.remove")
    assert remove.disabled and f"In use as {name}@production" in (remove.help or "")
    # deleted from the page (other pages' tests remove all models: it would stay)
    at.text_input(key=f"aliases.rollback_reason.{name}").input("test done").run()
    at.button(key="aliases.delete").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert api.get_model(first.id).aliases == []
    assert not at.button(key="models.remove").disabled
    assert any("No alias yet" in c.value for c in at.caption)


def test_a_bad_alias_is_refused_in_words(
    page: Callable[[str], AppTest], fit_and_wait: FitAndWait, demo_dataset: DatasetRead
) -> None:
    _, second = two_versions(fit_and_wait, demo_dataset)
    at = picked(page, second)
    at.text_input(key=f"aliases.set_alias.{second.name}").input("Not An Alias")
    at.button(key="aliases.set").click().run()
    assert not at.exception
    assert any("is not an alias" in e.value for e in at.error), [e.value for e in at.error]
    # another name's form starts from its own values, not what was typed for this one
    _, other = two_versions(fit_and_wait, demo_dataset)
    forget_models()  # the list the page caches for seconds: with the new name
    at.run()
    at.selectbox(key="models.picked").set_value(other.id).run()
    assert at.text_input(key=f"aliases.set_alias.{other.name}").value == "production"


@pytest.mark.keras
def test_a_name_with_no_ready_version_says_so_instead_of_an_empty_form(
    page: Callable[[str], AppTest], api: ApiClient, slow_fit: FitAccepted
) -> None:
    api.cancel_task(slow_fit.task_id)
    model = api.get_model(slow_fit.model_id)
    at = picked(page, model)
    assert any(f"No version of {model.name} is ready" in c.value for c in at.caption)
    assert not any(b.key == "aliases.set" for b in at.button)

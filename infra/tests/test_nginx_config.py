"""The nginx template as each compose file renders it, through `nginx -t` (Debian's nginx)."""

import re
from pathlib import Path

import pytest

from app.core.settings import Settings
from testkit import nginx
from testkit.compose import compose_command, load
from testkit.servers import REPO_ROOT

COMPOSE_FILES = {
    "prod": (REPO_ROOT / "infra" / "docker-compose.yml", REPO_ROOT / "infra" / ".env.template"),
    "dev": (
        REPO_ROOT / "infra-dev" / "docker-compose.yml",
        REPO_ROOT / "infra-dev" / ".env.dev.template",
    ),
}
FILLED = (
    "IMAGE_REGISTRY=r.example/acme\nIMAGE_TAG=1\nPOSTGRES_PASSWORD=0123456789abcdef\n"
    "API_TOKEN=fedcba9876543210\n"
)

pytestmark = pytest.mark.skipif(nginx.nginx_binary() is None, reason="nginx is not installed")


def _container_values(project: str, tmp_path: Path) -> dict[str, str]:
    """The nginx service's environment from the compose file; the image substitutes these."""
    compose_file, template = COMPOSE_FILES[project]
    env_file = tmp_path / "values.env"
    env_file.write_text(template.read_text() + "\n" + FILLED)
    return load(compose_file, env_file)["services"]["nginx"]["environment"]


def _megabytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)m", size)
    assert match, f"client_max_body_size {size!r}: write it in m"
    return int(match.group(1))


@pytest.mark.skipif(compose_command() is None, reason="no Docker Compose v2")
@pytest.mark.parametrize("project", sorted(COMPOSE_FILES))
def test_container_rendering_passes_nginx_t(project: str, tmp_path: Path) -> None:
    values = _container_values(project, tmp_path)
    assert nginx.template_names(nginx.SITE_TEMPLATE.read_text()) <= set(values)
    # the compose service names resolve on the compose network only: test against loopback
    local = {k: re.sub(r"^(api|backend|frontend):", "127.0.0.1:", v) for k, v in values.items()}
    conf = nginx.write_config(local, tmp_path / "run", tmp_path / "logs")
    checked = nginx.check(conf, tmp_path / "logs")
    assert checked.returncode == 0, checked.stderr
    limit = _megabytes(values["NGINX_CLIENT_MAX_BODY_SIZE"])
    assert Settings.model_fields["max_upload_mb"].default < limit


def test_stack_rendering_passes_nginx_t(tmp_path: Path) -> None:
    site = nginx.NginxSite(listen="127.0.0.1:18080", backend="127.0.0.1:1", frontend="127.0.0.1:2")
    conf = nginx.write_config(site.values(), tmp_path / "run", tmp_path / "logs")
    checked = nginx.check(conf, tmp_path / "logs")
    assert checked.returncode == 0, checked.stderr


def test_cluster_rendering_lists_every_replica_and_passes_nginx_t(tmp_path: Path) -> None:
    replicas = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]
    site = nginx.NginxSite(
        listen="127.0.0.1:18080", backend=nginx.upstream(replicas), frontend="127.0.0.1:4"
    )
    conf = nginx.write_config(site.values(), tmp_path / "run", tmp_path / "logs")
    checked = nginx.check(conf, tmp_path / "logs")
    assert checked.returncode == 0, checked.stderr
    rendered = (tmp_path / "run" / "textclf.conf").read_text()
    block = re.search(r"upstream textclf_backend \{(.*?)\}", rendered, re.S)
    assert block and re.findall(r"server (\S+);", block.group(1)) == replicas
    # a replica that is gone: the next one answers what was not sent to it yet
    assert re.search(r"^\s*proxy_next_upstream error timeout;", rendered, re.M)
    with pytest.raises(ValueError):
        nginx.upstream([])


def test_body_limit_sits_just_above_the_app_limit() -> None:
    for mb in (1, 10, 100, 500):
        assert mb < _megabytes(nginx.body_size_for(mb)) <= mb + max(10, mb // 10)
    assert nginx.body_size_for(100) == "110m"


def test_a_missing_value_is_refused() -> None:
    with pytest.raises(KeyError, match="BACKEND_UPSTREAM"):
        nginx.render(nginx.SITE_TEMPLATE.read_text(), {"NGINX_LISTEN": "80"})
    assert nginx.render("proxy_set_header Host $http_host; ${A}", {"A": "x"}).endswith("; x")

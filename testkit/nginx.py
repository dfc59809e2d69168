"""Render infra/nginx/*.template the way the nginx image does, and run Debian's nginx on it.

The image runs envsubst on its templates with only the defined environment variables, so
nginx's own `$host`-style variables pass through. This renderer substitutes only
`${UPPER_CASE}` names and refuses a template that names one it was not given, so a
variable missing from a compose file fails here instead of in a container.
"""

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "infra" / "nginx"
SITE_TEMPLATE = TEMPLATE_DIR / "textclf.conf.template"
MAIN_TEMPLATE = TEMPLATE_DIR / "stack-main.conf.template"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_NAME = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(template: str, values: Mapping[str, str]) -> str:
    missing = sorted({name for name in _NAME.findall(template) if name not in values})
    if missing:
        raise KeyError(f"the template needs values for {', '.join(missing)}")
    return _NAME.sub(lambda match: values[match.group(1)], template)


def template_names(template: str) -> set[str]:
    return set(_NAME.findall(template))


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def body_size_for(max_upload_mb: int) -> str:
    """client_max_body_size a little above the app's limit, so the app gives the 413."""
    return f"{max_upload_mb + max(10, max_upload_mb // 10)}m"


def upstream(addresses: Iterable[str]) -> str:
    """BACKEND_UPSTREAM for several API replicas: the template writes `server ${...};`, so
    the addresses joined by `; server ` become one `server` line each."""
    listed = list(addresses)
    if not listed:
        raise ValueError("an upstream needs at least one address")
    return "; server ".join(listed)


@dataclass(frozen=True)
class NginxSite:
    listen: str
    backend: str
    frontend: str
    max_body: str = body_size_for(100)

    def values(self) -> dict[str, str]:
        return {
            "NGINX_LISTEN": self.listen,
            "BACKEND_UPSTREAM": self.backend,
            "FRONTEND_UPSTREAM": self.frontend,
            "NGINX_CLIENT_MAX_BODY_SIZE": self.max_body,
        }


def write_config(site: Mapping[str, str], run_dir: Path, logs_dir: Path) -> Path:
    """Write textclf.conf (the site template with `site`'s values) and an nginx.conf around
    it under run_dir, with its temp dirs; return nginx.conf."""
    for name in TEMP_DIRS:
        (run_dir / name).mkdir(parents=True, exist_ok=True)
    logs_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "textclf.conf").write_text(render(SITE_TEMPLATE.read_text(), site))
    main = render(
        MAIN_TEMPLATE.read_text(),
        {
            # as root nginx would hand its workers to `nobody`, who cannot enter a private
            # run folder; they run as the invoking user instead, as they do without root
            "NGINX_USER_DIRECTIVE": "user root root;" if os.geteuid() == 0 else "",
            "RUN_DIR": str(run_dir),
            "LOGS_DIR": str(logs_dir),
        },
    )
    conf = run_dir / "nginx.conf"
    conf.write_text(main)
    return conf


def command(conf: Path, logs_dir: Path, *extra: str) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed: run scripts/install-system-deps.sh")
    # -e: where to complain before the config's own error_log is read
    return [
        binary,
        "-p",
        str(conf.parent),
        "-e",
        str(logs_dir / "error.log"),
        "-c",
        str(conf),
        *extra,
    ]


def check(conf: Path, logs_dir: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a written config."""
    return subprocess.run(
        command(conf, logs_dir, "-t"), capture_output=True, text=True, timeout=30, check=False
    )

"""Images built for real with podman (buildah), without Docker Hub.

The base is a Debian root file system made with debootstrap and imported as an image laid
out like the official `python:3.11-slim-bookworm` (Python at /usr/local/bin/python3.11, pip
that installs system-wide). The product's images build on it through their Dockerfiles'
`PYTHON_IMAGE` argument; the compose files' third-party images (nginx, PostgreSQL) get
stand-ins built from the same base with Debian's packages (infra/tests/standins/).

Every image carries a label with the hash of what it was built from; an image whose label
matches is reused, so a second run builds nothing.
"""

import hashlib
import inspect
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from testkit.servers import REPO_ROOT

BASE_IMAGE = "localhost/textclf-base:bookworm"
INPUTS_LABEL = "org.textclf.inputs"
STANDINS_DIR = REPO_ROOT / "infra" / "tests" / "standins"
BUILD_TIMEOUT_S = 1800
# This sandbox lets no container set rlimits (podman's defaults would try to), and its
# cgroups are in hybrid mode, which crun refuses and runc accepts.
CONTAINERS_CONF = Path("/etc/containers/containers.conf")
CONTAINERS_CONF_TEXT = """[containers]
default_ulimits = []

[network]
network_backend = "netavark"

[engine]
runtime = "runc"
"""
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
# what each image is built from, besides its Dockerfile and the base
SOURCES = {
    "backend": ["pyproject.toml", "uv.lock", "demo_data_sample.csv", "shared", "backend/app"],
    "frontend": ["pyproject.toml", "uv.lock", "shared", "frontend"],
}
_SKIP = {"__pycache__", "tests", ".pytest_cache"}


class BuildError(RuntimeError):
    pass


TOOLS = ("podman", "podman-compose", "debootstrap")


def unavailable() -> str | None:
    """Why the container suite cannot run here (None: it can)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        tools = ", ".join(missing)
        return f"{tools} not installed (scripts/install-system-deps.sh --containers, as root)"
    if os.geteuid() != 0:
        return "not root: debootstrap and podman's image store need root here"
    return None


def image(name: str, variant: str = "test") -> str:
    """The local name of one image the suite builds."""
    return f"localhost/textclf-{name}:{variant}"


def _run(args: list[str], timeout: float = BUILD_TIMEOUT_S, **kwargs: object) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise BuildError(f"{' '.join(args[:3])}... failed ({done.returncode}):\n{tail}")
    return str(done.stdout)


def configure() -> None:
    """The one host setting containers need here (written only when missing)."""
    if not CONTAINERS_CONF.exists():
        CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
        CONTAINERS_CONF.write_text(CONTAINERS_CONF_TEXT)


def image_label(image: str) -> str | None:
    """The inputs hash an existing image was built from (None: no such image)."""
    done = subprocess.run(
        ["podman", "image", "inspect", image], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        return None
    labels = json.loads(done.stdout)[0].get("Labels") or {}
    return labels.get(INPUTS_LABEL, "")


def _image_id(image: str) -> str | None:
    done = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def image_size_mb(image: str) -> float:
    info = json.loads(_run(["podman", "image", "inspect", image], timeout=60))[0]
    return float(info["Size"]) / 1e6


def _hash_paths(digest: "hashlib._Hash", root: Path, names: Iterable[str]) -> None:
    for name in sorted(names):
        path = root / name
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in files:
            if not file.is_file() or _SKIP & set(file.relative_to(root).parts):
                continue
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())


def inputs_hash(*parts: str, paths: Iterable[str] = (), root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    _hash_paths(digest, root, paths)
    return digest.hexdigest()[:16]


def _mirror() -> str:
    """The Debian mirror apt is configured with (deb822 or one-line sources)."""
    sources = [*Path("/etc/apt/sources.list.d").glob("*"), Path("/etc/apt/sources.list")]
    for source in sources:
        if not source.is_file():
            continue
        for line in source.read_text().splitlines():
            for word in line.split():
                if "://" in word and word.rstrip("/").endswith("/debian"):
                    return word
    return "http://deb.debian.org/debian"


def build_base() -> str:
    """The base image, made once: debootstrap, the official image's layout, imported."""
    wanted = inputs_hash(BASE_PACKAGES, inspect.getsource(build_base))
    if image_label(BASE_IMAGE) == wanted:
        return BASE_IMAGE
    with tempfile.TemporaryDirectory(prefix="textclf-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}",
             "bookworm", str(rootfs), _mirror()],
        )  # fmt: skip
        # as in python:3.11-slim: python3.11/python3/python/pip on /usr/local/bin, and pip
        # installs system-wide (Debian's PEP 668 marker would refuse)
        local_bin = rootfs / "usr/local/bin"
        for name in ("python3.11", "python3", "python"):
            (local_bin / name).symlink_to("/usr/bin/python3.11")
        (local_bin / "pip").symlink_to("/usr/bin/pip3")
        (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        # package installs inside a build (pip, and uv through SSL_CERT_FILE) verify TLS
        # against the host's CA bundle
        shutil.copy(CA_BUNDLE, rootfs / CA_BUNDLE.lstrip("/"))
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc",
                     "usr/share/man", "usr/share/locale", "usr/share/info"):  # fmt: skip
            shutil.rmtree(rootfs / junk, ignore_errors=True)
            (rootfs / junk).mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        _run(
            ["podman", "import", "--change", f"LABEL {INPUTS_LABEL}={wanted}",
             "--change", f"ENV SSL_CERT_FILE={CA_BUNDLE}", "--change", 'CMD ["python3"]',
             "-", BASE_IMAGE],
            stdin=tar.stdout,
        )  # fmt: skip
        tar.wait()
    return BASE_IMAGE


def build(
    image: str,
    dockerfile: Path,
    context: Path,
    *,
    args: Mapping[str, str] = {},
    paths: Iterable[str] = (),
) -> str:
    """`podman build` of one Dockerfile on the local base, unless an image built from the
    same inputs (Dockerfile, files, arguments, base) exists."""
    base_id = _run(["podman", "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE], timeout=60)
    wanted = inputs_hash(
        dockerfile.read_text(),
        base_id.strip(),
        json.dumps(dict(args), sort_keys=True),
        paths=paths,
        root=context,
    )
    if image_label(image) == wanted:
        return image
    previous = _image_id(image)
    arguments = {"PYTHON_IMAGE": BASE_IMAGE, **args}
    build_args = [f"--build-arg={key}={value}" for key, value in arguments.items()]
    _run(
        ["podman", "build", "--network", "host", "--pull=never", "--layers",
         f"--label={INPUTS_LABEL}={wanted}", *build_args,
         "-f", str(dockerfile), "-t", image, str(context)],
        env={**os.environ, "BUILDAH_FORMAT": "docker"},
    )  # fmt: skip
    if previous:  # the image this build replaced (its layers stay as the build cache)
        subprocess.run(["podman", "rmi", previous], capture_output=True, timeout=120)
    return image


def build_service(service: str, image: str, **args: str) -> str:
    return build(
        image, REPO_ROOT / service / "Dockerfile", REPO_ROOT, args=args, paths=SOURCES[service]
    )


def build_standin(name: str, image: str) -> str:
    """nginx or PostgreSQL from Debian's packages on the base (test-only stand-ins)."""
    directory = STANDINS_DIR / name
    return build(image, directory / "Containerfile", directory, paths=["."])

"""`make cluster`: the distributed topology on this machine, no Docker.

A Dask scheduler and CLUSTER_WORKERS workers (2), CLUSTER_REPLICAS API replicas (2) with
TASK_EXECUTOR=dask, the Streamlit UI, and Debian's nginx in front on CLUSTER_PORT (8090)
with an upstream over the replicas. The registry is PostgreSQL: DATABASE_URL when it
names one, else a database `textclf_cluster` on the server at 127.0.0.1:5432 (made on
the first start). Models, datasets, retrievers and logs live under CLUSTER_DIR
(data/cluster/). Ctrl-C stops everything.
"""

import os
import signal
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from testkit.cluster import Cluster, port_open
from testkit.databases import admin_url
from testkit.nginx import nginx_binary
from testkit.servers import REPO_ROOT
from testkit.stack import wait_any

DATABASE = "textclf_cluster"
HOW_TO_POSTGRES = (
    "the cluster needs PostgreSQL (every replica and worker shares the registry): start one "
    "on 127.0.0.1:5432 (Debian: apt-get install postgresql) or name yours with "
    "DATABASE_URL=postgresql+psycopg://user:password@host:5432/dbname make cluster"
)


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def database_url() -> str:
    """DATABASE_URL if it is PostgreSQL, else `textclf_cluster` on the local server."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgresql"):
        return given
    if given:
        raise RuntimeError(
            f"DATABASE_URL is not PostgreSQL ({given.split(':', 1)[0]}): {HOW_TO_POSTGRES}"
        )
    admin = create_engine(
        admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    except Exception as exc:
        raise RuntimeError(
            f"no PostgreSQL answers at {admin_url()} ({exc.__class__.__name__}): {HOW_TO_POSTGRES}"
        ) from exc
    finally:
        admin.dispose()
    return make_url(admin_url()).set(database=DATABASE).render_as_string(hide_password=False)


def main() -> int:
    if nginx_binary() is None:
        print("nginx is missing: run scripts/install-system-deps.sh (as root)", file=sys.stderr)
        return 1
    try:
        url = database_url()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    root = Path(os.environ.get("CLUSTER_DIR") or REPO_ROOT / "data" / "cluster").resolve()
    cluster = Cluster(
        root=root,
        database_url=url,
        replicas=_int_env("CLUSTER_REPLICAS", 2),
        workers=_int_env("CLUSTER_WORKERS", 2),
        port=_int_env("CLUSTER_PORT", 8090),
        max_upload_mb=_int_env("MAX_UPLOAD_MB", 100),
        with_frontend=(REPO_ROOT / "frontend" / "streamlit_app.py").is_file(),
    )
    if port_open(cluster.port):
        print(f"port {cluster.port} is taken: choose another with CLUSTER_PORT=", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"starting the cluster on {cluster.url} (registry {shown}, files in {root})...")
    try:
        cluster.start()
        print(f"ready: {cluster.url}/  API docs: {cluster.url}/docs")
        print(f"Dask scheduler {cluster.scheduler_address}, workers {cluster.worker_names}")
        for name in cluster.replica_names:
            print(f"replica {name}: {cluster.replica_url(name)}")
        print(f"logs: {cluster.logs_dir}/out/*.out and {cluster.logs_dir}/<process>/; Ctrl-C stops")
        name = wait_any(cluster)
        print(f"{name} stopped; see {cluster.logs_dir}/out/{name}.out", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        print(f"the cluster did not start: {exc}", file=sys.stderr)
        print(cluster.outputs(2000), file=sys.stderr)
        return 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())

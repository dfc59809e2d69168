"""`make stack`: the production topology on this machine, no Docker.

Backend and frontend on loopback ports, Debian's nginx in front on STACK_PORT, with the
same nginx config as the containers. Uses the developer's data (data/, models/) and
writes logs under logs/ (backend/, stack/*.out, nginx/). Ctrl-C stops all three.
"""

import os
import signal
import socket
import sys

from testkit.nginx import nginx_binary
from testkit.servers import REPO_ROOT, free_port
from testkit.stack import Stack, wait_any


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main() -> int:
    if nginx_binary() is None:
        print("nginx is missing: run scripts/install-system-deps.sh (as root)", file=sys.stderr)
        return 1
    stack = Stack(
        run_dir=REPO_ROOT / "run",
        logs_dir=REPO_ROOT / "logs",
        port=_int_env("STACK_PORT", 8080),
        # behind nginx the services' own ports are internal: free ones, unless pinned, so
        # that a `make run` on 8000/8501 can neither block nor impersonate them
        backend_port=_int_env("STACK_BACKEND_PORT", free_port()),
        frontend_port=_int_env("STACK_FRONTEND_PORT", free_port()),
        max_upload_mb=_int_env("MAX_UPLOAD_MB", 100),
    )
    if _port_taken(stack.port):
        print(f"port {stack.port} is taken: choose another with STACK_PORT=", file=sys.stderr)
        return 1
    # Ctrl-C (even where a shell started us with SIGINT ignored) and `kill` stop all three
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"starting the stack on {stack.url} (first start trains the default models)...")
    try:
        stack.start()
        frontend = "" if stack.with_frontend else " (no frontend/streamlit_app.py yet)"
        print(f"ready: {stack.url}/{frontend}  API docs: {stack.url}/docs")
        print(f"behind it: backend on :{stack.backend_port}, frontend on :{stack.frontend_port}")
        print("logs: logs/backend/, logs/stack/*.out, logs/nginx/; Ctrl-C stops")
        name = wait_any(stack)
        print(f"{name} stopped; see logs/stack/{name}.out", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        print(f"the stack did not start: {exc}", file=sys.stderr)
        for name in stack.processes:
            print(f"--- logs/stack/{name}.out ---\n{stack.output(name, 2000)}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

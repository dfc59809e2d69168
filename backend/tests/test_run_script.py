"""`make run`'s script (scripts/run.sh) refuses a port another server holds, before it
starts anything: that server would answer its readiness check, and the script would say
"backend ready" for someone else's."""

import socket
import subprocess

from testkit.servers import REPO_ROOT, free_port


def test_a_taken_port_is_refused_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["scripts/run.sh"],
            cwd=REPO_ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "BACKEND_PORT": str(port),
                "FRONTEND_PORT": str(free_port()),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"port {port} is taken" in result.stdout
    assert "waiting for the backend" not in result.stdout  # nothing was started

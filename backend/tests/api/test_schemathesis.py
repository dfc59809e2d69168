"""Property-based checks against the app's own OpenAPI document, bounded to a few minutes:
no 5xx, and every status, content type and body as the schema says. Runs schemathesis'
own CLI (its pytest plugin does not support pytest 9 yet) on a server of its own, since
the fuzzer calls remove_all and fit with whatever it likes."""

import subprocess
import sys
from pathlib import Path

import pytest

from testkit.servers import BackendServer

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def test_api_conforms_to_its_schema(tmp_path: Path) -> None:
    server = BackendServer(root=tmp_path / "fuzzed").start()
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "30",
                "--seed",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--request-timeout",
                "60",
                "--workers",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    if "No such option" in result.stderr:
        pytest.fail(result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No operations" not in result.stdout
    print(result.stdout[-3000:])

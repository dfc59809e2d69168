"""The last resort of the one place errors become problem+json: a read or write the
operating system refused that no service mapped (permissions, a read-only mount) is a 500
that asks an operator to check the server's folders, naming no path; the log has the
path."""

import asyncio
import errno

import httpx
import pytest
from fastapi import FastAPI

from app.api.problems import install_problem_handlers


def post_to_an_app_that_raises(error: OSError) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/write")
    def write() -> None:
        raise error

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/write")

    return asyncio.run(post())


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM, errno.EROFS])
def test_a_refused_write_that_no_service_mapped(
    code: int, caplog: pytest.LogCaptureFixture
) -> None:
    response = post_to_an_app_that_raises(OSError(code, "refused", "/srv/secret/models/x.zip"))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Storage error"
    assert body["detail"].startswith("the server was refused access to one of its files")
    assert "an operator must check its folders' permissions" in body["detail"]
    assert "/srv/secret" not in response.text
    assert "/srv/secret/models/x.zip" in caplog.text


def test_any_other_os_error_is_still_an_internal_error() -> None:
    response = post_to_an_app_that_raises(OSError(errno.EIO, "input/output error", "/srv/x"))
    assert response.status_code == 500
    assert response.json()["title"] == "Internal error"

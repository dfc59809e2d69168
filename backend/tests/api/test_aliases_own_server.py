"""What needs a server of its own: remove_all (it takes every model) keeps aliased
versions, and with API_TOKEN set the alias history names the token that made a change."""

import hashlib
from pathlib import Path
from urllib.parse import quote

import httpx

from testkit.servers import BackendServer, serving
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
TOKEN = "alias-test-token"


def test_remove_all_keeps_aliased_versions_and_history_names_the_token(tmp_path: Path) -> None:
    env = {"API_TOKEN": TOKEN, "DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"}
    with serving(BackendServer(root=tmp_path, env=env)) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server.base_url, timeout=120, headers=headers) as client:
            name = unique_name("swept")
            v1, v2 = trained_versions(client, name, 2)
            alias_url = f"{API}/aliases/{quote(name)}/production"
            assert client.put(alias_url, json={"version": 2}).status_code == 200
            removed = client.delete(f"{API}/models/remove_all")
            assert removed.status_code == 200, removed.text
            assert removed.json()["removed"] == [v1]
            assert client.get(f"{API}/models/{v2}").json()["aliases"] == ["production"]
            history = client.get(f"{alias_url}/history").json()
            fingerprint = hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
            assert [h["caller"] for h in history] == [f"token:{fingerprint}"]
            assert TOKEN not in str(history)
            anonymous = httpx.put(f"{server.base_url}{alias_url}", json={"version": 2})
            assert anonymous.status_code == 401

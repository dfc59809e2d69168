"""The API client's calls for a model's life: aliases, new versions (retrain, incremental
training) and bundles (a part of `ApiClient`, kept in a file of its own)."""

from urllib.parse import quote

from shared.schemas import (
    AliasChange,
    AliasRead,
    AliasRollback,
    AliasSet,
    FitAccepted,
    IncrementalRequest,
    ModelRead,
    RetrainRequest,
)
from ui.api_transport import API, Transport, Upload


class LifecycleCalls:
    # -- aliases (issue 16) ---------------------------------------------------------------
    def list_aliases(self: Transport, name: str) -> list[AliasRead]:
        response = self._request("GET", _alias_path(name))
        return self._parse(list[AliasRead], response)

    def set_alias(
        self: Transport, name: str, alias: str, version: int, reason: str = ""
    ) -> AliasRead:
        """Point the alias at a version (loaded first, then switched at once)."""
        body = AliasSet(version=version, reason=reason).model_dump()
        return self._parse(AliasRead, self._request("PUT", _alias_path(name, alias), json=body))

    def delete_alias(self: Transport, name: str, alias: str, reason: str = "") -> None:
        self._request("DELETE", _alias_path(name, alias), params={"reason": reason})

    def rollback_alias(self: Transport, name: str, alias: str, reason: str) -> AliasRead:
        """Back to the version the alias named before its last change."""
        body = AliasRollback(reason=reason).model_dump()
        response = self._request("POST", f"{_alias_path(name, alias)}/rollback", json=body)
        return self._parse(AliasRead, response)

    def alias_history(self: Transport, name: str, alias: str) -> list[AliasChange]:
        response = self._request("GET", f"{_alias_path(name, alias)}/history")
        return self._parse(list[AliasChange], response)

    # -- versions: retrain, incremental training, bundles ---------------------------------
    def retrain_model(self: Transport, model_id: str, request: RetrainRequest) -> FitAccepted:
        body = request.model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{API}/models/{model_id}/retrain", json=body)
        return self._parse(FitAccepted, response)

    def continue_training(
        self: Transport, model_id: str, request: IncrementalRequest
    ) -> FitAccepted:
        body = request.model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{API}/models/{model_id}/incremental", json=body)
        return self._parse(FitAccepted, response)

    def download_bundle(self: Transport, model_id: str) -> tuple[bytes, str]:
        """The version's bundle file and its sha256 (what an import asks for)."""
        response = self._request("GET", f"{API}/models/{model_id}/bundle", long=True)
        return response.content, response.headers.get("X-Bundle-SHA256", "")

    def import_bundle(
        self: Transport, content: Upload, sha256: str, name: str | None = None
    ) -> ModelRead:
        response = self._request(
            "POST",
            f"{API}/models/import",
            files={"file": ("bundle.zip", content, "application/zip")},
            data={"sha256": sha256, **({"name": name} if name else {})},
            long=True,
        )
        return self._parse(ModelRead, response)


def _alias_path(name: str, alias: str | None = None) -> str:
    path = f"{API}/aliases/{quote(name, safe='')}"
    return f"{path}/{alias}" if alias else path

"""Who made a change, for the histories that record it: the API token, when the server
has one (the request passed `RequestGate` with it), named by a short fingerprint that
says which token it was without saying the token; None on a server without a token."""

import hashlib
from typing import Annotated

from fastapi import Depends

from app.api.deps import SettingsDep


def get_caller(settings: SettingsDep) -> str | None:
    if settings.api_token is None:
        return None
    digest = hashlib.sha256(settings.api_token.get_secret_value().encode()).hexdigest()
    return f"token:{digest[:12]}"


CallerDep = Annotated[str | None, Depends(get_caller)]

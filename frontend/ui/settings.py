"""The frontend's configuration, read once from the environment (and an optional .env file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class FrontendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    backend_url: str = Field("http://127.0.0.1:8000", description="Where the API answers.")
    api_token: SecretStr | None = Field(
        None, description="Sent as 'Authorization: Bearer …' when set."
    )
    frontend_host: str = "127.0.0.1"
    frontend_port: int = Field(8501, ge=1, le=65535)
    connect_timeout_s: float = Field(5.0, gt=0)
    request_timeout_s: float = Field(30.0, gt=0, description="Ordinary API calls.")
    long_request_timeout_s: float = Field(
        600.0, gt=0, description="Uploads, CSV predictions and scoring of whole datasets."
    )
    max_upload_mb: int = Field(100, ge=1, description="The backend's MAX_UPLOAD_MB.")
    logs_dir: Path = REPO_ROOT / "logs"
    log_level: str = "INFO"
    tasks_refresh_s: float = Field(2.0, gt=0, description="Tasks page refresh while any runs.")
    tasks_idle_refresh_s: float = Field(
        10.0, gt=0, description="Tasks page refresh while none runs (to see new ones)."
    )
    tsne_max_rows: int = Field(3000, ge=100, le=20_000)
    pos_sample_rows: int = Field(2000, ge=100, description="Texts tagged for parts of speech.")

    @field_validator("logs_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (REPO_ROOT / value).resolve()

    @field_validator("backend_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


@lru_cache
def get_settings() -> FrontendSettings:
    return FrontendSettings()

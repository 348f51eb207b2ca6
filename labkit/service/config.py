"""The service's settings (``LABKIT_SERVICE_*`` variables) and its own state folder.

:class:`ServiceSettings` is everything one service process needs; ``labkit serve`` passes it
to each uvicorn worker process through the environment (``to_env``/``from_env``). It does not
build anything: :mod:`labkit.service.app` does.

Example:
    >>> ServiceSettings(provider_url="http://127.0.0.1:9/v1").to_env()["OPENAI_BASE_URL"]
    'http://127.0.0.1:9/v1'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from labkit.errors import ConfigError
from labkit.settings import var_dir


class ServiceSettings(BaseModel):
    """Everything the service needs; ``from_env()`` reads ``LABKIT_SERVICE_*`` variables."""

    provider_url: str | None = Field(None, description="OpenAI-compatible base URL ending in /v1")
    provider_key: str = "lab-key"
    keys_file: str | None = None
    max_body_bytes: int = Field(256 * 1024, gt=0)
    chat_model: str = "lab-chat-2026-01"
    jobs_backend: str = Field("sqlite", pattern="^(sqlite|redis)$")
    redis_url: str | None = None
    embedded_workers: int = Field(2, ge=0, le=64)
    threads: int = Field(128, ge=4, le=2048)  # sync handlers run in a thread pool this big
    copilot_budget_s: float = Field(8.0, gt=0)
    approver_roles: list[str] = Field(default_factory=lambda: ["admin"])
    warm_rag: bool = True  # build the RAG pipeline (ingesting if the index is empty) at startup
    rag_ingest_limit: int | None = Field(None, ge=1)  # ingest only N documents (tests, demos)

    @classmethod
    def from_env(cls) -> ServiceSettings:
        """Settings from the environment (what ``labkit serve`` passes to each worker process)."""
        env = os.environ
        values: dict[str, Any] = {}
        if env.get("OPENAI_BASE_URL"):
            values["provider_url"] = env["OPENAI_BASE_URL"]
        if env.get("OPENAI_API_KEY"):
            values["provider_key"] = env["OPENAI_API_KEY"]
        for field in cls.model_fields:
            name = f"LABKIT_SERVICE_{field.upper()}"
            if name in env:
                raw = env[name]
                values[field] = raw.split(",") if field == "approver_roles" else raw
        try:
            return cls.model_validate(values)
        except ValidationError as exc:  # pydantic's message is long; keep one line
            err = exc.errors()[0]
            name = f"LABKIT_SERVICE_{'_'.join(str(p) for p in err['loc']).upper()}"
            raise ConfigError(f"invalid setting {name}: {err['msg']}") from None

    def to_env(self) -> dict[str, str]:
        """The inverse of ``from_env`` (for worker processes started by uvicorn)."""
        env: dict[str, str] = {}
        for field, value in self.model_dump().items():
            if value is None:
                continue
            env[f"LABKIT_SERVICE_{field.upper()}"] = ",".join(value) if isinstance(value, list) else str(value)
        if self.provider_url:
            env["OPENAI_BASE_URL"] = self.provider_url
        env["OPENAI_API_KEY"] = self.provider_key
        return env


def service_dir() -> Path:
    """``var/service``: the service's own SQLite store (ownership of jobs and runs)."""
    path = var_dir() / "service"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""One settings object for the whole service, read from ``LEADFLOW_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may change without touching the code."""

    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path('var') / 'leadflow.db'}",
        description="sqlite:///path or postgresql://user:pass@host:port/db; the driver is ours.",
    )
    default_region: str = Field(default="US", description="Region for numbers without +country.")
    embedded_worker: bool = Field(default=True, description="Run the worker inside `serve`.")
    worker_poll_seconds: float = 1.0
    db_pool_size: int = 10
    allow_private_urls: bool = Field(
        default=False, description="Let user-configured outbound URLs reach private networks."
    )
    public_url: str = Field(default="", description="Base URL shown in examples; empty: request's.")
    token_cache_seconds: float = Field(
        default=5.0, description="How long a lead token's owner is cached per process."
    )
    auth_cache_seconds: float = Field(
        default=30.0, description="How long a verified API key is trusted before it is re-read."
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

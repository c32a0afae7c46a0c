"""The one settings object. No other module reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The source checkout (tests and tools use it; an installed package's settings do not)."""


class Settings(BaseSettings):
    """Configuration, read from environment variables (and a `.env` file if present)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/kb.sqlite3",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    seed_file: Path = Field(
        default=Path("data/seed.json"), description="Relative paths start at the working directory."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = Field(
        default="info",
        pattern="^(debug|info|warning|error|critical)$",
        description="At debug or info every request gets an access line; above, none does.",
    )
    access_log_buffer_lines: int = Field(
        default=16384,
        ge=1,
        description="Access lines queued for the log's writer thread; when the sink is slower "
        "than the requests and the buffer is full, further lines are dropped and counted.",
    )
    access_log_sample_rate: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of requests answered below 400 that get an access line (errors "
        "always do); 1, the default, writes a line for every request.",
    )
    public_base_url: str | None = Field(
        default=None, description="Base URL for absolute links; default: taken from the request."
    )
    cors_origins: list[str] = Field(
        default=["*"], description="Origins allowed to read the API; '*' for any (no credentials)."
    )
    cache_max_age: int = Field(default=60, ge=0, description="Cache-Control max-age in seconds.")
    response_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="Memory for cached responses; 0 disables."
    )
    version_ttl: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Seconds a process trusts its view of the dataset version before re-reading.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="Requests per minute per client address; 0 turns it off."
    )
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests a client may burst.")
    db_pool_size: int = Field(default=5, ge=1, le=100)
    sqlite_mmap_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=0,
        description="SQLite: bytes of the database file read through a memory map; 0 turns it "
        "off. The mapped pages are the operating system's file cache, shared by the workers.",
    )
    db_lock_timeout: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="Seconds a request waits for a database lock (SQLite busy_timeout, "
        "PostgreSQL lock_timeout) before it answers 503 with Retry-After.",
    )
    db_statement_timeout: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="PostgreSQL: seconds one statement of a request may run (statement_timeout) "
        "before it answers 503; 0 turns it off.",
    )
    db_connect_timeout: int = Field(
        default=5, ge=2, le=300, description="PostgreSQL: seconds to wait for a connection."
    )
    document_max_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest seed or import document `kb check`, `kb seed` and `kb import` read.",
    )
    max_deletion_share: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="Share of the records and links `kb seed` or `kb import` may remove without "
        "--allow-deletions.",
    )
    shutdown_timeout: int = Field(
        default=30,
        ge=1,
        description="On SIGTERM, seconds `kb serve` waits for requests already received to be "
        "answered before it cancels them.",
    )
    shutdown_drain_seconds: float = Field(
        default=1.0,
        ge=0,
        le=30,
        description="On SIGTERM, how long an idle kept-alive connection stays open to answer "
        "a request the client has already sent on it.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed; none by default. '*' trusts every peer.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()

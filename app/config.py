"""The one settings object. No other module reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
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
    database_read_urls: str = Field(
        default="",
        description="PostgreSQL read replicas, comma-separated SQLAlchemy URLs: GETs read from "
        "one that has replayed the dataset version they answer for, else from DATABASE_URL.",
    )
    replica_max_lag: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Seconds a replica may stay behind the primary's dataset version before it "
        "leaves the rotation (until it catches up); /readyz lists each replica's state.",
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
    rate_limit_shared: bool = Field(
        default=False,
        description="Keep the rate limit's buckets in DATABASE_URL's database, shared by every "
        "process and host using it (reconciled every RATE_LIMIT_SYNC seconds); off: per process.",
    )
    rate_limit_sync: float = Field(
        default=0.2,
        ge=0.01,
        le=10,
        description="Seconds between a process's reconciliations with the shared buckets.",
    )
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

    @field_validator("database_read_urls")
    @classmethod
    def _postgres_replicas(cls, value: str) -> str:
        for url in value.split(","):
            if url.strip() and not url.strip().startswith("postgresql"):
                raise ValueError("each read replica must be a postgresql+psycopg:// URL")
        return value

    @model_validator(mode="after")
    def _replicas_need_postgres(self) -> Settings:
        if self.read_urls and not self.database_url.startswith("postgresql"):
            raise ValueError("DATABASE_READ_URLS needs DATABASE_URL on PostgreSQL (the primary)")
        return self

    @property
    def read_urls(self) -> list[str]:
        """DATABASE_READ_URLS as a list (empty: every read goes to DATABASE_URL)."""
        return [url.strip() for url in self.database_read_urls.split(",") if url.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()

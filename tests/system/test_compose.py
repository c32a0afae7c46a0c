"""compose.yaml, as Debian's docker-compose reads it: the topology of docs/scaling.md, every
API setting one the app knows, and no database password unless one is given."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
import yaml

from app.config import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "compose.yaml"


def _config(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _services() -> dict[str, Any]:
    result = _config(KB_DB_PASSWORD="s3cret")
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout)["services"])


def test_compose_file_is_valid_and_holds_the_topology() -> None:
    services = _services()

    assert set(services) == {"primary", "replica", "seed", "api-1", "api-2", "balancer"}
    assert services["replica"]["depends_on"]["primary"]["condition"] == "service_healthy"
    assert "pg_basebackup" in " ".join(services["replica"]["command"])
    assert "-R" in " ".join(services["replica"]["command"]).split()
    assert services["seed"]["command"] == ["kb", "seed", "--keep-writes"]
    assert services["balancer"]["ports"]
    upstreams = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for name in ("api-1", "api-2"):
        api = services[name]
        assert api["depends_on"]["seed"]["condition"] == "service_completed_successfully"
        env = api["environment"]
        assert env["DATABASE_URL"] == "postgresql+psycopg://kb:s3cret@primary:5432/kb"
        assert env["DATABASE_READ_URLS"] == "postgresql+psycopg://kb:s3cret@replica:5432/kb"
        assert env["RATE_LIMIT_SHARED"] == "true"
        assert re.search(rf"server {name}:8000\b", upstreams)
        assert "ports" not in api  # reachable only through the balancer


def test_compose_settings_are_settings_the_api_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _services()["api-1"]["environment"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = Settings(_env_file=None)

    assert {name.lower() for name in env} <= set(Settings.model_fields)
    assert settings.read_urls == ["postgresql+psycopg://kb:s3cret@replica:5432/kb"]
    assert settings.rate_limit_shared is True


def test_compose_needs_a_database_password() -> None:
    result = _config()

    assert result.returncode != 0
    assert "KB_DB_PASSWORD" in result.stderr

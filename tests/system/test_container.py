"""The container, built and run for real: it seeds, answers /readyz, serves a condition, runs
as a non-root user and keeps its SQLite file on the volume across a restart.

The base image is built from Debian's packages (deploy/debian-base-image.sh; no registry is
needed) unless it is there already; pip's settings and the CA bundle reach the build as
BuildKit secrets. Run once per CI run, by `make test` (it does not use TEST_DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.conftest import POSTGRES_URL
from tests.servers import free_port

BASE_IMAGE = "kb-base:bookworm"
THERAPY = "/v1/therapies/perineural-injection-therapy"
# Debian's client: it speaks BuildKit (secrets) with no buildx plugin.
DOCKER = os.environ.get("DOCKER") or (
    "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
)

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="runs once per CI run, with `make test` (SQLite in the image)"
)


def _docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    result = subprocess.run(
        [DOCKER, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {args[0]} failed: {result.stderr[-3000:]}")
    return result.stdout.strip()


def _secrets() -> list[str]:
    """The machine's pip settings and CA bundle, as build secrets (never layers)."""
    found = {
        "pip.conf": os.environ.get("PIP_CONFIG_FILE") or "/etc/pip.conf",
        "ca.crt": os.environ.get("PIP_CERT")
        or os.environ.get("SSL_CERT_FILE")
        or "/etc/ssl/certs/ca-certificates.crt",
    }
    return [
        arg
        for name, path in found.items()
        if Path(path).is_file()
        for arg in ("--secret", f"id={name},src={path}")
    ]


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    if (
        shutil.which(DOCKER) is None
        or subprocess.run([DOCKER, "info"], capture_output=True, check=False).returncode
    ):
        pytest.fail("no Docker daemon answers: `make docker-daemon` starts Debian's docker.io")
    if not _docker("images", "-q", BASE_IMAGE):
        script = PROJECT_ROOT / "deploy" / "debian-base-image.sh"
        subprocess.run([str(script), BASE_IMAGE], check=True, capture_output=True, timeout=900)
    tag = f"treatment-kb-test:{uuid.uuid4().hex[:8]}"
    _docker(
        "build",
        "--network",
        "host",
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        *_secrets(),
        "-t",
        tag,
        str(PROJECT_ROOT),
        timeout=900,
    )
    try:
        yield tag
    finally:
        _docker("rmi", "-f", tag, check=False)


def _ready(base: str, container: str, seconds: float = 120) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.get(f"{base}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            logs = _docker("logs", container, check=False)
            raise AssertionError(f"the container never became ready: {logs[-3000:]}")
        time.sleep(0.5)


def test_container_seeds_serves_as_non_root_and_keeps_its_data_across_a_restart(
    image: str,
) -> None:
    name, volume, port = (
        f"kb-test-{uuid.uuid4().hex[:8]}",
        f"kb-test-{uuid.uuid4().hex[:8]}",
        free_port(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _docker(
            "run",
            "-d",
            "--name",
            name,
            "-p",
            f"127.0.0.1:{port}:8000",
            "-v",
            f"{volume}:/data",
            image,
        )
        ready = _ready(base, name)
        assert ready.json()["status"] == "ready"
        condition = httpx.get(f"{base}/v1/conditions/lateral-epicondylitis", timeout=10)
        assert condition.status_code == 200
        assert condition.json()["slug"] == "lateral-epicondylitis"
        assert _docker("exec", name, "id", "-u") == "10001"
        assert "kb.sqlite3" in _docker("exec", name, "ls", "/data").split()
        # The build's secrets (pip's settings, the CA bundle) stayed out of the image.
        environment = _docker("exec", name, "env")
        assert "PIP_CERT" not in environment and "PIP_CONFIG_FILE" not in environment
        leftovers = "find /run/secrets /etc/pip.conf -type f 2>/dev/null || true"
        assert not _docker("exec", name, "sh", "-c", leftovers)
        key = _docker("exec", name, "kb", "keys", "create", "--name", "tester", "--role", "editor")
        editor = {"Authorization": f"Bearer {key.splitlines()[0]}"}
        etag = httpx.get(base + THERAPY, timeout=10).headers["etag"]
        written = httpx.patch(
            base + THERAPY,
            json={"summary": "Written before the restart."},
            headers=editor | {"If-Match": etag},
            timeout=10,
        )
        assert written.status_code == 200, written.text

        _docker("restart", name)

        _ready(base, name)
        after = httpx.get(base + THERAPY, timeout=10)
        assert after.json()["summary"] == "Written before the restart."  # kept on the volume
        assert after.headers["etag"].startswith(f'"{written.headers["dataset-version"]}-')
        state = json.loads(_docker("inspect", name))[0]
        assert state["RestartCount"] == 0 and state["State"]["Running"] is True
    finally:
        _docker("rm", "-f", name, check=False)
        _docker("volume", "rm", "-f", volume, check=False)

"""The TypeScript client (clients/typescript/): current with the OpenAPI document, compiled
with `tsc --strict` (exactOptionalPropertyTypes, noUncheckedIndexedAccess), and run against a
live server; and the document passes the OpenAPI linter (Redocly CLI, redocly.yaml).

`make test` installs Node.js (Debian's) and runs `npm ci` in clients/typescript/ first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import running_server
from tests.system.test_schemathesis import seeded_database_url  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"

pytestmark = pytest.mark.slow


def npm_tool(name: str) -> str:
    tool = BIN / name
    assert tool.exists(), f"{tool} is missing: run `make test` (it runs npm ci in {CLIENT})"
    return str(tool)


def run(*args: str, cwd: Path = CLIENT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The OpenAPI document the client is generated from (`kb openapi --no-examples`)."""
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    kb = str(Path(sys.executable).with_name("kb"))
    done = run(kb, "openapi", "--no-examples", "--out", str(path), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    yield path


def test_committed_client_is_generated_from_the_current_document(
    document: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "schema.d.ts"
    done = run(npm_tool("openapi-typescript"), str(document), "--output", str(generated))
    assert done.returncode == 0, done.stderr
    committed = (CLIENT / "src" / "schema.d.ts").read_text(encoding="utf-8")
    assert generated.read_text(encoding="utf-8") == committed, (
        "clients/typescript/src/schema.d.ts is out of date with the OpenAPI document: "
        "run `make client` and commit the result"
    )


@pytest.fixture
def compiled() -> Iterator[Path]:
    """The client and its smoke program compiled by `tsc --strict` into a folder of their own."""
    out = CLIENT / f"dist-{uuid.uuid4().hex[:8]}"
    done = run(npm_tool("tsc"), "--project", "tsconfig.json", "--outDir", str(out))
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        yield out
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_typescript_client_runs_against_a_live_server(
    compiled: Path,
    seeded_database_url: str,  # noqa: F811
) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is missing: `make node` installs it"
    with running_server(seeded_database_url) as base:
        done = run(node, str(compiled / "test" / "smoke.js"), KB_BASE_URL=base)
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["condition"] == "knee-osteoarthritis"
    assert seen["therapies"]
    assert seen["missing"] == "/problems/not-found"
    assert seen["revalidated"] == 304


def test_openapi_document_passes_the_linter(tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"
    kb = str(Path(sys.executable).with_name("kb"))
    done = run(kb, "openapi", "--out", str(path), cwd=ROOT)  # with the seed's examples
    assert done.returncode == 0, done.stderr
    assert '"example"' in path.read_text(encoding="utf-8")
    done = run(npm_tool("redocly"), "lint", "--config", "redocly.yaml", str(path))
    assert done.returncode == 0, done.stdout + done.stderr

"""The kb command: check, seed and export, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.writes.seed import export_bytes
from tests.factories import seed_document


def kb(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )


def test_kb_check_prints_every_problem_and_writes_nothing(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    seeded = kb(
        "seed",
        "--file",
        str(write(tmp_path / "good.json", seed_document())),
        database_url=database_url,
    )
    assert seeded.returncode == 0, seeded.stderr
    with Session(engine) as session:
        before = export_bytes(session)
    raw = seed_document()
    raw["therapies"][0]["indications"][0]["condition"] = "foo"
    raw["outcomes"][0]["evidence_level"] = "anecdote"
    raw["sources"][1]["doi"] = "not-a-doi"
    bad = write(tmp_path / "bad.json", raw)

    checked = kb("check", str(bad), database_url=database_url)
    assert checked.returncode == 1
    lines = checked.stderr.splitlines()
    assert f"{bad}: therapies[0].indications[0].condition: unknown condition 'foo'" in lines
    assert any(
        line.startswith(f"{bad}: outcomes[0].evidence_level: Input should be") for line in lines
    )
    assert any(line.startswith(f"{bad}: sources[1].doi: String should match") for line in lines)
    assert lines[-1] == "3 problem(s); nothing was written."

    refused = kb("seed", "--file", str(bad), database_url=database_url)
    assert refused.returncode == 1
    with Session(engine) as session:
        assert export_bytes(session) == before


def test_kb_seed_then_export_round_trips(tmp_path: Path, database_url: str) -> None:
    source = write(tmp_path / "seed.json", seed_document())
    assert kb("seed", "--file", str(source), database_url=database_url).returncode == 0
    first = kb("export", database_url=database_url)
    assert first.returncode == 0
    exported = tmp_path / "export.json"
    exported.write_text(first.stdout)
    again = kb("seed", "--file", str(exported), database_url=database_url)
    assert again.returncode == 0
    assert again.stdout.strip() == f"seeded from {exported}: no changes"
    second = kb("export", "--out", str(tmp_path / "second.json"), database_url=database_url)
    assert second.returncode == 0
    assert (tmp_path / "second.json").read_text() == first.stdout


def test_kb_check_accepts_valid_file(tmp_path: Path, database_url: str) -> None:
    good = write(tmp_path / "good.json", seed_document())
    result = kb("check", str(good), database_url=database_url)
    assert result.returncode == 0
    assert result.stdout.strip() == f"{good}: valid"


def write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path

"""Seed and import documents are parsed within limits: size, nesting depth, number length.

A breach is one clear problem with its JSON path, exit code 2, and the database untouched
(issue #28: a document nested 200,000 levels deep, or a number of 5,000 digits, crashed
`kb check`, `kb seed` and `kb import` with a traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.writes.seed import (
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    DocumentTooLarge,
    SeedError,
    export_bytes,
    parse_document,
)
from tests.curation import kb
from tests.factories import seed_document

COMMANDS = (("check",), ("seed", "--quiet", "--file"), ("import",))


def exported(engine: Engine) -> bytes:
    with Session(engine) as session:
        return export_bytes(session)


def run_each(tmp_path: Path, data: bytes, database_url: str, engine: Engine) -> list[str]:
    """Seed the test document, then give `data` to check, seed and import: each exits 2 and
    the database is as it was. Returns each command's problem lines."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(seed_document()), encoding="utf-8")
    assert kb(database_url, "seed", "--quiet", "--file", str(good)).exit_code == 0
    before = exported(engine)
    path = tmp_path / "hostile.json"
    path.write_bytes(data)
    lines = []
    for command in COMMANDS:
        result = kb(database_url, *command, str(path))
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        [problem, summary] = result.stderr.splitlines()
        assert summary == "1 problem(s); nothing was written."
        lines.append(problem.removeprefix(f"{path}: "))
        assert exported(engine) == before
    return lines


def test_kb_commands_refuse_document_nested_200000_levels(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    lines = run_each(tmp_path, b"[" * 200_000 + b"]" * 200_000, database_url, engine)
    assert set(lines) == {"[0]" * MAX_DEPTH + f": nested deeper than {MAX_DEPTH} levels"}


def test_kb_check_names_path_of_deep_value_within_a_record(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    raw = seed_document()
    deep: list[object] = []
    for _ in range(60):  # within orjson's own limit: found in the parsed document
        deep = [deep]
    raw["therapies"][1]["sources"] = deep
    lines = run_each(tmp_path, json.dumps(raw).encode(), database_url, engine)
    [line] = set(lines)
    assert line.startswith("therapies[1].sources[0][0]")
    assert line.endswith(f": nested deeper than {MAX_DEPTH} levels")


def test_kb_commands_refuse_number_of_5000_digits_with_its_path(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    text = json.dumps(seed_document()).replace('"year": 2013', '"year": ' + "9" * 5000, 1)
    assert "9" * 5000 in text
    lines = run_each(tmp_path, text.encode(), database_url, engine)
    [line] = set(lines)
    assert line.startswith("sources[") and line.endswith(
        f".year: a number of 5,000 characters, over the limit of {MAX_NUMBER_CHARS}"
    )


def test_kb_commands_refuse_document_over_size_limit(
    tmp_path: Path, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = len(json.dumps(seed_document()).encode())  # the good document run_each seeds
    data = json.dumps(seed_document(), indent=2).encode()
    monkeypatch.setenv("DOCUMENT_MAX_BYTES", str(limit))
    [line] = set(run_each(tmp_path, data, database_url, engine))
    assert line == (
        f"$: the document is {len(data):,} bytes, over the limit of {limit:,} (DOCUMENT_MAX_BYTES)"
    )


def test_parse_document_accepts_long_digit_runs_inside_strings() -> None:
    raw = seed_document()
    raw["sources"][0]["title"] = "Trial " + "1" * 80
    document = parse_document(json.dumps(raw).encode())
    assert document.sources[0].title == "Trial " + "1" * 80


def test_parse_document_reports_overflow_as_invalid_json_not_a_limit() -> None:
    with pytest.raises(SeedError) as caught:
        parse_document(b'{"sources": [1e999]}')
    assert not isinstance(caught.value, DocumentTooLarge)
    [problem] = caught.value.problems
    assert str(problem).startswith("$: invalid JSON at line 1 column 14")

"""Lighthouse (npm, pinned in tests/browser) against Debian's Chromium: the home page and a
condition page score at least 95 for performance, accessibility and best practices."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from pathlib import Path

import pytest

from tests.system.conftest import CHROMIUM

LIGHTHOUSE = (
    Path(__file__).resolve().parents[1] / "browser" / "node_modules" / ".bin" / "lighthouse"
)
CATEGORIES = ("performance", "accessibility", "best-practices")
RUNS = 3
"""Lighthouse's scores vary from run to run on a shared machine; its documentation advises the
median of several runs."""


def scores(url: str, out: Path) -> dict[str, float]:
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            "--output=json",
            f"--output-path={out}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
        timeout=180,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "runtimeError" not in report, report["runtimeError"]
    return {name: report["categories"][name]["score"] for name in CATEGORIES}


@pytest.mark.parametrize("path", ["/", "/conditions/lateral-epicondylitis"])
def test_lighthouse_scores_at_least_95(server: str, path: str, tmp_path: Path) -> None:
    assert LIGHTHOUSE.exists(), "Lighthouse is needed: `make test` installs it (tests/browser)"
    runs = [scores(f"{server}{path}", tmp_path / f"run-{number}.json") for number in range(RUNS)]
    medians = {name: statistics.median(run[name] for run in runs) for name in CATEGORIES}
    assert all(score >= 0.95 for score in medians.values()), (medians, runs)

"""`kb` meets a database fault: one line saying what, exit 1, no traceback (issue #28)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.store.engine import NO_FILE


def test_kb_export_without_database_file_says_so_and_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "var" / "kb.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "export"],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": f"sqlite:///{path}", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == f"kb: {NO_FILE}"
    assert result.stdout == ""
    assert not path.exists() and not path.parent.exists()

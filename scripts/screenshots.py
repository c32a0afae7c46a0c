"""Take the README's screenshots from the real pages: a condition page and its comparison.

    .venv/bin/python scripts/screenshots.py            # writes docs/img/*.png

Seeds data/seed.json into a throwaway SQLite file, serves it with `kb serve` on a free loopback
port and photographs the pages in Debian's Chromium (Playwright drives it; `make browser`
installs it), with every request that would leave this machine blocked.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = {
    "condition-page.png": ("/conditions/lateral-epicondylitis", 1500),
    "compare-page.png": ("/conditions/lateral-epicondylitis/compare", 900),
}
WIDTH = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    kb = str(Path(sys.executable).with_name("kb"))
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/kb.sqlite3",
            "PORT": str(port),
            "LOG_LEVEL": "warning",
        }
        subprocess.run([kb, "seed"], env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen([kb, "serve"], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=10)


def shoot(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 800})

        def local_only(route: Route) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                route.abort()

        page.route("**/*", local_only)
        for name, (path, height) in SHOTS.items():
            page.goto(f"{base}{path}")
            target = OUT / name
            page.screenshot(
                path=str(target),
                full_page=True,
                clip={"x": 0, "y": 0, "width": WIDTH, "height": height},
            )
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")
        browser.close()


if __name__ == "__main__":
    main()

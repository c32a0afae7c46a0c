"""Fixtures of the browser tests: a seeded server process, Debian's Chromium driven by
Playwright, and pages opened with every request that leaves this machine blocked."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.conftest import SEED_FILE
from tests.servers import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL = ("http://127.0.0.1:", "data:", "blob:")


@pytest.fixture
def server(database_url: str, load: Callable[[dict[str, Any]], None]) -> Iterator[str]:
    """A `kb serve` process on the curated knowledge base, data/seed.json."""
    load(json.loads(SEED_FILE.read_text(encoding="utf-8")))
    with running_server(database_url) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM), "Debian's chromium is needed: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def block_remote(page: Page) -> list[str]:
    """Abort, and record, every request of `page` that would leave this machine."""
    blocked: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return blocked


def open_offline(browser: Browser, url: str, **options: Any) -> tuple[Page, list[str]]:
    """Open `url` in a new page (`options` for its context: viewport, JavaScript ...) with
    every request that leaves this machine aborted, and recorded."""
    page = browser.new_context(**options).new_page() if options else browser.new_page()
    blocked = block_remote(page)
    page.goto(url)
    return page, blocked

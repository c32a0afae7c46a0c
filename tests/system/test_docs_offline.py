"""/docs and /redoc render in a real browser with every non-local request blocked."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from tests.conftest import SEED_FILE
from tests.servers import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL = ("http://127.0.0.1:", "data:", "blob:")


@pytest.fixture
def server(database_url: str, load: Callable[[dict[str, Any]], None]) -> Iterator[str]:
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


def open_offline(browser: Browser, url: str) -> tuple[Any, list[str]]:
    """Open `url` with every request that leaves this machine aborted, and recorded."""
    page = browser.new_page()
    blocked: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    return page, blocked


def test_docs_list_operations_offline(browser: Browser, server: str) -> None:
    page, blocked = open_offline(browser, f"{server}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/conditions/{slug}/therapies" in [p.replace("\u200b", "") for p in paths]
    assert len(paths) >= 16
    assert blocked == []
    page.close()


def test_redoc_lists_operations_offline(browser: Browser, server: str) -> None:
    page, blocked = open_offline(browser, f"{server}/redoc")
    page.wait_for_selector("text=For a condition: every therapy", timeout=20_000)
    assert page.locator("text=List therapies").count() >= 1
    assert blocked == []
    page.close()

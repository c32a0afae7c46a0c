"""/docs and /redoc render in a real browser with every non-local request blocked."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.system.conftest import open_offline


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

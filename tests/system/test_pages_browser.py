"""The pages in a real browser (Debian's Chromium), with every non-local request blocked: what a
clinician does, with and without JavaScript and with the keyboard alone; axe-core on every page
type; a 375 px wide screen; the print stylesheet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.system.conftest import block_remote, open_offline

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CONDITION = "/conditions/lateral-epicondylitis"
PAGE_TYPES = [
    "/",
    "/search?q=tenis%20elbow",
    "/search?q=frozen%20heel",
    "/search?body_region=knee",
    CONDITION,
    f"{CONDITION}/compare",
    "/therapies/perineural-injection-therapy",
    "/injectates/dextrose-10-lidocaine-0-075",
    "/side-effects/adverse-event-any",
    "/sources/best-2009-lateral-epicondylosis-review",
    "/conditions/no-such-condition",
]


def watch_console(page: Page) -> list[str]:
    """Console errors (a Content-Security-Policy violation is one) and uncaught exceptions."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_clinician_finds_a_condition_opens_a_source_compares_and_goes_back(
    browser: Browser, server: str
) -> None:
    page = browser.new_page()
    blocked = block_remote(page)
    errors = watch_console(page)
    page.goto(f"{server}/")
    search = page.get_by_label("Condition, synonym or code")
    search.press_sequentially("tenis elbo", delay=30)  # misspelt, and not finished
    option = page.get_by_role("option", name=re.compile("^Lateral epicondylitis"))
    expect(option).to_be_visible(timeout=10_000)
    option.click()
    page.wait_for_url(f"{server}{CONDITION}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lateral epicondylitis")
    for name in ("Prolotherapy", "Perineural injection therapy (PIT)"):
        therapy = page.locator("section.therapy", has=page.get_by_role("heading", name=name))
        expect(therapy.locator(".summary")).to_contain_text(
            "Best evidence for lateral epicondylitis:"
        )
    source = page.locator("section.therapy table a[href^='/sources/']").first
    title = source.inner_text()
    source.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="What cites it")).to_be_visible()
    page.go_back()
    page.wait_for_url(f"{server}{CONDITION}")
    page.get_by_role("link", name="Compare the therapies side by side").click()
    page.wait_for_url(f"{server}{CONDITION}/compare")
    headers = page.locator("table.compare thead th").all_inner_texts()
    assert sorted(headers[1:]) == ["Perineural injection therapy (PIT)", "Prolotherapy"]
    page.go_back()
    page.wait_for_url(f"{server}{CONDITION}")
    page.go_back()
    page.wait_for_url(f"{server}/")
    assert blocked == []
    assert errors == []
    page.close()


def test_pages_work_without_javascript(browser: Browser, server: str) -> None:
    page, blocked = open_offline(browser, f"{server}/", java_script_enabled=False)
    page.get_by_label("Condition, synonym or code").fill("tenis elbow")
    page.get_by_label("Condition, synonym or code").press("Enter")
    page.wait_for_url(f"{server}/search?q=tenis+elbow")
    expect(page.get_by_role("status").first).to_contain_text("1 condition found")
    page.get_by_role("link", name="Lateral epicondylitis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lateral epicondylitis")
    assert blocked == []
    page.context.close()


def run_axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    assert len(result["passes"]) > 10  # axe ran its rules
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def test_no_wcag_22_aa_violations_on_any_page_type(browser: Browser, server: str) -> None:
    assert AXE.exists(), "axe-core is needed: `make test` installs it (tests/browser)"
    # The page forbids inline scripts; axe is injected as one, so this context ignores the CSP.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    blocked = block_remote(page)
    found = {}
    for path in PAGE_TYPES:
        page.goto(f"{server}{path}")
        found[path] = run_axe(page)
    page.goto(f"{server}/")
    page.get_by_label("Condition, synonym or code").press_sequentially("knee", delay=30)
    expect(page.get_by_role("listbox")).to_be_visible(timeout=10_000)
    page.keyboard.press("ArrowDown")
    found["/ (suggestions open)"] = run_axe(page)
    assert {path: v for path, v in found.items() if v} == {}
    assert blocked == []
    context.close()


def test_keyboard_alone_reaches_a_condition_and_its_comparison(
    browser: Browser, server: str
) -> None:
    page, blocked = open_offline(browser, f"{server}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "home-q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.type("achilles", delay=30)
    expect(page.get_by_role("listbox")).to_be_visible(timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/conditions/achilles-tendinopathy")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == (
            "Compare the therapies side by side"
        ):
            break
    else:
        pytest.fail("the comparison link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/conditions/achilles-tendinopathy/compare")
    assert blocked == []
    page.close()


def test_pages_fit_a_375_px_screen(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    blocked = block_remote(page)
    for path in ("/", CONDITION, f"{CONDITION}/compare", "/therapies/prolotherapy"):
        page.goto(f"{server}{path}")
        # The page never scrolls sideways; a wide table scrolls in its own focusable region.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    assert blocked == []
    context.close()


def test_print_keeps_the_sources(browser: Browser, server: str) -> None:
    page, blocked = open_offline(browser, f"{server}{CONDITION}")
    page.emulate_media(media="print")
    assert page.locator("header.site form").is_hidden()
    source = page.locator("main a[href^='/sources/']").first
    expect(source).to_be_visible()
    after = source.evaluate("a => getComputedStyle(a, '::after').content")
    assert "/sources/" in after  # the printed page says where each statement comes from
    assert len(page.pdf()) > 10_000
    assert blocked == []
    page.close()

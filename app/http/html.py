"""Rendering the HTML pages (app/routes/pages.py): the Jinja2 environment (autoescaped,
templates in app/pages/templates), its filters that turn vocabulary values and ranges into
words, and `page()`, a rendered page with its security policy and a link to its JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "pages" / "templates"

# Everything a page loads comes from this origin, and nothing runs inline: the one script and
# the one stylesheet are files (app/static/pages).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)

LABELS = {
    "systematic-review": "Systematic review",
    "rct": "Randomised controlled trial",
    "cohort": "Cohort study",
    "case-series": "Case series",
    "expert-opinion": "Expert opinion",
    "practitioner-claim": "Practitioner claim",
    "between-groups": "Between groups",
    "within-group": "Within one group (before and after)",
    "none": "No comparison",
    "favours-therapy": "Favours the therapy",
    "no-difference": "No difference",
    "favours-comparator": "Favours the comparator",
    "improved-uncontrolled": "Improved, uncontrolled",
    "unclear": "Unclear",
    "very-common": "Very common",
    "common": "Common",
    "uncommon": "Uncommon",
    "rare": "Rare",
    "not-observed": "Not observed",
    "unknown": "Unknown",
    "ankle-foot": "Ankle and foot",
    "hip-pelvis": "Hip and pelvis",
    "low-back": "Low back",
    "head-neck": "Head and neck",
    "web-page": "Web page",
    "journal-article": "Journal article",
    "book-chapter": "Book chapter",
    "trial-registry": "Trial registry entry",
    "code-set": "Code set",
    "local-anaesthetic": "Local anaesthetic",
    "proponent": "Proponent",
    "independent": "Independent",
    "very-low": "Very low",
}


def label(value: str | None) -> str:
    """A vocabulary value as a reader says it: `favours-therapy` -> "Favours the therapy"."""
    if value is None:
        return ""
    return LABELS.get(value) or value.replace("-", " ").capitalize()


def _number(value: float) -> str:
    return f"{value:g}"


def percent(low: float | None, high: float | None) -> str:
    """A concentration range: 10, 10 -> "10%"; 12.5, 25 -> "12.5–25%"; none -> ""."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        return f"{_number(low if low is not None else high)}%"  # type: ignore[arg-type]
    return f"{_number(low)}–{_number(high)}%"


def value_range(low: float | None, high: float | None, unit: str | None) -> str:
    """A reported value or range with its unit ("" when none)."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        text = _number(low if low is not None else high)  # type: ignore[arg-type]
    else:
        text = f"{_number(low)}–{_number(high)}"
    return f"{text} {unit}" if unit else text


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {"label": label, "percent": percent, "value_range": value_range}
    return environment


templates = Jinja2Templates(env=_environment())


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    json_path: str | None,
    status_code: int = 200,
) -> Response:
    """A rendered page with its security policy, and a `Link` to its JSON when it has one."""
    headers = {"content-security-policy": PAGE_CSP}
    if json_path is not None:
        headers["link"] = f'<{json_path}>; rel="alternate"; type="application/json"'
    return templates.TemplateResponse(
        request,
        template,
        {"json_path": json_path, **context},
        status_code=status_code,
        headers=headers,
    )

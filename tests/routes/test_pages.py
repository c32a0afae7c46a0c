"""The HTML pages (app/routes/pages.py): what each shows, its 404, escaping, its headers, and
the cache, 304 and compression it shares with the JSON."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from app.http.html import PAGE_CSP, label, percent, value_range
from app.models import RecordType
from app.routes.meta import DISCLAIMER
from app.routes.pages import SEARCH_LIMIT
from tests.curation import new_record
from tests.factories import seed_document

CONDITION = "/conditions/lateral-epicondylitis"


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags out, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def assert_page(response: httpx2.Response, status: int = 200) -> str:
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "<script>" not in response.text and "style=" not in response.text  # no inline code
    return response.text


def test_read_home_page_lists_regions_and_disclaimer(seeded_client: TestClient) -> None:
    html = assert_page(seeded_client.get("/"))
    text = text_of(html)
    assert '<form class="search search-big" role="search" action="/search"' in html
    regions = seeded_client.get("/v1/body-regions").json()["items"]
    for region in regions:
        assert f'href="/search?body_region={region["slug"]}"' in html
    elbow = next(region for region in regions if region["slug"] == "elbow")
    assert f"Elbow {elbow['condition_count']} condition" in text
    assert DISCLAIMER in text
    assert 'href="/v1/body-regions"' in html


def test_search_page_finds_a_misspelt_condition(seeded_client: TestClient) -> None:
    html = assert_page(seeded_client.get("/search", params={"q": "tenis elbow"}))
    text = text_of(html)
    assert 'href="/conditions/lateral-epicondylitis"' in html
    assert "Matched synonym “tennis elbow”" in text
    assert 'value="tenis elbow"' in html  # the box keeps the query
    assert 'href="/v1/conditions?q=tenis+elbow"' in html


def test_search_page_offers_spelling_corrections(seeded_client: TestClient) -> None:
    html = assert_page(seeded_client.get("/search", params={"q": "tenis"}))
    assert seeded_client.get("/v1/conditions?q=tenis").json()["did_you_mean"] == ["tennis"]
    assert "Did you mean tennis?" in text_of(html)
    assert 'href="/search?q=tennis"' in html


def test_search_page_labels_partial_matches_and_related(seeded_client: TestClient) -> None:
    partial = text_of(assert_page(seeded_client.get("/search", params={"q": "tennis elbow pain"})))
    api = seeded_client.get("/v1/conditions", params={"q": "tennis elbow pain"}).json()
    assert api["message"] in partial
    assert "a partial match: not matched “pain”" in partial
    html = assert_page(seeded_client.get("/search", params={"q": "frozen heel"}))
    related = seeded_client.get("/v1/conditions", params={"q": "frozen heel"}).json()
    assert related["items"] == [] and related["related"]
    text = text_of(html)
    assert "Related These are other conditions, not what was asked for." in text
    assert related["message"] in text
    for hit in related["related"]:
        assert f'href="/conditions/{hit["slug"]}"' in html
        assert hit["why"] in text


def test_search_page_by_body_region(seeded_client: TestClient) -> None:
    html = assert_page(seeded_client.get("/search", params={"body_region": "knee"}))
    conditions = seeded_client.get("/v1/conditions", params={"body_region": "knee"}).json()
    assert conditions["total"] > 0
    for item in conditions["items"]:
        assert f'href="/conditions/{item["slug"]}"' in html
    assert f"{conditions['total']} conditions found" in text_of(html)


def test_search_page_without_query_asks_for_one(seeded_client: TestClient) -> None:
    text = text_of(assert_page(seeded_client.get("/search")))
    assert "Type a condition, a synonym or a code" in text


def test_search_page_refuses_a_bad_region(seeded_client: TestClient) -> None:
    response = seeded_client.get("/search", params={"body_region": "Not A Slug"})
    assert response.status_code == 422


def test_read_condition_page_shows_every_therapy_and_its_evidence(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get(CONDITION)
    html = assert_page(response)
    text = text_of(html)
    api = seeded_client.get(f"/v1{CONDITION}/therapies").json()
    assert api["items"]
    for item in api["items"]:
        assert f'<h2 id="{item["therapy"]["slug"]}">' in html
        assert item["evidence_summary"]["summary"] in text
        for outcome in item["outcomes"]:
            assert outcome["finding"] in text
            assert f'href="/sources/{outcome["source"]["slug"]}"' in html
        for use in item["injectates"]:
            assert f'href="/injectates/{use["injectate"]["slug"]}"' in html
        for report in item["side_effects"]:
            assert f'href="/side-effects/{report["side_effect"]["slug"]}"' in html
    assert "Comparator" in text and "Direction" in text and "Design" in text
    assert "Injection protocols" in text and "Side effects reported" in text
    assert 'href="/conditions/lateral-epicondylitis/compare"' in html
    link = '</v1/conditions/lateral-epicondylitis/therapies>; rel="alternate"'
    assert response.headers["link"].startswith(link)


def test_condition_page_sets_general_statements_and_claims_apart(
    seeded_client: TestClient,
) -> None:
    api = seeded_client.get("/v1/conditions?limit=100").json()["items"]
    shown = 0
    for condition in api:
        therapies = seeded_client.get(f"/v1/conditions/{condition['slug']}/therapies").json()
        general = [o for item in therapies["items"] for o in item["general_outcomes"]]
        claims = [
            o
            for item in therapies["items"]
            for o in item["outcomes"] + item["general_outcomes"]
            if o["evidence_level"] == "practitioner-claim"
        ]
        if not general and not claims:
            continue
        html = seeded_client.get(f"/conditions/{condition['slug']}").text
        if general:
            assert "General statements, not specific to" in html
        for outcome in claims:
            row = html.split(unescape_safe(outcome["finding"]), 1)[1].split("</tr>", 1)[0]
            assert "claim, not a trial result" in row
        shown += 1
    assert shown > 0  # the seed has conditions with general statements or claims


def unescape_safe(text: str) -> str:
    """`text` as the page writes it (autoescaped)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def test_read_compare_page_puts_therapies_side_by_side(seeded_client: TestClient) -> None:
    html = assert_page(seeded_client.get(f"{CONDITION}/compare"))
    api = seeded_client.get(f"/v1{CONDITION}/therapies").json()["items"]
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    for item in api:
        assert f'href="/therapies/{item["therapy"]["slug"]}"' in header
    text = text_of(html)
    assert "Best evidence for this condition" in text
    assert "Side effects reported" in text


@pytest.mark.parametrize(
    ("path", "json_path", "expected"),
    [
        ("/therapies/prolotherapy", "/v1/therapies/prolotherapy", "name"),
        (
            "/injectates/dextrose-10-lidocaine-0-075",
            "/v1/injectates/dextrose-10-lidocaine-0-075",
            "name",
        ),
        ("/side-effects/adverse-event-any", "/v1/side-effects/adverse-event-any", "name"),
        (
            "/sources/best-2009-lateral-epicondylosis-review",
            "/v1/sources/best-2009-lateral-epicondylosis-review",
            "title",
        ),
    ],
)
def test_read_record_pages_link_to_their_json(
    seeded_client: TestClient, path: str, json_path: str, expected: str
) -> None:
    response = seeded_client.get(path)
    html = assert_page(response)
    record = seeded_client.get(json_path)
    assert record.headers["link"] == f'<{path}>; rel="alternate"; type="text/html"'
    assert f"<h1>{unescape_safe(record.json()[expected])}</h1>" in html
    assert f'<a href="{json_path}">' in html
    assert response.headers["link"] == f'<{json_path}>; rel="alternate"; type="application/json"'


def test_source_page_lists_what_cites_it_with_identifiers(seeded_client: TestClient) -> None:
    path = "/sources/best-2009-lateral-epicondylosis-review"
    html = assert_page(seeded_client.get(path))
    source = seeded_client.get(f"/v1{path}").json()
    assert f'href="https://doi.org/{source["doi"]}"' in html
    assert f'href="https://pubmed.ncbi.nlm.nih.gov/{source["pmid"]}/"' in html
    for condition in source["cited_by"]["conditions"]:
        assert f'href="/conditions/{condition["slug"]}"' in html
    for indication in source["cited_by"]["indications"]:
        assert f'href="/therapies/{indication["therapy"]["slug"]}"' in html


def test_source_page_links_a_trial_registration(client: TestClient, editor) -> None:
    body = {"slug": "a-trial", "title": "A trial", "kind": "trial-registry"}
    body["trial_registration"] = "NCT01234567"
    assert client.post("/v1/sources", json=body, headers=editor).status_code == 201
    html = assert_page(client.get("/sources/a-trial"))
    assert 'href="https://clinicaltrials.gov/study/NCT01234567"' in html
    assert "Nothing in the knowledge base cites this source." in text_of(html)


@pytest.mark.parametrize(
    "path",
    [
        "/conditions/no-such-condition",
        "/conditions/no-such-condition/compare",
        "/therapies/no-such-therapy",
        "/injectates/no-such-injectate",
        "/side-effects/no-such-side-effect",
        "/sources/no-such-source",
    ],
)
def test_read_missing_record_page_is_an_html_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    html = assert_page(response, 404)
    assert "<h1>Not found</h1>" in html
    assert "no-such-" in html
    assert response.headers["cache-control"] == "no-store"


def test_names_holding_markup_render_as_text(client: TestClient, editor) -> None:
    path, body = new_record(RecordType.condition)
    body["name"] = "<script>alert('x')</script> elbow"
    body["synonyms"] = ['"><img src=x onerror=alert(1)>']
    created = client.post(path, json=body, headers=editor)
    assert created.status_code == 201
    for page in (f"/conditions/{body['slug']}", "/search?q=elbow", "/search?body_region=elbow"):
        html = assert_page(client.get(page))
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; elbow" in html


def test_pages_are_cached_revalidated_and_compressed(seeded_client: TestClient) -> None:
    first = seeded_client.get(CONDITION, headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["vary"] == "Accept, Accept-Encoding"
    etag = first.headers["etag"]
    again = seeded_client.get(CONDITION, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    with seeded_client.stream("GET", CONDITION, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-security-policy"] == PAGE_CSP  # kept by the cache
    assert gzip.decompress(raw) == first.content
    json = seeded_client.get(f"/v1{CONDITION}", headers={"Accept-Encoding": "gzip"})
    assert json.headers["content-type"] == "application/json"
    assert json.headers["etag"] != etag


def test_condition_page_weighs_at_most_30_kb_compressed(seeded_client: TestClient) -> None:
    """The largest condition page of the seed, with everything it loads, gzip-compressed."""
    slugs = [item["slug"] for item in seeded_client.get("/v1/conditions?limit=100").json()["items"]]
    weights = []
    assets = 0
    for path in ("/static/pages/site.css", "/static/pages/suggest.js"):
        with seeded_client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status_code == 200
            assets += len(b"".join(response.iter_raw()))
    for slug in slugs:
        path = f"/conditions/{slug}"
        with seeded_client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
            html = b"".join(response.iter_raw())
        assert b'src="/static/pages/suggest.js"' in gzip.decompress(html)
        weights.append(len(html) + assets)
    assert max(weights) <= 30 * 1024, max(weights)


def test_page_assets_are_served_by_the_app(seeded_client: TestClient) -> None:
    css = seeded_client.get("/static/pages/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text
    script = seeded_client.get("/static/pages/suggest.js")
    assert script.status_code == 200
    assert "/v1/conditions?limit=8&q=" in script.text


def test_label_percent_and_value_range() -> None:
    assert label("favours-therapy") == "Favours the therapy"
    assert label("some-new-value") == "Some new value"
    assert percent(10.0, 10.0) == "10%"
    assert percent(12.5, 25.0) == "12.5–25%"
    assert percent(None, None) == ""
    assert value_range(2.0, None, "points") == "2 points"
    assert value_range(1.0, 3.0, None) == "1–3"


def test_search_page_pages_through_a_long_list(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> None:
    document = seed_document()
    document["conditions"] += [
        {
            "slug": f"knee-extra-{n:02d}",
            "name": f"Knee extra {n:02d}",
            "body_region": "knee",
            "category": "osteoarthritis",
        }
        for n in range(SEARCH_LIMIT + 5)
    ]
    load(document)
    client = make_client()
    first = assert_page(client.get("/search", params={"body_region": "knee"}))
    assert f"{SEARCH_LIMIT + 6} conditions found" in text_of(first)
    assert first.count('class="result-title"') == SEARCH_LIMIT
    assert 'href="/search?body_region=knee&amp;offset=50" rel="next"' in first
    second = assert_page(client.get("/search", params={"body_region": "knee", "offset": 50}))
    assert second.count('class="result-title"') == 6
    assert 'href="/search?body_region=knee&amp;offset=0" rel="prev"' in second
    assert 'rel="next"' not in second

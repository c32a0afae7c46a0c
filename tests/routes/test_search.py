"""/v1/search on the small factory document: hit shape, type filter, pagination, errors."""

from __future__ import annotations

from fastapi.testclient import TestClient


def hits(response) -> list[tuple[str, str]]:
    return [(item["type"], item["slug"]) for item in response.json()["items"]]


def test_list_search_hits_returns_whole_hit(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "neural prolotherapy"})
    assert response.status_code == 200
    assert response.json()["items"][0] == {
        "type": "therapy",
        "slug": "perineural-injection-therapy",
        "title": "Perineural injection therapy",
        "snippet": "<mark>Neural</mark> <mark>Prolotherapy</mark>",
        "url": "http://testserver/v1/therapies/perineural-injection-therapy",
        "match": {
            "field": "alias",
            "text": "Neural Prolotherapy",
            "matched_words": ["neural", "prolotherapy"],
            "unmatched_words": [],
        },
    }
    assert response.json()["did_you_mean"] == []
    assert (response.json()["related"], response.json()["message"]) == ([], None)


def test_list_search_hits_url_leads_to_the_record(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "pneumothorax"})
    assert response.status_code == 200
    url = response.json()["items"][0]["url"]
    record = client.get(url)
    assert record.status_code == 200
    assert record.json()["slug"] == "pneumothorax"


def test_list_search_hits_covers_every_record_type(client: TestClient) -> None:
    expected = {
        "achilles tendinitis": ("condition", "achilles-tendinopathy"),
        "PIT": ("therapy", "perineural-injection-therapy"),
        "sterile water": ("injectate", "dextrose-5"),
        "bruising": ("side-effect", "bruising"),
        "WOMAC composite": ("outcome", "trial-2013-womac"),
        "12345678": ("source", "trial-2013"),
        "NCT01234567": ("source", "trial-2013"),
        "randomised trial": ("source", "trial-2013"),
    }
    found = {q: hits(client.get("/v1/search", params={"q": q}))[0] for q in expected}
    assert found == expected


def test_list_search_hits_snippet_marks_words_in_long_text(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "tendon insertions", "type": "therapy"})
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["slug"] == "prolotherapy"
    assert item["match"]["field"] == "summary"
    assert item["snippet"] == (
        "Injections of hypertonic dextrose at ligament and <mark>tendon</mark> "
        "<mark>insertions</mark>."
    )


def test_list_search_hits_filters_by_type(client: TestClient) -> None:
    both = client.get("/v1/search", params={"q": "dextrose"})
    assert {record_type for record_type, _ in hits(both)} >= {"injectate", "therapy"}
    only = client.get("/v1/search", params={"q": "dextrose", "type": "therapy"})
    assert only.status_code == 200
    assert hits(only) == [("therapy", "prolotherapy")]
    several = client.get(
        "/v1/search", params=[("q", "dextrose"), ("type", "therapy"), ("type", "source")]
    )
    assert hits(several) == [("therapy", "prolotherapy"), ("source", "trial-2013")]


def test_list_search_hits_paginates_like_every_list(client: TestClient) -> None:
    everything = client.get("/v1/search", params={"q": "dextrose"}).json()
    assert everything["total"] == len(everything["items"]) == 5
    second = client.get("/v1/search", params={"q": "dextrose", "limit": 2, "offset": 2})
    assert second.status_code == 200
    body = second.json()
    assert body["total"] == 5
    assert body["items"] == everything["items"][2:4]
    assert body["links"]["next"].endswith("/v1/search?q=dextrose&limit=2&offset=4")
    assert body["links"]["prev"].endswith("/v1/search?q=dextrose&limit=2&offset=0")


def test_list_search_hits_partial_match_says_which_words_matched(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "achilles tendinitis knee"})
    assert response.status_code == 200
    body = response.json()
    assert hits(response)[0] == ("condition", "achilles-tendinopathy")
    assert body["items"][0]["match"]["unmatched_words"] == ["knee"]
    assert body["did_you_mean"] == []
    assert body["message"].startswith("No record matches every word")


def test_list_search_hits_corrects_spelling_only(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "achilles tendinitsi"})
    assert response.status_code == 200
    body = response.json()
    assert hits(response)[0] == ("condition", "achilles-tendinopathy")
    assert body["did_you_mean"] == ["achilles tendinitis"]


def test_list_search_hits_nothing_close_gives_no_suggestion(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "zzzzzz qqqqqq"})
    assert response.status_code == 200
    assert response.json()["did_you_mean"] == []


def test_list_search_hits_treats_sql_as_text(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "x' UNION SELECT * FROM sources --"})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert client.get("/v1/sources").json()["total"] == 2


def test_list_search_hits_accepts_two_hundred_characters(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": ("bruising " * 30)[:200]})
    assert response.status_code == 200
    assert hits(response)[0] == ("side-effect", "bruising")


def test_list_search_hits_refuses_long_q(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "b" * 201})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [param["name"] for param in response.json()["invalid_params"]] == ["q"]


def test_list_search_hits_refuses_missing_or_empty_q(client: TestClient) -> None:
    for params in ({}, {"q": ""}):
        response = client.get("/v1/search", params=params)
        assert response.status_code == 422
        assert [param["name"] for param in response.json()["invalid_params"]] == ["q"]


def test_list_search_hits_refuses_unknown_type(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "dextrose", "type": "therapies"})
    assert response.status_code == 422
    assert [param["name"] for param in response.json()["invalid_params"]] == ["type[0]"]


def test_list_search_hits_refuses_negative_limit(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "dextrose", "limit": -1})
    assert response.status_code == 422
    assert [param["name"] for param in response.json()["invalid_params"]] == ["limit"]

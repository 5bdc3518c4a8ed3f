"""The web pages through TestClient: what an official sees without JavaScript, and the error paths."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import FIXTURES, REPO_ROOT
from tests.web.conftest import DOCUMENT_COUNT
from tests.web.pages import HTML, VAGUE, assert_accessible_basics, result_ids, soup, text


def test_landing_page_shows_what_is_there(web: TestClient) -> None:
    page = soup(web, "/")
    assert_accessible_basics(page)
    nav = [text(a) for a in page.select("header nav a")]
    assert nav == ["Search", "Browse", "Contribute", "Review", "Inbox", "API docs"]
    assert page.select_one("form[role=search][action='/'][method=get] input[name=q]")
    assert f"{DOCUMENT_COUNT} e-governance practices" in text(page.select_one(".lead"))
    haryana = page.select_one("a[href='/?state=Haryana']")
    assert haryana is not None and text(haryana.parent) == "Haryana 3"
    assert len(page.select("#latest-h + ol .result")) == 6
    response = web.get("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_vague_description_finds_the_practice_with_highlights(web: TestClient) -> None:
    page = soup(web, "/?" + "q=" + VAGUE.replace(" ", "+"))
    assert_accessible_basics(page)
    assert result_ids(page)[0] == "haryana-cm-window"
    first = page.select_one("li.result")
    assert first is not None
    assert first.select("p.snippet mark"), first
    assert "Case study" in text(first.select_one(".meta")) and "Haryana" in text(first.select_one(".meta"))
    title_link = first.select_one(".r-title a")
    assert title_link is not None and str(title_link["href"]).startswith("/documents/haryana-cm-window")
    # facets: checkboxes and radios belong to the search form, with counts, and work without JS
    states = {str(i["value"]): text(i.find_next("label")) for i in page.select("input[name=state]")}
    assert states and all(page.select_one(f"input[name=state][value='{v}']")["form"] == "search" for v in states)
    assert re.fullmatch(r"Haryana \d+", states["Haryana"])
    assert page.select_one("input[name=sector][value='']")  # "Any sector"
    assert page.select_one("button[form=search]")  # "Apply filters" for browsers without JS


def test_filter_by_state_keeps_other_states_countable(web: TestClient) -> None:
    page = soup(web, "/?q=online+services+for+citizens&state=Haryana")
    ids = result_ids(page)
    assert ids and set(ids) <= {"haryana-cm-window", "haryana-saral-report", "haryana-e-office-hindi"}
    checked = page.select_one("input[name=state][value=Haryana]")
    assert checked is not None and checked.has_attr("checked")
    assert page.select_one("input[name=state][value=Karnataka]") is not None  # disjunctive counts
    chip = page.select_one(".chips a")
    assert chip is not None and chip["href"] == "/?q=online+services+for+citizens"
    both = soup(web, "/?q=online+services+for+citizens&state=Haryana&state=Karnataka")
    assert {"karnataka-bhoomi", "haryana-cm-window"} <= set(result_ids(both))


def test_bad_filter_values_are_explained_not_500(web: TestClient) -> None:
    page = soup(web, "/?q=land+records&sector=helth&state=Hariyana&year_from=abc")
    alert = text(page.select_one(".notice.error"))
    assert "Did you mean Health?" in alert and "Did you mean Haryana?" in alert and "“abc” is not a year" in alert
    assert result_ids(page)[0] == "karnataka-bhoomi"  # the query still runs
    reversed_years = soup(web, "/?q=land&year_from=2020&year_to=2010")
    assert "The “from” year (2020) is after the “to” year (2010)" in text(reversed_years.select_one(".notice.error"))
    too_long = soup(web, "/?q=" + "land+" * 3000)
    assert "limit is" in text(too_long.select_one(".notice.error"))


def test_empty_results_suggest_removing_filters(web: TestClient) -> None:
    page = soup(web, "/?q=land+records&state=Ladakh&type=mou")
    empty = page.select_one(".empty")
    assert empty is not None and "No practices found" in text(empty)
    hrefs = [str(a["href"]) for a in empty.select("a")]
    assert "/?q=land+records&type=mou" in hrefs and "/?q=land+records" in hrefs


def test_filter_only_listing_and_paging(web: TestClient) -> None:
    listing = soup(web, "/?type=case_study")
    ids = result_ids(listing)
    assert "haryana-cm-window" in ids and "odisha-cyber-guideline" not in ids
    assert listing.select_one("li.result p.snippet")  # the opening words stand in for a snippet
    first = soup(web, "/?q=how+the+government+serves+people")
    second = soup(web, "/?q=how+the+government+serves+people&page=2")
    assert first.select_one("nav.pager a[rel=next]") is not None
    assert result_ids(second) and not set(result_ids(first)) & set(result_ids(second))
    assert second.select_one("ol.results")["start"] == "11"
    assert result_ids(soup(web, "/?q=how+the+government+serves+people&page=abc")) == result_ids(first)


def test_browse_by_state_sector_type_and_year(web: TestClient) -> None:
    page = soup(web, "/browse")
    assert_accessible_basics(page)
    assert text(page.select_one("a[href='/?state=Haryana']").parent) == "Haryana 3"
    assert "Ladakh 0" in text(page.select_one("#by-state-h").parent)
    assert page.select_one("a[href='/?sector=land_records']") is not None
    assert text(page.select_one("a[href='/?type=mou']")) == "MoUs"
    assert page.select_one("a[href='/?year_from=2019&year_to=2019']") is not None


def test_document_page_metadata_outline_text_versions_related_similar(web: TestClient) -> None:
    page = soup(web, "/documents/jk-back-to-village")
    assert_accessible_basics(page)
    assert text(page.select_one("h1")) == "Back to Village outreach in Jammu and Kashmir"
    facts = text(page.select_one("dl.facts"))
    assert "Jammu and Kashmir" in facts and "District" in facts and "Scaled" in facts
    toc = [(a["href"], text(a)) for a in page.select("nav.toc a")]
    assert ("#sec-how-it-works-before-the-visit", "Before the visit") in toc
    assert page.select_one("nav.toc > ol > li > ol")  # nested outline
    for href, _ in toc:
        assert page.select_one(str(href)) is not None  # every outline entry has its anchor
    article = page.select_one("article.doc-text")
    assert article is not None and article.select_one("table th") and "4,483" in text(article.select_one("table"))
    assert "1. Each panchayat is assigned a visiting officer." in text(article)
    related = page.select(".related li")
    assert text(related[0].select_one("a")) == "CM Window grievance redressal"
    assert "jk-no-such-document (not in the exchange yet)" in text(related[1])
    similar = page.select("#similar-h ~ ol .result")
    assert similar and "jk-back-to-village" not in str(similar)
    download = page.select_one("a.button[download]")
    assert download is not None and download["href"] == "/v1/documents/jk-back-to-village/file"
    assert page.select_one("table.versions a[href='/v1/documents/jk-back-to-village/file?version=1']")


def test_download_the_original_from_the_document_page(web: TestClient) -> None:
    page = soup(web, "/documents/haryana-saral-report")
    href = str(page.select_one("a.button[download]")["href"])
    response = web.get(href)
    assert response.status_code == 200
    assert response.content == (FIXTURES / "good" / "saral-report.pdf").read_bytes()
    assert "attachment" in response.headers["content-disposition"]
    assert "Page 3" in text(page.select_one("article.doc-text"))  # PDF page markers


def test_search_result_links_to_its_section(web: TestClient) -> None:
    page = soup(web, "/?q=kiosks+opened+in+taluk+offices")
    link = page.select_one("li.result .section a")
    assert link is not None and link["href"] == "/documents/karnataka-bhoomi#sec-implementation-kiosks"
    document = soup(web, "/documents/karnataka-bhoomi")
    assert document.select_one("#sec-implementation-kiosks") is not None


def test_hindi_document_is_marked_as_hindi(web: TestClient) -> None:
    page = soup(web, "/documents/haryana-e-office-hindi")
    assert_accessible_basics(page)
    title = page.select_one("h1")
    assert title is not None and title.get("lang") == "hi" and "ई-ऑफिस" in text(title)
    body = page.select_one("article.doc-text > div")
    assert body is not None and body.get("lang") == "hi" and "कार्यान्वयन" in text(body)
    assert all(str(a["href"]).startswith("#sec-") for a in page.select("nav.toc a"))
    assert "हिन्दी" in text(page.select_one("dl.facts"))
    results = soup(web, "/?q=कागज़+रहित+फ़ाइल")
    first = results.select_one("li.result .r-title a")
    assert first is not None and first.get("lang") == "hi"


def test_friendly_404_pages_for_browsers_problems_for_the_api(web: TestClient) -> None:
    missing = soup(web, "/documents/no-such-doc", status=404)
    assert "no-such-doc" in text(missing.select_one(".lead"))
    assert missing.select_one("form[role=search]") is not None
    assert soup(web, "/no/such/page", status=404).select_one("h1") is not None
    api = web.get("/v1/documents/no-such-doc", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    plain = web.get("/no/such/page")
    assert plain.headers["content-type"] == "application/problem+json"
    assert soup(web, "/contribute/jobs/0123456789abcdef", status=404).select_one("h1") is not None


def test_reading_closed_when_the_kb_requires_a_key(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web.app.state.settings, "require_key_for_read", True)  # type: ignore[attr-defined]
    page = soup(web, "/?q=land", status=401)
    assert "requires an API key" in text(page.select_one(".lead"))


def test_static_assets_are_local_and_cached(web: TestClient) -> None:
    page = soup(web, "/")
    css = page.select_one("link[rel=stylesheet]")
    js = page.select_one("script[src]")
    assert css is not None and js is not None
    for url in (str(css["href"]), str(js["src"])):
        assert url.startswith("/static/") and "?v=" in url
        response = web.get(url)
        assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    assert "http" not in str(css["href"]) + str(js["src"])


def test_page_weight_is_small(web: TestClient) -> None:
    """HTML + CSS + JS per page (no images, fonts or third-party files); written to test-output/."""
    landing = soup(web, "/")
    assets = [str(landing.select_one("link[rel=stylesheet]")["href"]), str(landing.select_one("script[src]")["src"])]
    asset_bytes = [web.get(url).content for url in assets]
    report: dict[str, dict[str, int]] = {}
    for name, url in {
        "landing /": "/",
        "search /?q=(vague description)": "/?q=" + VAGUE.replace(" ", "+"),
        "document /documents/kerala-karnataka-egov-mou": "/documents/kerala-karnataka-egov-mou",
    }.items():
        html = web.get(url).content
        everything = [html, *asset_bytes]
        report[name] = {
            "html": len(html),
            "css_js": sum(len(b) for b in asset_bytes),
            "total": sum(len(b) for b in everything),
            "total_gzip": sum(len(gzip.compress(b)) for b in everything),
        }
    out = REPO_ROOT / "test-output" / "page-weight.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    for name, sizes in report.items():
        assert sizes["total"] < 60_000, (name, sizes)
        assert sizes["total_gzip"] < 16_000, (name, sizes)


# -- officials' pages, as an official reads them (issue 13, item 7) --------------------------------


def facts_of(page: BeautifulSoup) -> dict[str, str]:
    """The "About this document" list as {term: description}."""
    facts = page.select_one("dl.facts")
    assert facts is not None
    return {text(dt): text(dt.find_next_sibling("dd")) for dt in facts.select("dt")}


def test_contribute_page_says_whom_to_ask_for_a_key_not_which_command(web: TestClient) -> None:
    page = soup(web, "/contribute")
    lead = text(page.select_one(".lead"))
    assert "nodal officer for e-governance" in lead and "administrators of the exchange" in lead
    assert "kb keys" not in page.get_text() and "kb keys" not in text(soup(web, "/").select_one("footer"))


def test_bad_filter_values_are_shown_with_labels_not_codes(web: TestClient) -> None:
    page = soup(web, "/?q=land+records&sector=helth&type=polcy&year_from=1800")
    alert = text(page.select_one(".notice.error"))
    assert "There is no sector “helth”. Did you mean Health?" in alert
    assert "Land records" in alert and "Grievance redressal" in alert  # the choices, as the filters name them
    assert "There is no type of document “polcy”. Did you mean Policy?" in alert and "MoU" in alert
    assert "1800" in alert and "1947" in alert
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", alert), alert  # no land_records, year_from, ...
    assert result_ids(page)[0] == "karnataka-bhoomi"


def test_year_boxes_carry_a_hint_not_a_value_lookalike(web: TestClient) -> None:
    page = soup(web, "/?q=land+records")
    hints = set()
    for name in ("year_from", "year_to"):
        box = page.select_one(f"input[name={name}]")
        assert box is not None and not box.get("value")
        assert not re.search(r"\d", str(box.get("placeholder", ""))), box  # nothing that looks typed in
        hints.update(str(box.get("aria-describedby", "")).split())
    assert len(hints) == 1
    hint = text(page.select_one(f"#{hints.pop()}"))
    assert "e.g. 2015" in hint and re.search(r"from 2002 to 20\d\d\.", hint), hint  # the span, in words


def test_markdown_case_study_offers_a_printable_page(web: TestClient) -> None:
    page = soup(web, "/documents/jk-back-to-village")
    original = page.select_one(".download a[href='/v1/documents/jk-back-to-village/file']")
    assert original is not None and re.fullmatch(r"Original file \(Markdown, \d+ (KB|bytes)\)", text(original))
    printable = page.select_one(".download a[href='/documents/jk-back-to-village/print']")
    assert printable is not None and text(printable) == "Printable page (HTML)"
    saved = page.select_one(".download a[href='/documents/jk-back-to-village/print?download=1']")
    assert saved is not None and saved.has_attr("download")
    pdf = soup(web, "/documents/haryana-saral-report").select_one(".download a[href$='/file']")
    assert re.fullmatch(r"Original file \(PDF, [\d.]+ (KB|MB)\)", text(pdf))

    response = web.get(str(printable["href"]))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == 'inline; filename="jk-back-to-village.html"'
    printed = BeautifulSoup(response.text, "html.parser")
    assert text(printed.select_one("h1")) == "Back to Village outreach in Jammu and Kashmir"
    facts = facts_of(printed)
    assert facts["States and UTs"] == "Jammu and Kashmir" and facts["Level"] == "District"
    assert facts["Status"] == "Scaled" and "/documents/jk-back-to-village" in facts["Online at"]
    assert "4,483" in text(printed.select_one("table"))
    assert "1. Each panchayat is assigned a visiting officer." in text(printed.select_one("article"))
    # standalone: opens from a folder with no network, styles inline and allowed by this page's policy
    assert not printed.select("script, link[rel=stylesheet], header.site nav")
    style = printed.select_one("style")
    assert style is not None and "@media print" in style.text
    digest = base64.b64encode(hashlib.sha256(style.text.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]

    download = web.get("/documents/jk-back-to-village/print?download=1")
    assert download.headers["content-disposition"] == 'attachment; filename="jk-back-to-village.html"'
    assert download.text == response.text
    assert soup(web, "/documents/no-such-doc/print", status=404).select_one("form[role=search]") is not None


def test_browse_has_all_india_and_it_lists_documents_without_states(web: TestClient) -> None:
    page = soup(web, "/browse")
    link = page.select_one("#by-state-h ~ * a[href='/?national=1']")
    assert link is not None and text(link) == "All India"
    assert text(link.find_next_sibling(class_="count")) == "2"
    listing = soup(web, "/?national=1")
    assert set(result_ids(listing)) == {"national-digital-lockers", "birth-registration-note"}
    assert [text(chip) for chip in listing.select(".chips a")] == ["All India ×"]
    assert listing.select_one(".chips a")["href"] == "/"
    box = listing.select_one("input[name=national][value='1'][form=search]")
    assert box is not None and box.has_attr("checked")  # kept when the official searches within them
    assert text(listing.select_one(f"label[for='{box['id']}']")).startswith("All India")
    found = soup(web, "/?q=certificates+kept+in+a+digital+wallet&national=1")
    assert result_ids(found)[0] == "national-digital-lockers"
    assert set(result_ids(found)) <= {"national-digital-lockers", "birth-registration-note"}
    with_kerala = soup(web, "/?state=Kerala&national=1")  # "Kerala, or no particular state"
    assert set(result_ids(with_kerala)) == {
        "kerala-flood-alerts",
        "kerala-karnataka-egov-mou",
        "national-digital-lockers",
        "birth-registration-note",
    }


def test_no_states_is_all_india_only_for_national_documents(web: TestClient) -> None:
    untagged = soup(web, "/documents/birth-registration-note")
    facts = facts_of(untagged)
    assert facts["States and UTs"] == "State not given" and facts["Level"] == "State"
    assert "All India" not in text(untagged.select_one("p.meta"))
    national = facts_of(soup(web, "/documents/national-digital-lockers"))
    assert national["States and UTs"] == "All India" and national["Level"] == "National"
    listing = soup(web, "/?national=1")
    metas = [text(m) for m in listing.select("ol.results > li.result .meta")]
    metas_by_id = dict(zip(result_ids(listing), metas, strict=True))
    untagged_meta = metas_by_id["birth-registration-note"]
    assert "State not given" in untagged_meta and "All India" not in untagged_meta
    assert "All India" in metas_by_id["national-digital-lockers"]


def test_document_page_on_a_phone_can_jump_past_the_text(web: TestClient) -> None:
    """The text comes first on a narrow screen (tests/web/test_browser.py); these links reach the rest."""
    page = soup(web, "/documents/jk-back-to-village")
    jumps = {str(a["href"]): text(a) for a in page.select("nav.doc-jump a")}
    assert jumps == {"#about-h": "About this document", "#toc-h": "Contents", "#download-h": "Download"}
    for href in jumps:
        assert page.select_one(href) is not None


def test_browse_groups_states_by_region(web: TestClient) -> None:
    from kb.vocab import STATES_AND_UTS

    page = soup(web, "/browse")
    section = page.select_one("#by-state-h").parent
    groups = {
        text(h): [text(li.select_one("a, .muted")) for li in h.find_next_sibling("ul").select("li")]
        for h in section.select("h3")
    }
    assert list(groups) == ["North", "South", "East", "West", "North-East", "Central", "Union territories"]
    assert "Haryana" in groups["North"] and "Kerala" in groups["South"] and "Assam" in groups["North-East"]
    assert "Odisha" in groups["East"] and "Gujarat" in groups["West"] and "Madhya Pradesh" in groups["Central"]
    assert "Ladakh" in groups["Union territories"]
    listed = [name for names in groups.values() for name in names]
    assert sorted(listed) == sorted(STATES_AND_UTS)  # each exactly once
    assert re.search(r"North Haryana \d+ Himachal Pradesh 0", text(section))  # counts beside the names


def test_api_docs_link_back_to_the_site(web: TestClient) -> None:
    page = soup(web, "/docs")
    back = page.select_one("a[href='/']")
    assert back is not None and "e-Governance Practice Exchange" in text(back)
    assert page.select_one("#swagger-ui") is not None

"""The web UI in English and Hindi (issue 15): the catalogue is complete, the language is chosen by
``?lang=``, then a cookie, then ``Accept-Language``, and the pages say so with ``lang`` attributes.

The catalogue tests extract the messages from the templates and page code exactly as
``scripts/i18n-update`` does (``babel.cfg``), so a new ``_("...")`` without a Hindi translation, or
a new state or sector without a Hindi label, fails here; the page tests read real pages of the real
app (TestClient) over the web fixtures' KB.
"""

from __future__ import annotations

import datetime as dt
import re
from configparser import RawConfigParser
from html.parser import HTMLParser
from importlib import resources

import pytest
from babel.dates import format_date
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient

from kb.vocab import STATES_AND_UTS, Sector
from search.web import i18n
from search.web.i18n_extract import vocabulary_labels
from search.web.render import label
from tests.conftest import REPO_ROOT

HTML = {"accept": "text/html"}
HINDI_PO = REPO_ROOT / "search/web/locale/hi/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _extracted() -> list[tuple[str | None, str | tuple[str, ...]]]:
    """(context, msgid) of every message ``pybabel extract -F babel.cfg -k N_`` finds."""
    config = RawConfigParser()
    config.read(REPO_ROOT / "babel.cfg")
    extractors = dict(config.items("extractors"))
    method_map: list[tuple[str, str]] = []
    options_map: dict[str, dict[str, str]] = {}
    for section in config.sections():
        if section == "extractors":
            continue
        method, pattern = (part.strip() for part in section.split(":", 1))
        method_map.append((pattern, extractors.get(method, method)))
        options_map[pattern] = dict(config.items(section))
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
    found = []
    for _file, _line, message, _comments, context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords=keywords
    ):
        found.append((context, message))
    return found


@pytest.fixture(scope="module")
def hindi() -> dict[tuple[str | None, str], str | tuple[str, ...]]:
    with HINDI_PO.open("rb") as po:
        catalog = read_po(po, locale="hi_IN")
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id and not m.fuzzy}


def test_every_message_of_the_ui_has_a_hindi_translation(hindi: dict[tuple[str | None, str], object]) -> None:
    extracted = _extracted()
    assert len(extracted) > 400  # the extraction really read the templates and the page code
    untranslated = []
    for context, message in extracted:
        msgid = message if isinstance(message, str) else message[0]
        translation = hindi.get((context, msgid))
        strings = translation if isinstance(translation, tuple) else (translation,)
        if not all(strings):
            untranslated.append(msgid)
            continue
        for text in strings:  # the same placeholders, or formatting the Hindi text fails
            assert sorted(PLACEHOLDER.findall(str(text))) == sorted(PLACEHOLDER.findall(msgid)), (msgid, text)
    assert not untranslated, f"no Hindi for {sorted(set(untranslated))}: run scripts/i18n-update and translate"


def test_every_state_sector_and_type_has_a_hindi_label() -> None:
    i18n.use("hi")
    try:
        for english in vocabulary_labels():
            shown = i18n.vocab(english)
            assert shown != english or english in ("MoU",), english
            assert re.search(r"[\u0900-\u097F]", shown), (english, shown)
        assert i18n.vocab("Haryana") == "हरियाणा"
        assert i18n.vocab("Jammu and Kashmir") == "जम्मू और कश्मीर"
        assert label(Sector.LAND_RECORDS) == "भूमि अभिलेख"
        assert len(STATES_AND_UTS) == 36
    finally:
        i18n.use("en")
    assert label(Sector.LAND_RECORDS) == "Land records"


class _Visible(HTMLParser):
    """Text and human-read attributes of a template whose Jinja has been blanked out."""

    ATTRIBUTES = (
        "title",
        "aria-label",
        "placeholder",
        "alt",
        "content",
        "data-too-large",
        "data-uploading",
        "data-forgotten",
    )

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "code", "svg"):
            self._skip += 1
        if tag == "meta" and dict(attrs).get("name") != "description":
            return  # charset, viewport: not read by people
        self.found += [value for name, value in attrs if name in self.ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "code", "svg"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


# Names that stay as they are in every language (formats, products), and attribute text that Jinja
# conditions emit inside a tag (_macros.html: described()).
_UNTRANSLATED = {"CSL-JSON", "Zotero", "Mendeley", "Pandoc", "UTC", "PUT", "aria-describedby", "aria-invalid", "true"}


def test_templates_have_no_english_outside_the_catalogue() -> None:
    """Every user-visible English word of a template goes through ``_()``: blank out Jinja, see what is left."""
    leaks: dict[str, list[str]] = {}
    for template in (resources.files("search.web") / "templates").iterdir():
        source = template.read_text(encoding="utf-8")
        blanked = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.DOTALL)
        parser = _Visible()
        parser.feed(blanked)
        words = [w for text in parser.found for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text)]
        words = [w for w in words if w not in _UNTRANSLATED]
        if words:
            leaks[template.name] = words
    assert not leaks, f"English not wrapped in _(): {leaks}"


def _page(client: TestClient, url: str, **headers: str) -> BeautifulSoup:
    response = client.get(url, headers={**HTML, **headers})
    assert response.status_code == 200, response.text[:1000]
    return BeautifulSoup(response.text, "html.parser")


def _lang(page: BeautifulSoup) -> str:
    html = page.find("html")
    assert isinstance(html, Tag)
    return str(html.get("lang"))


def _text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def test_english_by_default_hindi_by_the_switch_then_remembered(web: TestClient) -> None:
    web.cookies.clear()
    english = _page(web, "/")
    assert _lang(english) == "en" and _text(english.select_one("header nav")).startswith("Search")
    switch = english.select_one(".lang-switch a")
    assert switch is not None and switch.get("lang") == "hi" and _text(switch) == "हिन्दी"
    assert switch["href"] == "/?lang=hi"

    response = web.get(str(switch["href"]), headers=HTML)
    assert "lang=hi" in response.headers["set-cookie"] and "SameSite=Lax" in response.headers["set-cookie"]
    assert response.headers["content-language"] == "hi" and "Accept-Language" in response.headers["vary"]
    hindi = BeautifulSoup(response.text, "html.parser")
    assert _lang(hindi) == "hi"
    assert [_text(a) for a in hindi.select("header nav a")][:3] == ["खोजें", "ब्राउज़ करें", "योगदान दें"]
    assert _text(hindi.select_one("h1")) == "जानिए दूसरे राज्यों ने क्या किया"
    back = hindi.select_one(".lang-switch a")
    assert back is not None and _text(back) == "English" and back.get("lang") == "en"
    # Links of a page reached with ?lang=hi carry it (for browsers without cookies) ...
    assert all("lang=hi" in str(a["href"]) for a in hindi.select("ul.counts a"))

    # ... and the cookie keeps the language without it, until the switch changes it back.
    remembered = web.get("/browse", headers=HTML)
    assert "set-cookie" not in remembered.headers
    assert _lang(BeautifulSoup(remembered.text, "html.parser")) == "hi"
    assert _lang(_page(web, "/browse?lang=en")) == "en"
    assert _lang(_page(web, "/browse")) == "en"
    web.cookies.clear()


def test_accept_language_chooses_when_nothing_else_does(web: TestClient) -> None:
    web.cookies.clear()
    assert _lang(_page(web, "/browse", **{"accept-language": "hi-IN,hi;q=0.9,en;q=0.8"})) == "hi"
    assert _lang(_page(web, "/browse", **{"accept-language": "en-GB,hi;q=0.5"})) == "en"
    assert _lang(_page(web, "/browse", **{"accept-language": "fr-FR, hi;q=0.2"})) == "hi"
    assert _lang(_page(web, "/browse", **{"accept-language": "fr-FR, de;q=0.9"})) == "en"
    assert _lang(_page(web, "/browse", **{"accept-language": "hi;q=0, en;q=0.1"})) == "en"
    assert _lang(_page(web, "/browse", **{"accept-language": "hi;q=abc, ;;;"})) == "en"  # junk is ignored
    # ?lang= beats the cookie, the cookie beats Accept-Language; an unknown ?lang= is ignored.
    assert _lang(_page(web, "/browse?lang=en", **{"accept-language": "hi"})) == "en"
    web.cookies.clear()  # the ?lang=en above set a cookie of its own
    web.cookies.set("lang", "hi")
    assert _lang(_page(web, "/browse", **{"accept-language": "en"})) == "hi"
    response = web.get("/browse?lang=xx", headers=HTML)
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert _lang(BeautifulSoup(response.text, "html.parser")) == "hi"
    web.cookies.clear()


def test_lang_attributes_mark_text_not_in_the_page_language(web: TestClient) -> None:
    web.cookies.clear()
    english_doc = _page(web, "/documents/haryana-cm-window?lang=hi")
    assert _lang(english_doc) == "hi"
    title = english_doc.select_one("h1.doc-title")
    assert title is not None and title.get("lang") == "en"
    text = english_doc.select_one("article.doc-text > div")
    assert text is not None and text.get("lang") == "en"
    assert _text(english_doc.select_one("#text-h")) == "पूरा पाठ"
    assert "अंग्रेज़ी" in _text(english_doc.select_one("dl.facts"))  # the document's language, in Hindi

    hindi_doc = _page(web, "/documents/haryana-e-office-hindi?lang=hi")
    title = hindi_doc.select_one("h1.doc-title")
    assert title is not None and title.get("lang") is None and "ई-ऑफिस" in _text(title)
    text = hindi_doc.select_one("article.doc-text > div")
    assert text is not None and text.get("lang") is None
    # An English page marks the Hindi document's title and text instead.
    english_page = _page(web, "/documents/haryana-e-office-hindi?lang=en")
    title = english_page.select_one("h1.doc-title")
    assert title is not None and title.get("lang") == "hi"
    web.cookies.clear()


def test_vocabulary_labels_translated_filter_values_canonical(web: TestClient) -> None:
    web.cookies.clear()
    browse = _page(web, "/browse?lang=hi")
    haryana = next(a for a in browse.select("ul.counts a") if _text(a) == "हरियाणा")
    assert haryana["href"] == "/?state=Haryana&lang=hi"
    assert any(_text(h) == "उत्तर" for h in browse.select(".regions h3"))
    assert any(_text(a) == "अखिल भारतीय" for a in browse.select("p.national a"))

    results = _page(web, "/?state=Haryana&lang=hi")
    box = results.select_one("input[name=state][value=Haryana]")
    assert box is not None and box.has_attr("checked")
    assert _text(results.select_one(f"label[for='{box['id']}']")).startswith("हरियाणा")
    assert _text(results.select_one("ul.chips a")).startswith("हरियाणा")
    sector_values = {str(i["value"]) for i in results.select("input[name=sector]")}
    assert "administration" in sector_values  # canonical values in the form ...
    assert "प्रशासन" in _text(results.select_one("aside.filters"))  # ... Hindi labels beside them
    assert "administration" not in _text(results.select_one("aside.filters")).lower()

    wrong = _page(web, "/?sector=helth&lang=hi")
    message = _text(wrong.select_one(".notice.error"))
    assert "“helth” नाम का कोई क्षेत्र नहीं है।" in message and "क्या आपका आशय स्वास्थ्य था?" in message
    web.cookies.clear()


def test_hindi_plurals_numbers_and_dates(web: TestClient) -> None:
    web.cookies.clear()
    one = web.post("/contribute?lang=hi", data={"key": ""}, files={"file": ("a.md", b"# A\n\ntext", "text/markdown")})
    assert one.status_code in (401, 422)
    errors = BeautifulSoup(one.text, "html.parser").select_one("#error-summary h2")
    problems = re.search(r"कृपया (\d+) (समस्या|समस्याएँ) ठीक करें", _text(errors))
    assert problems is not None
    assert problems.group(2) == ("समस्या" if problems.group(1) == "1" else "समस्याएँ")

    document = _page(web, "/documents/haryana-cm-window?lang=hi")
    added = [_text(row.select("td")[1]) for row in document.select("table.versions tbody tr")]
    today = format_date(dt.datetime.now(dt.UTC).date(), format="long", locale="hi_IN")
    assert today in added, (added, today)  # ingested today: "2 दिसंबर 2026", by Babel
    i18n.use("hi")
    try:
        assert i18n.number(1234567) == "12,34,567"
        assert i18n.date("2024-03-01T10:00:00+00:00") == "1 मार्च 2024"
    finally:
        i18n.use("en")
    assert i18n.date("2024-03-01") == "1 Mar 2024" and i18n.date("not a date") == "not a date"
    web.cookies.clear()


def test_hindi_error_and_printable_pages(web: TestClient) -> None:
    web.cookies.clear()
    missing = web.get("/documents/no-such-thing?lang=hi", headers=HTML)
    assert missing.status_code == 404
    page = BeautifulSoup(missing.text, "html.parser")
    assert _lang(page) == "hi" and _text(page.select_one("h1")) == "पृष्ठ नहीं मिला"
    printable = _page(web, "/documents/haryana-cm-window/print?lang=hi")
    assert _lang(printable) == "hi" and "इस दस्तावेज़ के बारे में" in _text(printable)
    # The API is untouched: JSON, no Content-Language, canonical values.
    api = web.get("/v1/facets", headers={"accept-language": "hi"})
    assert api.status_code == 200 and "content-language" not in api.headers
    assert "Haryana" in api.text and "हरियाणा" not in api.text
    web.cookies.clear()


# What a Hindi page may show in Latin letters: names of formats and products, the key prefix.
_LATIN_OK = {"API", "PDF", "HTML", "Markdown", "Word", "docx", "KB", "MB", "Atom", "CSL-JSON", "Zotero", "Mendeley"}
_LATIN_OK |= {"Pandoc", "Ctrl", "SMS", "MoU", "kbk", "https", "English", "UTC", "e-District", "KB_REQUIRE_KEY_FOR_READ"}


def _latin_words(page: BeautifulSoup, typed: str) -> set[str]:
    """Latin-script words of a Hindi page outside text marked as another language (titles, snippets),
    file names, the thesaurus' terms and what the official typed (``typed``: the address)."""
    others = "head, [lang]:not(html), script, style, code, .cite-text, .cite, .file, .also-searched, table.versions a"
    for node in page.select(others):
        node.decompose()
    visible = page.get_text(" ") + " ".join(
        str(t.get(a)) for t in page.find_all(True) for a in ("title", "aria-label", "placeholder") if t.get(a)
    )
    visible = re.sub(r"https?://\S+|[\w.-]+\.(md|txt|pdf|docx|html)\b", " ", visible)  # addresses, file names
    words = set(re.findall(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]", visible)) - _LATIN_OK
    return {w for w in words if w not in typed and w not in ("documents", "punjab-water-atms")}  # a hint's example


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=land+records+for+farmers",
        "/?state=Haryana&sector=helth",
        "/browse",
        "/documents/haryana-e-office-hindi",
        "/contribute",
        "/review",
        "/inbox",
        "/submissions",
        "/insights",
        "/states/Haryana",
        "/documents/haryana-cm-window/versions/1",
        "/documents/nothing-here",
    ],
)
def test_hindi_pages_show_no_untranslated_english(web: TestClient, url: str) -> None:
    web.cookies.clear()
    response = web.get(url + ("&" if "?" in url else "?") + "lang=hi", headers=HTML)
    assert response.status_code in (200, 404)
    page = BeautifulSoup(response.text, "html.parser")
    assert _lang(page) == "hi"
    assert not _latin_words(page, url), url
    web.cookies.clear()

"""HTML converter: main content only, heading paths, lists and tables, title, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.converters import convert_html
from kb.errors import ConversionError

BOILERPLATE = [
    "cookies",
    "Department of Revenue, Government of Karnataka",
    "About us",
    "Contact us",
    "Practices",
    "Related: Kaveri",
    "sidebar text",
    "Copyright",
    "tracking code",
    "font-family",
]


def test_fixture_keeps_main_content_only(good_dir: Path) -> None:
    document = convert_html((good_dir / "bhoomi.html").read_bytes(), "bhoomi.html")
    text = document.text

    for phrase in BOILERPLATE:
        assert phrase not in text, phrase
    assert "Bhoomi computerised twenty million land records of Karnataka" in text


def test_fixture_headings_title_lists_and_tables(good_dir: Path) -> None:
    document = convert_html((good_dir / "bhoomi.html").read_bytes(), "bhoomi.html")

    assert document.title == "Bhoomi online land records"  # the site name after " | " is dropped
    assert document.media_type == "text/html"
    # the single h1 is the page title, so paths start at h2
    assert [s.heading_path for s in document.sections] == [
        (),
        ("Background",),
        ("Implementation", "Data entry"),
        ("Implementation", "Kiosks"),
    ]
    by_path = {s.heading_path: s.text for s in document.sections}
    assert by_path[("Implementation", "Data entry")].split("\n\n") == [
        "1. Registers were digitised taluk by taluk.",
        "2. Each record was verified by the village accountant.",
    ]
    kiosks = by_path[("Implementation", "Kiosks")]
    assert "Kiosks were opened in all 177 taluk offices.\nFees are Rs. 15 per record." in kiosks
    assert kiosks.endswith("| Year | Records issued |\n|---|---|\n| 2002 | 4.5 million |")


def test_without_main_the_body_minus_page_furniture_is_used() -> None:
    html = b"""<html><head><title>T</title></head><body>
      <header><h1>Site name</h1></header>
      <div id="navbar"><a>Home</a></div>
      <div role="navigation">Menu links</div>
      <h1>Practice</h1><p>Body text   spread
         over lines.</p>
      <div class="breadcrumbs">Home / Practice</div>
      <div role="contentinfo">Footer info</div>
      <footer>Page footer</footer>
    </body></html>"""
    document = convert_html(html, "page.html")

    assert document.text == "Body text spread over lines."
    assert document.sections[0].heading_path == ("Practice",)  # not the title, so kept


def test_a_layout_wrapper_named_like_a_sidebar_is_not_removed() -> None:
    html = b"""<html><body><div class="page has-sidebar">
      <h2>Scope</h2><p>The real content of the page, long enough to be most of it.</p>
      <div class="sidebar">Side links</div>
    </div></body></html>"""
    document = convert_html(html, "wrapper.html")

    assert document.text == "The real content of the page, long enough to be most of it."


def test_title_falls_back_to_first_h1_and_article_is_the_root() -> None:
    html = b"""<html><body><nav>Top menu</nav>
      <article><header><h1>Kaveri online</h1><p>By the registration department</p></header>
      <p>Property registration online.</p><footer>Posted 2021</footer></article>
      <div class="comments">Comments are not content either, but are outside the article</div>
    </body></html>"""
    document = convert_html(html, "article.html")

    assert document.title == "Kaveri online"
    assert "Top menu" not in document.text and "Comments" not in document.text
    assert "By the registration department" in document.text and "Posted 2021" in document.text


def test_fragment_without_html_tags_converts() -> None:
    document = convert_html(b"<h2>Note</h2><p>Just a fragment.</p><ul><li>one</li><li>two</li></ul>", "f.html")

    assert [(s.heading_path, s.text) for s in document.sections] == [(("Note",), "Just a fragment.\n\n- one\n\n- two")]


def test_declared_legacy_charset_is_honoured() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Café résumé</p></body></html>'
    document = convert_html(html.encode("cp1252"), "legacy.html")

    assert document.text == "Café résumé"


def test_undeclared_invalid_utf8_is_refused() -> None:
    with pytest.raises(ConversionError, match=r"is not UTF-8 text \(invalid byte 0xe9 at byte 18\)"):
        convert_html("<html><body><p>Caf\u00e9</p></body></html>".encode("cp1252"), "bad.html")


def test_page_with_only_navigation_has_no_content() -> None:
    with pytest.raises(ConversionError, match="no readable text in its main content"):
        convert_html(b"<html><body><nav>Home | About</nav><footer>(c)</footer></body></html>", "nav.html")


@pytest.mark.parametrize("attributes", ["", ' class="menu"'])
def test_deeply_nested_pages_convert_without_recursion(attributes: str) -> None:
    depth = 5000  # far past Python's recursion limit
    html = f"<html><body>{f'<div{attributes}>' * depth}<h2>Deep</h2><p>Deep text.</p>{'</div>' * depth}</body></html>"

    document = convert_html(html.encode(), "deep.html")

    assert [(s.heading_path, s.text) for s in document.sections] == [(("Deep",), "Deep text.")]

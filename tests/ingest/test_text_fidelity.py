"""Text that reads like the original: Sphinx permalinks and site suffixes gone, XHTML quiet, one path
per error line, ``<pre>`` kept as fenced code, PDF accents joined, PDF titles from page 1's heading."""

from __future__ import annotations

import unicodedata
import warnings

import pytest

from ingest.chunking import Chunker
from ingest.chunking_text import split_paragraphs
from ingest.converters import convert_html, convert_pdf
from ingest.converters._common import join_spacing_accents
from ingest.prepare import DocumentPreparer
from kb.errors import ConversionError
from kb.metadata import default_title
from tests.conftest import FIXTURES

SPHINX_XHTML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<title>email.charset — Representing character sets — Python 3.11.2 documentation</title></head>
<body><div class="body" role="main"><section id="module-email.charset">
<h1><code>email.charset</code> — Representing character sets<a class="headerlink" href="#m" title="Permalink">¶</a></h1>
<p>This module provides a class Charset for representing character sets in email messages.</p>
<section><h2>Charset objects<a class="headerlink" href="#c">¶</a></h2>
<p>Charset instances map character sets to their email properties.</p></section>
</section></div></body></html>
""".encode()


def test_sphinx_page_loses_permalinks_and_the_site_suffix_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # XMLParsedAsHTMLWarning would fail here
        document = convert_html(SPHINX_XHTML, "email.charset.html")
    assert document.title == "email.charset — Representing character sets"
    assert "¶" not in document.text and all("¶" not in "".join(s.heading_path) for s in document.sections)
    assert [s.heading_path for s in document.sections] == [(), ("Charset objects",)]


def test_a_site_name_after_a_bar_is_dropped_from_the_title() -> None:
    document = convert_html((FIXTURES / "good" / "bhoomi.html").read_bytes(), "bhoomi.html")
    assert document.title == "Bhoomi online land records"


def test_error_lines_name_the_path_once(chunker: Chunker) -> None:
    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**7, timeout_s=None)
    path = FIXTURES / "bad" / "encrypted.pdf"
    with pytest.raises(ConversionError) as raised:
        preparer.prepare(path.read_bytes(), filename=path.name, raw_meta={}, source=str(path))
    assert raised.value.message == f"{path} is encrypted (password-protected) and cannot be opened; " + (
        "upload a copy saved without a password"
    )


SPHINX_CODE = b"""<html><head><title>Example</title></head><body><div role="main"><h1>Example</h1>
<p>Call it like this:</p>
<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="k">def</span> \
<span class="nf">grievance_status</span>(<span class="n">number</span>):
    <span class="k">return</span> <span class="n">portal</span>.<span class="n">lookup</span>(number)


<span class="n">status</span> = grievance_status(<span class="mi">42</span>)
</pre></div></div>
<p>After the code.</p></div></body></html>"""


def test_pre_blocks_keep_their_lines_as_fenced_code(chunker: Chunker) -> None:
    document = convert_html(SPHINX_CODE, "example.html")
    assert document.text == (
        "Call it like this:\n\n"
        "```python3\n"
        "def grievance_status(number):\n"
        "    return portal.lookup(number)\n"
        "\n"
        "status = grievance_status(42)\n"
        "```\n\n"
        "After the code."
    )
    (chunk,) = chunker.chunk(document, title="Example")  # the code's blank line does not split it
    assert "```python3\ndef grievance_status(number):\n    return portal.lookup(number)\n\nstatus" in chunk.text


def test_a_fenced_block_is_one_paragraph_for_the_chunker() -> None:
    text = "Intro.\n\n```\nline one\n\n\nline two\n```\n\nAfter.\n\n```sh\nls\n```"
    assert split_paragraphs(text) == ["Intro.", "```\nline one\n\nline two\n```", "After.", "```sh\nls\n```"]


def _pdf(lines: list[tuple[float, str]], *, title: str | None = None) -> bytes:
    """A text PDF: each line drawn at its font size (Helvetica), no metadata title unless given."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if title:
        pdf.set_title(title)
    for size, text in lines:
        pdf.set_font("Helvetica", size=size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


BODY = "The Department publishes service levels for every office and reviews them each quarter."


def test_split_accents_from_pdf_extraction_are_joined() -> None:
    # What TeX documents give pypdf: the accent as its own (spacing) character before the letter
    data = _pdf([(11, "Studied at the Wirtschaftsuniversit\u00a8at Wien with Jos\u00b4e, Fran\u00b8cois and `q'.")])
    text = convert_pdf(data, "accents.pdf").text
    assert "Wirtschaftsuniversität Wien with José, François and `q'." in text
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wirtschaftsuniversit\u00a8at", "Wirtschaftsuniversität"),
        ("a\u00a8t", "ät"),  # no Latin letter t-diaeresis in common use: the accent goes back
        ("\u00a8Uber", "Über"),
        ("probl`eme", "problème"),
        ("`code`", "`code`"),  # a backtick beside a space is a backtick
        ("\u02c7Skoda", "Škoda"),  # TeX draws the accent before its letter
        ("x \u00a8 y", "x \u00a8 y"),
        ("Jose\u0301", "José"),  # a combining mark is composed by NFC
        ("na\u00a8\u0131ve", "naïve"),  # TeX's dotless i under the accent
    ],
)
def test_join_spacing_accents(text: str, expected: str) -> None:
    assert join_spacing_accents(text) == expected


def test_pdf_without_title_metadata_takes_the_large_heading_of_page_one(chunker: Chunker) -> None:
    data = _pdf([(22, "Mutation pendency"), (22, "review 2023"), (11, BODY), (11, BODY)])
    assert convert_pdf(data, "mpr_final_v3.pdf").title == "Mutation pendency review 2023"
    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**7, timeout_s=None)
    prepared = preparer.prepare(
        data, filename="mpr_final_v3.pdf", raw_meta={"type": "report", "sector": "land_records"}
    )
    assert prepared.meta.title == "Mutation pendency review 2023"


def test_pdf_title_metadata_wins_and_a_page_in_one_size_falls_back_to_the_file_name(chunker: Chunker) -> None:
    assert convert_pdf(_pdf([(22, "Big heading"), (11, BODY)], title="From metadata"), "x.pdf").title == "From metadata"
    plain = _pdf([(11, "A note in one size"), (11, BODY)])
    assert convert_pdf(plain, "x.pdf").title is None
    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**7, timeout_s=None)
    prepared = preparer.prepare(plain, filename="office-note.pdf", raw_meta={"type": "report", "sector": "other"})
    assert prepared.meta.title == default_title("office-note.pdf")

"""Text that reads like the original: Sphinx permalinks and site suffixes gone, XHTML quiet, one path
per error line."""

from __future__ import annotations

import warnings

import pytest

from ingest.chunking import Chunker
from ingest.converters import convert_html
from ingest.prepare import DocumentPreparer
from kb.errors import ConversionError
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

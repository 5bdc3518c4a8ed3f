"""Fixtures for the ingest tests: fixture file paths, a warmed-up chunker, generated documents."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.chunking import Chunker

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"


@pytest.fixture(scope="session")
def good_dir() -> Path:
    """Readable files, one per format, each with valid metadata."""
    return GOOD


@pytest.fixture(scope="session")
def bad_dir() -> Path:
    """Files every converter must refuse, plus one readable file with invalid sidecar metadata."""
    return BAD


@pytest.fixture(scope="session")
def chunker(model_path: str) -> Chunker:
    """The default chunker (256-token window) with the packaged model's tokenizer loaded once."""
    chunker = Chunker(model_path)
    chunker.warm_up()
    return chunker


@pytest.fixture(scope="session")
def long_pdf() -> bytes:
    """A 300-page text PDF (one dense page, repeated): about a second or more to convert."""
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    sentence = (
        "The State e-governance mission publishes service levels for every department. "
        "Each application is tracked from receipt to delivery and escalated when late. "
    )
    pdf.multi_cell(0, 5, sentence * 18, new_x="LMARGIN", new_y="NEXT")
    page = PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0]
    writer = PdfWriter()
    for _ in range(300):
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()

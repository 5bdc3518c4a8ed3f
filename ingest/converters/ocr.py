"""Text recognition (OCR) of PDF pages that have no text layer, with Tesseract.

Why Tesseract through pytesseract (and not ocrmypdf): we need the text, page by page, with the
engine's word confidences, not a new PDF; ocrmypdf would rewrite the whole file (and needs
Ghostscript) only for us to extract the text again. Pages are rendered with pypdfium2 (already
present through pdfplumber) at ``RENDER_DPI``, greyscale.

Languages: metadata ``language: hi`` asks for Hindi (``hin+eng``: Hindi orders carry English names,
numbers and acronyms), ``en`` for English, other Indian languages map to their Tesseract models.
Without a language the script of the first page is detected (Tesseract's OSD) and Devanagari pages
are read as ``hin+eng``, Latin ones as ``eng``; when detection fails, ``eng+hin``.

Runs inside the conversion worker (see :mod:`ingest.converters`), which gives OCR a time limit of
its own; each Tesseract call also gets the time left, so a stuck engine is killed, not waited for.
Without the ``tesseract`` program the error names the Debian packages to install.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.errors import ConversionError, TimeoutExceededError

RENDER_DPI = 300
LOW_CONFIDENCE = 60.0  # mean word confidence (0-100) below which a page gets a warning
TESSERACT_PACKAGES = "tesseract-ocr tesseract-ocr-eng tesseract-ocr-hin"
DEFAULT_LANGUAGES = "eng+hin"
OCR_TIMEOUT_BASE_S = 60.0
OCR_TIMEOUT_PER_PAGE_S = 45.0
OCR_TIMEOUT_MAX_S = 1800.0

# ISO 639-1 (our metadata) -> Tesseract models; Hindi and other Indian languages read English too.
_LANGUAGES = {
    "en": "eng",
    "hi": "hin+eng",
    "mr": "mar+eng",
    "ne": "nep+eng",
    "sa": "san+eng",
    "bn": "ben+eng",
    "as": "asm+eng",
    "gu": "guj+eng",
    "pa": "pan+eng",
    "or": "ori+eng",
    "ta": "tam+eng",
    "te": "tel+eng",
    "kn": "kan+eng",
    "ml": "mal+eng",
    "ur": "urd+eng",
}
_SCRIPTS = {"Devanagari": "hin+eng", "Latin": "eng"}
_SPACE_BEFORE_PUNCTUATION = re.compile(r" +([,.;:!?।])")


@dataclass(frozen=True)
class OcrPage:
    """What Tesseract read on one page (1-based ``page``): text, mean word confidence, languages."""

    page: int
    text: str
    confidence: float | None
    languages: str


def ocr_timeout_s(page_count: int) -> float:
    """The time limit for recognising ``page_count`` pages: generous per page, capped overall."""
    return min(OCR_TIMEOUT_MAX_S, OCR_TIMEOUT_BASE_S + OCR_TIMEOUT_PER_PAGE_S * page_count)


def tesseract_languages(language: str | None) -> str | None:
    """The Tesseract language string for a metadata language, or ``None`` to detect it."""
    if not language:
        return None
    code = str(language).strip().lower().split("-")[0]
    return _LANGUAGES.get(code, DEFAULT_LANGUAGES)


def require_tesseract(filename: str, pages: int) -> None:
    """Raise a ``ConversionError`` naming the Debian packages when Tesseract is not installed."""
    if shutil.which("tesseract") is None:
        raise ConversionError(
            f"{filename} has {pages} page(s) without a text layer (scanned images) that need text "
            f"recognition (OCR), but Tesseract is not installed; install the Debian packages "
            f"{TESSERACT_PACKAGES} (scripts/setup does) and try again"
        )


def ocr_pdf_pages(
    data: bytes, pages: Sequence[int], *, language: str | None, filename: str, timeout_s: float | None = None
) -> dict[int, OcrPage]:
    """Recognise the text of ``pages`` (1-based) of the PDF ``data``; ``{page: OcrPage}``."""
    import pypdfium2 as pdfium
    import pytesseract

    require_tesseract(filename, len(pages))
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's threads only fight on shared cores
    deadline = time.monotonic() + (timeout_s if timeout_s is not None else ocr_timeout_s(len(pages)))
    _require_models(tesseract_languages(language) or DEFAULT_LANGUAGES, filename)
    languages = tesseract_languages(language)
    results: dict[int, OcrPage] = {}
    document = pdfium.PdfDocument(data)
    try:
        for number in pages:
            image = document[number - 1].render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
            if _is_blank(image):
                continue
            if languages is None:
                languages = _detect_languages(image, deadline)
            words = _run(pytesseract.image_to_data, image, languages, deadline, filename)
            text, confidence = _assemble(words)
            results[number] = OcrPage(page=number, text=text, confidence=confidence, languages=languages)
    finally:
        document.close()
    return results


def _require_models(languages: str, filename: str) -> None:
    import pytesseract

    installed = set(pytesseract.get_languages(config=""))
    missing = [code for code in languages.split("+") if code not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise ConversionError(
            f"{filename} needs text recognition (OCR) in {'+'.join(missing)}, whose Tesseract model is not "
            f"installed; install the Debian package(s) {packages} and try again"
        )


def _is_blank(image: Any) -> bool:
    """A page with (almost) no ink has nothing to read: skip the engine. The threshold is light
    grey, so faint or blurred scans still go to the engine."""
    ink = sum(image.histogram()[:200])
    return ink < 0.0002 * image.width * image.height


def _detect_languages(image: Any, deadline: float) -> str:
    """``hin+eng`` for a Devanagari page, ``eng`` for a Latin one, else the default."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(
            image, output_type=pytesseract.Output.DICT, timeout=max(1.0, deadline - time.monotonic())
        )
    except (pytesseract.TesseractError, RuntimeError):  # too little text to tell, or out of time
        return DEFAULT_LANGUAGES
    return _SCRIPTS.get(str(osd.get("script", "")), DEFAULT_LANGUAGES)


def _run(function: Any, image: Any, languages: str, deadline: float, filename: str) -> dict[str, list[Any]]:
    import pytesseract

    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutExceededError(f"{filename}: text recognition (OCR) ran out of time")
    try:
        result: dict[str, list[Any]] = function(
            image, lang=languages, config="--psm 3", output_type=pytesseract.Output.DICT, timeout=left
        )
    except RuntimeError as exc:  # pytesseract's timeout kills Tesseract and raises RuntimeError
        if "timeout" in str(exc).lower():
            raise TimeoutExceededError(f"{filename}: text recognition (OCR) ran out of time") from None
        raise ConversionError(f"{filename}: text recognition (OCR) failed ({exc})") from None
    except pytesseract.TesseractError as exc:
        raise ConversionError(f"{filename}: text recognition (OCR) failed ({exc.message})") from None
    return result


def _assemble(words: dict[str, list[Any]]) -> tuple[str, float | None]:
    """Tesseract's words -> lines and paragraphs (blank line between blocks/paragraphs) + mean conf."""
    paragraphs: list[list[str]] = []
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    order: list[tuple[int, int]] = []
    for index, word in enumerate(words["text"]):
        word = str(word).strip()
        confidence = float(words["conf"][index])
        if not word or confidence < 0:
            continue
        confidences.append(confidence)
        paragraph = (int(words["block_num"][index]), int(words["par_num"][index]))
        if paragraph not in order:
            order.append(paragraph)
        lines.setdefault((*paragraph, int(words["line_num"][index])), []).append(word)
    for paragraph in order:
        paragraph_lines = [" ".join(ws) for key, ws in lines.items() if key[:2] == paragraph]
        paragraphs.append([_SPACE_BEFORE_PUNCTUATION.sub(r"\1", line) for line in paragraph_lines])
    text = "\n\n".join("\n".join(paragraph) for paragraph in paragraphs)
    mean = round(statistics.fmean(confidences), 1) if confidences else None
    return unicodedata.normalize("NFC", text), mean

"""Word's automatic list numbers come back from numbering.xml (python-docx writes the fixtures)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ingest.chunking import Chunker
from ingest.converters import convert_docx
from ingest.converters.docx_numbering import _letters, _roman

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LEVELS = [("decimal", "%1."), ("lowerLetter", "(%2)"), ("lowerRoman", "%3."), ("upperLetter", "%1.%2.%4")]


def _element(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement

    element = OxmlElement(f"w:{tag}")
    for name, value in attrs.items():
        element.set(W + name, value)
    return element


def _add_list(document: Any, abstract_id: str, levels: list[tuple[str, str]], num_ids: list[str]) -> None:
    """An abstract list definition with ``levels`` and list instances ``num_ids`` (the second and
    later ones restart at 1, as Word writes a restarted list)."""
    numbering = document.part.numbering_part.element
    abstract = _element("abstractNum", abstractNumId=abstract_id)
    for ilvl, (fmt, text) in enumerate(levels):
        lvl = _element("lvl", ilvl=str(ilvl))
        for tag, value in (("start", "1"), ("numFmt", fmt), ("lvlText", text)):
            lvl.append(_element(tag, val=value))
        abstract.append(lvl)
    numbering.insert(0, abstract)  # abstractNum elements come before num elements
    for number, num_id in enumerate(num_ids):
        num = _element("num", numId=num_id)
        num.append(_element("abstractNumId", val=abstract_id))
        if number:
            override = _element("lvlOverride", ilvl="0")
            override.append(_element("startOverride", val="1"))
            num.append(override)
        numbering.append(num)


def _item(document: Any, text: str, num_id: str, ilvl: int) -> None:
    paragraph = document.add_paragraph(text)
    num_pr = _element("numPr")
    num_pr.append(_element("ilvl", val=str(ilvl)))
    num_pr.append(_element("numId", val=num_id))
    paragraph._p.get_or_add_pPr().append(num_pr)


def _order_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Order on grievance redressal", 1)
    _add_list(document, "90", LEVELS, ["90", "91"])
    _add_list(document, "95", [("bullet", "\uf0b7")], ["95"])
    _item(document, "Every grievance is registered within two days.", "90", 0)
    _item(document, "The officer shall:", "90", 0)
    _item(document, "acknowledge it by SMS;", "90", 1)
    _item(document, "record the action taken.", "90", 1)
    _item(document, "in the portal", "90", 2)
    _item(document, "and in the register", "90", 2)
    _item(document, "Cross-reference", "90", 3)
    _item(document, "Appeals go to the Deputy Commissioner.", "90", 0)
    _item(document, "Points to note", "95", 0)
    document.add_paragraph("A new list follows.")
    _item(document, "Restarted at one.", "91", 0)
    _item(document, "Its second item.", "91", 0)
    document.add_paragraph("Style-numbered items (List Number):")
    for text in ("Style item one.", "Style item two."):
        document.add_paragraph(text, style="List Number")
    document.add_paragraph("Not numbered.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_numbers_levels_formats_and_restarts_are_reproduced() -> None:
    text = convert_docx(_order_docx(), "order.docx").text
    assert text.split("\n\n") == [
        "1. Every grievance is registered within two days.",
        "2. The officer shall:",
        "   (a) acknowledge it by SMS;",
        "   (b) record the action taken.",
        "      i. in the portal",
        "      ii. and in the register",
        "         2.b.A Cross-reference",
        "3. Appeals go to the Deputy Commissioner.",
        "- Points to note",
        "A new list follows.",
        "1. Restarted at one.",
        "2. Its second item.",
        "Style-numbered items (List Number):",
        "1. Style item one.",
        "2. Style item two.",
        "Not numbered.",
    ]


def test_the_numbers_reach_the_indexed_text(chunker: Chunker) -> None:
    """What is embedded and searched carries "2." and "(a)", as the reader of the order sees them."""
    chunks = chunker.chunk(convert_docx(_order_docx(), "order.docx"), title="Order on grievance redressal")
    assert "2. The officer shall:\n\n(a) acknowledge it by SMS;\n\n(b) record the action taken." in chunks[0].text


@pytest.mark.parametrize(("value", "letters", "roman"), [(1, "a", "i"), (4, "d", "iv"), (27, "aa", "xxvii")])
def test_letter_and_roman_counting(value: int, letters: str, roman: str) -> None:
    assert _letters(value) == letters and _roman(value) == roman

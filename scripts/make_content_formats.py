#!/usr/bin/env python
"""Generate the non-Markdown documents of content/ from Markdown sources, with metadata sidecars.

The demo corpus should show every format the product ingests (PDF, DOCX, HTML, plain text), but
binary files are hard to review and edit. So their text lives in ``scripts/content_sources/*.md``
(Markdown with front matter, outside content/ so it is never indexed twice), and this script renders
each source into the format named by its ``generate_to`` field, e.g.
``generate_to: guidelines/gpr-guideline.pdf``, and writes ``<file>.meta.yaml`` beside it from the
rest of the front matter.

Output is deterministic (fixed creation dates, fixed zip timestamps, no random ids), so running it
again without changing a source leaves git clean. Run from anywhere::

    .venv/bin/python scripts/make_content_formats.py            # write all
    .venv/bin/python scripts/make_content_formats.py --check    # exit 1 if any output is stale

Rendering notes:

* PDF (fpdf2, core Helvetica font): the core fonts are Latin-1 only, so typographic quotes, dashes
  and the rupee sign are transliterated; headings become PDF outline entries (bookmarks), which the
  PDF converter uses as section headings. Pages carry a footer with only the page number, so
  little page furniture leaks into the extracted text.
* DOCX (python-docx): ``#``/``##``/``###`` map to the Heading 1/2/3 styles, bullets to List Bullet;
  ordered items keep their number in the text (Word's auto-numbering would not survive extraction).
* HTML: a complete page whose ``<main>`` holds the document, wrapped in a header, nav and footer, as
  a government web page would be, so the HTML converter's main-content extraction is exercised.
* TXT: headings underlined with ``=`` (level 1) and ``-`` (level 2); level 3+ become plain lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = REPO_ROOT / "scripts" / "content_sources"
CONTENT = REPO_ROOT / "content"
SIDECAR_SUFFIX = ".meta.yaml"

FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
PUBLISHER = "e-Governance Practice Exchange"
SUPPORTED = {".pdf", ".docx", ".html", ".txt"}

_LATIN1_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": " - ", "\u2012": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...",
    "\u20b9": "Rs ", "\u2022": "-", "\u00a0": " ", "\u2009": " ", "\u200b": "", "\u2192": "->",
    "\u2264": "<=", "\u2265": ">=", "\u2032": "'", "\u2033": '"',
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# A small block model of the Markdown, shared by all renderers
# --------------------------------------------------------------------------------------------------


@dataclass
class Span:
    """A run of inline text, bold or not."""

    text: str
    bold: bool = False


@dataclass
class Block:
    """One block of the document: a heading, a paragraph or a list item."""

    kind: str  # "heading" | "paragraph" | "bullet" | "ordered"
    spans: list[Span] = field(default_factory=list)
    level: int = 0  # heading level, or list nesting depth (0 = top)
    number: int | None = None  # ordinal of an ordered-list item

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass
class Source:
    """A Markdown source file: its metadata, its blocks and where its output goes."""

    path: Path
    meta: dict[str, Any]
    blocks: list[Block]
    target: Path

    @property
    def title(self) -> str:
        return str(self.meta["title"])


def _inline_spans(token: Token) -> list[Span]:
    spans: list[Span] = []
    bold = False
    for child in token.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type in {"text", "code_inline"}:
            spans.append(Span(child.content, bold))
        elif child.type in {"softbreak", "hardbreak"}:
            spans.append(Span(" ", bold))
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].bold == span.bold:
            merged[-1].text += span.text
        else:
            merged.append(span)
    return merged


def parse_blocks(markdown: str) -> list[Block]:
    """Turn Markdown into headings, paragraphs and (nested) list items."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks: list[Block] = []
    lists: list[list[Any]] = []  # stack of [kind, next number]
    pending_item: Block | None = None
    heading_level = 0
    for token in tokens:
        if token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type in {"bullet_list_open", "ordered_list_open"}:
            start = int(token.attrGet("start") or 1)
            lists.append(["bullet" if token.type == "bullet_list_open" else "ordered", start])
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif token.type == "list_item_open":
            kind, number = lists[-1]
            pending_item = Block(kind, level=len(lists) - 1, number=number if kind == "ordered" else None)
            if kind == "ordered":
                lists[-1][1] += 1
        elif token.type == "inline":
            spans = _inline_spans(token)
            if heading_level:
                blocks.append(Block("heading", spans, level=heading_level))
                heading_level = 0
            elif pending_item is not None:
                pending_item.spans = spans
                blocks.append(pending_item)
                pending_item = None
            elif lists:  # a second paragraph inside a list item
                kind = lists[-1][0]
                blocks.append(Block(kind, spans, level=len(lists) - 1))
            else:
                blocks.append(Block("paragraph", spans))
        elif token.type in {"fence", "code_block"}:
            blocks.append(Block("paragraph", [Span(token.content.rstrip("\n"))]))
        elif token.type == "table_open":
            raise ValueError("tables are not supported in content sources; use lists")
    return blocks


def load_source(path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: a content source starts with YAML front matter")
    front, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(front)
    target_rel = meta.pop("generate_to", None)
    if not target_rel:
        raise ValueError(f"{path}: set 'generate_to', e.g. 'guidelines/{path.stem}.pdf'")
    target = CONTENT / target_rel
    if target.suffix.lower() not in SUPPORTED:
        raise ValueError(f"{path}: cannot generate {target.suffix}; use one of {sorted(SUPPORTED)}")
    blocks = parse_blocks(body)
    if not blocks or blocks[0].kind != "heading" or blocks[0].level != 1 or blocks[0].text != meta["title"]:
        raise ValueError(f"{path}: the body starts with '# {meta['title']}' (the title)")
    return Source(path, meta, blocks, target)


# --------------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------------


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: typographic characters transliterated, others replaced."""
    for char, replacement in _LATIN1_REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(source: Source) -> bytes:
    from fpdf import FPDF

    class _PDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.set_text_color(110)
            self.cell(0, 8, f"Page {self.page_no()}", align="C")
            self.set_text_color(0)

    pdf = _PDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer(PUBLISHER)
    pdf.set_creator("scripts/make_content_formats.py")
    pdf.set_title(latin1(source.title))
    pdf.set_author(PUBLISHER)
    pdf.set_subject(latin1(", ".join(str(t) for t in source.meta.get("tags", [])[:6])))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    sizes = {1: 16, 2: 13, 3: 11.5, 4: 10.5}
    for block in source.blocks:
        text = latin1(block.text)
        if block.kind == "heading":
            size = sizes.get(block.level, 10.5)
            if pdf.get_y() > pdf.h - 50:  # keep a heading with the text that follows it
                pdf.add_page()
            pdf.ln(3 if block.level > 1 else 0)
            pdf.start_section(text, level=block.level - 1)
            pdf.set_font("Helvetica", "B", size)
            pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif block.kind in {"bullet", "ordered"}:
            indent = 5 + 6 * block.level
            marker = "-" if block.kind == "bullet" else f"{block.number}."
            pdf.set_font("Helvetica", size=10)
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(6, 5.2, marker)
            pdf.multi_cell(0, 5.2, _pdf_markup(block), markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        else:
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, 5.2, _pdf_markup(block), markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def _pdf_markup(block: Block) -> str:
    """fpdf2's markdown=True understands **bold**; escape its other markers (-- and __) in text."""
    parts = []
    for span in block.spans:
        text = latin1(span.text).replace("--", "- -").replace("__", "_ _")
        parts.append(f"**{text}**" if span.bold and text.strip() else text)
    return "".join(parts)


def render_docx(source: Source) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    props = document.core_properties
    props.title = source.title
    props.author = PUBLISHER
    props.last_modified_by = PUBLISHER
    props.subject = ", ".join(str(t) for t in source.meta.get("tags", [])[:6])
    props.keywords = ", ".join(str(t) for t in source.meta.get("tags", []))
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    document.styles["Normal"].font.size = Pt(10.5)
    for block in source.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=min(block.level, 9))
            continue
        if block.kind == "bullet":
            style = "List Bullet" if block.level == 0 else "List Bullet 2"
            paragraph = document.add_paragraph(style=style)
        else:
            paragraph = document.add_paragraph()
            if block.kind == "ordered":
                paragraph.paragraph_format.left_indent = Pt(18 + 18 * block.level)
                paragraph.add_run(f"{block.number}. ")
        for span in block.spans:
            run = paragraph.add_run(span.text)
            run.bold = span.bold or None
    buffer = io.BytesIO()
    document.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip (DOCX) with fixed timestamps and attributes so identical input gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def _html_spans(block: Block) -> str:
    parts = []
    for span in block.spans:
        text = html.escape(span.text, quote=False)
        parts.append(f"<strong>{text}</strong>" if span.bold else text)
    return "".join(parts)


def render_html(source: Source) -> bytes:
    body: list[str] = []
    open_lists: list[str] = []

    def close_lists(to_depth: int) -> None:
        while len(open_lists) > to_depth:
            body.append(f"</li></{open_lists.pop()}>")

    for block in source.blocks:
        if block.kind in {"bullet", "ordered"}:
            tag = "ul" if block.kind == "bullet" else "ol"
            depth = block.level + 1
            if len(open_lists) > depth:
                close_lists(depth)
            if len(open_lists) == depth:
                body.append("</li>")
            while len(open_lists) < depth:
                body.append(f"<{tag}>")
                open_lists.append(tag)
            body.append(f"<li>{_html_spans(block)}")
            continue
        close_lists(0)
        if block.kind == "heading":
            body.append(f"<h{block.level}>{_html_spans(block)}</h{block.level}>")
        else:
            body.append(f"<p>{_html_spans(block)}</p>")
    close_lists(0)
    title = html.escape(source.title)
    description = html.escape(", ".join(str(t) for t in source.meta.get("tags", [])[:8]))
    page = f"""<!DOCTYPE html>
<html lang="{source.meta.get("language", "en")}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {PUBLISHER}</title>
<meta name="description" content="{description}">
</head>
<body>
<header class="site-header">
<p class="site-name">{PUBLISHER}</p>
<nav class="main-menu" aria-label="Main menu">
<ul>
<li><a href="/">Home</a></li>
<li><a href="/search">Search practices</a></li>
<li><a href="/documents">Browse by state</a></li>
<li><a href="/contribute">Contribute</a></li>
</ul>
</nav>
</header>
<nav class="breadcrumb" aria-label="Breadcrumb">
<a href="/">Home</a> &rsaquo; <a href="/documents">Reference</a> &rsaquo; {title}
</nav>
<main>
{chr(10).join(body)}
</main>
<footer class="site-footer">
<p>{PUBLISHER}. Content written in plain language by the editors; check official sources before acting.</p>
<p><a href="/accessibility">Accessibility</a> | <a href="/contact">Contact</a> | <a href="/terms">Terms of use</a></p>
</footer>
</body>
</html>
"""
    return page.encode("utf-8")


def render_txt(source: Source) -> bytes:
    lines: list[str] = []
    for block in source.blocks:
        if block.kind == "heading":
            if lines:
                lines.append("")
            lines.append(block.text)
            if block.level <= 2:
                lines.append(("=" if block.level == 1 else "-") * len(block.text))
            lines.append("")
        elif block.kind in {"bullet", "ordered"}:
            marker = "-" if block.kind == "bullet" else f"{block.number}."
            lines.append(f"{'   ' * block.level}{marker} {block.text}")
        else:
            if lines and lines[-1] != "":
                lines.append("")
            lines.append(block.text)
            lines.append("")
    text = "\n".join(lines).strip() + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.encode("utf-8")


RENDERERS = {".pdf": render_pdf, ".docx": render_docx, ".html": render_html, ".txt": render_txt}


def render_sidecar(source: Source) -> bytes:
    header = (
        f"# Generated by scripts/make_content_formats.py from scripts/content_sources/{source.path.name};\n"
        "# edit the source and re-run the script instead of editing this file.\n"
    )
    body = yaml.safe_dump(source.meta, sort_keys=False, allow_unicode=True, width=100)
    return (header + body).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def outputs(source: Source) -> dict[Path, bytes]:
    """The files a source produces: the document and its sidecar."""
    sidecar = source.target.with_name(source.target.name + SIDECAR_SUFFIX)
    return {
        source.target: RENDERERS[source.target.suffix.lower()](source),
        sidecar: render_sidecar(source),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale outputs and exit 1; write nothing")
    args = parser.parse_args(argv)
    sources = [load_source(path) for path in sorted(SOURCES.glob("*.md"))]
    ids = [s.meta["id"] for s in sources]
    if len(ids) != len(set(ids)):
        raise SystemExit(f"duplicate ids in {SOURCES}: {ids}")
    stale: list[Path] = []
    for source in sources:
        for path, data in outputs(source).items():
            if path.exists() and path.read_bytes() == data:
                continue
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    verb = "stale" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path.relative_to(REPO_ROOT)}")
    print(f"{len(sources)} sources, {len(stale)} file(s) {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

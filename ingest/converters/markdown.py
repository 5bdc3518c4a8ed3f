"""Markdown -> sections, through markdown-it-py's token stream so the heading tree survives.

Haystack's ``MarkdownToDocument`` renders Markdown to flat text and loses which heading a paragraph
belongs to; walking the tokens ourselves keeps it. Front matter (the metadata) is stripped first.
Blocks become clean plain text: list markers are kept (``1.``, ``(a)`` and ``-`` carry meaning in
MoUs and policies), tables become one ``cell | cell`` line per row, code and quotes keep their text.

Title: the first H1. A document with a single H1 keeps it out of the heading paths (they start at
H2, the title carries the H1); with several H1s every H1 is part of the path (see ``_common``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.converters._common import (
    SectionBuilder,
    clean_inline,
    decode_text,
    markdown_table,
    one_line,
    require_sections,
)
from kb.metadata import split_front_matter
from kb.models import ConvertedDocument

MEDIA_TYPE = "text/markdown"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def convert_markdown(data: bytes, filename: str = "document.md") -> ConvertedDocument:
    """Convert Markdown bytes (UTF-8, optional front matter) into a :class:`ConvertedDocument`.

    Raises ``ConversionError`` for empty or non-UTF-8 input and ``MetadataError`` for front matter
    that is not valid YAML.
    """
    text = decode_text(data, filename)
    _, body = split_front_matter(text)
    tokens = _parser().parse(body)
    builder = SectionBuilder()
    _Walker(builder).walk(tokens)
    title = builder.first_h1
    sections = builder.build(title)
    require_sections(sections, filename)
    return ConvertedDocument(sections=sections, media_type=MEDIA_TYPE, title=title)


def render_inline(token: Token) -> str:
    """Plain text of an ``inline`` token: markup dropped, line breaks kept, images by alt text."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content or "")
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            parts.append("\n")
    return clean_inline("".join(parts))


def _html_text(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return clean_inline(soup.get_text("\n"))


class _Walker:
    """One pass over the block tokens, feeding a :class:`SectionBuilder`."""

    def __init__(self, builder: SectionBuilder) -> None:
        self.builder = builder

    def walk(self, tokens: Sequence[Token]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "heading_open":
                self.builder.heading(int(token.tag[1:]), render_inline(tokens[i + 1]))
                i += 3
            elif token.type in {"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"}:
                end = _matching_close(tokens, i)
                self.builder.block(self._container(tokens[i : end + 1]))
                i = end + 1
            else:
                self.builder.block(self._leaf(token, tokens, i))
                i += 1

    def _leaf(self, token: Token, tokens: Sequence[Token], i: int) -> str:
        if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            return render_inline(token)
        if token.type in {"fence", "code_block"}:
            return token.content.rstrip("\n")
        if token.type == "html_block":
            return _html_text(token.content)
        return ""

    def _container(self, tokens: Sequence[Token]) -> str:
        kind = tokens[0].type
        if kind == "table_open":
            return _table(tokens)
        lines: list[str] = []
        in_quote = kind == "blockquote_open"
        _render_nested(tokens[1:-1] if in_quote else tokens, lines, indent="", in_quote=in_quote)
        return "\n".join(lines)


def _matching_close(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing the container opened at ``start`` (same nesting level)."""
    level = tokens[start].level
    close = tokens[start].type.replace("_open", "_close")
    for j in range(start + 1, len(tokens)):
        if tokens[j].type == close and tokens[j].level == level:
            return j
    return len(tokens) - 1


def _render_nested(tokens: Sequence[Token], lines: list[str], *, indent: str, in_quote: bool) -> None:
    """Render the inside of a list or blockquote into ``lines`` (items one per line, markers kept)."""
    i = 0
    counters: list[int] = []
    markers: list[str] = []
    pending_marker: str | None = None
    while i < len(tokens):
        token = tokens[i]
        if token.type == "ordered_list_open":
            counters.append(int(token.attrs.get("start", 1) or 1))
            markers.append(token.markup or ".")
        elif token.type == "bullet_list_open":
            counters.append(-1)
            markers.append("-")
        elif token.type in {"ordered_list_close", "bullet_list_close"}:
            counters.pop()
            markers.pop()
        elif token.type == "list_item_open":
            depth = len(counters) - 1
            if counters[-1] >= 0:
                number = token.info or str(counters[-1])
                pending_marker = f"{'   ' * depth}{number}{markers[-1]} "
                counters[-1] = int(number) + 1 if number.isdigit() else counters[-1] + 1
            else:
                pending_marker = f"{'   ' * depth}- "
        elif token.type == "inline":
            text = render_inline(token)
            if text:
                prefix = pending_marker if pending_marker is not None else indent + "   " * len(counters)
                pad = " " * len(prefix)
                text_lines = text.split("\n")
                lines.append(prefix + text_lines[0])
                lines.extend(pad + line for line in text_lines[1:])
                pending_marker = None
        elif token.type in {"fence", "code_block"}:
            pad = "   " * len(counters)
            lines.extend(pad + line for line in token.content.rstrip("\n").split("\n"))
        elif token.type == "html_block":
            text = _html_text(token.content)
            if text:
                lines.append(text)
        elif token.type == "table_open":
            end = _matching_close(tokens, i)
            lines.append(_table(tokens[i : end + 1]))
            i = end
        elif token.type == "paragraph_close" and in_quote and not counters:
            lines.append("")  # a blank line keeps a quote's paragraphs apart; list items stay tight
        i += 1
    while lines and not lines[-1].strip():
        lines.pop()


def _table(tokens: Sequence[Token]) -> str:
    """A table as Markdown rows, header row first (see :func:`markdown_table`)."""
    rows: list[list[str]] = []
    cells: list[str] = []
    for token in tokens:
        if token.type == "tr_open":
            cells = []
        elif token.type == "inline":
            cells.append(one_line(render_inline(token)))
        elif token.type == "tr_close":
            rows.append(cells)
    return markdown_table(rows)

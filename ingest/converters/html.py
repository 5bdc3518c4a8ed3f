"""HTML -> sections with BeautifulSoup + lxml, main content only.

Government web pages carry menus, banners, breadcrumbs, cookie notices and footers that would drown
the practice itself in search results. The content root is ``<main>``, else ``[role=main]``, else a
single ``<article>``, else ``<body>``. From the root, navigation and page furniture are removed:
nav/aside/form/script/style elements, ARIA navigation/banner/contentinfo roles, elements whose class
or id names a menu, footer, breadcrumb, sidebar or cookie notice, and, when the root is ``<body>``,
the page-level ``<header>``/``<footer>``. A wrapper that holds most of the page (``class="has-sidebar"``
on the page container) is never removed. ``h1``-``h6`` give the heading paths; the title is
``<title>``, else the first ``h1``. ``<pre>`` blocks keep their lines and become fenced code
(```` ```python ````, the language from a ``language-*``/``highlight-*`` class when there is one).

Decoding: strict UTF-8, except that a charset declared in a ``<meta>`` tag is honoured.
"""

from __future__ import annotations

import codecs
import re
import warnings
from typing import Any

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag, XMLParsedAsHTMLWarning

from ingest.converters._common import (
    SectionBuilder,
    clean_inline,
    code_block,
    decode_text,
    markdown_table,
    one_line,
    require_sections,
)
from kb.errors import ConversionError
from kb.models import ConvertedDocument

MEDIA_TYPE = "text/html"

_ALWAYS_DROP = ["script", "style", "noscript", "template", "nav", "aside", "form", "svg", "iframe", "button"]
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary"}
_BOILERPLATE_WORDS = {
    "nav", "navbar", "navigation", "menu", "menubar", "footer", "breadcrumb", "breadcrumbs",
    "sidebar", "cookie", "cookies", "skip", "share", "social", "pagination",
}  # fmt: skip
_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "blockquote", "address", "figure",
    "figcaption", "dl", "dt", "dd", "details", "summary", "center", "hr",
}  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CONTENT_TAGS = {"main", "article", "h1"}
_TEXT_TYPES = (NavigableString, CData)  # exact types: comments, scripts and doctypes are subclasses
_WHITESPACE = re.compile(r"\s+")
_LANGUAGE_CLASS = re.compile(r"^(?:language|lang|highlight)-([A-Za-z0-9_+.#-]+)$")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def convert_html(data: bytes, filename: str = "document.html") -> ConvertedDocument:
    """Convert HTML bytes into a :class:`ConvertedDocument` holding the page's main content."""
    with warnings.catch_warnings():
        # XHTML (Debian's and Sphinx's manuals) parses fine as HTML; bs4 would warn on every page.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(_decode(data, filename), "lxml")
    for permalink in soup.select("a.headerlink, a.anchorjs-link"):  # Sphinx's "¶" beside headings
        permalink.decompose()
    title_tag = soup.find("title")
    title = _without_site_suffix(one_line(title_tag.get_text()) if title_tag else "", soup)
    root = _content_root(soup)
    _strip_boilerplate(root)
    builder = SectionBuilder()
    _Walker(builder).walk(root)
    title = title or builder.first_h1 or ""
    sections = builder.build(title or None)
    require_sections(sections, filename, "readable text in its main content")
    return ConvertedDocument(sections=sections, media_type=MEDIA_TYPE, title=title or None)


def _without_site_suffix(title: str, soup: BeautifulSoup) -> str:
    """``"email.charset — Python 3.11.2 documentation"`` -> ``"email.charset"`` when the page's
    first ``h1`` is the part before the separator: the rest names the site, not the document."""
    heading = soup.find("h1")
    h1 = one_line(heading.get_text(" ")).rstrip("¶#").strip() if heading else ""
    for separator in (" — ", " – ", " | ", " - ", " :: "):
        head, found, _site = title.rpartition(separator)
        if found and h1 and " ".join(head.split()).casefold() == h1.casefold():
            return head.strip()
    return title


def _decode(data: bytes, filename: str) -> str:
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            codec = codecs.lookup(match.group(1).decode("ascii"))
        except LookupError:
            codec = None
        if codec is not None and codec.name not in {"utf-8", "utf-8-sig", "ascii"}:
            try:
                return data.decode(codec.name).replace("\r\n", "\n")
            except UnicodeDecodeError as exc:
                raise ConversionError(
                    f"{filename} declares charset {codec.name} but is not valid {codec.name} "
                    f"(byte {exc.start}); save it as UTF-8 and try again"
                ) from None
    return decode_text(data, filename)


def _content_root(soup: BeautifulSoup) -> Tag:
    for candidate in (soup.find("main"), soup.select_one('[role="main"]')):
        if isinstance(candidate, Tag):
            return candidate
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    body = soup.body or soup
    return body


def _strip_boilerplate(root: Tag) -> None:
    """Remove page furniture below ``root``.

    Iterative and linear in the size of the page: subtree text sizes are computed once, bottom-up,
    so neither a deeply nested page nor nested "menu" wrappers make it recurse or go quadratic.
    """
    page_level = root.name in {"body", "[document]", "html"}
    stats = _subtree_stats(root)
    total = stats[id(root)][0]
    doomed: list[Tag] = []
    stack: list[tuple[Tag, bool]] = [(child, False) for child in root.children if isinstance(child, Tag)]
    while stack:
        tag, in_article = stack.pop()
        if _is_furniture(tag, page_level=page_level, in_article=in_article, stats=stats, total=total):
            doomed.append(tag)  # its subtree goes with it: no need to look inside
            continue
        inside = in_article or tag.name == "article"
        stack.extend((child, inside) for child in tag.children if isinstance(child, Tag))
    for tag in doomed:
        tag.decompose()


def _subtree_stats(root: Tag) -> dict[int, tuple[int, bool]]:
    """For every tag (by id): characters of text below it, and whether main/article/h1 is below it."""
    order: list[Tag] = []
    stack = [root]
    while stack:
        tag = stack.pop()
        order.append(tag)
        stack.extend(child for child in tag.contents if isinstance(child, Tag))
    stats: dict[int, tuple[int, bool]] = {}
    for tag in reversed(order):  # children before their parents
        size, holds_content = 0, False
        for child in tag.contents:
            if isinstance(child, Tag):
                child_size, child_holds = stats[id(child)]
                size += child_size
                holds_content = holds_content or child_holds or child.name in _CONTENT_TAGS
            elif type(child) in _TEXT_TYPES:
                size += len(str(child))
        stats[id(tag)] = (size, holds_content)
    return stats


def _is_furniture(
    tag: Tag, *, page_level: bool, in_article: bool, stats: dict[int, tuple[int, bool]], total: int
) -> bool:
    if tag.name in _ALWAYS_DROP:
        return True
    if page_level and tag.name in {"header", "footer"} and not in_article:
        return True
    if not _looks_like_boilerplate(tag):
        return False
    # a page wrapper named after a layout ("has-sidebar") holds the content: keep it
    size, holds_content = stats[id(tag)]
    return not holds_content and size <= total / 2


def _looks_like_boilerplate(tag: Tag) -> bool:
    if str(tag.get("role", "")).lower() in _DROP_ROLES:
        return True
    if str(tag.get("aria-hidden", "")).lower() == "true" or tag.has_attr("hidden"):
        return True
    classes: Any = tag.get("class") or []
    names = [*(classes if isinstance(classes, list) else [classes]), str(tag.get("id", ""))]
    for name in names:
        words = set(re.split(r"[-_\s]+", str(name).lower()))
        if words & _BOILERPLATE_WORDS:
            return True
    return False


class _Walker:
    """Depth-first walk turning the content tree into heading-delimited blocks.

    Iterative (an explicit stack of enter/leave events), so a page nested thousands of levels deep
    is converted rather than crashing with ``RecursionError``.
    """

    def __init__(self, builder: SectionBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number] or [-1] for bullets

    def walk(self, root: Tag) -> None:
        stack: list[tuple[PageElement, bool]] = [(child, False) for child in reversed(root.contents)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self._leave(node)
            elif isinstance(node, Tag):
                if self._enter(node):
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(node.contents))
            elif type(node) in _TEXT_TYPES:
                self.inline.append(_WHITESPACE.sub(" ", str(node)))  # source line breaks are spaces
        self._flush()

    def _flush(self) -> None:
        text = clean_inline("".join(self.inline))
        self.inline = []
        if text:
            self.builder.block(text)

    def _enter(self, tag: Tag) -> bool:
        """Handle an opening tag; True when its children should be walked."""
        name = tag.name
        if name in _HEADINGS:
            self._flush()
            self.builder.heading(_HEADINGS[name], tag.get_text(" "))
        elif name == "br":
            self.inline.append("\n")
        elif name in {"pre", "table"}:
            self._flush()
            self.builder.block(code_block(tag.get_text(), _code_language(tag)) if name == "pre" else _table_text(tag))
        elif name in {"ul", "ol"}:
            self._flush()
            start = str(tag.get("start", "1"))
            first = int(start) if start.isdigit() else 1
            self.lists.append([first if name == "ol" else -1])
            return True
        elif name == "li":
            self._flush()
            self.inline.append(self._marker())
            return True
        else:
            if name in _BLOCKS:
                self._flush()
            return True
        return False

    def _leave(self, node: PageElement) -> None:
        name = getattr(node, "name", None)
        if name in {"ul", "ol"}:
            self._flush()
            self.lists.pop()
        elif name == "li" or name in _BLOCKS:
            self._flush()

    def _marker(self) -> str:
        if not self.lists:
            return "- "
        indent = "   " * (len(self.lists) - 1)
        counter = self.lists[-1]
        if counter[0] < 0:
            return indent + "- "
        counter[0] += 1
        return f"{indent}{counter[0] - 1}. "


def _code_language(pre: Tag) -> str:
    """The language a ``<pre>`` declares (``language-python``, ``lang-sh``, Sphinx's
    ``highlight-python3`` on its wrapper), for the code fence's info string; else ``""``."""
    for tag in (pre, pre.find("code"), pre.parent, pre.parent.parent if pre.parent else None):
        classes: Any = tag.get("class") if isinstance(tag, Tag) else None
        for name in classes if isinstance(classes, list) else []:
            match = _LANGUAGE_CLASS.match(str(name))
            if match and match.group(1).lower() not in {"default", "none", "text", "plaintext"}:
                return match.group(1).lower()
    return ""


def _table_text(table: Tag) -> str:
    """A table as Markdown rows; the first row (``<th>`` cells or not) is the header."""
    rows = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        rows.append([one_line(cell.get_text(" ")) for cell in row.find_all(["th", "td"], recursive=False)])
    return markdown_table(rows)

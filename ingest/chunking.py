"""Structure-aware chunking: sections -> passages that fit the embedding model's window.

The window is counted with the model's own tokenizer on exactly what the model reads
(:attr:`kb.models.Chunk.embedding_text`: the context line, a newline and the passage, plus
``[CLS]``/``[SEP]``), and every chunk is checked against ``max_tokens`` before it is returned.

How a document is cut:

1. Sections first. Text under different heading paths is never merged; consecutive sections under
   the same path (PDF pages of one chapter) may share a chunk, which then cites the page it
   starts on. Tables of contents and indexes are left out (:mod:`ingest.chunking_text`).
2. Paragraphs (blank lines; a fenced code block is one paragraph) are packed greedily up to
   ``target_tokens``. A paragraph that fits the window stays whole even when it is longer than the
   target.
3. A paragraph longer than the window is cut at the coarsest boundary that works: numbered clauses
   (``Article 2`` > ``4.`` > ``4.1`` > ``4.1.2`` > ``(a)`` > bullets, see :mod:`ingest.clauses`), then
   sentences (table rows first for tables), lines, words, and as a last resort token boundaries.
   A clause that fits is never cut; the pieces of one paragraph are packed up to the target.
4. A Markdown table (header row, ``|---|`` rule, rows: what every converter writes) longer than
   the target is cut between rows first, and every piece repeats the header, so no row is ever
   read without its column names.

``target_tokens`` counts the whole window (context included); the context line (title and heading
path, joined by ``" › "``) is shortened to ``context_tokens``, dropping middle headings first.

Speed: every paragraph is tokenized once, in one batch, with character offsets; the size of any
piece is then a bisection over those offsets, never a new tokenizer call. A 200-page PDF chunks in
well under a second once the tokenizer is loaded.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby, pairwise
from typing import Any

from haystack import Document, component

from ingest import clauses
from ingest.chunking_text import is_contents_text, split_paragraphs
from kb.models import SECTION_SEPARATOR, Chunk, ConvertedDocument, Section, chunk_point_id

ELLIPSIS = "…"
MIN_BODY_TOKENS = 16


@dataclass
class _Paragraph:
    """One paragraph of a section with the start offset of each of its tokens."""

    text: str
    page: int | None
    token_starts: list[int]

    def tokens(self, start: int, end: int) -> int:
        """Number of tokens starting within ``text[start:end]``."""
        return bisect.bisect_left(self.token_starts, end) - bisect.bisect_left(self.token_starts, start)


_Span = tuple[_Paragraph, int, int]


class Chunker:
    """Cuts a :class:`~kb.models.ConvertedDocument` into :class:`~kb.models.Chunk` objects.

    ``model_path`` is the embedding model's folder (its tokenizer counts the window). Call
    :meth:`warm_up` once (cheap to repeat) before :meth:`chunk`.
    """

    def __init__(
        self, model_path: str, *, max_tokens: int = 256, target_tokens: int = 200, context_tokens: int = 48
    ) -> None:
        if context_tokens < 0 or max_tokens - context_tokens < MIN_BODY_TOKENS + 2:
            raise ValueError(f"max_tokens={max_tokens} leaves no room for text after {context_tokens} context")
        if not 0 < target_tokens <= max_tokens:
            raise ValueError(f"target_tokens must be between 1 and max_tokens ({max_tokens})")
        self.model_path = model_path
        self.max_tokens = max_tokens
        self.target_tokens = target_tokens
        self.context_tokens = context_tokens
        self._tokenizer: Any = None
        self._special_tokens = 2

    def warm_up(self) -> None:
        """Load the model's tokenizer from disk (offline); does nothing the second time."""
        if self._tokenizer is not None:
            return
        from transformers import AutoTokenizer  # local: transformers imports torch

        self._tokenizer = AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)
        self._special_tokens = len(self._tokenizer("")["input_ids"])

    def count_tokens(self, text: str) -> int:
        """Window size of ``text`` as the model sees it, special tokens included."""
        return len(self._require_tokenizer()(text, verbose=False)["input_ids"])

    def chunk(self, document: ConvertedDocument, *, title: str) -> list[Chunk]:
        """Chunks of ``document`` in reading order, ``index`` 0..n-1, each within ``max_tokens``."""
        self._require_tokenizer()
        paragraphs = self._paragraphs(document.sections)
        drafts: list[tuple[str, tuple[str, ...], int | None, str]] = []
        contexts: dict[tuple[str, ...], tuple[str, int]] = {}
        for path, group in groupby(paragraphs, key=lambda item: item[0]):
            if path not in contexts:
                contexts[path] = self._context(title, path)
            context, context_size = contexts[path]
            budget = _Budget(
                maximum=self.max_tokens - self._special_tokens - context_size,
                target=max(self.target_tokens - self._special_tokens - context_size, MIN_BODY_TOKENS),
            )
            for text, page in _pack([paragraph for _, paragraph in group], budget):
                drafts.append((text, path, page, context))
        chunks: list[Chunk] = []
        for text, path, page, context in self._enforce_window(drafts):
            chunks.append(Chunk(text=text, index=len(chunks), heading_path=path, page=page, context=context))
        return chunks

    def _require_tokenizer(self) -> Any:
        if self._tokenizer is None:
            raise RuntimeError("Chunker.warm_up() must be called before chunking")
        return self._tokenizer

    def _paragraphs(self, sections: Sequence[Section]) -> list[tuple[tuple[str, ...], _Paragraph]]:
        items: list[tuple[tuple[str, ...], str, int | None]] = []
        for section in sections:
            if is_contents_text(section.text):  # contents and index pages: kept, not indexed
                continue
            for text in split_paragraphs(section.text):
                text = text.strip()
                if text:
                    items.append((section.heading_path, text, section.page))
        if not items:
            return []
        paragraphs = self._encode(items)
        if any(clauses.looks_like_table(paragraph.text) for _, paragraph in paragraphs):
            limit = max(self.target_tokens - self._special_tokens - self.context_tokens, MIN_BODY_TOKENS)
            items = [
                (path, piece, paragraph.page)
                for path, paragraph in paragraphs
                for piece in clauses.table_pieces(paragraph.text, paragraph.tokens, limit)
            ]
            paragraphs = self._encode(items)
        return paragraphs

    def _encode(self, items: list[tuple[tuple[str, ...], str, int | None]]) -> list[tuple[tuple[str, ...], _Paragraph]]:
        encoded = self._tokenizer(
            [text for _, text, _ in items],
            add_special_tokens=False,
            return_offsets_mapping=True,
            verbose=False,
        )
        return [
            (path, _Paragraph(text, page, [start for start, _ in offsets]))
            for (path, text, page), offsets in zip(items, encoded["offset_mapping"], strict=True)
        ]

    def _context(self, title: str, path: tuple[str, ...]) -> tuple[str, int]:
        """The context line for ``path`` and its size in tokens (no special tokens)."""
        candidate = ""
        for candidate in self._context_candidates(" ".join(title.split()), path):
            size = self._size(candidate)
            if size <= self.context_tokens:
                return candidate, size
        return self._truncate(candidate, self.context_tokens)

    def _context_candidates(self, title: str, path: tuple[str, ...]) -> Iterator[str]:
        """Context lines from the fullest to the shortest; the first that fits is used."""
        parts = [part for part in (title, *path) if part]
        yield SECTION_SEPARATOR.join(parts)
        if title and len(path) > 1:  # keep the title and the nearest headings, drop the middle
            for keep in range(len(path) - 1, 0, -1):
                yield SECTION_SEPARATOR.join((title, ELLIPSIS, *path[-keep:]))
        if title and path:  # a very long title: keep its start and the nearest heading
            short_title, _ = self._truncate(title, self.context_tokens // 2)
            yield SECTION_SEPARATOR.join((short_title, *([ELLIPSIS] if len(path) > 1 else []), path[-1]))

    def _size(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def _truncate(self, text: str, tokens: int) -> tuple[str, int]:
        """``text`` cut after ``tokens`` tokens, at a token boundary."""
        if tokens <= 0:
            return "", 0
        offsets = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
            "offset_mapping"
        ]
        cut = text[: offsets[min(tokens, len(offsets)) - 1][1]].rstrip()
        while cut and self._size(cut) > tokens:  # re-tokenizing a cut word can add a piece
            cut = cut[:-1].rstrip()
        return cut, self._size(cut)

    def _enforce_window(
        self, drafts: list[tuple[str, tuple[str, ...], int | None, str]]
    ) -> Iterator[tuple[str, tuple[str, ...], int | None, str]]:
        """Check every chunk with the real tokenizer; split the rare one a re-tokenization pushed over."""
        if not drafts:
            return
        sizes = [
            len(ids)
            for ids in self._tokenizer(
                [f"{context}\n{text}" if context else text for text, _, _, context in drafts], verbose=False
            )["input_ids"]
        ]
        for (text, path, page, context), size in zip(drafts, sizes, strict=True):
            if size <= self.max_tokens:
                yield text, path, page, context
            else:
                for piece in self._halve(text, context):
                    if piece:
                        yield piece, path, page, context

    def _halve(self, text: str, context: str) -> list[str]:
        if self.count_tokens(f"{context}\n{text}" if context else text) <= self.max_tokens:
            return [text]
        middle = len(text) // 2
        cut = text.rfind(" ", 0, middle) + 1 or text.find(" ", middle) + 1 or middle
        if cut <= 0 or cut >= len(text):
            cut = middle
        return self._halve(text[:cut].rstrip(), context) + self._halve(text[cut:].lstrip(), context)


@dataclass(frozen=True)
class _Budget:
    """Tokens available to the passage text of one heading path: hard maximum and packing target."""

    maximum: int
    target: int


def _pack(paragraphs: list[_Paragraph], budget: _Budget) -> Iterator[tuple[str, int | None]]:
    """Pack the paragraphs of one heading path into passages: ``(text, page it starts on)``."""
    spans: list[_Span] = []
    size = 0
    for paragraph in paragraphs:
        whole = len(paragraph.token_starts)
        pieces = (
            [(0, len(paragraph.text))]
            if whole <= budget.maximum
            else _split(paragraph, 0, len(paragraph.text), 0, budget)
        )
        for start, end in pieces:
            tokens = paragraph.tokens(start, end)
            if spans and size + tokens > budget.target:
                yield _join(spans)
                spans, size = [], 0
            spans.append((paragraph, start, end))
            size += tokens
    if spans:
        yield _join(spans)


def _join(spans: list[_Span]) -> tuple[str, int | None]:
    """The passage text of ``spans``: adjacent pieces of one paragraph keep their own whitespace."""
    merged: list[_Span] = []
    for paragraph, start, end in spans:
        if merged and merged[-1][0] is paragraph and merged[-1][2] == start:
            merged[-1] = (paragraph, merged[-1][1], end)
        else:
            merged.append((paragraph, start, end))
    text = "\n\n".join(paragraph.text[start:end].strip() for paragraph, start, end in merged)
    return text, spans[0][0].page


def _splitters(text: str) -> list[Callable[[str], list[int]]]:
    """Cut points to try, coarsest first, for a paragraph too long for the window."""
    by_clause: list[Callable[[str], list[int]]] = [
        partial(clauses.clause_starts, max_rank=rank) for rank in range(1, clauses.CLAUSE_RANKS + 1)
    ]
    finer = (
        [clauses.line_starts, clauses.sentence_starts]
        if clauses.looks_like_table(text)
        else [clauses.sentence_starts, clauses.line_starts]
    )
    return [*by_clause, *finer, clauses.word_starts]


def _split(paragraph: _Paragraph, start: int, end: int, level: int, budget: _Budget) -> list[tuple[int, int]]:
    """Cut ``paragraph.text[start:end]`` into spans within ``budget.maximum``, packed to the target.

    Each level cuts at its boundaries; a piece that still does not fit goes down a level, a piece
    that fits is never cut further, and neighbouring pieces are merged while they stay within the
    target. Below the last level the text is cut at token boundaries.
    """
    splitters = _splitters(paragraph.text[start:end])
    if level >= len(splitters):
        return _token_windows(paragraph, start, end, budget)
    offsets = splitters[level](paragraph.text[start:end])
    if not offsets:
        return _split(paragraph, start, end, level + 1, budget)
    bounds = [start, *(start + offset for offset in offsets), end]
    result: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for piece_start, piece_end in pairwise(bounds):
        if paragraph.tokens(piece_start, piece_end) > budget.maximum:
            if current:
                result.append(current)
                current = None
            result.extend(_split(paragraph, piece_start, piece_end, level + 1, budget))
        elif current and paragraph.tokens(current[0], piece_end) <= budget.target:
            current = (current[0], piece_end)
        else:
            if current:
                result.append(current)
            current = (piece_start, piece_end)
    if current:
        result.append(current)
    return result


def _token_windows(paragraph: _Paragraph, start: int, end: int, budget: _Budget) -> list[tuple[int, int]]:
    """Last resort for a single "word" longer than the window: cut between tokens."""
    first = bisect.bisect_left(paragraph.token_starts, start)
    last = bisect.bisect_left(paragraph.token_starts, end)
    cuts = paragraph.token_starts[first + budget.target : last : budget.target]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in pairwise(bounds) if b > a]


_SECTION_KEYS = ("heading_path", "page", "section_index", "content")


@component
class StructureAwareChunker:
    """Haystack wrapper of :class:`Chunker`: section documents in, chunk documents out.

    Input documents are the sections of one or more source files as the section converters emit
    them, in order (consecutive documents with the same ``document_id``/``id``/``file_path`` meta
    form one source). Each output document carries the source's meta plus ``heading_path``,
    ``page``, ``chunk_index`` and ``context``; embed it with ``meta_fields_to_embed=["context"]`` and
    the default ``"\\n"`` separator to embed exactly :attr:`Chunk.embedding_text`. When the meta has
    a ``document_id`` (or ``id``), the document id is :func:`kb.models.chunk_point_id`.
    """

    def __init__(
        self, *, model_path: str, max_tokens: int = 256, target_tokens: int = 200, context_tokens: int = 48
    ) -> None:
        self.model_path = model_path
        self.max_tokens = max_tokens
        self.target_tokens = target_tokens
        self.context_tokens = context_tokens
        self._chunker = Chunker(
            model_path, max_tokens=max_tokens, target_tokens=target_tokens, context_tokens=context_tokens
        )

    def warm_up(self) -> None:
        """Load the tokenizer (idempotent)."""
        self._chunker.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Chunk the section documents of each source file."""
        self._chunker.warm_up()
        output: list[Document] = []
        for _, group in groupby(documents, key=_source_key):
            sections = list(group)
            meta = {key: value for key, value in sections[0].meta.items() if key not in _SECTION_KEYS}
            converted = ConvertedDocument(
                sections=tuple(
                    Section(
                        text=doc.content or "",
                        heading_path=tuple(doc.meta.get("heading_path") or ()),
                        page=doc.meta.get("page"),
                    )
                    for doc in sections
                ),
                media_type=str(meta.get("media_type", "")),
                title=meta.get("source_title"),
            )
            title = str(meta.get("title") or meta.get("source_title") or "")
            document_id = meta.get("document_id") or meta.get("id")
            for chunk in self._chunker.chunk(converted, title=title):
                chunk_meta = {
                    **meta,
                    "heading_path": list(chunk.heading_path),
                    "page": chunk.page,
                    "chunk_index": chunk.index,
                    "context": chunk.context,
                }
                chunk_id = chunk_point_id(str(document_id), chunk.index, chunk.text) if document_id else ""
                output.append(Document(id=chunk_id, content=chunk.text, meta=chunk_meta))
        return {"documents": output}


def _source_key(document: Document) -> str:
    meta = document.meta
    return str(meta.get("document_id") or meta.get("id") or meta.get("file_path") or "")

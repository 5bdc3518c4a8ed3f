"""Passages with citations for chat assistants, trimmed to a token budget (``POST /v1/retrieve``, MCP).

An assistant needs passages, not documents: the few paragraphs that answer the question, each with a
citation it can show, and all of it small enough for its context window. So:

* Candidates are the searcher's fused hybrid chunk hits (best first), filtered like search.
* Duplicates appear once: the same chunk (document + chunk index, e.g. from two index versions) and
  the same or near-identical text (boilerplate repeated across documents, a document ingested twice).
* The budget is counted, not guessed. We count with the packaged all-MiniLM-L6-v2 WordPiece
  tokenizer, the only one available offline; for English its word pieces are within about 10-20 % of
  what GPT-style BPE tokenizers count (it tends to count more, not fewer), so leave that margin when
  sizing ``max_tokens``. What is counted is exactly the ``context`` string an assistant pastes into
  its prompt: every ``[n] title § section`` header and every passage. It never exceeds ``max_tokens``;
  the passage that crosses the budget is cut at a word boundary (``truncated``) and nothing follows it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from kb.settings import MODEL_NAME, Settings
from search.schemas import DocumentFacts, SearchFilters, document_url, file_url

if TYPE_CHECKING:  # the searcher pulls in Haystack; `kb mcp` answers initialize before it
    from search.retrieval import Searcher

DEFAULT_MAX_PASSAGES = 8
DEFAULT_MAX_TOKENS = 1500
MIN_MAX_TOKENS = 100
MAX_MAX_TOKENS = 32_000
MIN_TRUNCATED_TOKENS = 24  # a cut passage shorter than this is noise: stop instead
NEAR_DUPLICATE_JACCARD = 0.9
TOKENIZER_NAME = f"{MODEL_NAME} (WordPiece)"
ELLIPSIS = " …"
NO_GOOD_MATCH = (
    "no document in the exchange matches this query well enough (relevance floor, docs/search-quality.md); "
    "rephrase it, or ask again with include_weak for the closest passages"
)

_WORD = re.compile(r"\w+")


class Citation(DocumentFacts):
    """Where a passage comes from, precise enough to show and to check."""

    section: str = Field(description="Heading path of the passage, joined by ' › ' ('' before the first heading).")
    heading_path: list[str] = Field(default_factory=list, description="The same heading path as a list.")
    page: int | None = Field(default=None, description="1-based page where the passage starts (PDF), else null.")
    version: int = Field(description="Version of the document the passage was taken from.")
    url: str = Field(
        description="The document's page in the web UI: absolute (KB_PUBLIC_URL, else the address the request "
        "came to); relative only where there is no request (kb mcp over stdio)."
    )
    file_url: str = Field(description="The original file of exactly this version (absolute like `url`).")
    source_url: str | None = Field(default=None, description="Where the document was published originally.")

    @classmethod
    def of(
        cls,
        facts: DocumentFacts,
        settings: Settings,
        *,
        version: int,
        heading_path: list[str],
        section: str | None = None,
        page: int | None = None,
        source_url: str | None = None,
        base: str | None = None,
    ) -> Citation:
        """The one builder of citations: the document's facts, where in it, and links (see ``link_base``)."""
        return cls(
            **facts.fields(),
            section=" › ".join(heading_path) if section is None else section,
            heading_path=heading_path,
            page=page,
            version=version,
            url=document_url(settings, facts.document_id, base=base),
            file_url=file_url(settings, facts.document_id, version, base=base),
            source_url=source_url,
        )


class RetrievedPassage(BaseModel):
    """One passage, numbered as in ``context``."""

    rank: int = Field(description="1-based; the passage is cited as [rank] in `context`.")
    text: str = Field(description="The passage text as it appears in `context` (cut if `truncated`).")
    tokens: int = Field(description="Tokens of `text` (without its header).")
    score: float = Field(
        description="Fused relevance score (the configured fusion, DBSF by default: KB_SEARCH_FUSION); higher is "
        "better. Comparable within one response, not across queries."
    )
    truncated: bool = Field(default=False, description="True when the passage was cut to fit the budget.")
    chunk_index: int = Field(description="Position of the passage among the document's indexed chunks.")
    citation: Citation


class RetrieveRequest(BaseModel):
    """``POST /v1/retrieve`` body (and the arguments of the MCP ``search_practices`` tool)."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        description="The question or topic, in natural language.",
        examples=["How did Haryana set up its grievance portal?"],
    )
    filters: SearchFilters = Field(default_factory=SearchFilters, description="Optional; all conditions ANDed.")
    max_passages: int = Field(
        default=DEFAULT_MAX_PASSAGES, ge=1, le=50, description="At most this many passages, best first."
    )
    max_tokens: int = Field(
        default=DEFAULT_MAX_TOKENS,
        ge=MIN_MAX_TOKENS,
        le=MAX_MAX_TOKENS,
        description="Token budget for `context` (headers and passages), counted with the WordPiece tokenizer.",
    )
    include_weak: bool = Field(
        default=False,
        description="Return the closest passages even when nothing passes the relevance floor (default: no "
        "passages and a `reason`, so an assistant does not cite noise).",
    )


class RetrieveResponse(BaseModel):
    """Passages best first, their citations, and the same passages as one prompt-ready string."""

    query: str
    passages: list[RetrievedPassage]
    context: str = Field(
        description="The passages as numbered blocks '[n] title (states, year) § section, p. N' + text, "
        "ready to paste into a prompt; cite them as [n]."
    )
    total_tokens: int = Field(description="Tokens of `context`; never more than `max_tokens`.")
    max_tokens: int
    tokenizer: str = Field(default=TOKENIZER_NAME, description="What counted the tokens.")
    no_good_match: bool = Field(default=False, description="True when no document passes the relevance floor.")
    reason: str | None = Field(
        default=None, description="Why there are no passages (nothing matched well enough); null otherwise."
    )
    also_searched: list[str] = Field(
        default_factory=list, description="Synonyms from the domain thesaurus the query was expanded with (BM25)."
    )


class TokenCounter:
    """Counts and cuts text with the embedding model's tokenizer (loaded offline, once).

    Special tokens are not counted: they are the encoder's, not part of an assistant's prompt. The
    lock is there because one fast tokenizer is shared by the API's worker threads.
    """

    def __init__(self, model_path: str) -> None:
        self.model_path = model_path
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._tokenizer is None:
            from transformers import AutoTokenizer  # local: transformers imports torch

            self._tokenizer = AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)

    def _encode(self, text: str, *, offsets: bool = False) -> Any:
        self.warm_up()
        with self._lock:
            return self._tokenizer(
                text, add_special_tokens=False, return_offsets_mapping=offsets, verbose=False, truncation=False
            )

    def count(self, text: str) -> int:
        return len(self._encode(text)["input_ids"])

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` ending at a word boundary, plus " …", within ``max_tokens``."""
        if self.count(text) <= max_tokens:
            return text
        budget = max_tokens - self.count(ELLIPSIS)
        while budget > 0:
            spans = self._encode(text, offsets=True)["offset_mapping"]
            end = spans[budget - 1][1] if budget <= len(spans) else len(text)
            cut = text[:end]
            space = cut.rfind(" ")
            if space > len(cut) * 0.6 and end < len(text) and not text[end].isspace():
                cut = cut[:space]  # do not end on half a word
            candidate = cut.rstrip() + ELLIPSIS
            if self.count(candidate) <= max_tokens:
                return candidate
            budget -= 1
        return ""


def citation_from_meta(meta: Mapping[str, Any], settings: Settings, *, base: str | None = None) -> Citation:
    """The citation of an indexed chunk (its payload carries the document's metadata)."""
    return Citation.of(
        DocumentFacts.from_payload(meta),
        settings,
        version=int(meta.get("version") or 1),
        heading_path=[str(h) for h in meta.get("heading_path") or []],
        section=str(meta["section"]) if meta.get("section") else None,
        page=meta.get("page"),
        source_url=meta.get("source_url"),
        base=base,
    )


def header(rank: int, citation: Citation) -> str:
    """``[n] Title (Haryana, 2014) § Section › Sub, p. 3``: what an assistant shows as the source."""
    states = citation.states[:3] + ([f"+{len(citation.states) - 3} more"] if len(citation.states) > 3 else [])
    about = ", ".join([*states, *([str(citation.year)] if citation.year else [])])
    line = f"[{rank}] {citation.title}" + (f" ({about})" if about else "")
    if citation.section:
        line += f" § {citation.section}"
    if citation.page:
        line += f", p. {citation.page}"
    return line


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


def is_near_duplicate(words: frozenset[str], seen: list[frozenset[str]]) -> bool:
    """Same words, or nearly (Jaccard >= 0.9): the same paragraph repeated or lightly edited."""
    for other in seen:
        union = len(words | other)
        if union == 0 or len(words & other) / union >= NEAR_DUPLICATE_JACCARD:
            return True
    return False


class PassageRetriever:
    """Turns a query into budgeted, deduplicated, cited passages; one per process, warmed up once."""

    def __init__(self, settings: Settings, searcher: Searcher, counter: TokenCounter | None = None) -> None:
        self.settings = settings
        self.searcher = searcher
        self.counter = counter or TokenCounter(settings.resolved_model_path())

    def warm_up(self) -> None:
        self.counter.warm_up()

    def retrieve(
        self, request: RetrieveRequest, *, base_url: str | None = None, restrict: dict[str, Any] | None = None
    ) -> RetrieveResponse:
        """Passages for ``request``; citation links start with ``base_url`` unless KB_PUBLIC_URL is set.

        ``restrict``: what the caller may read (:meth:`search.services.access.Viewer.store_condition`).
        """
        text = self.searcher.check_query(request.query)
        hits, run = self.searcher.run_query(text, request.filters, restrict=restrict)
        weak = self.searcher.nothing_strong(hits, run)
        if weak and not request.include_weak:
            return RetrieveResponse(
                query=text,
                passages=[],
                context="",
                total_tokens=0,
                max_tokens=request.max_tokens,
                no_good_match=True,
                reason=NO_GOOD_MATCH,
                also_searched=list(run.also_searched),
            )
        blocks: list[str] = []
        passages: list[RetrievedPassage] = []
        used = 0
        seen_chunks: set[tuple[str, int]] = set()
        seen_words: list[frozenset[str]] = []
        for hit in hits:
            if len(passages) >= request.max_passages:
                break
            meta = hit.document.meta
            body = (hit.document.content or "").strip()
            key = (str(meta.get("document_id")), int(meta.get("chunk_index") or 0))
            words = _words(body)
            if not body or key in seen_chunks or is_near_duplicate(words, seen_words):
                continue
            seen_chunks.add(key)
            seen_words.append(words)
            citation = citation_from_meta(meta, self.settings, base=base_url)
            head = header(len(passages) + 1, citation)
            separator = "\n\n" if blocks else ""
            head_tokens = self.counter.count(head)
            room = request.max_tokens - used - head_tokens
            if room < MIN_TRUNCATED_TOKENS:
                break
            body_tokens = self.counter.count(body)
            truncated = body_tokens > room
            if truncated:
                body = self.counter.truncate(body, room)
                body_tokens = self.counter.count(body)
                if not body:
                    break
            blocks.append(f"{separator}{head}\n{body}")
            used += head_tokens + body_tokens
            passages.append(
                RetrievedPassage(
                    rank=len(passages) + 1,
                    text=body,
                    tokens=body_tokens,
                    score=round(hit.score, 6),
                    truncated=truncated,
                    chunk_index=key[1],
                    citation=citation,
                )
            )
            if truncated:
                break
        context, total = self._fit("".join(blocks), passages, request.max_tokens)
        return RetrieveResponse(
            query=text,
            passages=passages,
            context=context,
            total_tokens=total,
            max_tokens=request.max_tokens,
            no_good_match=weak,
            also_searched=list(run.also_searched),
        )

    def _fit(self, context: str, passages: list[RetrievedPassage], max_tokens: int) -> tuple[str, int]:
        """Count the assembled string itself: the budget is a promise, so check it, not the sum.

        WordPiece splits at whitespace first, so the sum of the parts equals the count of the whole;
        should a tokenizer ever merge across the joins, the last passage goes until the count fits.
        """
        total = self.counter.count(context)
        while total > max_tokens and passages:
            passages.pop()
            cut = context.rfind("\n\n[")
            context = context[:cut] if cut >= 0 else ""
            total = self.counter.count(context)
        return context, total

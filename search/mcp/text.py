"""What the model reads besides the tool descriptions: the server's instructions and each result as text.

Every tool result also comes as ``structuredContent``; this text is the view a model reads when its
client shows it only the content blocks. So it is written for citing: numbered passages with their
headers, headings, and the document ids to call back with.
"""

from __future__ import annotations

from kb.vocab import building_block_label
from search.assistant import DocumentResult, FacetsResult, SimilarResult
from search.assistant_adoptions import AdoptionsResult
from search.passages import RetrieveResponse
from search.services.redaction import contact_line

INSTRUCTIONS = (
    "A knowledge base of e-governance practices of Indian states and union territories: case studies, "
    "policies, guidelines, MoUs between states, reports and vision documents. Use search_practices to "
    "find passages that answer a question and cite them as [n] with the document title and section; "
    "get_document to read a document (or one section) by id; list_facets to see which states, sectors, "
    "types and years exist; find_similar_practices for comparable practices elsewhere. Answer from the "
    "passages; say so when they do not contain the answer."
)


def render_passages(result: RetrieveResponse) -> str:
    """The numbered ``context`` and the ids behind the numbers (to read on with get_document)."""
    also = f"\n\nAlso searched (synonyms): {', '.join(result.also_searched)}" if result.also_searched else ""
    if not result.passages:
        return f"No passages found for {result.query!r}. Try other words, a broader question or fewer filters.{also}"
    ids = "; ".join(f"[{p.rank}] {p.citation.document_id}" for p in result.passages)
    return f"{result.context}\n\nDocument ids (for get_document / find_similar_practices): {ids}{also}"


def render_document(doc: DocumentResult) -> str:
    """The document as Markdown-ish text; omitted sections say how to read them."""
    about = ", ".join(str(v) for v in (doc.type, ", ".join(doc.states) or "national", doc.sector, doc.year) if v)
    lines = [f"# {doc.title}", f"id {doc.document_id}, version {doc.version} ({about}); {doc.url}"]
    lines += practice_lines(doc) + adoption_lines(doc)
    for part in doc.sections:
        where = (part.section or "(untitled)") + (f", p. {part.page}" if part.page else "")
        if part.omitted:
            lines.append(f"\n## {where}\n(omitted: over max_tokens; call again with section=...)")
        else:
            lines.append(f"\n## {where}\n{part.text}")
    if doc.sections_omitted:
        lines.append(f"\n{doc.sections_omitted} of {doc.sections_total} sections omitted to stay within max_tokens.")
    return "\n".join(lines)


def practice_lines(doc: DocumentResult) -> list[str]:
    """Who runs the practice and whom to ask: what an official needs to follow it up.

    The contact is in ``doc.metadata`` only when the call carried a key (:mod:`search.services.redaction`
    decided); otherwise the line says that one exists, so the assistant can tell the user how to get it.
    """
    meta = doc.metadata
    record = [
        f"{label}: {value}"
        for label, value in (("owner", doc.owner), ("status", doc.status), ("started", meta.get("started")))
        if value
    ]
    record += [f"{name}: {meta[name]}" for name in ("scale", "cost") if meta.get(name)]
    if meta.get("building_blocks"):
        record.append("building blocks: " + ", ".join(building_block_label(str(b)) for b in meta["building_blocks"]))
    lines = ["; ".join(record)] if record else []
    if shown := contact_line(meta.get("contact")):
        lines.append(f"contact: {shown}")
    elif doc.contact_available:
        lines.append("contact: named in the document's record; shown to callers with an API key")
    return lines


def render_adoptions(result: AdoptionsResult) -> str:
    """One line per adoption: who takes up whose practice, how far, since when."""
    if not result.adoptions:
        return "No adoptions recorded for this scope."
    lines = [f"{result.total} adoption(s), newest change first:"]
    for a in result.adoptions:
        owners = ", ".join(a.practice_states) or "national"
        line = f"- {a.state}: {a.status} since {a.since[:10]} — {a.title} ({owners}; id {a.document_id})"
        if a.note:
            line += f". {a.note}"
        if a.adopter_document_id:
            line += f" Write-up: {a.adopter_document_id}."
        if a.contact:
            line += f" Contact: {a.contact}."
        lines.append(line)
    return "\n".join(lines)


def adoption_lines(doc: DocumentResult) -> list[str]:
    """The states taking the practice up, for get_document's text."""
    return [f"adopted by {a.state}: {a.status} since {a.since[:10]}" for a in doc.adoptions]


def render_facets(result: FacetsResult) -> str:
    """One line per facet, ``value (count)``: the valid filter values at a glance."""
    lines = [f"{result.total_documents} documents"]
    for name, values in (("states", result.states), ("sectors", result.sectors), ("types", result.types)):
        lines.append(f"{name}: " + (", ".join(f"{v.value} ({v.count})" for v in values) or "none"))
    lines.append("years: " + (", ".join(f"{v.value} ({v.count})" for v in result.years) or "none"))
    return "\n".join(lines)


def render_similar(result: SimilarResult) -> str:
    """Similar documents best first, each with its id and closest passage."""
    if not result.results:
        return f"No documents similar to {result.document_id} were found (with these filters)."
    lines = [f"Documents similar to {result.title} ({result.document_id}):"]
    for rank, item in enumerate(result.results, 1):
        where = ", ".join(item.states) or "national"
        lines.append(f"{rank}. {item.title} [{item.type}, {where}, {item.year or 'n.d.'}] id {item.document_id}")
        section = f"§ {item.citation.section}: " if item.citation.section else ""
        lines.append(f"   {section}{item.snippet}")
    return "\n".join(lines)

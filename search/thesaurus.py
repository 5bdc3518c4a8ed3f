"""The domain thesaurus (``content/thesaurus.yaml``): BM25 query expansion across states and languages.

Why: the words of Indian administration differ by state and language for the same thing (mutation,
dakhil-kharij, intiqal, नामांतरण; jamabandi, khatauni, pahani, record of rights). A query in one
state's words must find a document in another's, and BM25 alone matches only the words typed; the
English dense model knows none of these words either. So when a query holds a term of a group, its
sparse (BM25) vector also carries the group's other terms, at :attr:`Expander.weight` (below the
user's own 1.0: a synonym is evidence, not the question). The dense side is not touched.

Terms are matched on BM25 term ids, word by word (each word through the same
:class:`~kb.store.Bm25Encoder` the index uses): lower-casing, Snowball stemming and stop-words
therefore apply to the thesaurus exactly as to documents, so "records of rights" matches the term
"record of rights" and a Hindi term is found in its spelling-neutral form. A phrase must appear as
consecutive content words. Added terms are listed for the user (``also_searched``), highlighted in
snippets, and count for the relevance floor: a synonym found in a document covers the query words
it replaced (:attr:`Expansion.concepts`).

The file is reviewed data; :func:`load_thesaurus` checks it and names the file and line of each
problem (an unknown key, an empty group, a term in two groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.errors import ConfigError
from kb.models import SparseVector
from kb.store import Bm25Encoder
from kb.store.bm25 import WORD, is_indian

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "thesaurus.yaml"
GROUP_KEYS = {"id", "note", "terms", "query_only"}
# Measured on tests/eval/queries.jsonl (docs/search-quality.md, "Domain thesaurus"): an English query
# gets a group's Indian-script terms at half the weight (a Hindi word occurs in a handful of chunks,
# so its IDF is high and at full weight a Hindi page outranked the English answer), and a term of
# several words shares its weight among them (a phrase is one synonym; BM25 matches its words apart).
CROSS_SCRIPT = 0.5
WORD_CACHE = 50_000  # words whose term ids an expander remembers (queries repeat their words)


@dataclass(frozen=True)
class Group:
    """Equivalent terms; ``query_only`` ones are recognised in a query but never added to one."""

    id: str
    terms: tuple[str, ...]
    query_only: tuple[str, ...] = ()
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class Thesaurus:
    path: Path
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Expansion:
    """A query's BM25 vector with the synonyms added, what was added, and the floor's concepts."""

    sparse: SparseVector | None
    also_searched: tuple[str, ...] = ()
    concepts: tuple[frozenset[int], ...] = ()


def phrase_words(terms: Sequence[str]) -> list[list[str]]:
    """Terms as lower-cased word lists, stop-words kept (the highlighter matches them as phrases)."""
    return [[w.lower() for w in WORD.findall(term)] for term in terms]


def _fail(path: Path, line: int, message: str) -> ConfigError:
    return ConfigError(f"{path}:{line}: {message}")


def load_thesaurus(path: Path) -> Thesaurus:
    """The groups of ``path``; ConfigError naming ``file:line`` and the fix for anything malformed."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the thesaurus ({exc.strerror or exc}); set KB_THESAURUS_FILE") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise _fail(path, line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root.start_mark.line + 1 if root else 1, "must be a mapping with a `groups:` list")
    items = None
    for key, value in root.value:
        if key.value != "groups":
            raise _fail(path, key.start_mark.line + 1, f"unknown key '{key.value}'; the file holds `groups:`")
        items = value
    if not isinstance(items, yaml.SequenceNode) or not items.value:
        raise _fail(path, (items or root).start_mark.line + 1, "`groups` must be a non-empty list of groups")
    groups = tuple(_group(path, node) for node in items.value)
    _check_unique(path, groups)
    return Thesaurus(path=path, groups=groups)


def _strings(path: Path, node: yaml.Node, key: str) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node.start_mark.line + 1, f"`{key}` must be a list of terms")
    terms = []
    for item in node.value:
        text = " ".join(str(item.value).split()) if isinstance(item, yaml.ScalarNode) else ""
        if not text or not WORD.search(text):
            raise _fail(path, item.start_mark.line + 1, f"a term in `{key}` must be a word or phrase")
        terms.append(text)
    return tuple(terms)


def _group(path: Path, node: yaml.Node) -> Group:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, line, "a group must be a mapping with `id` and `terms` (optional `note`, `query_only`)")
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if key.value not in GROUP_KEYS:
            raise _fail(path, key.start_mark.line + 1, f"unknown key '{key.value}'; a group has {sorted(GROUP_KEYS)}")
        fields[key.value] = value
    ident = fields.get("id")
    if not isinstance(ident, yaml.ScalarNode) or not str(ident.value).strip():
        raise _fail(path, line, "a group needs an `id` (a short slug such as land-mutation)")
    if "terms" not in fields:
        raise _fail(path, line, f"group '{ident.value}' has no `terms`")
    terms = _strings(path, fields["terms"], "terms")
    query_only = _strings(path, fields["query_only"], "query_only") if "query_only" in fields else ()
    if len(terms) + len(query_only) < 2:
        raise _fail(path, line, f"group '{ident.value}' needs at least two terms (a term and its equivalent)")
    note = fields.get("note")
    return Group(
        id=str(ident.value).strip(),
        terms=terms,
        query_only=query_only,
        note=str(note.value).strip() if isinstance(note, yaml.ScalarNode) else "",
        line=line,
    )


def _check_unique(path: Path, groups: Sequence[Group]) -> None:
    ids: dict[str, int] = {}
    seen: dict[str, str] = {}
    for group in groups:
        if group.id in ids:
            raise _fail(path, group.line, f"group id '{group.id}' is used twice (also at line {ids[group.id]})")
        ids[group.id] = group.line
        for term in (*group.terms, *group.query_only):
            key = term.casefold()
            if key in seen:
                where = "twice in this group" if seen[key] == group.id else f"also in group '{seen[key]}'"
                raise _fail(path, group.line, f"term '{term}' of group '{group.id}' appears {where}")
            seen[key] = group.id


class Expander:
    """Expands BM25 query vectors with a thesaurus; built once per searcher (cheap: a few ms)."""

    def __init__(self, thesaurus: Thesaurus, encoder: Bm25Encoder, *, weight: float) -> None:
        self.thesaurus = thesaurus
        self.encoder = encoder
        self.weight = weight
        self._words: dict[str, tuple[int, ...]] = {}  # a word's term ids (a dict: safe across threads)
        # per group: (term, its term-id sequence, added when the group fires?)
        self._groups = [
            (
                group,
                [(t, self.token_ids(t), True) for t in group.terms]
                + [(t, self.token_ids(t), False) for t in group.query_only],
            )
            for group in thesaurus.groups
        ]
        self._check_distinct()

    def _check_distinct(self) -> None:
        """Two terms the index cannot tell apart (same words after stemming) are one term: keep one."""
        seen: dict[tuple[int, ...], tuple[str, Group]] = {}
        path = self.thesaurus.path
        for group, terms in self._groups:
            for term, ids, _ in terms:
                if not ids:
                    raise _fail(path, group.line, f"term '{term}' of group '{group.id}' has only stop-words")
                if ids in seen:
                    other, where = seen[ids]
                    raise _fail(
                        path,
                        group.line,
                        f"term '{term}' of group '{group.id}' is the same to the search as '{other}' of group "
                        f"'{where.id}' (line {where.line}) after stemming; keep one",
                    )
                seen[ids] = (term, group)

    def token_ids(self, text: str) -> tuple[int, ...]:
        """BM25 term ids of ``text``'s words in order (stop-words dropped), as the index sees them."""
        ids: list[int] = []
        for word in WORD.findall(text):
            known = self._words.get(word)
            if known is None:
                if len(self._words) >= WORD_CACHE:
                    self._words.clear()
                known = self._words[word] = tuple(sorted(self.encoder.embed_query(word).indices))
            ids.extend(known)
        return tuple(ids)

    def expand(self, text: str, own: SparseVector | None) -> Expansion:
        """``own`` (the query's BM25 vector) plus the synonyms of every group a phrase of ``text`` hits."""
        concepts = [frozenset([i]) for i in own.indices] if own else []
        if self.weight <= 0 or own is None:
            return Expansion(sparse=own, concepts=tuple(concepts))
        sequence = self.token_ids(text)
        positions: dict[int, list[int]] = {}
        for at, token in enumerate(sequence):
            positions.setdefault(token, []).append(at)
        indian_query = is_indian(text)
        weights = dict(zip(own.indices, own.values, strict=True))
        added: dict[int, float] = {}
        shown: list[str] = []
        synonyms_of: dict[int, set[int]] = {}
        for _group, terms in self._groups:
            hits = [ids for _, ids, _ in terms if ids and _occurs(sequence, positions, ids)]
            if not hits:
                continue
            covered = {i for ids in hits for i in ids}
            singles = {ids[0] for _, ids, adds in terms if adds and len(ids) == 1}
            fresh: list[tuple[str, int, list[int]]] = []
            for term, ids, adds in terms:
                new = [i for i in ids if i not in weights and i not in added and all(i not in f for *_, f in fresh)]
                if adds and new:  # a term that adds nothing new (typed, or inside another) is not shown
                    fresh.append((term, len(ids), new))
            for term, length, new in fresh:
                shown.append(term)
                factor = CROSS_SCRIPT if is_indian(term) and not indian_query else 1.0
                added.update(dict.fromkeys(new, self.weight * factor / length))
            for i in covered:
                synonyms_of.setdefault(i, set()).update(singles)
        if not shown:
            return Expansion(sparse=own, concepts=tuple(concepts))
        concepts = [frozenset({i, *synonyms_of.get(i, ())}) for i in own.indices]
        merged = {**weights, **added}
        return Expansion(
            sparse=SparseVector(indices=list(merged), values=list(merged.values())),
            also_searched=tuple(dict.fromkeys(shown)),
            concepts=tuple(concepts),
        )


def _occurs(sequence: tuple[int, ...], positions: dict[int, list[int]], phrase: tuple[int, ...]) -> bool:
    """Whether ``phrase`` appears in ``sequence``, looked up from where its first id occurs."""
    return any(sequence[at : at + len(phrase)] == phrase for at in positions.get(phrase[0], ()))


def expand_query(expander: Expander | None, text: str, own: SparseVector | None) -> Expansion:
    """``own`` (the query's BM25 vector) with ``expander``'s synonyms; unchanged without an expander."""
    if expander is None:
        return Expansion(sparse=own, concepts=tuple(frozenset([i]) for i in own.indices) if own else ())
    return expander.expand(text, own)


def make_expander(path: Path | None, encoder: Bm25Encoder, *, weight: float) -> Expander | None:
    """The expander for ``path`` (None: the shipped ``content/thesaurus.yaml``), or None when expansion
    is off (weight 0) or the default file is absent (an installed package without ``content/``)."""
    if weight <= 0:
        return None
    if path is None:
        if not DEFAULT_PATH.is_file():
            return None
        path = DEFAULT_PATH
    return Expander(load_thesaurus(path), encoder, weight=weight)

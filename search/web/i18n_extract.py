"""A Babel extractor for the metadata vocabularies, so ``pybabel extract`` finds their labels too.

States, sectors, document types, levels and practice statuses are data (``kb/vocab.py``), not string
literals in ``_()``; this extractor yields their English display labels under the ``vocabulary``
context, so the catalogue lists every label a page can show and the completeness test
(``tests/web/test_i18n.py``) fails when a new state or sector has no translation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from kb.vocab import STATES_AND_UTS, DocType, Level, PracticeStatus, Sector
from search.web.i18n import VOCAB_CONTEXT
from search.web.render import english_label, english_plural


def vocabulary_labels() -> list[str]:
    """Every English label of the vocabularies the pages show, in a stable order, once each."""
    labels: list[str] = [*STATES_AND_UTS, "All India"]
    labels += [english_label(v) for v in (*Sector, *DocType, *Level, *PracticeStatus)]
    labels += [english_plural(t) for t in DocType]
    return list(dict.fromkeys(labels))


def extract_vocabulary(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor entry (``babel.cfg``: ``[vocabulary: kb/vocab.py]``); the file itself is not parsed."""
    for label in vocabulary_labels():
        yield 1, "pgettext", (VOCAB_CONTEXT, label), ["metadata vocabulary label"]

"""BM25 sparse vectors computed in-process by Qdrant Edge's embedder, for both backends.

Why Edge's ``Bm25`` rather than our own tokenizer: it is the tokenizer Qdrant's server-side BM25
inference uses (same config shape), it stems (Snowball English) and drops English stop-words, and
it is fast native code. The server backend receives the same vectors: it computes nothing.

How the weights work (measured against ``qdrant_edge`` 0.9.0):

- Documents: each term gets the BM25 term-frequency part ``tf*(k+1) / (tf + k*(1 - b + b*dl/avg_len))``
  where ``dl`` is the document's token count after stop-word removal and ``avg_len`` is a **fixed
  constant from the config** (default 256), not the corpus average: Edge never sees the corpus, and
  a vector must not change when other chunks arrive. A one-token document scores 1.69 for its term,
  a 256-token one 1.0, a 1000-token one 0.46.
- Queries: 1.0 per distinct term.
- IDF is added at query time by the collection's ``Modifier.IDF`` over the points that have a
  ``bm25`` vector, so it follows the live corpus on both backends (identically: checked in tests).

Our chunks (~200 word pieces) have roughly 90-110 tokens after stop-words, well under 256, so
length normalisation is milder than textbook BM25 with the true average (like a smaller ``b``).
``avg_len`` is a parameter for the search-quality work to tune with ``kb eval``; changing it changes
every stored vector, so it needs ``kb reindex``.

Indian scripts (Devanagari, Gurmukhi, Bengali, Gujarati, Odia, Tamil, Telugu, Kannada, Malayalam and
the Arabic script of Urdu): Edge's word tokenizer splits a word at every non-spacing combining mark,
so ``पोर्टल`` (a virama inside) became two tokens and ``ज़मीन`` written with a combining nukta two
others. :func:`prepare_text` therefore finds words itself (letters, digits *and* their combining
marks, see :data:`WORD`), normalises them the way Indian writers vary (canonical order, nukta and
chandrabindu folded, zero-width joiners dropped, Urdu's Arabic-keyboard letters folded, native
digits to ASCII), drops a short list of Hindi/Urdu function words, and hands each word to Edge as one
reversible code token of consonant letters (three per code point). Such tokens pass Edge's lowercase,
English stop-word and Snowball steps unchanged: a token without vowels has empty R1/R2 regions, and
the alphabet has no ``s`` or ``y``, the only letters Porter2's vowel-free rules touch. Latin text is
left to Edge as before, so English vectors do not change; documents with Indian-script text get new
vectors (``kb reindex``).
"""

from __future__ import annotations

import re
import sys
import unicodedata

import qdrant_edge as qe

from kb.models import SparseVector


def _mark_class() -> str:
    """A regex class of every combining mark (Mn, Mc, Me): the stdlib ``re`` has no ``\\p{M}``."""
    ranges: list[str] = []
    start = previous = -2
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith("M"):
            if cp != previous + 1:
                if start >= 0:
                    ranges.append(_range(start, previous))
                start = cp
            previous = cp
    ranges.append(_range(start, previous))
    return "".join(ranges)


def _range(first: int, last: int) -> str:
    return re.escape(chr(first)) if first == last else f"{re.escape(chr(first))}-{re.escape(chr(last))}"


# A word is a run of letters, digits and the combining marks (vowel signs, virama, nukta, anusvara)
# that belong to them, plus the zero-width (non-)joiners inside Bengali, Malayalam and Urdu words.
WORD_CHARS = rf"\w{_mark_class()}\u200c\u200d"  # the inside of a regex class: WORD's characters
WORD = re.compile(f"[{WORD_CHARS}]+")

INDIAN_SCRIPTS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0900, 0x0D7F), (0x1CD0, 0x1CFF), (0xA8E0, 0xA8FF))
_FOLD = str.maketrans(
    {
        "\u200c": None,  # zero-width non-joiner / joiner: a spelling variant, not a different word
        "\u200d": None,
        "\u093c": None,  # nukta (Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Kannada): often omitted
        "\u09bc": None,
        "\u0a3c": None,
        "\u0abc": None,
        "\u0b3c": None,
        "\u0cbc": None,
        "\u0901": "\u0902",  # chandrabindu written as anusvara (माँ / मां)
        "\u064a": "\u06cc",  # Arabic yeh, alef maksura -> Farsi/Urdu yeh
        "\u0649": "\u06cc",
        "\u0643": "\u06a9",  # Arabic kaf -> keheh
        "\u0647": "\u06c1",  # Arabic heh -> Urdu heh goal
        **{chr(cp): None for cp in (*range(0x064B, 0x0660), 0x0670)},  # Arabic vowel marks (harakat)
    }
)
NATIVE_DIGITS = str.maketrans(
    {chr(cp): str(unicodedata.digit(chr(cp))) for lo, hi in INDIAN_SCRIPTS for cp in range(lo, hi + 1)
     if unicodedata.category(chr(cp)) == "Nd"}
)  # fmt: skip
ANY_INDIAN = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in INDIAN_SCRIPTS) + "]")  # digits too
_ALPHABET = "bcdfghjklmnpqrtvwxz"  # consonants without s and y: Snowball leaves such tokens alone
_SPAN = len(_ALPHABET) ** 3


def is_indian(word: str) -> bool:
    """Whether ``word`` has a letter or mark of an Indian script (or Urdu's Arabic script)."""
    if word.isascii():  # the common case, in C: no script range starts below U+0600
        return False
    return any(lo <= ord(c) <= hi for c in word for lo, hi in INDIAN_SCRIPTS)


def normalise_word(word: str) -> str:
    """The spelling-neutral form of an Indian-script word (also used by the snippet highlighter)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", word).translate(_FOLD)).translate(NATIVE_DIGITS)


STOPWORDS_INDIAN = frozenset(
    normalise_word(w)
    for w in (
        "का की के में है हैं और से को पर यह ये वह एक ने भी तथा या इस इन उस कि लिए किया गया होता था थी थे हो "
        "کا کی کے میں ہے ہیں اور سے کو پر یہ وہ ایک نے بھی یا اس کہ لیے"
    ).split()
)


def _code(word: str) -> str:
    letters = []
    for c in word:
        n = (ord(c) - 0x0600) % _SPAN
        letters.append(_ALPHABET[n // 361] + _ALPHABET[n // 19 % 19] + _ALPHABET[n % 19])
    return "".join(letters)


def _token(match: re.Match[str]) -> str:
    word = match.group()
    if not is_indian(word):
        return word
    folded = normalise_word(word)
    return "" if folded in STOPWORDS_INDIAN or not folded else _code(folded)


def prepare_text(text: str) -> str:
    """``text`` with each Indian-script word replaced by its code token (see the module docstring)."""
    if not ANY_INDIAN.search(text):  # nothing to replace or translate (the relevance floor tokenises ~2,000
        return text  # passages a search, nearly all English: measured 86 -> 48 ms a search at 10k chunks)
    return WORD.sub(_token, text.translate(NATIVE_DIGITS))


class Bm25Encoder:
    """BM25 sparse vectors: Edge's English word tokenizer with stemming; Indian-script words whole."""

    def __init__(self, *, k: float = 1.2, b: float = 0.75, avg_len: float = 256.0) -> None:
        self.k = k
        self.b = b
        self.avg_len = avg_len
        config = qe.Bm25Config(
            k=k,
            b=b,
            avg_len=avg_len,
            tokenizer=qe.TokenizerType.Word,
            language="english",
            lowercase=True,
            stopwords=qe.Language.English,
            stemmer=qe.SnowballParams(qe.SnowballLanguage.English),
        )
        try:
            self._model = qe.Bm25(config)
        except ValueError as exc:  # raised for b outside [0, 1], negative k, non-positive avg_len
            raise ValueError(f"Invalid BM25 parameters (k={k}, b={b}, avg_len={avg_len}): {exc}") from exc

    def embed_documents(self, texts: list[str]) -> list[SparseVector]:
        """Term-frequency weights for chunks to index (one vector per text, possibly empty)."""
        return [_plain(self._model.embed_document(prepare_text(text))) for text in texts]

    def term_ids(self, texts: list[str]) -> list[frozenset[int]]:
        """The distinct BM25 term ids of each text (what the relevance floor compares with a query's):
        the query encoding gives the same ids as :meth:`embed_documents` without weighing them, and no
        floats are copied; a fifth less time for the hundred passages a search judges."""
        return [frozenset(self._model.embed_query(prepare_text(text)).indices) for text in texts]

    def embed_query(self, text: str) -> SparseVector:
        """Weight 1.0 per distinct query term; empty for a query of stop-words only."""
        return _plain(self._model.embed_query(prepare_text(text)))


def _plain(vector: qe.SparseVector) -> SparseVector:
    return SparseVector(indices=list(vector.indices), values=[float(v) for v in vector.values])

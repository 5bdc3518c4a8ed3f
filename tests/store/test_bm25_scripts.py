"""BM25 tokenisation of Indian scripts: whole words, spelling variants folded, English unchanged.

Each script gets a word with a non-spacing mark inside (virama, vowel sign, nukta): Edge's own word
tokenizer used to split exactly those, so these tests fail on the old encoder.
"""

from __future__ import annotations

import pytest

from kb.store import Bm25Encoder
from kb.store.bm25 import WORD, prepare_text

ENCODER = Bm25Encoder()

# (script, a two-word phrase whose words contain combining marks, one of its words alone)
SCRIPTS = [
    ("Devanagari (Hindi)", "भूमि अभिलेख", "अभिलेख"),
    ("Gurmukhi (Punjabi)", "ਜ਼ਮੀਨ ਰਿਕਾਰਡ", "ਰਿਕਾਰਡ"),
    ("Bengali", "জমির রেকর্ড", "রেকর্ড"),
    ("Tamil", "நில பதிவுகள்", "பதிவுகள்"),
    ("Telugu", "భూమి రికార్డులు", "రికార్డులు"),
    ("Kannada", "ಭೂ ದಾಖಲೆಗಳು", "ದಾಖಲೆಗಳು"),
    ("Malayalam", "ഭൂമി രേഖകൾ", "രേഖകൾ"),
    ("Gujarati", "જમીન રેકોર્ડ", "રેકોર્ડ"),
    ("Odia", "ଜମି ରେକର୍ଡ", "ରେକର୍ଡ"),
    ("Urdu", "زمین ریکارڈ", "ریکارڈ"),
]


def terms(text: str) -> set[int]:
    return set(ENCODER.embed_query(text).indices)


@pytest.mark.parametrize(("script", "phrase", "word"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_each_word_is_one_term_and_matches_inside_a_document(script: str, phrase: str, word: str) -> None:
    assert len(terms(phrase)) == 2, script
    assert len(terms(word)) == 1, script
    document = ENCODER.embed_documents([f"The state portal. {phrase}, online since 2015."])[0]
    assert terms(word) <= set(document.indices)
    assert terms(word) <= terms(phrase)


def test_words_with_a_virama_or_nukta_are_not_split() -> None:
    assert len(terms("पोर्टल")) == 1  # Edge alone: पोर् + टल
    assert len(terms("ज़मीन")) == 1


def test_spelling_variants_meet() -> None:
    assert terms("ज\u093cमीन") == terms("\u095bमीन") == terms("जमीन")  # nukta combining, precomposed, omitted
    assert terms("माँग") == terms("मांग")  # chandrabindu / anusvara
    assert terms("ریکارڈ") == terms("ريكارڈ")  # Urdu yeh/keheh against Arabic-keyboard yeh/kaf
    assert terms("রেক\u200cর্ড") == terms("রেকর্ড")  # zero-width non-joiner
    assert terms("७/१२ उतारा") == terms("7/12 उतारा")  # Devanagari digits as ASCII


def test_different_words_stay_different_and_function_words_drop() -> None:
    assert terms("अभिलेख") != terms("अभिलाषा")
    assert terms("भूमि का अभिलेख") == terms("भूमि अभिलेख")
    assert terms("زمین کا ریکارڈ") == terms("زمین ریکارڈ")


def test_english_is_left_to_edge_unchanged() -> None:
    text = "Online mutation of land records, 7/12 extracts and e-Mitra kiosks"
    assert prepare_text(text) == text
    assert terms("records") == terms("record")  # still stemmed


def test_the_word_pattern_keeps_marks_with_their_letters() -> None:
    assert WORD.findall("भू-अभिलेख, பதிவுகள். রেকর্ড") == ["भू", "अभिलेख", "பதிவுகள்", "রেকর্ড"]

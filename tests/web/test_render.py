"""Unit tests of the page helpers: highlighting, links, labels, text structure."""

from __future__ import annotations

from kb.models import Section
from search.web.render import file_size, highlight, label, lang_attr, plural, query_url
from search.web.text import anchor_for, blocks, outline, section_views


def test_highlight_escapes_text_and_marks_offsets() -> None:
    text = "<b>Land</b> & records"
    marked = highlight(text, [(3, 7), (14, 21)])
    assert str(marked) == "&lt;b&gt;<mark>Land</mark>&lt;/b&gt; &amp; <mark>records</mark>"
    assert str(highlight("abc", [(2, 1), (0, 99), (1, 2), (1, 3)])) == "a<mark>b</mark>c"  # bad spans ignored
    assert str(highlight("ई-ऑफिस प्रणाली", [(7, 14)])) == "ई-ऑफिस <mark>प्रणाली</mark>"


def test_query_url_orders_params_and_drops_blanks() -> None:
    assert query_url("/", {"page": 2, "state": ["Haryana", "J&K"], "q": "land records", "sector": None}) == (
        "/?q=land+records&state=Haryana&state=J%26K&page=2"
    )
    assert query_url("/", {"q": "", "state": []}) == "/"


def test_labels_and_sizes() -> None:
    assert label("land_records") == "Land records" and label("mou") == "MoU"
    assert plural("case_study") == "Case studies" and plural("guideline") == "Guidelines"
    assert str(lang_attr("hi")) == ' lang="hi"' and str(lang_attr("en")) == ""
    assert file_size(615) == "615 bytes" and file_size(25 * 1024 * 1024) == "25 MB"


def test_blocks_recognise_lists_clauses_and_tables() -> None:
    found = blocks("A line\nwrapped here.\n\n- one\n- two\n\n1. first\n2. second\n\nA | B\n1 | 2")
    assert [b.kind for b in found] == ["p", "ul", "lines", "table"]
    assert found[0].lines == ["A line wrapped here."]
    assert found[3].rows == [["A", "B"], ["1", "2"]]


def test_headings_never_skip_levels_and_anchors_are_unique() -> None:
    sections = [
        Section("intro"),
        Section("deep", heading_path=("Clauses", "Clause 1")),
        Section("more", heading_path=("Clauses", "Clause 1"), page=2),
        Section("again", heading_path=("Clauses",)),
        Section("हिंदी", heading_path=("सारांश",)),
    ]
    views = section_views(sections)
    headings = [(h.level, h.text, h.anchor) for v in views for h in v.headings]
    assert headings[:2] == [(3, "Clauses", "sec-clauses"), (4, "Clause 1", "sec-clauses-clause-1")]
    assert views[2].headings == [] and views[2].new_page  # same heading continued on page 2
    assert views[3].headings == []  # back at the parent level: no heading to repeat
    hindi_anchor = headings[2][2]
    assert hindi_anchor == anchor_for("सारांश") and hindi_anchor.startswith("sec-") and "document" not in hindi_anchor
    tree = outline(views)
    assert [n.heading.text for n in tree] == ["Clauses", "सारांश"]
    assert [c.heading.text for c in tree[0].children] == ["Clause 1"]


def test_flattened_list_markers_become_bullets_without_moving_offsets() -> None:
    from search.web.pages import bulleted

    text = "- Registration online. - e-Governance kept. -5 stays"
    assert bulleted(text) == "• Registration online. • e-Governance kept. -5 stays"
    assert len(bulleted(text)) == len(text)

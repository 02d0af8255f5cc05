"""Relate: the relation and direction read from alignment statistics, on alignments built by hand.

No embedding runs here: each test states the statistics a pair would have and checks the decision, so
a threshold change in ``RelateConfig`` shows up as a named failure. The last tests pin properties of
the alignment those statistics come from (maximal passages, sentence boundaries, the paraphrase
decision).
"""

from __future__ import annotations

import dataclasses

import pytest

from wiretrace.align import AlignConfig, Alignment, align, paraphrase_decision, sentence_profile
from wiretrace.errors import ConfigError
from wiretrace.model import Cues, Document, Format, Passage, PassageKind
from wiretrace.relate.pair import AGENCY_DATELINE, RelateConfig, cues, relate

C = RelateConfig()
LEAD = "The harbour board of Ostrava Bay voted on Monday to raise pilotage fees for the first time in a decade."


def doc(doc_id: str, text: str = LEAD, published: str | None = None) -> Document:
    return Document(doc_id, text, f"<{doc_id}>", Format.TEXT, published=published)


def alignment(
    va: float, vb: float, ca: float | None = None, cb: float | None = None, *, semantic: float | None = None,
    passages: int = 1, kind: PassageKind = PassageKind.VERBATIM, a_words: int = 400, b_words: int = 400,
) -> Alignment:
    ps = tuple(Passage((i * 10, i * 10 + 8), (i * 20, i * 20 + 8), kind, 1.0) for i in range(passages))
    return Alignment(
        passages=ps, a_covered=va if ca is None else ca, b_covered=vb if cb is None else cb, a_verbatim=va,
        b_verbatim=vb, lexical=min(va, vb), semantic=semantic, a_words=a_words, b_words=b_words,
    )


# --- relations ------------------------------------------------------------------------------------
def test_same_body_is_duplicate() -> None:
    p = relate(doc("x"), doc("y"), alignment(1.0, 1.0), same_body=True)
    assert p is not None and p.relation == "duplicate"


def test_both_sides_mostly_verbatim_is_near_duplicate() -> None:
    p = relate(doc("x"), doc("y"), alignment(0.95, 0.93))
    assert p is not None and p.relation == "near_duplicate"
    # The same statistics with the same body hash are a duplicate.
    q = relate(doc("x"), doc("y"), alignment(0.95, 0.93), same_body=True)
    assert q is not None and q.relation == "duplicate"


def test_page_holding_the_other_body_contains_it_and_is_side_a() -> None:
    al = alignment(0.6, 1.0)
    p = relate(doc("page"), doc("wire"), al)
    assert p is not None and (p.relation, p.a, p.b, p.direction) == ("contains", "page", "wire", "a<-b")
    # Given the other way round, the pair is turned so that the container is still a ...
    q = relate(doc("wire"), doc("page"), alignment(1.0, 0.6))
    assert q is not None and (q.relation, q.a, q.b) == ("contains", "page", "wire")
    # ... with its passages and coverage turned with it.
    assert q.scores.a_covered == 0.6 and q.scores.b_covered == 1.0
    assert all(pa.a == qa.a and pa.b == qa.b for pa, qa in zip(p.passages, q.passages, strict=True))


def test_container_needs_the_whole_body_and_real_extra_material() -> None:
    # A body not wholly inside the page is not contained.
    p = relate(doc("page"), doc("wire"), alignment(0.6, C.contains_inner - 0.05))
    assert p is None or p.relation != "contains"
    # A page with only a little extra text around the body stays a near-duplicate.
    q = relate(doc("page"), doc("wire"), alignment(0.95, 1.0))
    assert q is not None and q.relation == "near_duplicate"


def test_aligned_throughout_but_reworded_is_paraphrase() -> None:
    al = alignment(0.1, 0.1, 0.9, 0.92, semantic=0.93, passages=8, kind=PassageKind.PARAPHRASE)
    p = relate(doc("spin"), doc("wire"), al)
    assert p is not None and p.relation == "paraphrase"
    # With most of it word for word it is a near-duplicate instead.
    q = relate(doc("spin"), doc("wire"), alignment(0.8, 0.8, 0.92, 0.92, semantic=0.95))
    assert q is not None and q.relation == "near_duplicate"


def test_mostly_word_for_word_but_one_side_keeps_much_of_its_own_is_derivative_not_near_duplicate() -> None:
    # A copy has at most a line added or dropped: both sides covered near_duplicate_cover (85%) or more.
    q = relate(doc("copy"), doc("wire"), alignment(0.86, 0.8, 0.97, 0.86, a_words=240, b_words=285))
    assert q is not None and q.relation == "near_duplicate"
    # Here the longer side holds two paragraphs of its own (38% of it): a share reused, not a copy.
    p = relate(doc("wire"), doc("longer"), alignment(0.85, 0.51, 1.0, 0.62, a_words=48, b_words=81))
    assert p is not None and p.relation == "derivative"
    assert (p.a, p.b) == ("wire", "longer")  # the shorter, more covered side is the derivative
    assert any("not a near-duplicate" in r for r in p.reasons)
    # the threshold decides
    p2 = relate(doc("wire"), doc("longer"), alignment(0.85, 0.51, 1.0, 0.62), RelateConfig(near_duplicate_cover=0.6))
    assert p2 is not None and p2.relation == "near_duplicate"


def test_partial_reuse_with_some_verbatim_text_is_derivative() -> None:
    al = alignment(0.15, 0.1, 0.35, 0.3, semantic=0.85, passages=3, a_words=250, b_words=400)
    p = relate(doc("rewrite"), doc("wire"), al)
    assert p is not None and p.relation == "derivative"
    assert (p.a, p.b, p.direction) == ("rewrite", "wire", "a<-b")
    assert any("shorter" in r for r in p.reasons)


def test_similar_sentences_without_copied_text_are_same_story_not_derivative() -> None:
    al = alignment(0.0, 0.0, 0.12, 0.1, semantic=0.8, passages=2, kind=PassageKind.PARAPHRASE)
    p = relate(doc("x"), doc("y"), al, names_jaccard=0.3, topic=0.5)
    assert p is not None and p.relation == "same_story" and p.direction == "none"


def test_independent_report_needs_a_shared_topic() -> None:
    al = alignment(0.0, 0.0, semantic=0.9, passages=0)
    assert relate(doc("x"), doc("y"), al, names_jaccard=0.5, topic=C.same_story_topic - 0.05) is None
    p = relate(doc("x"), doc("y"), al, names_jaccard=0.5, topic=C.same_story_topic + 0.05)
    assert p is not None and p.relation == "same_story"


def test_reports_far_apart_in_time_need_the_stronger_cosine() -> None:
    x, y = doc("x", published="2026-03-01"), doc("y", published="2026-03-30")
    weak = alignment(0.0, 0.0, semantic=C.far_same_story_cos - 0.05, passages=0)
    assert relate(x, y, weak, names_jaccard=0.6, topic=0.6) is None
    strong = alignment(0.0, 0.0, semantic=C.far_same_story_cos + 0.05, passages=0)
    p = relate(x, y, strong, names_jaccard=0.6, topic=0.6)
    assert p is not None and p.relation == "same_story"


def test_nothing_in_common_is_unrelated() -> None:
    assert relate(doc("x"), doc("y"), alignment(0.0, 0.0, semantic=0.2, passages=0), topic=0.05) is None


def test_thresholds_decide_the_boundary() -> None:
    al = alignment(0.6, 1.0)
    assert relate(doc("page"), doc("wire"), al).relation == "contains"  # type: ignore[union-attr]
    strict = dataclasses.replace(C, contains_outer=0.5)
    p = relate(doc("page"), doc("wire"), al, strict)
    assert p is None or p.relation != "contains"


@pytest.mark.parametrize("field", ["near_duplicate", "contains_inner", "contains_outer", "paraphrase", "paraphrase_verbatim", "derivative"])
def test_config_rejects_shares_out_of_range(field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        RelateConfig(**{field: 1.5})


# --- direction ------------------------------------------------------------------------------------
WIRE = "OSTRAVA BAY (Baltic Wire) — " + LEAD
CREDIT = LEAD + " The Baltic Wire reported that the vote was close."


def test_cues_find_the_agency_dateline_and_the_credit() -> None:
    assert AGENCY_DATELINE.match(WIRE)
    assert cues(doc("w", WIRE), 0) == Cues(dateline="Baltic Wire")
    assert cues(doc("c", CREDIT), 0).attribution == "The Baltic Wire"
    assert cues(doc("p", LEAD), 0) == Cues()


def test_near_duplicate_points_away_from_the_dateline_and_toward_the_credit() -> None:
    al = alignment(0.95, 0.95)
    p = relate(doc("copy", CREDIT), doc("wire", WIRE), al, cues_a=Cues(attribution="Baltic Wire"), cues_b=Cues(dateline="Baltic Wire"))
    assert p is not None and p.direction == "a<-b"
    q = relate(doc("wire", WIRE), doc("copy", CREDIT), al, cues_a=Cues(dateline="Baltic Wire"), cues_b=Cues(attribution="Baltic Wire"))
    assert q is not None and q.direction == "a->b"


def test_later_publication_took_from_the_earlier() -> None:
    al = alignment(0.95, 0.95)
    p = relate(doc("late", published="2026-03-12"), doc("early", published="2026-03-10"), al)
    assert p is not None and p.direction == "a<-b"
    q = relate(doc("a"), doc("b"), al)
    assert q is not None and q.direction == "none"


def test_derivative_side_follows_the_cues_not_the_argument_order() -> None:
    # Equal lengths and coverage: only the credit and the dateline tell which side rewrote which.
    al = alignment(0.2, 0.2, 0.4, 0.4, semantic=0.85, passages=3, a_words=300, b_words=300)
    p = relate(doc("wire", WIRE), doc("rewrite", CREDIT), al, cues_a=Cues(dateline="Baltic Wire"), cues_b=Cues(attribution="Baltic Wire"))
    assert p is not None and p.relation == "derivative"
    assert (p.a, p.b, p.direction) == ("rewrite", "wire", "a<-b")
    assert any("credits another outlet" in r for r in p.reasons)


# --- the alignment statistics relate() reads --------------------------------------------------------
SENTS = [
    "The harbour board of Ostrava Bay voted on Monday to raise pilotage fees for the first time in a decade.",
    "Shipping agents said the increase of nine percent would be passed on to importers within weeks.",
    "The board's chairwoman, Irena Vostal, said the fees had not kept pace with the cost of new pilot boats.",
    "A union of harbour pilots welcomed the decision but asked for two more crews on the night shift.",
]


def test_sentences_moved_within_a_block_align_as_one_passage() -> None:
    a = " ".join(SENTS)
    host = "Fishing quotas were cut again this spring after a poor count of young cod in the northern grounds."
    b = host + " " + " ".join([SENTS[2], SENTS[0], SENTS[3], SENTS[1]])
    al = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(semantic=False))
    assert len(al.passages) == 1
    p = al.passages[0]
    assert p.a == (0, len(a)) and p.b == (len(host) + 1, len(b))


def test_a_chain_running_into_the_next_sentence_is_cut_at_the_boundary() -> None:
    a = SENTS[0] + " The weather stayed calm all week and ferries ran on time along the coast."
    b = "Elsewhere, a new bridge opened. " + SENTS[0] + " The decision surprised shipping agents in the port of Kalmen."
    al = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(semantic=False))
    assert [a[p.a[0] : p.a[1]] for p in al.passages] == [SENTS[0]]
    assert [b[p.b[0] : p.b[1]] for p in al.passages] == [SENTS[0]]


def test_paraphrase_decision_has_a_cosine_floor_and_a_model() -> None:
    x = sentence_profile("The council voted on Monday to close the old bridge to cars.")
    y = sentence_profile("On Monday the council decided to shut the old bridge to motor traffic.")
    z = sentence_profile("Cod quotas for the northern grounds were cut by a fifth this spring.")
    cfg = AlignConfig()
    assert paraphrase_decision(x, y, cfg.paraphrase_cos - 0.01, cfg) is None
    assert paraphrase_decision(x, y, 0.9, cfg) is not None  # same content, reworded
    assert paraphrase_decision(x, z, 0.6, cfg) is None  # little in common beyond the cosine floor
    cosine_only = AlignConfig(paraphrase_p=0.0)
    assert paraphrase_decision(x, z, 0.6, cosine_only) == 0.6


def test_a_derivative_needs_shared_text_carrying_facts_not_a_short_stock_phrase() -> None:
    stock = "Non-callable for seven years, the issue is rated"
    text = f"Ardmore Toolworks is raising 100 mln dlrs via notes due 1997. {stock} single-A by the agencies."
    s = text.index(stock)

    def shared(start: int, end: int) -> Alignment:
        ps = (Passage((start, end), (start, end), PassageKind.VERBATIM, 1.0),)
        return Alignment(passages=ps, a_covered=0.3, b_covered=0.1, a_verbatim=0.3, b_verbatim=0.1, lexical=0.1,
                         semantic=None, a_words=20, b_words=80)

    # nine words of a brief's mould, no name, no figure in digits: not reuse
    p = relate(doc("a", text), doc("b", text), shared(s, s + len(stock)))
    assert p is None or p.relation != "derivative"
    # a passage naming its subject and its figures carries facts: a derivative
    q = relate(doc("a", text), doc("b", text), shared(0, s - 1))
    assert q is not None and q.relation == "derivative"
    # the length that makes any passage count is RelateConfig.fact_words
    r = relate(doc("a", text), doc("b", text), shared(s, s + len(stock)), RelateConfig(fact_words=8))
    assert r is not None and r.relation == "derivative"

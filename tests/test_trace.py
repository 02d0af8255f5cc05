"""Provenance and consolidation: origin evidence, edge directions, headline and summary.

Stories are built with the library's own stages (clean -> prepare -> relate_pair -> trace_story) from
the fictional sample corpus (examples/corpus) and the seed pages (../shared/seeds, read where they lie).
"""

from __future__ import annotations

import itertools

import pytest
from tests.conftest import CORPUS, SEEDS, need

import wiretrace
from wiretrace.clean import clean
from wiretrace.engine.pipeline import Prepared, RunConfig, alignment, prepare, relate_pair
from wiretrace.errors import ConfigError
from wiretrace.model import EDGE_DIRECTIONS, Document, Story
from wiretrace.report.codecs import story_from_json, story_to_json
from wiretrace.text.tokens import words
from wiretrace.trace.consolidate import SummaryConfig, consolidate
from wiretrace.trace.provenance import trace_story

CONFIG = RunConfig()


def _wire_body(dateline: bool = True) -> str:
    """The wire paragraphs of the sample corpus's port-strike origin (fictional text)."""
    text = (CORPUS / "portstrike_origin_meridian.txt").read_text(encoding="utf-8")
    body = "\n\n".join(p for p in text.split("\n\n") if len(p) > 200)
    return body if dateline else body.split(" — ", 1)[1]


def _story(specs: dict[str, tuple[str, str | None]], title: str | None = "Port strike") -> tuple[Story, dict[str, Prepared]]:
    """Trace the story of the documents ``id -> (text, published)``, every pair related lexically."""
    items = {}
    for i, (text, published) in specs.items():
        doc = Document(i, text, f"<{i}>", "text", title=title, published=published)
        cl = clean(doc, CONFIG.clean)
        _, sk, cu = prepare(doc, cl, CONFIG)
        items[i] = Prepared(doc, cl, sk, cu)
    pairs = [p for a, b in itertools.combinations(sorted(items), 2) if (p := relate_pair(items[a], items[b], None, CONFIG, None))]
    story = trace_story(
        "s", sorted(items), {i: x.doc for i, x in items.items()}, {i: x.cleaned for i, x in items.items()}, pairs,
        {i: x.cues for i, x in items.items()}, lambda a, b: alignment(items[a], items[b], CONFIG, None), CONFIG.trace,
    )
    return story, items


def _text(items: dict[str, Prepared], doc: str, span: tuple[int, int]) -> str:
    return items[doc].doc.text[span[0] : span[1]]


# --- origin and edge evidence ------------------------------------------------------------------


def test_identical_undated_copies_leave_the_origin_undetermined() -> None:
    body = _wire_body(dateline=False)
    story, _ = _story({"x": (body, None), "y": (body, None)})
    assert story.origin is None
    assert story.origin_evidence[0].startswith("origin undetermined")
    assert "no dateline, credit, date" in story.origin_evidence[0]
    # The canonical text is still given (the most complete body), and the tree still has its edge.
    assert story.canonical is not None and story.canonical.document in ("x", "y")
    (edge,) = story.edges
    assert edge.relation == "duplicate"  # the same body
    assert edge.direction == "none"
    assert any(e.startswith("direction unknown") for e in edge.evidence)


def test_copies_sharing_a_dateline_tie_and_say_so() -> None:
    body = _wire_body(dateline=True)
    story, _ = _story({"x": (body, None), "y": (body, None)})
    assert story.origin is None
    assert "ties between x, y" in story.origin_evidence[0]
    assert any("dateline" in e for e in story.origin_evidence[1:])
    assert story.edges[0].direction == "none"


def test_an_earlier_date_decides_origin_and_edge_direction() -> None:
    body = _wire_body(dateline=False)
    story, _ = _story({"late": (body, "2026-03-11"), "early": (body, "2026-03-10")})
    assert story.origin == "early"
    assert any(e.startswith("dates: earliest published (2026-03-10)") for e in story.origin_evidence)
    (edge,) = story.edges
    assert (edge.child, edge.parent, edge.direction) == ("late", "early", "child<-parent")
    assert any(e.startswith("dates: late published 2026-03-11, after early") for e in edge.evidence)


def test_the_agency_dateline_decides_between_undated_copies() -> None:
    story, _ = _story({"copy": (_wire_body(dateline=False), None), "wire": (_wire_body(dateline=True), None)})
    assert story.origin == "wire"
    assert story.origin_evidence[0] == "dateline: opens with its own Meridian Wire dateline"
    (edge,) = story.edges
    assert edge.direction == "child<-parent"
    assert "dateline: wire opens with its own Meridian Wire dateline, copy does not" in edge.evidence


def test_an_edge_whose_evidence_conflicts_has_no_direction() -> None:
    # The dateline says the copy took from the wire; the dates say the copy came first.
    story, _ = _story({"wire": (_wire_body(dateline=True), "2026-03-12"), "copy": (_wire_body(False), "2026-03-10")})
    assert story.origin == "wire"  # a dateline weighs more than one day's lead...
    (edge,) = story.edges
    assert edge.direction == "none"  # ...but on the edge the two votes cancel, and it says so
    kinds = [e.split(":", 1)[0] for e in edge.evidence]
    assert "dates" in kinds and "dateline" in kinds and edge.evidence[-1] == "direction unknown: the evidence ties"


def test_a_page_wrapping_the_text_is_placed_by_containment() -> None:
    body = _wire_body(dateline=False)
    extra = (CORPUS / "ferryorder_singleton_shippingjournal.txt").read_text(encoding="utf-8")
    story, _ = _story({"short": (body, None), "wrapper": (body + "\n\n" + extra, None)})
    edge = next(e for e in story.edges)
    assert edge.relation == "contains" and edge.child == "wrapper" and edge.parent == "short"
    assert edge.direction == "child<-parent"
    assert any(e.startswith("containment: wrapper's page holds short's whole text") for e in edge.evidence)


def test_story_round_trips_through_its_json_form() -> None:
    story, _ = _story({"late": (_wire_body(), "2026-03-11"), "early": (_wire_body(False), "2026-03-10")})
    assert story_from_json(story_to_json(story)) == story
    assert all(e.direction in EDGE_DIRECTIONS for e in story.edges)


# --- headline and summary ----------------------------------------------------------------------


def _corpus_docs(*names: str) -> dict[str, Prepared]:
    items = {}
    for n in names:
        doc = Document(n, (CORPUS / f"{n}.txt").read_text(encoding="utf-8"), n, "text", title=None)
        cl = clean(doc, CONFIG.clean)
        items[n] = Prepared(doc, cl, *prepare(doc, cl, CONFIG)[1:])
    return items


def test_summary_sentences_point_into_bodies_without_repeats() -> None:
    names = ("portstrike_origin_meridian", "portstrike_appeal_baytimes", "portstrike_spin_dailyglimpse",
             "portstrike_deriv_islandpost", "portstrike_contains_northshoregazette")
    items = _corpus_docs(*names)
    cfg = SummaryConfig(sentences=4)
    c = consolidate(list(names), {i: x.doc for i, x in items.items()}, {i: x.cleaned for i, x in items.items()},
                    names[0], "fallback", cfg)
    assert 1 <= len(c.summary) <= 4
    texts = [_text(items, x.document, x.span) for x in c.summary]
    assert len(set(texts)) == len(texts)
    for x in c.summary:
        body = items[x.document].cleaned.body
        assert any(s <= x.span[0] and x.span[1] <= e for s, e in body), "a summary sentence lies in a body span"
        assert len(words(items[x.document].doc.text, *x.span)) >= cfg.min_words
        assert x.sources[0] == x.document and len(x.sources) >= 3  # what many members carry
    # The wire sentences are quoted from the canonical text (the origin), in its order.
    assert all(x.document == names[0] for x in c.summary)
    assert [x.span for x in c.summary] == sorted(x.span for x in c.summary)


def test_a_single_page_summary_is_its_lead() -> None:
    items = _corpus_docs("portstrike_origin_meridian")
    (x,) = items.values()
    c = consolidate([x.doc.id], {x.doc.id: x.doc}, {x.doc.id: x.cleaned}, x.doc.id, "Title", SummaryConfig(sentences=2))
    first = [_text(items, y.document, y.span) for y in c.summary]
    assert len(first) == 2 and first[0].startswith("PORT SALLOW, Veskaria (Meridian Wire)")
    assert c.headline == "Title" and c.headline_source is None  # no member title: the fallback


def test_headline_is_the_title_the_others_carry() -> None:
    body = _wire_body()
    story, items = _story({"a": (body, "2026-03-10"), "b": (body, "2026-03-11")}, title="Dock strike shuts port")
    assert story.headline == "Dock strike shuts port" and story.headline_source in ("a", "b")
    assert story.summary and all(x.document == story.canonical.document for x in story.summary)  # type: ignore[union-attr]
    assert all(set(x.sources) == {"a", "b"} for x in story.summary)


def test_summary_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="sentences"):
        SummaryConfig(sentences=0)
    with pytest.raises(ConfigError, match="redundancy"):
        SummaryConfig(redundancy=1.5)


# --- the seed pages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_story() -> tuple[Story, dict[str, Document]]:
    need(SEEDS)
    rep = wiretrace.run([SEEDS])
    story = max(rep.stories, key=lambda s: len(s.documents))
    return story, {d.id: d for d in rep.documents}


def test_seed_origin_is_the_wire_text_with_its_evidence(seed_story: tuple[Story, dict[str, Document]]) -> None:
    story, docs = seed_story
    assert story.origin is not None and story.origin[:3] == "003"
    assert story.origin_evidence[0] == "dateline: opens with its own AP dateline"
    assert any(e.startswith("ahead on provenance evidence") for e in story.origin_evidence)


def test_seed_edges_say_why_each_page_took_from_the_wire(seed_story: tuple[Story, dict[str, Document]]) -> None:
    story, _ = seed_story
    edges = {e.child[:3]: e for e in story.edges}
    assert all(e.direction in EDGE_DIRECTIONS for e in story.edges)
    kinds = {k: {line.split(":", 1)[0] for line in e.evidence} for k, e in edges.items()}
    assert edges["004"].direction == "child<-parent"
    assert {"attribution", "material"} <= kinds["004"]  # credits AP; the wire holds what it lacks
    if "000" in edges and edges["000"].relation == "contains":
        assert edges["000"].direction == "child<-parent" and "containment" in kinds["000"]
    assert edges["002"].direction == "child<-parent" and "dateline" in kinds["002"]


def test_seed_summary_and_headline(seed_story: tuple[Story, dict[str, Document]]) -> None:
    story, docs = seed_story
    assert story.headline_source in story.documents and story.headline == docs[story.headline_source].title
    assert 1 <= len(story.summary) <= RunConfig().trace.summary.sentences
    for x in story.summary:
        assert len(x.sources) >= 3, "a summary sentence of a wire story is carried by most copies"
        assert x.document == story.canonical.document  # type: ignore[union-attr]

"""A story of one document: the consolidation that reads only its first sentences (``_lone``) gives the
whole computation's result (``_whole``: every sentence, the idf over them, the cosines), on real BBC
News articles (../shared) and under settings that move every decision it makes."""

from __future__ import annotations

import pytest
from tests.conftest import bbc_by_category

from wiretrace.clean import clean
from wiretrace.engine.pipeline import RunConfig
from wiretrace.model import Document
from wiretrace.text.topic import content_words
from wiretrace.trace import consolidate as cons
from wiretrace.trace.consolidate import SummaryConfig, consolidate

CONFIGS = (
    SummaryConfig(),
    SummaryConfig(sentences=3),
    SummaryConfig(sentences=1),
    SummaryConfig(sentences=4, lead=0.0, redundancy=1.0),
    SummaryConfig(min_words=0, redundancy=0.05),
    SummaryConfig(min_words=12, lead=3.0),
)


@pytest.fixture(scope="module")
def articles() -> list[tuple[Document, object]]:
    rows = [r for rs in bbc_by_category(("business", "politics", "sport", "tech", "entertainment"), 30).values() for r in rs]
    out = []
    for k, r in enumerate(rows):
        # every third one without a title: the headline falls back to the caller's
        doc = Document(r["id"], r["text"], f"<{r['id']}>", "text", title=None if k % 3 == 0 else r["title"])
        out.append((doc, clean(doc, RunConfig().clean)))
    return out


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"s{c.sentences}-l{c.lead}-r{c.redundancy}-w{c.min_words}")
def test_a_lone_documents_consolidation_is_the_whole_computations(articles: list, config: SummaryConfig) -> None:
    took = 0
    for doc, cl in articles:
        docs, cleaned = {doc.id: doc}, {doc.id: cl}
        whole = cons._whole([doc.id], docs, cleaned, doc.id, "fallback", config)
        lone = cons._lone(doc, cl, "fallback", config)
        if lone is not None:
            took += 1
            assert lone == whole, doc.id
        assert consolidate([doc.id], docs, cleaned, doc.id, "fallback", config) == whole
        # the canonical is not read for one member: any id, or none, gives the same
        assert consolidate([doc.id], docs, cleaned, None, "fallback", config) == whole
    # The shortcut is taken for some articles (else this test would hold nothing to the whole computation).
    assert took >= 1


def test_a_lone_documents_close_sentences_are_skipped_as_the_whole_computation_skips_them() -> None:
    text = ("The harbour strike closed the port of Sallow on Monday morning.\n"
            "The harbour strike closed the port of Sallow again on Tuesday morning.\n"
            "Ferry passengers were told to expect long delays all week.\n")
    doc = Document("d", text, "<d>", "text", title="Strike")
    cl = clean(doc, RunConfig().clean)
    docs, cleaned = {"d": doc}, {"d": cl}
    whole = cons._whole(["d"], docs, cleaned, "d", "", SummaryConfig())
    assert cons._lone(doc, cl, "", SummaryConfig()) == whole
    # The second sentence repeats the first: the third is taken instead.
    assert [text[s:e].split()[0] for s, e in (x.span for x in whole.summary)] == ["The", "Ferry"]
    assert whole.headline == "Strike" and whole.headline_source == "d"
    # A threshold at the cosine itself, where float32 rounding could decide: left to the whole computation.
    units = cons._units(doc, cl, 5)
    x = cons._matrix([u.bag for u in units] + [content_words("Strike")])
    at = SummaryConfig(redundancy=round(float(x[0] @ x[1]), 6))
    assert cons._lone(doc, cl, "", at) is None
    assert consolidate(["d"], docs, cleaned, "d", "", at) == cons._whole(["d"], docs, cleaned, "d", "", at)

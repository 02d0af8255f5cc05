"""Templates on real wire briefs (Reuters-21578 in ../shared/data; skipped when absent): a recurring
notice of another day, the same mould about another subject, one mould with that day's figures are
``template``; a copy stays a near-duplicate and a copy with material added keeps a reuse relation.

The pairs are named by id (no text of the data set is kept here); each is related by ``relate_pair``
as a run relates it, without the corpus (no learned boilerplate, no corpus counts)."""

from __future__ import annotations

import sys

import pytest
from tests.conftest import DATA, REPO
from tests.requirements import need_path

from wiretrace.clean import clean
from wiretrace.engine.pipeline import Prepared, RunConfig, prepare, relate_pair
from wiretrace.model import Document

PAIRS = {
    # (a, b): (relation, words the reason must hold)
    ("reuters-13799", "reuters-14486"): ("template", "other date"),  # a price table, the next day's figures
    ("reuters-12608", "reuters-14558"): ("template", "another day, other figures"),  # a refiner's price, 5 days on
    ("reuters-336", "reuters-999"): ("template", "another day, other figures"),  # a central bank's forecast, next day
    ("reuters-4915", "reuters-4921"): ("template", "other subject"),  # one loan mould, two borrowers
    ("reuters-12260", "reuters-11989"): ("template", "headline names"),  # one prime-rate brief, two banks
    ("reuters-11532", "reuters-6114"): ("template", "headline names"),  # one weather mould, two countries
    ("reuters-11200", "reuters-5232"): ("template", "one mould with other figures"),  # money market help, two days
    ("reuters-4711", "reuters-4740"): ("near_duplicate", ""),  # a copy
    ("reuters-5176", "reuters-5290"): ("near_duplicate", ""),  # a copy published the next day
    ("reuters-8235", "reuters-8280"): ("derivative", "not a near-duplicate"),  # a copy with two paragraphs added
    ("reuters-17870", "reuters-17874"): ("derivative", "not a near-duplicate"),  # rewritten at length
    # one company's results twice, the figures in other forms ("1.2 mln" / "1,200,000", "one dlrs" / "1.00 dlrs"): reuse
    ("reuters-20515", "reuters-20669"): ("derivative", ""),
    # one monthly estimate a month on, figures of one unit close but other (16.70 / 17.30 mln tonnes): a template
    ("reuters-15868", "reuters-3335"): ("template", "other figures"),
}


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    need_path(DATA / "reuters21578")
    sys.path.insert(0, str(REPO / "bench"))
    import corpora

    want = {x for k in PAIRS for x in k}
    return {r["id"]: r for r in corpora.reuters_records() if r["id"] in want}


def _item(r: dict, config: RunConfig) -> Prepared:
    doc = Document(r["id"], r["text"], f"<{r['id']}>", "text", title=r["title"], published=r["published"])
    cl = clean(doc, config.clean)
    _, sk, cu = prepare(doc, cl, config)
    return Prepared(doc, cl, sk, cu)


@pytest.mark.parametrize(("a", "b"), sorted(PAIRS))
def test_real_briefs_template_or_reuse(records: dict[str, dict], a: str, b: str) -> None:
    config = RunConfig()
    relation, why = PAIRS[(a, b)]
    p = relate_pair(_item(records[a], config), _item(records[b], config), None, config, None)
    assert p is not None and p.relation == relation, (a, b, p)
    assert any(why in r for r in p.reasons), p.reasons
    if relation == "template":
        assert p.direction == "none"
        assert bool(p.slots) == ("headline" not in why)  # the differing fillers in the texts, for the pair view

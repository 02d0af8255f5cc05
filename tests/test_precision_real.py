"""Reuse relations and same_story held to what they claim, on real pairs of Reuters-21578 and BBC News
(../shared/data; skipped when absent). Each pair was read and labelled (bench/labels/pile_pairs.tsv, or
a pair of the same mould beside one labelled there) and is related by ``relate_pair`` as a run relates
it, without the corpus (no learned boilerplate, no corpus counts). No text of the data sets is kept
here: pairs are named by id.

* Headlines of one mould with another word in one place, a word the other document never writes,
  over bodies that differ: two notices of one series (``template``), not a copy retitled.
* Shared text that is a list of names with others in their places (two matches' line-ups): one form
  with other people (``template``), not a ``derivative``; a passage naming the same people stays one.
"""

from __future__ import annotations

import sys

import pytest
from tests.conftest import DATA, REPO
from tests.requirements import need_path

from wiretrace.align import Alignment
from wiretrace.clean import clean
from wiretrace.engine.pipeline import Prepared, RunConfig, alignment, prepare, relate_pair
from wiretrace.model import Document, Pair, Relation
from wiretrace.relate.template import Side, other_names, template
from wiretrace.stages import headline

HEADLINE_MOULD = {
    # (a, b): the words each headline holds in its one other place
    ("reuters-13684", "reuters-13674"): ("falls", "city"),  # one hog-market notice, two towns (labelled template)
    ("reuters-14192", "reuters-14243"): ("11 50", "12 01"),  # one intraday table, two times (labelled template)
    ("reuters-14160", "reuters-13859"): ("st joseph", "peoria"),  # the same hog mould, two other markets
}
# A copy under a reworded headline keeps its relation: one side's headline word is in the other's text.
RETITLED_COPY = ("reuters-17958", "reuters-17968")  # labelled copy
LINE_UP = ("bbc-sport/407", "bbc-sport/312")  # two matches' Italian team sheets (labelled unrelated)
KEPT_DERIVATIVE = (
    ("reuters-6934", "reuters-8427"),  # a strike story's names and figures reused (labelled reuse)
    ("reuters-15720", "reuters-17092"),  # one clause on a quota reused (labelled reuse)
)
WANT = {x for group in (HEADLINE_MOULD, (RETITLED_COPY, LINE_UP), KEPT_DERIVATIVE) for k in group for x in k}


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    need_path(DATA / "reuters21578")
    need_path(DATA / "bbc-news" / "bbc_docs.jsonl")
    sys.path.insert(0, str(REPO / "bench"))
    import corpora

    return {r["id"]: r for r in corpora.corpus("both") if r["id"] in WANT}


def _item(r: dict, config: RunConfig) -> Prepared:
    doc = Document(r["id"], r["text"], f"<{r['id']}>", "text", title=r["title"], published=r["published"])
    cl = clean(doc, config.clean)
    _, sk, cu = prepare(doc, cl, config)
    return Prepared(doc, cl, sk, cu)


def _relate(records: dict[str, dict], a: str, b: str) -> Pair | None:
    config = RunConfig()
    return relate_pair(_item(records[a], config), _item(records[b], config), None, config, None)


@pytest.mark.parametrize(("a", "b"), sorted(HEADLINE_MOULD))
def test_headlines_of_one_mould_are_two_notices(records: dict[str, dict], a: str, b: str) -> None:
    p = _relate(records, a, b)
    assert p is not None and p.relation == Relation.TEMPLATE, (a, b, p)
    assert any("subject or time in the headline" in r for r in p.reasons), p.reasons
    own_a, own_b = HEADLINE_MOULD[(a, b)]
    assert any(f"({own_a} / {own_b}" in r for r in p.reasons), p.reasons


def test_a_retitled_copy_stays_a_copy(records: dict[str, dict]) -> None:
    p = _relate(records, *RETITLED_COPY)
    assert p is not None and p.relation in (Relation.NEAR_DUPLICATE, Relation.DUPLICATE), p


def _aligned(records: dict[str, dict], a: str, b: str) -> tuple[Prepared, Prepared, Alignment]:
    config = RunConfig()
    pa, pb = _item(records[a], config), _item(records[b], config)
    return pa, pb, alignment(pa, pb, config, None, semantic=False)


def test_a_line_up_of_other_names_is_a_template(records: dict[str, dict]) -> None:
    pa, pb, al = _aligned(records, *LINE_UP)
    assert al.passages, "the two team sheets align (else the test shows nothing)"
    names = other_names(pa.doc.text, pb.doc.text, tuple((p.a, p.b) for p in al.passages))
    assert ("stoica", "pozzebon") in names, names
    p = _relate(records, *LINE_UP)
    assert p is not None and p.relation == Relation.TEMPLATE, p  # one form with other people, not reuse
    assert any("list of names with others in their places" in r and "stoica / pozzebon" in r for r in p.reasons), p.reasons
    assert p.slots, "the differing names, for the pair view"


def test_no_line_up_where_a_passage_was_matched_by_meaning(records: dict[str, dict]) -> None:
    """Two team sheets are a line-up; the same passages beside one matched by meaning alone (the
    semantic pass: two reports saying one thing in other words, as ECB+'s reports of one event do) are
    not, whatever names stand at the same places."""
    pa, pb, al = _aligned(records, *LINE_UP)
    side_a = Side(pa.doc.text, pa.cleaned.content, headline(pa))
    side_b = Side(pb.doc.text, pb.cleaned.content, headline(pb))
    matched = tuple((p.a, p.b) for p in al.passages)
    lineup = template(side_a, side_b, matched=matched)
    assert lineup is not None and lineup.what == ("line-up names",), lineup
    assert template(side_a, side_b, matched=matched, paraphrased=True) is None


@pytest.mark.parametrize(("a", "b"), KEPT_DERIVATIVE)
def test_names_carried_along_stay_a_derivative(records: dict[str, dict], a: str, b: str) -> None:
    pa, pb, al = _aligned(records, a, b)
    assert other_names(pa.doc.text, pb.doc.text, tuple((p.a, p.b) for p in al.passages)) == []
    p = _relate(records, a, b)
    assert p is not None and p.relation == Relation.DERIVATIVE, (a, b, p)

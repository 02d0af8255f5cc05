"""The default mode asks the template test before the transformer reads a pair: two briefs of one
form filled with other facts end as ``template`` whatever the sentences would add, so MiniLM never
reads them (on Reuters + BBC such pairs took a quarter of the sentences embedded). Real briefs of
Reuters-21578 in ../shared/data (skipped when absent), named by id; ``relate_pair`` as a run relates
them, with the shipped MiniLM."""

from __future__ import annotations

import sys

import pytest
from tests.conftest import DATA, REPO
from tests.requirements import need_path

from wiretrace.align import AlignConfig, align
from wiretrace.embed.minilm import Embedder
from wiretrace.engine.pipeline import RunConfig, relate_pair
from wiretrace.model import Relation

ONE_FORM = [("reuters-16167", "reuters-301"), ("reuters-19", "reuters-3324"), ("reuters-18580", "reuters-6753")]
REUSE = [("reuters-8235", "reuters-8280"), ("reuters-17870", "reuters-17874")]  # copies with material added / rewritten


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    need_path(DATA / "reuters21578")
    sys.path.insert(0, str(REPO / "bench"))
    import corpora

    want = {x for k in ONE_FORM + REUSE for x in k}
    return {r["id"]: r for r in corpora.reuters_records() if r["id"] in want}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.mark.parametrize(("a", "b"), ONE_FORM)
def test_one_form_is_template_before_the_transformer_reads_it(records: dict[str, dict], embedder: Embedder, a: str, b: str) -> None:
    from tests.test_template_real import _item

    config = RunConfig()
    before = embedder.embedded
    p = relate_pair(_item(records[a], config), _item(records[b], config), None, config, embedder)
    assert p is not None and p.relation == Relation.TEMPLATE, (a, b, p)
    assert any("before the semantic pass" in r for r in p.reasons), p.reasons
    assert p.reasons[-1].startswith("template"), p.reasons
    assert p.slots  # the differing fillers, for the pair view
    assert embedder.embedded == before  # not a sentence read
    assert p.scores.semantic is None


@pytest.mark.parametrize(("a", "b"), REUSE)
def test_reuse_still_reads_meaning(records: dict[str, dict], embedder: Embedder, a: str, b: str) -> None:
    from tests.test_template_real import _item

    config = RunConfig()
    p = relate_pair(_item(records[a], config), _item(records[b], config), None, config, embedder)
    assert p is not None and p.relation == Relation.DERIVATIVE, (a, b, p)
    assert not any("before the semantic pass" in r for r in p.reasons)


def test_align_asks_the_veto_once_and_only_before_the_transformer(embedder: Embedder) -> None:
    a = "The harbour board approved a new ferry terminal on Tuesday after a long debate. Work starts in spring and should take two years."
    b = "After lengthy discussion the port authority gave its approval to a new terminal for ferries. Building begins in the spring and lasts two years."
    asked: list[int] = []

    def no() -> bool:
        asked.append(1)
        return False

    def yes() -> bool:
        asked.append(1)
        return True

    full = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(), embedder, veto=no)
    assert len(asked) == 1 and not full.vetoed
    assert any(p.kind.value == "paraphrase" for p in full.passages)
    asked.clear()
    stopped = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(), embedder, veto=yes)
    assert len(asked) == 1 and stopped.vetoed
    assert stopped.semantic is None and not stopped.passages
    asked.clear()
    lexical = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(semantic=False), embedder, veto=yes)
    assert not asked and not lexical.vetoed  # nothing for the transformer to read: never asked

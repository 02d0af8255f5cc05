"""``LazyStoryIndex`` (profiles of stored stories made only when a component reaches them) places the
documents exactly as ``StoryIndex`` (every stored story profiled on loading), on real articles added in
batches to a stored assignment."""

from __future__ import annotations

import json

from tests.conftest import DATA, need

from wiretrace.clean import clean
from wiretrace.model import Document
from wiretrace.sketch import sketch
from wiretrace.stages import idf_from_sketches, title_words
from wiretrace.stories import LazyStoryIndex, StoryConfig, assign, summarize

BBC = DATA / "bbc-news" / "bbc_docs.jsonl"


def test_lazy_index_places_batches_as_the_eager_one() -> None:
    with need(BBC).open(encoding="utf-8") as f:
        recs = [json.loads(line) for line in f][::4][:400]  # every category: same-topic articles among them
    sketches, summaries = {}, {}
    for r in recs:
        d = Document(r["id"].replace("/", "-"), r["text"], "bbc.jsonl", "jsonl", title=r["title"])
        c = clean(d)
        sketches[d.id] = sketch(d, c)
        summaries[d.id] = summarize(d.id, d.published, sketches[d.id], title_words(d, c))
    ids = sorted(summaries)
    config = StoryConfig(join=0.15)  # a lower bar than the default: more joins and merges to get right
    prior: dict[str, str] | None = None
    for n in (200, 300, 400):  # a first placement, then two batches onto the stored assignment
        part = {i: summaries[i] for i in ids[:n]}
        idf = idf_from_sketches(sketches[i] for i in part)
        comps = [[i] for i in sorted(part)]
        eager = assign(part, comps, [], idf, config, prior)
        lazy = assign(part, comps, [], idf, config, prior, index_type=LazyStoryIndex)
        assert lazy == eager
        assert len(set(eager.values())) < len(eager) - 10  # stories of several documents: joins happened
        prior = eager

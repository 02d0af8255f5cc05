"""The quicker paths of level 2 give the answers of the plain ones, on real BBC articles: the lazy index
(which finds a component's candidates once for both of its passes) places documents with pair links and
template pairs as the eager index does; the candidate cap keeps the stories sharing the most keys (ties:
the smaller id); a profile's sorted names and content words, kept apart, are made again once it grows."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

from tests.conftest import DATA, need

from wiretrace.clean import clean
from wiretrace.model import Document
from wiretrace.sketch import sketch
from wiretrace.stages import idf_from_sketches, title_words
from wiretrace.stories import (
    DocSummary,
    LazyStoryIndex,
    StoryConfig,
    StoryIndex,
    assign,
    build_index,
    summarize,
)

BBC = DATA / "bbc-news" / "bbc_docs.jsonl"
CORPUS = Path(__file__).resolve().parents[1] / "examples" / "corpus"


@cache
def _bbc() -> tuple[dict[str, DocSummary], dict[str, float], dict[str, str]]:
    """Summaries of 400 BBC articles (every category), their idf, and each one's category."""
    with need(BBC).open(encoding="utf-8") as f:
        recs = [json.loads(line) for line in f][::4][:400]
    sketches, summaries, category = {}, {}, {}
    for r in recs:
        d = Document(r["id"].replace("/", "-"), r["text"], "bbc.jsonl", "jsonl", title=r["title"])
        c = clean(d)
        sketches[d.id] = sketch(d, c)
        summaries[d.id] = summarize(d.id, d.published, sketches[d.id], title_words(d, c))
        category[d.id] = d.id.split("-")[0]
    return summaries, idf_from_sketches(sketches.values()), category


def test_lazy_index_with_links_and_templates_places_as_the_eager_one() -> None:
    summaries, idf, category = _bbc()
    ids = sorted(summaries)
    # Links within a category (as same_story pairs would be), template pairs across two: inputs that make
    # ``add`` read its linked and apart documents, and the candidates the links add.
    links = [(a, b) for a, b in zip(ids[::7], ids[3::7], strict=False) if category[a] == category[b]]
    apart = [(a, b) for a, b in zip(ids[1::9], ids[5::9], strict=False) if category[a] != category[b]]
    assert links and apart
    config = StoryConfig(join=0.15)
    prior: dict[str, str] | None = None
    for n in (250, 400):  # a first placement, then a batch onto the stored assignment (profiles made lazily)
        part = {i: summaries[i] for i in ids[:n]}
        comps = [[i] for i in sorted(part)]
        eager = assign(part, comps, links, idf, config, prior, apart)
        lazy = assign(part, comps, links, idf, config, prior, apart, index_type=LazyStoryIndex)
        assert lazy == eager
        assert len(set(eager.values())) < len(eager) - 10  # joins happened
        for a, b in apart:
            if a in eager and b in eager:
                assert eager[a] != eager[b]
        prior = eager


def test_candidate_cap_keeps_the_stories_sharing_most_keys() -> None:
    summaries, idf, _ = _bbc()
    ids = sorted(summaries)
    cap = 5
    config = StoryConfig(join=0.15, max_candidates=cap)
    index = build_index({i: summaries[i] for i in ids[:300]}, [[i] for i in ids[:300]], [], idf, config)
    capped = 0
    for d in ids[300:]:
        doc = summaries[d]
        shared: Counter[str] = Counter()
        for k in index.keys_of(doc):
            held = index.postings.get(k)
            if held and len(held) <= config.max_postings:
                shared.update(held)
        got = index.candidates([doc], ())
        want = sorted(sid for sid, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:cap])
        assert got == want
        capped += len(shared) > cap
    assert capped > 20  # the cap was reached for many documents, with ties among them


def test_sorted_names_and_words_follow_a_growing_profile() -> None:
    summaries, idf, _ = _bbc()
    docs = [summaries[i] for i in sorted(summaries)]
    index = StoryIndex(idf, StoryConfig())
    other = index.profile(docs[10:14])
    read = index.profile(docs[:3])
    fresh = index.profile(docs[:3])
    before = (index.upper(read, other), index.score(read, other), read.sorted_items())  # kept on ``read``
    read.add(index.profile(docs[3:8]))
    fresh.add(index.profile(docs[3:8]))
    assert read.sorted_names() == fresh.sorted_names() and read.sorted_topic() == fresh.sorted_topic()
    assert read.sorted_items() != before[2]
    assert index.upper(read, other) == index.upper(fresh, other)
    assert index.score(read, other) == index.score(fresh, other)
    assert len(read.sorted_names()[0]) == len(read.names) and len(read.sorted_topic()[0]) == len(read.topic)


def test_story_tasks_read_per_batch_and_one_blas_thread_trace_as_before(tmp_path: Path) -> None:
    """On the sample corpus's store: the tasks built for a batch of stories at once (one read of their
    documents) are those built story by story, and the trace run as a worker runs it (one BLAS thread)
    gives the stories the plain trace gives, which are the stored ones."""
    from wiretrace.align import AlignConfig
    from wiretrace.embed.minilm import Embedder
    from wiretrace.engine import local
    from wiretrace.engine import store as st
    from wiretrace.engine.executor import Env
    from wiretrace.engine.pipeline import RunConfig, run
    from wiretrace.report.codecs import story_to_json
    from wiretrace.stages import StoryTask, trace_stories
    from wiretrace.stories import groups

    config = RunConfig(align=AlignConfig(semantic=False), workers=1)
    run(need(CORPUS), config, out=tmp_path / "o")
    store = st.Store(tmp_path / "o")
    redo = groups(dict(store.assignments()))
    need_ids = {m for ms in redo.values() for m in ms}
    sketches, cues = store.sketches(need_ids)
    by_doc: dict[str, list] = {}
    for p in store.pairs_touching(need_ids):
        if p.a in need_ids:
            by_doc.setdefault(p.a, []).append(p)
    assert any(len(ms) > 1 for ms in redo.values()) and any(len(ms) == 1 for ms in redo.values())
    tasks = local._story_tasks(store, sorted(redo.items()), sketches, cues, by_doc)
    for t in tasks:  # as the story-by-story build made them
        members = list(t.members)
        items = {k: local._lean(v) for k, v in local.prepared(store, members, sketches, cues).items()}
        pairs = tuple(p for m in members for p in by_doc.get(m, ()) if p.b in set(members))
        assert t == StoryTask(t.id, tuple(members), items, pairs)
    assert any(t.pairs for t in tasks)
    embedder = Embedder(cache=store.embedding_cache())
    worker = local._trace_batch(config, tasks, Env(embedder))
    assert worker == trace_stories(tasks, config, embedder)
    stored = {s.id: story_to_json(s) for s in store.stories()}
    assert {s.id: story_to_json(s) for s in worker} == stored

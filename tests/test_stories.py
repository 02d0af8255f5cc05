"""Story clustering: reuse components, the same-event index, time, bridging merges, ids and order.

Unit tests drive ``stories.StoryIndex`` / ``stories.assign`` with document summaries; the pipeline
tests run ``wiretrace.run`` on small real subsets (ECB+ topics, read from ../shared) and the sample
corpus.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.conftest import CORPUS, DATA, need

import wiretrace
from wiretrace.align import AlignConfig
from wiretrace.clean import clean
from wiretrace.engine import store as st
from wiretrace.engine.pipeline import RunConfig, idf_from_sketches, prepare, title_words
from wiretrace.errors import ConfigError
from wiretrace.ingest import read_inputs
from wiretrace.model import Document, Pair, Scores
from wiretrace.stories import (
    DocSummary,
    StoryConfig,
    StoryIndex,
    assign,
    compact,
    groups,
    level2_idf,
    reuse_components,
    same_story_links,
    story_id,
    summarize,
)

LEXICAL = RunConfig(align=AlignConfig(semantic=False))


def _doc(i: str, words: str, names: str = "", day: str | None = None) -> DocSummary:
    topic: dict[str, int] = {}
    for w in words.split():
        topic[w] = topic.get(w, 0) + 1
    return DocSummary(i, day, "h-" + i, frozenset(names.split()), topic)


IDF = {w: 2.0 for w in ["quake", "tsunami", "coast", "dead", "rescue", "vote", "party", "election", "budget", "minister", "strike", "port", "ferry"]}


def test_same_event_joins_and_other_event_starts_a_story() -> None:
    index = StoryIndex(IDF)
    a = index.add([_doc("a", "quake tsunami coast dead", "sendai miyagi", "2026-03-01")])
    b = index.add([_doc("b", "quake tsunami coast rescue", "sendai miyagi", "2026-03-02")])
    c = index.add([_doc("c", "vote party election budget", "kessary", "2026-03-02")])
    assert a == b != c
    assert a == story_id(["a"]) and c == story_id(["c"])


def test_far_in_time_needs_stronger_evidence() -> None:
    first = _doc("a", "quake tsunami coast dead rescue", "sendai", "2026-03-01")
    later = _doc("b", "quake tsunami coast vote party", "sendai", "2026-03-03")
    index = StoryIndex(IDF)
    score = index.score(index.profile([first]), index.profile([later]))
    assert StoryConfig().join <= score < 1.0  # enough within the window
    assert index.add([first]) == index.add([later])
    far = _doc("b", "quake tsunami coast vote party", "sendai", "2026-06-01")
    index = StoryIndex(IDF)
    assert index.add([first]) != index.add([far])  # the same words three months later: another story
    # Nearly the same text is still enough across the gap.
    echo = _doc("c", "quake tsunami coast dead rescue", "sendai", "2026-03-20")
    assert index.add([echo]) == story_id(["a"])


def test_a_saga_does_not_chain_day_after_day_past_its_first_days() -> None:
    """Reports three days apart, each sharing two words with the rest: with the story's time its
    whole span (``span_days=0``) every report is within the window of the last one and the saga
    chains into one story; with the story's time its first ``span_days``, a month on, the same
    moderate evidence starts another."""
    days = [(date(2026, 3, 1) + timedelta(days=3 * n)).isoformat() for n in range(12)]
    docs = [_doc(f"d{n}", f"quake coast x{n}a x{n}b x{n}c x{n}d", "", day) for n, day in enumerate(days)]
    chained = StoryIndex(IDF, StoryConfig(span_days=0, size_step=0.0))
    anchored = StoryIndex(IDF, StoryConfig(size_step=0.0))
    for d in docs:
        chained.add([d])
        anchored.add([d])
    assert len(set(chained.assignment().values())) == 1
    got = anchored.assignment()
    assert got["d0"] == got["d1"] == got["d2"]  # within the story's first days
    assert got["d11"] != got["d0"]  # a month on, the same moderate evidence is not enough


def test_a_bigger_story_needs_more_evidence() -> None:
    index = StoryIndex(IDF)
    one = index.profile([_doc("a", "quake coast")])
    config = StoryConfig()
    small = index.profile([_doc(f"s{n}", "quake coast") for n in range(config.size_free)])
    big = index.profile([_doc(f"b{n}", "quake coast") for n in range(4 * config.size_free)])
    assert index.needed(one, small, config.join) == pytest.approx(config.join)
    assert index.needed(one, big, config.join) == pytest.approx(config.join + 2 * config.size_step)  # two doublings
    assert index.needed(big, one, config.merge) == index.needed(one, big, config.merge)


def test_bridging_document_merges_two_stories() -> None:
    cfg = StoryConfig(join=0.45, merge=0.3)
    index = StoryIndex(IDF, cfg)
    a = index.add([_doc("a", "quake tsunami coast", "sendai", "2026-03-01")])
    b = index.add([_doc("b", "rescue dead minister", "miyagi", "2026-03-01")])
    assert a != b
    c = index.add([_doc("c", "quake tsunami coast rescue dead minister", "sendai miyagi", "2026-03-02")])
    assert c == a and index.merged == [(a, b)]  # the story that started earlier keeps its id
    assert sorted(index.stories[a].members) == ["a", "b", "c"]


def test_leads_the_other_side_never_mentions_keep_two_events_apart() -> None:
    """One champion, two challengers: the same words and the champion's name, but each report's most
    mentioned name is a challenger the other report never names."""
    first = _doc("a", "title fight round knockout kovar kovar brannig brannig brannig", "kovar brannig arena")
    second = _doc("b", "title fight round knockout kovar kovar ostrel ostrel ostrel", "kovar ostrel arena")
    index = StoryIndex(IDF)
    assert index.lead(first) == ("brannig",) and index.lead(second) == ("ostrel",)
    pa, pb = index.profile([first]), index.profile([second])
    assert StoryIndex.strangers(pa, pb)
    assert index.score(pa, pb) == 0.0
    loose = StoryIndex(IDF, StoryConfig(strangers=False))
    assert loose.score(loose.profile([first]), loose.profile([second])) >= StoryConfig().join  # the rule decides here
    assert index.add([first]) != index.add([second])
    # A report naming both challengers is no stranger to either side; a name mentioned once is no lead.
    both = _doc("c", "title fight round knockout kovar kovar brannig brannig ostrel", "kovar brannig ostrel arena")
    assert not StoryIndex.strangers(index.profile([both]), pa)
    assert index.lead(_doc("d", "title fight brannig", "brannig")) == ()


def test_index_scores_only_stories_sharing_a_key() -> None:
    index = StoryIndex({})
    for n in range(300):  # 300 unrelated stories, each with words of its own
        index.add([_doc(f"x{n:03d}", f"w{n}a w{n}b w{n}c", f"name{n}")])
    before = index.scored
    sid = index.add([_doc("y", "w7a w7b w7c", "name7")])
    assert sid == story_id(["x007"])
    assert index.scored - before == 1  # one candidate scored, not 300
    assert len(index.stories) == 300


def test_index_scores_the_stories_sharing_most_keys_only() -> None:
    """300 look-alike stories share a word with the new document; it is scored against the
    ``max_candidates`` sharing the most keys with it, and lands in the one it belongs to."""
    index = StoryIndex({})
    for n in range(300):
        index.add([_doc(f"x{n:03d}", f"results w{n}a w{n}b w{n}c", f"name{n}")])
    before = index.scored
    sid = index.add([_doc("y", "results w7a w7b w7c", "name7")])
    assert sid == story_id(["x007"])
    assert index.scored - before == StoryConfig().max_candidates
    assert len(index.stories) == 300


def test_reuse_components_leave_same_story_and_derivative_to_level_2() -> None:
    s = Scores(0.0, None, 0.0, 0.0)
    pairs = [Pair("a", "b", "near_duplicate", "none", s), Pair("b", "c", "same_story", "none", s),
             Pair("c", "d", "contains", "a<-b", s), Pair("d", "e", "derivative", "a<-b", s)]
    assert reuse_components(["a", "b", "c", "d", "e"], pairs) == [["a", "b"], ["c", "d"], ["e"]]
    assert same_story_links(pairs) == [("b", "c"), ("d", "e")]


def test_assign_is_order_independent_and_ids_stay_when_stories_grow() -> None:
    docs = [
        _doc("a", "quake tsunami coast dead", "sendai", "2026-03-02"),
        _doc("b", "quake tsunami coast rescue", "sendai", "2026-03-01"),
        _doc("c", "vote party election budget", "kessary", "2026-03-02"),
        _doc("d", "strike port ferry minister", "sallow", "2026-03-04"),
        _doc("e", "strike port ferry", "sallow", "2026-03-05"),
    ]
    comps = [["a"], ["b"], ["c"], ["d", "e"]]
    ref = assign({d.id: d for d in docs}, comps, [], IDF)
    for seed in range(5):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        order = [c[::-1] for c in comps[::-1]]
        assert assign({d.id: d for d in shuffled}, order, [], IDF) == ref
    # b is the earliest member of its story: the id comes from it.
    assert ref["a"] == ref["b"] == story_id(["b"])
    # A second run adds documents: the stored stories keep their ids, the new ones join or start.
    more = docs + [_doc("f", "quake tsunami coast dead rescue", "sendai", "2026-02-27"),
                   _doc("g", "chess open tournament", "carrow", "2026-03-06")]
    second = assign({d.id: d for d in more}, comps + [["f"], ["g"]], [], IDF, prior=ref)
    assert {k: second[k] for k in ref} == ref
    assert second["f"] == ref["a"]  # earlier than the story's first member, yet the id stays
    assert second["g"] not in ref.values()


def test_link_bonus_from_same_story_pairs() -> None:
    a = _doc("a", "quake tsunami coast", "sendai", "2026-03-01")
    b = _doc("b", "rescue dead minister coast", "", "2026-03-01")
    cfg = StoryConfig(join=0.3, link_bonus=0.25)
    alone = assign({"a": a, "b": b}, [["a"], ["b"]], [], IDF, cfg)
    linked = assign({"a": a, "b": b}, [["a"], ["b"]], [("a", "b")], IDF, cfg)
    assert alone["a"] != alone["b"] and linked["a"] == linked["b"]


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError):
        StoryConfig(join=1.5)


def _sample_summaries() -> tuple[dict[str, DocSummary], dict[str, float]]:
    items = {}
    for d in read_inputs([CORPUS]):
        if isinstance(d, Document):
            cl = clean(d)
            _, sk, _ = prepare(d, cl, RunConfig())
            items[d.id] = (d, sk, title_words(d, cl))
    idf = idf_from_sketches(sk for _, sk, _ in items.values())
    return {i: summarize(i, d.published, sk, t) for i, (d, sk, t) in items.items()}, idf


def test_sample_corpus_independent_reports_join_their_wire_story() -> None:
    """Level 2 alone (no pairs at all) on the sample corpus: each independent report with its story,
    the topical negative (same names, 18 days earlier) apart."""
    summaries, idf = _sample_summaries()
    got = groups(assign(summaries, [[i] for i in sorted(summaries)], [], idf))
    story_of = {m: sid for sid, ms in got.items() for m in ms}
    assert story_of["portstrike_report_tidewatch"] == story_of["portstrike_origin_meridian"]
    assert story_of["recall_report_brannockcourier"] == story_of["recall_origin_northgate"]
    assert story_of["flood_report_tollbridgeobserver"] == story_of["flood_origin_meridian"]
    assert story_of["ferryorder_singleton_shippingjournal"] != story_of["portstrike_origin_meridian"]
    assert story_of["chess_singleton_boardgazette"] not in {story_of[x] for x in summaries if x.startswith(("port", "flood", "recall"))}


def _ecb_records(topics: tuple[int, ...]) -> list[dict[str, str]]:
    path = need(DATA / "ecbplus" / "ecbplus_dev.jsonl")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["topic"] in topics:
            out.append({"id": r["doc_id"], "text": (r["title"] + "\n\n" + r["text"]).strip(), "subtopic": r["subtopic"]})
    return out


def _write(path: Path, records: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in records), encoding="utf-8")


def test_pipeline_any_input_order_same_stories_and_ids(tmp_path: Path) -> None:
    records = _ecb_records((1, 3))
    runs = []
    for seed in (0, 1):
        recs = records[:]
        random.Random(seed).shuffle(recs)
        _write(tmp_path / f"in{seed}.jsonl", recs)
        rep = wiretrace.run([tmp_path / f"in{seed}.jsonl"], LEXICAL)
        runs.append(sorted((s.id, s.documents) for s in rep.stories))
    assert runs[0] == runs[1]
    # The two events of each topic stay apart: no story mixes subtopics of topic 1 and 3.
    sub = {r["id"]: r["subtopic"] for r in records}
    assert all(len({sub[d][0] for d in docs}) == 1 for _, docs in runs[0])


def test_one_champion_two_fights_are_two_stories(tmp_path: Path) -> None:
    """ECB+ topics 7 and 28: topic 7's two events are two title defences of one boxer against two
    challengers, sharing the champion, the belts and the vocabulary. Level 2 keeps every story within
    one event, and it is the leads rule that keeps topic 7's fights apart."""
    records = _ecb_records((7, 28))
    _write(tmp_path / "in.jsonl", records)
    sub = {r["id"]: r["subtopic"] for r in records}

    def mixed(config: RunConfig) -> set[str]:
        rep = wiretrace.run([tmp_path / "in.jsonl"], config)
        return {sub[d] for s in rep.stories if len({sub[d] for d in s.documents}) > 1 for d in s.documents}

    assert mixed(LEXICAL) == set()
    assert {"7ecb", "7ecbplus"} <= mixed(RunConfig(align=AlignConfig(semantic=False), stories=StoryConfig(strangers=False)))


def test_pipeline_second_run_keeps_story_ids(tmp_path: Path) -> None:
    records = _ecb_records((1,))
    random.Random(3).shuffle(records)
    half = len(records) // 2
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    _write(inbox / "a.jsonl", records[:half])
    first = wiretrace.run([inbox], LEXICAL, out=out)
    before = {d: s.id for s in first.stories for d in s.documents}
    _write(inbox / "b.jsonl", records[half:])
    second = wiretrace.run([inbox], LEXICAL, out=out)
    after = {d: s.id for s in second.stories for d in s.documents}
    assert {d: after[d] for d in before} == before
    assert len(after) == len(records)
    store = st.Store(out)
    try:
        assert store.assignments() == dict(sorted(after.items()))
        assert not store.ids_at_stage(st.RELATED)  # every document's story traced
    finally:
        store.close()


def test_compact_summaries_share_their_words() -> None:
    """Summaries unpickled on the Spark driver each hold their own copies of every word; compacted,
    equal words are one object and the summary is unchanged."""
    import pickle

    a = DocSummary("a", "2024-03-01", "h1", frozenset({"Corvo"}), {"harbour": 2, "strike": 1})
    b = pickle.loads(pickle.dumps(DocSummary("b", None, "h2", frozenset({"Corvo"}), {"harbour": 1})))
    ca, cb = compact(a), compact(b)
    assert (ca, cb) == (a, b)
    key_a = next(k for k in ca.topic if k == "harbour")
    key_b = next(k for k in cb.topic if k == "harbour")
    assert key_a is key_b
    assert next(iter(ca.names)) is next(iter(cb.names))


# --- real piles: banal words, big stories, headlines ----------------------------------------------
def _briefs(n: int) -> tuple[dict[str, DocSummary], dict[str, float]]:
    """``n`` dividend-style briefs: the same stock words, each about its own company (its name and
    ticker, in the headline words only), plus a corpus of other documents so the stock words are
    common ones."""
    from wiretrace.engine.pipeline import idf_from_counts

    summ = {}
    for i in range(n):
        company = f"firm{i:03d}"
        summ[f"b{i:03d}"] = DocSummary(f"b{i:03d}", "1999-04-01", f"h{i}", frozenset(),
                                       {"qtly": 1, "div": 2, "pay": 1, "record": 1, "prior": 1, company: 1, f"tkr{i:03d}": 1})
    df = {"qtly": n, "div": n, "pay": n + 40, "record": n + 80, "prior": n + 10}
    df.update({f"firm{i:03d}": 1 for i in range(n)})
    df.update({f"tkr{i:03d}": 1 for i in range(n)})
    return summ, idf_from_counts(df, 4 * n)


def test_briefs_sharing_only_banal_words_stay_apart() -> None:
    summ, idf = _briefs(120)
    comps = [[d] for d in sorted(summ)]
    sizes = sorted((len(m) for m in groups(assign(summ, comps, [], idf)).values()), reverse=True)
    assert sizes[0] == 1, sizes[:5]
    # the same briefs without the banality discount gather into one story: the mechanism is what keeps them apart
    loose = StoryConfig(banal_df=10**9, banal_share=1.0)
    assert max(len(m) for m in groups(assign(summ, comps, [], idf, loose)).values()) > 60


def test_a_brief_of_the_same_company_joins_through_its_name() -> None:
    summ, idf = _briefs(120)
    summ["again"] = DocSummary("again", "1999-04-02", "hx", frozenset(), {"qtly": 1, "div": 2, "firm007": 2, "tkr007": 1})
    story = assign(summ, [[d] for d in sorted(summ)], [], idf)
    assert story["again"] == story["b007"]


def _headline_briefs(n: int) -> dict[str, DocSummary]:
    """``n`` briefs whose bodies share only stock words and whose headlines (title words) share one
    word no body writes ("qtrly"), each about its own company; plus other documents."""
    summ = {f"b{i:03d}": DocSummary(f"b{i:03d}", "1999-04-01", f"h{i}", frozenset(),
                                    {"qtrly": 1, "div": 2, f"firm{i:03d}": 1}) for i in range(n)}
    for i in range(3 * n):  # the rest of the corpus: "div" is common, "qtrly" in no body
        summ[f"o{i:03d}"] = DocSummary(f"o{i:03d}", "1999-04-01", f"o{i}", frozenset(), {"div": 1, f"topic{i:03d}": 3})
    return summ


def test_level2_idf_counts_the_headline_words_level_2_compares() -> None:
    summ = _headline_briefs(120)
    # an idf of the bodies alone: the headline word is as rare as a word of no body
    body_df = {"div": 480, **{f"firm{i:03d}": 1 for i in range(120)}, **{f"topic{i:03d}": 1 for i in range(360)}}
    from wiretrace.engine.pipeline import idf_from_counts

    body_idf = idf_from_counts(body_df, 480)
    comps = [[d] for d in sorted(summ)]
    briefs = lambda a: max(len(m) for m in groups(a).values())  # noqa: E731
    one = StoryConfig(min_shared=1)  # this mechanism alone (one shared word is no story either)
    assert briefs(assign(summ, comps, [], body_idf, one)) > 60  # gathered through "qtrly"
    counts = level2_idf(summ.values())
    assert counts["qtrly"] < counts["firm001"]
    # the same weights, with the document counts read from the summaries: "qtrly" is a common word
    assert briefs(assign(summ, comps, [], body_idf, one, counts=counts)) == 1


def test_one_shared_word_does_not_make_a_story() -> None:
    """Briefs of one mould share one word of it that is not common in the corpus (a headline's
    abbreviation); each brief's subject is its own. Sharing one specific word is not an event."""
    summ = {f"q{i}": DocSummary(f"q{i}", "1999-04-01", f"h{i}", frozenset({"qtrly"}),
                                {"qtrly": 2, f"maker{i}": 1, f"town{i}": 1}) for i in range(12)}
    summ.update({f"o{i:03d}": DocSummary(f"o{i:03d}", "1999-04-01", f"o{i}", frozenset(), {f"topic{i:03d}": 2})
                 for i in range(300)})
    idf = level2_idf(summ.values())
    comps = [[d] for d in sorted(summ)]
    assert len({s for d, s in assign(summ, comps, [], idf).items() if d.startswith("q")}) == 12
    one = StoryConfig(min_shared=1)
    assert len({s for d, s in assign(summ, comps, [], idf, one).items() if d.startswith("q")}) == 1
    # two reports sharing two specific words (a person and a place) still make one
    summ["e1"] = DocSummary("e1", "1999-04-01", "he1", frozenset({"varga", "quayside"}), {"varga": 2, "quayside": 1, "fire": 1})
    summ["e2"] = DocSummary("e2", "1999-04-01", "he2", frozenset({"varga", "quayside"}), {"varga": 1, "quayside": 2, "blaze": 1})
    got = assign(summ, [[d] for d in sorted(summ)], [], level2_idf(summ.values()))
    assert got["e1"] == got["e2"]


def test_one_link_into_a_big_story_is_weak_evidence() -> None:
    index = StoryIndex(IDF)
    assert index.bonus(1, 1) == pytest.approx(StoryConfig().link_bonus)
    assert index.bonus(1, 100) == pytest.approx(StoryConfig().link_bonus / 10)
    assert index.bonus(10, 100) == pytest.approx(StoryConfig().link_bonus)
    assert index.bonus(0, 5) == 0.0


def test_headline_given_apart_from_the_text_counts_as_title_words() -> None:
    doc = Document("r1", "Qtly div 12 cts vs 12 cts prior\n    Pay June 14\n    Record May 30\n", "<r1>", "text",
                   title="ARDMORE TOOLWORKS SETS QUARTERLY")
    words = title_words(doc, clean(doc, LEXICAL.clean))
    assert words["ardmore"] == 1 and words["toolworks"] == 1

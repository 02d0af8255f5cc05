"""Level 2's quicker placing gives the plain computation's answers, to the bit, on real BBC articles:
each document's profile and index keys (made once from the same weights) equal the plain formulas'; the
candidate loop, with the bound and the score needed written out and the postings counted over story
numbers, places as the plain loop over ``upper``, ``needed`` and a ``Counter`` does (stories, profiles,
postings, stories scored), under several settings and with ids not of ``story_id``'s form; and the
profiles and keys made in worker processes (``build_index``'s ``own``) place as those made here."""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import pytest
from tests.test_stories_speed_paths import _bbc

from wiretrace.engine.executor import Env, LocalExecutor
from wiretrace.stories import (
    DocSummary,
    LazyStoryIndex,
    StoryConfig,
    StoryIndex,
    _Profile,
    _unit,
    build_index,
)
from wiretrace.stories_kept import profile_to_json


def _plain_profile(index: StoryIndex, docs: Sequence[DocSummary]) -> _Profile:
    """``StoryIndex.profile`` as it was written before (every document added to an empty profile)."""
    p = _Profile()
    get, rarest, log = index.idf.get, index.default_idf, math.log
    for d in docs:
        topic, pt = index._specific(_unit({k: (1.0 + log(c)) * get(k, rarest) for k, c in sorted(d.topic.items()) if c > 0}))
        names, pn = index._specific(_unit({k: get(k, rarest) for k in sorted(d.names)}))
        p.add(_Profile(topic, names, d.day, d.day, 1, dict.fromkeys(index.lead(d), 1), (pt, pn)))
    return p


def _plain_keys(index: StoryIndex, d: DocSummary) -> set[str]:
    c = index.config
    get, rarest, log = index.idf.get, index.default_idf, math.log
    terms = sorted(((-(1.0 + log(v)) * get(k, rarest), k) for k, v in d.topic.items() if v > 0))[: c.index_terms]
    names = sorted((-get(k, rarest), k) for k in d.names)[: c.index_names]
    return {"t:" + k for _, k in terms} | {"n:" + k for _, k in names}


class _PlainIndex(LazyStoryIndex):
    """The candidate loop as it was written before: ``upper`` and ``needed`` called per candidate, the
    keys a component shares counted with a ``Counter`` over the postings (``_numbered`` off)."""

    def __init__(self, *a: object, **k: object) -> None:
        super().__init__(*a, **k)  # type: ignore[arg-type]
        self._numbered = False

    def add(self, docs: Sequence[DocSummary], linked: Iterable[str] = (), apart: Iterable[str] = ()) -> str:
        linked = set(linked)
        for d in docs:
            if d.id in self.story_of:
                self._ready(self.story_of[d.id])
        found = self.candidates(docs, linked)
        for sid in found:
            self._ready(sid)
        docs = sorted(docs, key=lambda d: d.key)
        prior = sorted({self.story_of[d.id] for d in docs if d.id in self.story_of}, key=lambda s: self.stories[s].key)
        fresh = [d for d in docs if d.id not in self.story_of]
        prof = _plain_profile(self, fresh)
        if prior:
            story = self.stories[prior[0]]
            for gone in prior[1:]:
                story = self._merge(story, self.stories[gone])
            self._extend(story, fresh, prof)
            return story.id
        linked_members: Counter[str] = Counter(self.story_of[x] for x in linked if x in self.story_of)
        other_events = {self.story_of[x] for x in apart if x in self.story_of}
        scored = []
        for sid in found:
            if sid in other_events:
                continue
            s = self.stories[sid]
            self.scored += 1
            lm = linked_members.get(sid, 0)
            bonus, need = self.bonus(lm, s.profile.n) if lm else 0.0, self.needed(prof, s.profile, self.config.join)
            if self.upper(prof, s.profile) + bonus < need:
                continue
            if not bonus and not self.shares_enough(prof, s.profile):
                continue
            sc = self.score(prof, s.profile) + bonus
            if sc >= need:
                scored.append((-sc, s.key, sid))
        return self._settle(docs, prof, scored, other_events)  # the part after the loop, unchanged


def _state(index: StoryIndex) -> str:
    """Everything placing left, floats by their repr (bit for bit)."""
    if isinstance(index, LazyStoryIndex):
        index.ready_all()
    stories = {sid: (s.key, s.members, sorted(s.keys), profile_to_json(s.profile), s.profile.norms())
               for sid, s in sorted(index.stories.items())}
    postings = {k: sorted(v) for k, v in sorted(index.postings.items()) if v}
    return repr((index.assignment(), stories, postings, index.scored, index.merged))


def test_own_profile_and_keys_are_the_plain_formulas() -> None:
    summaries, idf, _ = _bbc()
    index = StoryIndex(idf, StoryConfig())
    docs = [summaries[i] for i in sorted(summaries)]
    for d in docs:
        assert set(index.keys_of(d)) == _plain_keys(index, d)
        assert repr(profile_to_json(index.profile([d]))) == repr(profile_to_json(_plain_profile(index, [d])))
    for n in range(0, 60, 7):  # several documents at once: summed in the same order
        got, want = index.profile(docs[n : n + 5]), _plain_profile(index, docs[n : n + 5])
        assert repr(profile_to_json(got)) == repr(profile_to_json(want)) and got.norms() == want.norms()
    # made before the keys (a profile keeps the keys it made from the same weights) or after them
    fresh = StoryIndex(idf, StoryConfig())
    for d in docs[:50]:
        fresh.profile([d])
        assert set(fresh.keys_of(d)) == _plain_keys(index, d)


@pytest.mark.parametrize("config", [
    StoryConfig(join=0.15),
    StoryConfig(join=0.15, max_candidates=5, span_days=0),  # the cap reached (ties by id), the whole span
    StoryConfig(join=0.1, strangers=False, size_free=2, max_postings=30),
])
def test_candidate_loop_places_as_the_plain_one(config: StoryConfig) -> None:
    summaries, idf, category = _bbc()
    ids = sorted(summaries)
    links = [(a, b) for a, b in zip(ids[::7], ids[3::7], strict=False) if category[a] == category[b]]
    apart = [(a, b) for a, b in zip(ids[1::9], ids[5::9], strict=False) if category[a] != category[b]]
    comps = [[i] for i in ids]
    comps[0:6] = [ids[0:3], ids[3:6]]  # components of several documents (as reuse pairs make them)
    quick = build_index(summaries, comps, links, idf, config, None, apart, LazyStoryIndex)
    plain = build_index(summaries, comps, links, idf, config, None, apart, _PlainIndex)
    assert _state(quick) == _state(plain)
    assert len(quick.stories) < len(ids) - 10 and quick.scored > 1000  # joins happened, many scored


def test_numbered_candidates_with_ids_of_another_form() -> None:
    """Stories loaded under ids that are not ``story_id``'s (their order is not their hex digits'): the
    ties of the candidate cap are broken by the ids as strings, as the ``Counter`` path does."""
    summaries, idf, _ = _bbc()
    ids = sorted(summaries)
    prior = {d: f"story-{n % 97:03d}-{d[-3:]}" for n, d in enumerate(ids[:200])}
    config = StoryConfig(join=0.15, max_candidates=3)
    quick = build_index(summaries, [[i] for i in ids], [], idf, config, prior, (), LazyStoryIndex)
    plain = build_index(summaries, [[i] for i in ids], [], idf, config, prior, (), _PlainIndex)
    assert _state(quick) == _state(plain)
    assert any(sid.startswith("story-") for sid in quick.stories)


def _own_batch(shared: tuple[dict[str, float], StoryConfig], batch: list[DocSummary], env: Env) -> list[tuple[_Profile, frozenset[str]]]:
    idf, config = shared
    return StoryIndex(idf, config).own_parts(batch)


def test_profiles_made_in_workers_place_as_those_made_here() -> None:
    summaries, idf, category = _bbc()
    ids = sorted(summaries)
    links = [(a, b) for a, b in zip(ids[::7], ids[3::7], strict=False) if category[a] == category[b]]
    config = StoryConfig(join=0.15)
    prior = {d: s for d, s in build_index({i: summaries[i] for i in ids[:150]}, [[i] for i in ids[:150]], links, idf,
                                           config).assignment().items()}
    comps = [[i] for i in ids]
    here = _state(build_index(summaries, comps, links, idf, config, prior, (), LazyStoryIndex))
    asked: list[int] = []

    def roundtrip(fresh: list[DocSummary]) -> Iterator[list[tuple[_Profile, frozenset[str]]]]:
        asked.append(len(fresh))
        for n in range(0, len(fresh), 64):  # as a worker gives them: made from copies, pickled back
            yield pickle.loads(pickle.dumps(_own_batch((idf, config), pickle.loads(pickle.dumps(fresh[n : n + 64])), None)))  # type: ignore[arg-type]

    assert _state(build_index(summaries, comps, links, idf, config, prior, (), LazyStoryIndex, None, roundtrip)) == here
    assert asked == [len(ids) - 150]  # the documents not placed before, once each
    if sys.platform.startswith("linux"):  # real worker processes (the local executor's)
        with LocalExecutor(2) as ex:
            def in_workers(fresh: list[DocSummary]) -> Iterator[list[tuple[_Profile, frozenset[str]]]]:
                return ex.map(_own_batch, (fresh[n : n + 40] for n in range(0, len(fresh), 40)), (idf, config))

            assert _state(build_index(summaries, comps, links, idf, config, prior, (), LazyStoryIndex, None, in_workers)) == here
            assert ex.worker_cpu > 0.0

"""Level 2 of the stories kept between runs: the story index read for what a batch reaches.

``StoryIndex`` holds every story's profile (summed unit vectors of its members' words and names, time
span, leads), its index keys and the postings (index key -> stories). Built from every stored document
at each run, that costs time in proportion to the store: every document's keys and the profile of every
story a new component reaches are computed again, since both depend on the idf of the moment, which
each new document changes. ``KeptStoryIndex`` reads them instead from a ``Backing`` (the store's tables,
``engine.story_state``), for the stories a batch's components reach, and reports what it changed so
that the backing writes those stories back: placing k new documents costs time in proportion to k.

What is kept is what a long-running process holding one ``StoryIndex`` would hold: a document's
contribution to its story's profile, and its index keys, are made once, with the idf and the counts of
the run that placed it, and not made again when later documents change them. Placements read the
current idf and counts for the new components and for which keys are banal (``StoryIndex._banal``), as
before; a run over an empty store (or a rebuilt index: ``engine.story_state``) gives exactly
``stories.assign``'s stories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from wiretrace.stories import DocSummary, StoryConfig, StoryIndex, _Profile, _Story

TopicLoader = Callable[[], dict[str, float]]  # a kept story's content words, read when needed


def profile_to_json(p: _Profile) -> dict[str, Any]:
    """A profile as JSON (floats round-trip exactly)."""
    return {"t": p.topic, "n": p.names, "f": p.first, "l": p.last, "c": p.n, "d": p.leads, "p": list(p.private)}


def profile_from_json(d: Mapping[str, Any]) -> _Profile:
    return _Profile(dict(d["t"]), dict(d["n"]), d["f"], d["l"], int(d["c"]), dict(d["d"]), (float(d["p"][0]), float(d["p"][1])))


class Backing(Protocol):
    """Where the kept index lives (``engine.story_state.StoreBacking``): read what a run reaches."""

    def story(self, sid: str) -> tuple[tuple[str, str, str], _Profile, set[str]] | None:
        """(the key of the member it started from, profile, index keys) of a kept story; None if none."""
        ...

    def members(self, sid: str) -> list[str]:
        """The documents placed in story ``sid`` (sorted)."""
        ...

    def holders(self, key: str) -> set[str]:
        """The kept stories holding index key ``key``."""
        ...

    def placed(self, ids: Iterable[str]) -> dict[str, str]:
        """Document -> story of those of ``ids`` placed in a kept story."""
        ...

    def stories_of_ids(self, sids: Iterable[str]) -> dict[str, tuple[tuple[str, str, str], _Profile, set[str], TopicLoader]]:
        """``story`` for many ids at once (those the backing has), each profile's content words left
        unread: its ``topic`` empty, its ``_norms`` set as the whole profile gives them, and a loader
        that makes the topic."""
        ...

    def holders_of(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """``holders`` for many keys at once (every key asked, an empty set where none holds it)."""
        ...


class _Stories(dict[str, _Story]):
    """Story id -> story: the kept ones read from the backing on first use (none twice)."""

    def __init__(self, backing: Backing) -> None:
        super().__init__()
        self.backing = backing
        self.absent: set[str] = set()  # ids the backing has no story for, or deleted in this run
        self.unread: dict[int, tuple[_Profile, TopicLoader]] = {}  # id(profile) -> its topic's loader

    def _load(self, sid: str) -> _Story | None:
        if dict.__contains__(self, sid):
            return dict.__getitem__(self, sid)
        if sid in self.absent:
            return None
        got = self.backing.story(sid)
        if got is None:
            self.absent.add(sid)
            return None
        key, prof, keys = got
        s = _Story(sid, key, [], prof, keys)
        dict.__setitem__(self, sid, s)
        return s

    def fetch(self, sids: Iterable[str]) -> None:
        """Read the kept stories of ``sids`` not read yet in one go (what ``_load`` would read one by one)."""
        todo = sorted({sid for sid in sids if not dict.__contains__(self, sid) and sid not in self.absent})
        if not todo:
            return
        got = self.backing.stories_of_ids(todo)
        for sid in todo:
            if sid in got:
                key, prof, keys, topic = got[sid]
                self.unread[id(prof)] = (prof, topic)
                dict.__setitem__(self, sid, _Story(sid, key, [], prof, keys))
            else:
                self.absent.add(sid)

    def ready(self, *profiles: _Profile) -> None:
        """Read the content words of these profiles where they were left unread."""
        for p in profiles:
            got = self.unread.pop(id(p), None)
            if got is not None:
                p.topic = got[1]()
                p._sorted_topic = None  # sorted before with no content words (``upper`` reads the names only)

    def __getitem__(self, sid: str) -> _Story:
        s = self._load(sid)
        if s is None:
            raise KeyError(sid)
        return s

    def get(self, sid: str, default: Any = None) -> Any:  # type: ignore[override]
        s = self._load(sid)
        return default if s is None else s

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self._load(sid) is not None

    def __setitem__(self, sid: str, s: _Story) -> None:
        self.absent.discard(sid)
        dict.__setitem__(self, sid, s)

    def __delitem__(self, sid: str) -> None:
        dict.__delitem__(self, sid)
        self.absent.add(sid)


class _Placed(dict[str, str]):
    """Document -> story: the kept assignment read for the documents asked about, and what this run set."""

    def __init__(self, backing: Backing) -> None:
        super().__init__()
        self.backing = backing
        self.asked: set[str] = set()
        self.changed: dict[str, str] = {}

    def fetch(self, ids: Iterable[str]) -> None:
        todo = sorted({i for i in ids if i not in self.asked})
        if todo:
            self.asked.update(todo)
            for d, s in self.backing.placed(todo).items():
                dict.__setitem__(self, d, s)

    def __contains__(self, d: object) -> bool:
        if isinstance(d, str):
            self.fetch([d])
        return dict.__contains__(self, d)

    def __getitem__(self, d: str) -> str:
        self.fetch([d])
        return dict.__getitem__(self, d)

    def get(self, d: str, default: Any = None) -> Any:  # type: ignore[override]
        self.fetch([d])
        return dict.get(self, d, default)

    def __setitem__(self, d: str, s: str) -> None:
        self.asked.add(d)
        self.changed[d] = s
        dict.__setitem__(self, d, s)


class _Postings(dict[str, set[str]]):
    """Index key -> stories, read from the backing on first use; ``before`` keeps what was read."""

    def __init__(self, backing: Backing) -> None:
        super().__init__()
        self.backing = backing
        self.before: dict[str, frozenset[str]] = {}

    def __missing__(self, key: str) -> set[str]:
        got = self.backing.holders(key)
        self.before[key] = frozenset(got)
        dict.__setitem__(self, key, got)
        return got

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]

    def fetch(self, keys: Iterable[str]) -> None:
        """Read the holders of the keys not read yet in one go (what ``__missing__`` reads one by one)."""
        todo = sorted({k for k in keys if not dict.__contains__(self, k)})
        if todo:
            for key, got in self.backing.holders_of(todo).items():
                self.before[key] = frozenset(got)
                dict.__setitem__(self, key, got)

    def changes(self) -> Iterator[tuple[str, set[str], set[str]]]:
        """(key, stories added, stories removed) for each key whose holders changed."""
        for key in sorted(self):
            now, was = dict.__getitem__(self, key), self.before.get(key, frozenset())
            if now != was:
                yield key, now - was, set(was - now)


class KeptStoryIndex(StoryIndex):
    """A ``StoryIndex`` over a ``Backing``: stories, postings and the assignment read as ``add`` reaches
    them; ``changed_stories``, ``gone_stories``, ``kept_postings.changes`` and ``moved`` are what to write back."""

    def __init__(
        self, idf: Mapping[str, float], backing: Backing, config: StoryConfig | None = None,
        counts: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(idf, config, counts)
        self.backing = backing
        self.kept_stories = _Stories(backing)
        self.stories = self.kept_stories
        self.placed = _Placed(backing)
        self.kept_postings = _Postings(backing)
        self.story_of = self.placed
        self.postings = self.kept_postings
        self._numbered = False  # the postings are read from the backing as keys are reached: counted by id
        self.changed_stories: set[str] = set()
        self._full: set[str] = set()  # stories whose ``members`` list is complete (read or started here)

    def _members(self, s: _Story) -> None:
        if s.id not in self._full:
            self._full.add(s.id)
            s.members[:0] = self.backing.members(s.id)

    def _start(self, docs: Any, prof: _Profile, sid: str | None = None) -> _Story:
        s = super()._start(docs, prof, sid)
        self._full.add(s.id)
        return s

    # A kept story's content words are read when something needs them: a score beyond the names
    # (``shares_enough``, ``score``), or a change to its profile.
    def shares_enough(self, a: _Profile, b: _Profile) -> bool:
        self.kept_stories.ready(a, b)
        return super().shares_enough(a, b)

    def score(self, a: _Profile, b: _Profile) -> float:
        self.kept_stories.ready(a, b)
        return super().score(a, b)

    def _extend(self, s: _Story, docs: Any, prof: _Profile) -> None:
        self.kept_stories.ready(s.profile, prof)
        super()._extend(s, docs, prof)
        self.changed_stories.add(s.id)

    def _merge(self, keep: _Story, gone: _Story) -> _Story:
        self.kept_stories.ready(keep.profile, gone.profile)
        self._members(keep)
        self._members(gone)
        out = super()._merge(keep, gone)
        self.changed_stories.add(out.id)
        return out

    def candidates(self, docs: Any, linked: Iterable[str]) -> list[str]:
        """As ``StoryIndex.candidates``, the postings of the keys and then the stories found read in one
        go each (the backing does not change during a run: the same as reading them one by one)."""
        self.kept_postings.fetch(set().union(*(self.keys_of(d) for d in docs)) if docs else ())
        out = super().candidates(docs, linked)
        self.kept_stories.fetch(out)
        return out

    def add(self, docs: Any, linked: Iterable[str] = (), apart: Iterable[str] = ()) -> str:
        linked, apart = set(linked), set(apart)
        self.placed.fetch([d.id for d in docs] + sorted(linked | apart))
        self.kept_stories.fetch(sorted({self.placed[d.id] for d in docs if d.id in self.placed} | {self.placed[x] for x in linked | apart if x in self.placed}))
        return super().add(docs, linked, apart)

    def gone_stories(self) -> list[str]:
        return sorted(gone for _, gone in self.merged if gone not in self.stories)

    def moved(self) -> dict[str, str]:
        """Document -> story of every document this run placed or moved."""
        return dict(sorted(self.placed.changed.items()))


def place(index: KeptStoryIndex, components: Iterable[list[DocSummary]], linked: Mapping[str, set[str]],
          apart: Mapping[str, set[str]]) -> None:
    """Place components (sorted by their earliest member, as ``stories.assign`` does) in the kept index."""
    todo = [sorted(c, key=lambda d: d.key) for c in components if c]
    index.kept_postings.fetch({k for docs in todo for d in docs for k in index.keys_of(d)})  # every key the components hold, in one go
    for docs in sorted(todo, key=lambda ds: ds[0].key):
        index.add(docs, set().union(*(linked.get(d.id, set()) for d in docs)), set().union(*(apart.get(d.id, set()) for d in docs)))

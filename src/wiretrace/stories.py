"""Stories: group related documents into stories (events).

A story is a connected component of the relation graph. Components are found with a union-find
that is updated pair by pair, so adding documents extends or merges stories without recomputing
the corpus. A story's id is derived from its smallest member id (a content-independent, order-
independent choice), so the same input gives the same ids in any order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import xxhash

from .model import Pair


@dataclass(slots=True)
class UnionFind:
    parent: dict[str, str] = field(default_factory=dict)

    def add(self, x: str) -> None:
        self.parent.setdefault(x, x)

    def find(self, x: str) -> str:
        self.add(x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            # The smaller id becomes the root: roots do not depend on the order of unions.
            lo, hi = (rx, ry) if rx < ry else (ry, rx)
            self.parent[hi] = lo


def story_id(members: Iterable[str]) -> str:
    return "s-" + xxhash.xxh64_hexdigest(min(members).encode("utf-8"))[:12]


def group(doc_ids: Iterable[str], pairs: Iterable[Pair]) -> dict[str, list[str]]:
    """Story id -> sorted member ids; every document belongs to exactly one story."""
    uf = UnionFind()
    for d in doc_ids:
        uf.add(d)
    for p in pairs:
        uf.union(p.a, p.b)
    comps: dict[str, list[str]] = defaultdict(list)
    for d in uf.parent:
        comps[uf.find(d)].append(d)
    return {story_id(m): sorted(m) for m in comps.values()}

"""Connected components on Spark by alternating large-star and small-star rounds.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): each round is two
shuffles over the edge list, no vertex set is ever gathered on one machine, and the number of rounds
grows with the logarithm of the component size, not its diameter. Edges are kept as
``(child, parent)`` with ``parent < child``; when every node has one parent and no parent has one,
the edges are stars and each parent is the smallest id of its component, the node the local
union-find makes the root. These are the level-1 (reuse) components of ``stories``; level 2 runs on
the driver over them (``stories.assign``), so both engines give the same stories and ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from wiretrace import errors

if TYPE_CHECKING:
    from pyspark import RDD

Edge = tuple[str, str]  # (child, parent), parent < child


def _both_ways(e: Edge) -> Iterator[Edge]:
    yield e
    yield e[1], e[0]


def _large_star(kv: tuple[str, Iterable[str]]) -> Iterator[Edge]:
    """Hang every larger neighbour of ``u`` on the smallest node of ``u``'s neighbourhood."""
    u, neighbours = kv
    ns = set(neighbours)
    m = min(min(ns), u)
    for v in ns:
        if v > u:
            yield v, m


def _small_star(kv: tuple[str, Iterable[str]]) -> Iterator[Edge]:
    """Hang ``u`` and its smaller neighbours on the smallest of them."""
    u, smaller = kv
    ns = set(smaller)
    ns.add(u)
    m = min(ns)
    for v in ns:
        if v != m:
            yield v, m


def _oriented(e: Edge) -> Edge:
    return (e[0], e[1]) if e[0] > e[1] else (e[1], e[0])


def _roles(e: Edge) -> Iterator[tuple[str, tuple[int, int]]]:
    yield e[0], (1, 0)  # a child, with one more parent
    yield e[1], (0, 1)  # a parent


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def _not_star(kv: tuple[str, tuple[int, int]]) -> bool:
    parents, children = kv[1]
    return parents > 1 or (parents > 0 and children > 0)


def components(edges: RDD[tuple[str, str]], partitions: int, max_rounds: int = 100) -> RDD[Edge]:
    """``(node, smallest node of its component)`` for every node on an edge (the smallest excluded)."""
    current = edges.filter(lambda e: e[0] != e[1]).map(_oriented).distinct(partitions).persist()
    for _ in range(max_rounds):
        large = current.flatMap(_both_ways).groupByKey(partitions).flatMap(_large_star)
        small = large.map(_oriented).groupByKey(partitions).flatMap(_small_star).distinct(partitions).persist()
        done = small.flatMap(_roles).reduceByKey(_add, partitions).filter(_not_star).isEmpty()
        current.unpersist()
        current = small
        if done:
            return current
    raise errors.spark_no_convergence(max_rounds)

"""The embedding path of the candidates: each document's nearest documents by static vector.

Paraphrases and rewrites share few word 5-grams and may share few rare names, so the lexical paths
(``candidates``) can miss them. Here every document's body gets a static vector (``static``), and each
document is paired with its ``k`` nearest documents whose cosine reaches a floor; such a pair's reason
is ``embedding``. Only the pairs found this way meet the transformer, in alignment.

The search is exact (a blocked matrix product over the vectors in sorted id order) up to
``exact_max_docs`` documents: the same pairs for any input order or engine, and fast enough there
(21k documents x 256 dimensions in a few CPU seconds). Above that it is faiss HNSW, built in sorted id
order with fixed parameters on one thread, so still deterministic, but approximate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from wiretrace.model import Cleaned, Document

_BLOCK = 1024  # query rows per matrix product


def body_text(doc: Document, cleaned: Cleaned) -> str:
    """What the static vector is taken of: the cleaned body, its blocks joined by line breaks."""
    return "\n".join(doc.text[s:e] for s, e in cleaned.body)


def nearest(vecs: np.ndarray, queries: np.ndarray, k: int, floor: float, exact_max_docs: int) -> list[list[tuple[int, float]]]:
    """For each query row index, up to ``k`` other rows with cosine >= ``floor``, best first (ties by row)."""
    n = len(vecs)
    if n < 2 or k < 1 or len(queries) == 0:
        return [[] for _ in queries]
    kk = min(k + 1, n)  # the query itself is among its own nearest
    if n <= exact_max_docs:
        out: list[list[tuple[int, float]]] = []
        for s in range(0, len(queries), _BLOCK):
            q = queries[s : s + _BLOCK]
            sims = vecs[q] @ vecs.T
            sims[np.arange(len(q)), q] = -np.inf
            out += _best_over_floor(sims, k, floor)
        return out
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexHNSWFlat(vecs.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.hnsw.efSearch = max(64, 2 * kk)
    index.add(np.ascontiguousarray(vecs, dtype=np.float32))
    dist, idx = index.search(np.ascontiguousarray(vecs[queries], dtype=np.float32), kk)
    sims_idx = [
        sorted(((int(i), float(d)) for i, d in zip(ri, rd, strict=True) if i >= 0 and i != q), key=lambda x: (-x[1], x[0]))
        for q, ri, rd in zip(queries.tolist(), idx, dist, strict=True)
    ]
    return [[(j, c) for j, c in row if c >= floor][:k] for row in sims_idx]


def _best_over_floor(sims: np.ndarray, k: int, floor: float) -> list[list[tuple[int, float]]]:
    """For each row of ``sims``, up to ``k`` columns with a value >= ``floor``, best first, ties by
    column: only the cells over the floor are sorted (a few per row), and a row with many over it is
    first cut at its k-th best value (ties at that value kept, so the order decides them)."""
    mask = sims >= floor
    heavy = np.flatnonzero(mask.sum(axis=1) > 4 * k)
    if len(heavy):
        kth = -np.partition(-sims[heavy], k - 1, axis=1)[:, k - 1]
        mask[heavy] &= sims[heavy] >= kth[:, None]
    rows, cols = np.nonzero(mask)
    vals = sims[rows, cols]
    order = np.lexsort((cols, -vals, rows))  # by row, best first, ties by column
    rows, cols, vals = rows[order], cols[order], vals[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    out: list[list[tuple[int, float]]] = [[] for _ in range(len(sims))]
    for r, c, v in zip(rows[rank < k].tolist(), cols[rank < k].tolist(), vals[rank < k].tolist(), strict=True):
        out[r].append((c, v))
    return out


def embedding_pairs(
    vectors: Mapping[str, np.ndarray], doc_ids: Iterable[str], k: int, floor: float, exact_max_docs: int
) -> dict[tuple[str, str], float]:
    """Pairs ``(min id, max id) -> cosine`` between each of ``doc_ids`` and its nearest documents.

    Documents whose vector is zero (no known token) take no part. The result depends only on the
    vectors and the settings, never on the order of either argument.
    """
    ids = sorted(i for i, v in vectors.items() if np.any(v))
    if not ids:
        return {}
    pos = {d: n for n, d in enumerate(ids)}
    mat = np.stack([vectors[d] for d in ids]).astype(np.float32, copy=False)
    queries = np.array(sorted({pos[d] for d in doc_ids if d in pos}), dtype=np.int64)
    out: dict[tuple[str, str], float] = {}
    for q, row in zip(queries.tolist(), nearest(mat, queries, k, floor, exact_max_docs), strict=True):
        for j, c in row:
            a, b = ids[q], ids[j]
            out[(a, b) if a < b else (b, a)] = round(c, 4)
    return out

"""The Parquet tables a Spark run writes beside the report: documents, pairs, passages, stories.

The columns follow the report contract (``wiretrace.report/1``); offsets are ``[start, end)``
characters of ``documents.text``, the raw text as read. Tables are written by the executors, so
``--out`` (or ``WIRETRACE_SPARK_TABLES``) must be a path every executor can write to on a cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wiretrace.engine.pipeline import Prepared
from wiretrace.model import Pair, Story

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

PairKey = tuple[str, str]


def _schemas() -> dict[str, Any]:
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    def struct(*fields: tuple[str, Any, bool]) -> StructType:
        return StructType([StructField(n, t, nullable) for n, t, nullable in fields])

    s, i, d = StringType(), IntegerType(), DoubleType()
    span = struct(("start", i, False), ("end", i, False))
    removed = struct(("start", i, False), ("end", i, False), ("kind", s, False))
    strings = ArrayType(s, False)
    edge = struct(
        ("child", s, False), ("parent", s, False), ("relation", s, False), ("evidence", strings, False),
        ("direction", s, False),
    )
    summary_line = struct(
        ("document", s, False), ("start", i, False), ("end", i, False), ("sources", strings, False), ("score", d, False)
    )
    doc_spans = struct(("document", s, False), ("spans", ArrayType(span, False), False))
    return {
        "documents": struct(
            ("id", s, False), ("source", s, True), ("url", s, True), ("title", s, True), ("published", s, True),
            ("chars", i, False), ("format", s, False), ("encoding", s, False), ("path", s, False), ("text", s, False),
            ("body", ArrayType(span, False), False), ("removed", ArrayType(removed, False), False),
        ),
        "pairs": struct(
            ("a", s, False), ("b", s, False), ("relation", s, False), ("direction", s, False), ("lexical", d, False),
            ("semantic", d, True), ("a_covered", d, False), ("b_covered", d, False), ("passages", i, False),
            ("reasons", strings, False),
        ),
        "passages": struct(
            ("a", s, False), ("b", s, False), ("n", i, False), ("a_start", i, False), ("a_end", i, False),
            ("b_start", i, False), ("b_end", i, False), ("kind", s, False), ("score", d, False),
        ),
        "stories": struct(
            ("id", s, False), ("title", s, False), ("documents", strings, False), ("origin", s, True),
            ("edges", ArrayType(edge, False), False), ("canonical", doc_spans, True),
            ("additions", ArrayType(doc_spans, False), False), ("origin_evidence", strings, False),
            ("headline", s, False), ("headline_source", s, True), ("summary", ArrayType(summary_line, False), False),
        ),
    }


def document_row(item: Prepared) -> tuple:
    d, c = item.doc, item.cleaned
    body = [(s, e) for s, e in c.body]
    removed = [(r.start, r.end, str(r.kind)) for r in c.removed]
    return (d.id, d.source, d.url, d.title, d.published, len(d.text), str(d.format), d.encoding, d.path, d.text, body, removed)


def pair_row(kv: tuple[PairKey, Pair]) -> tuple:
    p = kv[1]
    s = p.scores
    return (
        p.a, p.b, str(p.relation), str(p.direction), float(s.lexical), None if s.semantic is None else float(s.semantic),
        float(s.a_covered), float(s.b_covered), len(p.passages), list(p.reasons),
    )


def passage_rows(kv: tuple[PairKey, Pair]) -> Iterator[tuple]:
    p = kv[1]
    for n, q in enumerate(p.passages):
        yield (p.a, p.b, n, q.a[0], q.a[1], q.b[0], q.b[1], str(q.kind), float(q.score))


def story_row(st: Story) -> tuple:
    canonical = (st.canonical.document, list(st.canonical.spans)) if st.canonical else None
    return (
        st.id, st.title, list(st.documents), st.origin,
        [(e.child, e.parent, str(e.relation), list(e.evidence), str(e.direction)) for e in st.edges], canonical,
        [(a.document, list(a.spans)) for a in st.additions], list(st.origin_evidence),
        st.headline, st.headline_source,
        [(x.document, x.span[0], x.span[1], list(x.sources), float(x.score)) for x in st.summary],
    )


def write_tables(
    spark: SparkSession, where: str, items: RDD[tuple[str, Prepared]], pairs: RDD[tuple[PairKey, Pair]],
    stories: RDD[Story],
) -> dict[str, str]:
    """Write the four tables under ``where`` (overwriting); return table name -> path."""
    schemas = _schemas()
    rows = {
        "documents": items.values().map(document_row),
        "pairs": pairs.map(pair_row),
        "passages": pairs.flatMap(passage_rows),
        "stories": stories.map(story_row),
    }
    out = {}
    for name, rdd in rows.items():
        path = f"{where.rstrip('/')}/{name}"
        spark.createDataFrame(rdd, schemas[name]).write.mode("overwrite").parquet(path)
        out[name] = path
    return out

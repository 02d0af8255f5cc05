"""The Spark engine's parts on their own: ingest rules (duplicates, bad lines, Parquet) equal to the
local reader's, and connected components equal to the local union-find."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from wiretrace.engine.spark_jobs.components import components
from wiretrace.engine.spark_jobs.ingest import read_documents, restore_uri
from wiretrace.errors import EngineError, NoInputError
from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.model import Document, Skipped
from wiretrace.stories import UnionFind

LINES = [
    {"id": "a1", "text": "First wire story.\n\nIt has two paragraphs.", "title": "First", "published": "2024-03-01"},
    {"id": "b2", "html": "<html><body><article><p>An HTML page given inline, with a paragraph.</p></article></body></html>"},
    {"id": "a1", "text": "A later line with the same id is skipped."},
    {"text": "no id"},
    {"id": 7, "text": "An integer id."},
]


def _write_inputs(folder: Path) -> list[Path]:
    body = "\n".join(json.dumps(r) for r in LINES[:3]) + "\n{not json\n\n" + "\n".join(json.dumps(r) for r in LINES[3:]) + "\n"
    (folder / "feed.jsonl").write_text(body, encoding="utf-8")
    (folder / "a1.txt").write_text("A text file read before the JSONL, so its id wins.\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "notes.csv").write_text("x,y\n", encoding="utf-8")
    return [folder]


def _local(paths: list[Any]) -> tuple[dict[str, Document], list[Skipped]]:
    docs, skipped = {}, {}
    for item in read_inputs(paths):
        if isinstance(item, Skipped):
            skipped[item.path] = item
        else:
            docs[item.id] = item
    return docs, [skipped[p] for p in sorted(skipped)]


def test_ingest_rules_equal_the_local_reader(spark: Any, tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    want_docs, want_skipped = _local(paths)
    rdd, skipped, n = read_documents(spark, paths, IngestConfig(), partitions=3)
    got = dict(rdd.collect())
    rdd.unpersist()
    assert got == want_docs and n == len(want_docs) == 3
    assert skipped == want_skipped
    assert any("duplicate id 'a1'" in s.reason for s in skipped)


def test_parquet_rows_read_as_jsonl_records(spark: Any, tmp_path: Path) -> None:
    rows = [r for r in LINES if "id" in r][:2] + [LINES[4]]
    spark.createDataFrame([(str(r["id"]), r.get("text"), r.get("html"), r.get("title")) for r in rows],
                          "id string, text string, html string, title string").write.parquet(str(tmp_path / "pages.parquet"))
    (tmp_path / "same.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    want, _ = _local([tmp_path / "same.jsonl"])
    rdd, skipped, n = read_documents(spark, [tmp_path / "pages.parquet"], IngestConfig(), partitions=2)
    got = dict(rdd.collect())
    rdd.unpersist()
    assert skipped == [] and n == 3
    assert {i: (d.text, d.title, d.format) for i, d in got.items()} == {i: (d.text, d.title, d.format) for i, d in want.items()}


def test_nothing_readable_is_an_error(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(NoInputError):
        read_documents(spark, [tmp_path], IngestConfig(), partitions=2)


def test_components_equal_union_find(spark: Any) -> None:
    rng = random.Random(3)
    nodes = [f"d{rng.randrange(10**6):06d}" for _ in range(600)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(500)]
    edges += [(nodes[i], nodes[i + 1]) for i in range(100, 260)]  # a long chain: many rounds for label propagation
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    want = {x: uf.find(x) for x in uf.parent if uf.find(x) != x}
    got = components(spark.sparkContext.parallelize(edges, 3), partitions=3).collect()
    assert dict(got) == want and len(got) == len(want)


def test_uris_survive_the_cli() -> None:
    assert restore_uri("s3a:/bucket/pages/part-0.parquet") == "s3a://bucket/pages/part-0.parquet"
    assert restore_uri("hdfs:/nn:8020/x.jsonl") == "hdfs://nn:8020/x.jsonl"
    assert restore_uri("file:/data/x.jsonl") == "file:///data/x.jsonl"
    assert restore_uri("examples/corpus") == "examples/corpus"


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from wiretrace.engine.spark import spark_session

    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pyspark"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(EngineError, match=r"pip install 'wiretrace\[spark\]'"):
        spark_session()


def test_automatic_partitions_grow_with_the_corpus() -> None:
    from wiretrace.engine.spark import DOCS_PER_PARTITION, auto_partitions

    assert auto_partitions(20, parallelism=2) == 4  # small inputs: two tasks per core
    assert auto_partitions(100_000, parallelism=2) == 100_000 // DOCS_PER_PARTITION
    assert auto_partitions(1_000_000, parallelism=2) == 10 * auto_partitions(100_000, parallelism=2)
    assert auto_partitions(1_000_001, parallelism=2) == auto_partitions(1_000_000, parallelism=2) + 1
    assert auto_partitions(100_000, parallelism=64) == 128

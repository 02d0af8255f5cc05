"""The Spark engine against the local engine: the same report on the seeds and the sample corpus,
in any input order and partitioning; on the seeds through the README's `spark-submit` command (the entry script runs
`wiretrace run --engine spark`), with its Parquet tables."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import CORPUS, SEEDS, need

import wiretrace
from wiretrace.engine.spark import SparkConfig, run_spark
from wiretrace.report import report_to_json


def _local(paths: list[Path]) -> dict[str, Any]:
    return report_to_json(wiretrace.run(paths), with_text=True)


def _diff(local: dict[str, Any], spark: dict[str, Any]) -> str:
    """The first difference, named, for a readable failure."""
    for key in local:
        if local[key] != spark.get(key):
            if isinstance(local[key], list):
                for i, (x, y) in enumerate(zip(local[key], spark[key], strict=False)):
                    if x != y:
                        return f"{key}[{i}]:\n local {x}\n spark {y}"
                return f"{key}: {len(local[key])} local vs {len(spark[key])} spark items"
            return f"{key}: {local[key]} vs {spark[key]}"
    return ""


def _spark_submit(*args: str) -> subprocess.CompletedProcess[str]:
    """The README's cluster command, on local[2]: ``spark-submit`` of ``wiretrace.app.submit``'s file
    (which runs ``wiretrace run --engine spark ARGS``) in a JVM of its own."""
    import wiretrace.app.submit as entry

    submit = shutil.which("spark-submit", path=str(Path(sys.executable).parent)) or shutil.which("spark-submit")
    assert submit, "pyspark ships spark-submit beside the venv's python"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    cmd = [submit, "--master", "local[2]", "--conf", "spark.ui.enabled=false", entry.__file__, *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def test_spark_submit_on_the_seeds(spark: Any, tmp_path: Path) -> None:
    seeds = need(SEEDS)
    res = _spark_submit(str(seeds), "--out", str(tmp_path), "--with-text", "-q")
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    want = json.loads(json.dumps(_local([seeds])))  # the same JSON round trip (tuples to lists)
    assert got == want, _diff(want, got)
    assert (tmp_path / "index.html").exists()
    tables = {n: spark.read.parquet(str(tmp_path / "tables" / n)) for n in ("documents", "pairs", "passages", "stories")}
    assert tables["documents"].count() == len(want["documents"]) == 5
    assert tables["pairs"].count() == len(want["pairs"])
    assert tables["passages"].count() == sum(len(p["passages"]) for p in want["pairs"])
    row = tables["stories"].orderBy("id").first()
    story = min((s for s in want["stories"] if len(s["documents"]) > 1), key=lambda s: s["id"])
    assert row["origin"] == story["origin"] and list(row["documents"]) == story["documents"]
    assert row["headline"] == story["headline"] and len(row["summary"]) == len(story["summary"]) > 0
    assert [(x["document"], x["start"], x["end"]) for x in row["summary"]] == [
        (x["document"], *x["span"]) for x in story["summary"]
    ]
    assert sorted(e["direction"] for e in row["edges"]) == sorted(e["direction"] for e in story["edges"])


@pytest.fixture(scope="module")
def corpus_local() -> dict[str, Any]:
    return _local([CORPUS])


def test_sample_corpus_equals_local(spark: Any, corpus_local: dict[str, Any]) -> None:
    got = report_to_json(run_spark([CORPUS], spark=spark, spark_config=SparkConfig(partitions=3)), with_text=True)
    assert got == corpus_local, _diff(corpus_local, got)
    assert corpus_local["summary"]["stories_with_several_documents"] >= 3


def test_any_input_order_and_partitioning(spark: Any, corpus_local: dict[str, Any]) -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    random.Random(7).shuffle(files)
    got = report_to_json(run_spark(files, spark=spark, spark_config=SparkConfig(partitions=5)), with_text=True)
    assert got == corpus_local, _diff(corpus_local, got)


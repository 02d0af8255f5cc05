"""The same pipeline on Apache Spark, with the same results: ``wiretrace run --engine spark``.

ingest -> clean -> sketch -> candidates -> align -> relate -> stories -> trace, as Spark jobs:

1. **ingest** (``spark_jobs.ingest``): JSONL split by lines, Parquet rows, one task per other file;
   duplicate ids resolved by reading order, as the local reader does.
2. **clean** needs the corpus's boilerplate: block keys per document (``document_blocks``), their
   statistics by aggregation, ``learn_boilerplate`` per frequent block (``spark_jobs.corpus``); the
   set goes to every executor as a broadcast. Then ``clean`` and ``prepare`` per partition.
3. **candidates** (``spark_jobs.candidates``): LSH bands, body hashes, anchors and names become
   shuffles on their keys; the idf of topic words is a count by key, broadcast.
4. **align + relate**: each candidate pair meets its two documents by two joins and goes through
   ``relate_pair``; the sentence embedder is made once per Python worker.
5. **stories**: level 1, the connected components of the reuse relations by large-star / small-star
   rounds (``spark_jobs.components``); level 2, ``stories.assign`` on the driver over one summary per
   document (names, top content words, date, body hash), the components and the links
   (derivative, same_story pairs):
   the same pure function as the local engine, so the same stories and ids.
6. **trace**: ``trace_story`` per story, its members and pairs grouped by story id.

The results equal the local engine's report for any input order and partitioning (ids are stable;
ties are broken by id or content hash, never by arrival). A run writes Parquet tables (documents,
pairs, passages, stories) under ``OUT/tables``, and gathers the report on the driver unless told not
to (``SparkConfig.report``). Unlike the local engine there is no store: every run reads all of its
inputs again.

pyspark is an optional extra (``pip install 'wiretrace[spark]'``, Java 17+); it is imported only here
and in ``spark_jobs``, inside functions. Settings by environment for the CLI and ``spark-submit``:
``WIRETRACE_SPARK_MASTER`` (default: spark-submit's master, else ``local[*]``),
``WIRETRACE_SPARK_PARTITIONS``, ``WIRETRACE_SPARK_TABLES`` (where the tables go).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from wiretrace import errors
from wiretrace.candidates.neighbours import embedding_pairs
from wiretrace.config import check_types
from wiretrace.engine.local import SEQUENCE, Progress, Stats, timed
from wiretrace.errors import ConfigError
from wiretrace.model import Relation, Report, Story
from wiretrace.stages import RunConfig, title_words, uses_embedding_path
from wiretrace.stories import LINKS, REUSE, assign, compact, level2_idf, summarize

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

    from wiretrace.model import Pair
    from wiretrace.stages import Prepared

INSTALL_HINT = errors.SPARK_INSTALL


@dataclass(frozen=True, slots=True)
class SparkConfig:
    """Where and how the Spark engine runs; the pipeline's own settings stay in ``RunConfig``."""

    master: str | None = None  # None: spark-submit's master, else local[*]
    partitions: int = 0  # partitions of the document and pair data sets; 0: automatic (``auto_partitions``)
    tables: str | None = None  # where the Parquet tables go; None: OUT/tables (no tables without OUT)
    report: bool = True  # gather documents, pairs and stories on the driver for the report
    conf: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # more Spark settings

    def __post_init__(self) -> None:
        check_types("spark", self)
        if self.partitions < 0:
            raise ConfigError("spark", "partitions", self.partitions, "0 (automatic) or a positive number")

    @classmethod
    def from_env(cls) -> SparkConfig:
        """Settings from ``WIRETRACE_SPARK_MASTER``, ``WIRETRACE_SPARK_PARTITIONS``, ``WIRETRACE_SPARK_TABLES``."""
        raw = os.environ.get("WIRETRACE_SPARK_PARTITIONS", "0")
        if not raw.isdigit():
            raise ConfigError("spark", "WIRETRACE_SPARK_PARTITIONS", raw, "a whole number of partitions")
        return cls(
            master=os.environ.get("WIRETRACE_SPARK_MASTER") or None, partitions=int(raw),
            tables=os.environ.get("WIRETRACE_SPARK_TABLES") or None,
        )


DOCS_PER_PARTITION = 5_000


def auto_partitions(documents: int, parallelism: int) -> int:
    """Partitions of the shuffled data sets for ``documents`` documents: one per ``DOCS_PER_PARTITION``
    documents, and at least two per core, so that a task's share stays the same as the corpus grows
    (with 16 fixed partitions a million-document run spilled 10.1 GB; with these, 3.5 GB: docs/scaling.md)."""
    return max(2 * parallelism, -(-documents // DOCS_PER_PARTITION))


def spark_session(config: SparkConfig | None = None) -> SparkSession:
    """The active session, or a new one: under ``spark-submit`` on its master, else on ``config.master``."""
    config = config or SparkConfig()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise errors.spark_missing() from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM and set the master
    builder = SparkSession.builder.appName("wiretrace")
    master = config.master or (None if submitted else "local[*]")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        if not submitted and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise errors.spark_no_java()
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers otherwise take the system python
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    # Spark gives Python workers OMP_NUM_THREADS=spark.task.cpus (1), and single-threaded OpenBLAS
    # rounds matrix products differently from the multi-threaded one a plain process uses: a sentence
    # cosine a hair from a threshold could then fall the other way. Workers get the driver's setting.
    threads = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count() or 1)
    builder = builder.config("spark.executorEnv.OMP_NUM_THREADS", threads)
    for key, value in config.conf:
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as err:  # noqa: BLE001 - py4j and the JVM launcher raise many kinds; all mean "no session"
        raise errors.spark_no_session(err) from None
    if master is not None and master.startswith("local"):
        session.sparkContext.setLogLevel("ERROR")
    return session


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(slots=True)
class SparkResult:
    """The distributed results of a run (persisted), for callers that go on with them."""

    items: RDD[tuple[str, Prepared]]
    pairs: RDD[tuple[tuple[str, str], Pair]]
    stories: RDD[Story]
    tables: dict[str, str]

    def release(self) -> None:
        for rdd in (self.items, self.pairs, self.stories):
            rdd.unpersist()


class SparkStages:
    """The engine's stages (``engine.SEQUENCE``) as Spark jobs over one run's inputs; each method is
    one stage and leaves its results (distributed, persisted) for the next."""

    def __init__(
        self, spark: SparkSession, paths: Sequence[str | os.PathLike[str]], config: RunConfig, spark_config: SparkConfig,
        stats: Stats, progress: Progress, tables: str | None = None,
    ) -> None:
        from pyspark import StorageLevel

        self.spark, self.sc, self.paths, self.config = spark, spark.sparkContext, paths, config
        self.spark_config, self.stats, self.progress, self.tables = spark_config, stats, progress, tables
        self.parts = spark_config.partitions or 2 * self.sc.defaultParallelism
        self.disk = StorageLevel.MEMORY_AND_DISK
        self.n = 0
        self.embedded = self.sc.accumulator(0)

    # Wall seconds per stage go to ``stats.wall_s`` (CPU there is the driver's alone): "clean" includes
    # the boilerplate, "components" is level 1 with the summaries gathered, "stories" is level 2.
    def ingest(self) -> None:
        from wiretrace.engine.spark_jobs.ingest import read_documents

        with timed(self.stats, "ingest"):
            self.docs, skipped, n = read_documents(self.spark, self.paths, self.config.ingest, self.parts)
        self.n = n
        self.parts = self.spark_config.partitions or auto_partitions(n, self.sc.defaultParallelism)
        self.stats.read = self.stats.new = n
        self.stats.skipped = skipped
        self.progress("ingest", n, n)

    def clean(self) -> None:
        from wiretrace.engine.spark_jobs import stages
        from wiretrace.engine.spark_jobs.corpus import boilerplate

        with timed(self.stats, "clean"):
            boiler = self.sc.broadcast(boilerplate(self.docs, self.config.clean, self.parts))
            self.cleaned = self.docs.mapPartitions(partial(stages.clean_partition, boilerplate=boiler, config=self.config)).persist(self.disk)
            self.stats.cleaned = self.cleaned.count()
            self.docs.unpersist()
        self.progress("clean", self.n, self.n)

    def sketch(self) -> None:
        from wiretrace.engine.spark_jobs import stages

        with timed(self.stats, "sketch"):
            self.full = self.cleaned.mapPartitions(partial(stages.sketch_partition, config=self.config)).persist(self.disk)
            self.stats.sketched = self.full.count()
            self.cleaned.unpersist()
        self.progress("sketch", self.n, self.n)

    def relate(self) -> None:
        from wiretrace.engine.spark_jobs import stages
        from wiretrace.engine.spark_jobs.candidates import candidate_pairs
        from wiretrace.engine.spark_jobs.corpus import common_anchors, topic_idf

        sc, config, parts, disk, n = self.sc, self.config, self.parts, self.disk, self.n
        with timed(self.stats, "candidates"):
            sketches = self.full.map(lambda kv: kv[1].sketch)
            self.idf = sc.broadcast(topic_idf(sketches, n, parts))
            common = sc.broadcast(common_anchors(sketches, n, config, parts))
            candidates = candidate_pairs(sketches, config.candidates, n, parts)
            if uses_embedding_path(config):
                # The embedding path: the static vectors are computed on the executors and collected (256
                # floats a document), and the driver runs the local engine's exact neighbour search on them:
                # the same pairs as a local run. (At many millions of documents this wants a blocked join.)
                vecs = dict(self.full.mapPartitions(stages.vector_partition).collect())
                cc = config.candidates
                near = embedding_pairs(vecs, vecs.keys(), cc.embedding_k, cc.embedding_cos, cc.embedding_exact_max)
                found = sc.parallelize(sorted(near), parts).map(lambda k: (k, ("embedding",)))
                candidates = candidates.union(found).reduceByKey(lambda x, y: tuple(sorted(set(x) | set(y))), parts)
            candidates = candidates.persist(disk)
            self.stats.candidates = candidates.count()
            self.items = self.full.mapValues(stages.lean).persist(disk)
            self.items.count()
            self.full.unpersist()
        self.progress("candidates", self.stats.candidates, self.stats.candidates)
        with timed(self.stats, "relate"):
            items = self.items
            with_a = candidates.map(lambda kv: (kv[0][0], kv)).join(items, parts)
            with_b = with_a.map(lambda x: (x[1][0][0][1], x[1])).join(items, parts)
            quads = with_b.map(lambda x: (x[1][0][0][0], x[1][0][0][1], x[1][0][1], x[1][1]))
            relate = partial(stages.relate_partition, idf=self.idf, config=config, embedded=self.embedded, common=common, n_docs=n)
            self.pairs = quads.mapPartitions(relate).persist(disk)
            self.pairs.count()
            candidates.unpersist()
        self.stats.aligned = self.stats.candidates
        self.progress("relate", self.stats.candidates, self.stats.candidates)

    def stories(self) -> None:
        from wiretrace.engine.spark_jobs import stages
        from wiretrace.engine.spark_jobs.components import components

        config, parts, pairs, items = self.config, self.parts, self.pairs, self.items
        # Level 1: components of the reuse relations, distributed. Level 2 (``stories.assign``) runs on
        # the driver over one summary per document, the components and the links (derivative, same_story).
        with timed(self.stats, "components"):
            reuse = pairs.filter(lambda kv: kv[1].relation in REUSE).keys()
            roots = components(reuse, parts)  # (member, root) for every member of a component of two or more
            # Streamed a partition at a time (no million-row collect in the JVM) and with the words interned:
            # unpickled, every summary would hold its own copy of each word (about half a summary's memory).
            summaries = {
                doc_id: compact(s)
                for doc_id, s in items.map(
                    lambda kv: (kv[0], summarize(kv[0], kv[1].doc.published, kv[1].sketch,
                                                 title_words(kv[1].doc, kv[1].cleaned)))
                ).toLocalIterator()
            }
            comps: dict[str, list[str]] = {}
            for member, root in roots.collect():
                comps.setdefault(root, [root]).append(member)
            in_comp = {m for ms in comps.values() for m in ms}
            level1 = [sorted(ms) for ms in comps.values()] + [[d] for d in sorted(summaries) if d not in in_comp]
            links = sorted(pairs.filter(lambda kv: kv[1].relation in LINKS).keys().collect())
            apart = sorted(pairs.filter(lambda kv: kv[1].relation == Relation.TEMPLATE).keys().collect())
        with timed(self.stats, "stories"):
            assignment = assign(summaries, level1, links, self.idf.value, config.stories, apart=apart,
                                counts=level2_idf(summaries.values()))
        with timed(self.stats, "trace"):
            story_of = self.sc.broadcast(assignment)
            grouped = items.map(lambda kv: (story_of.value[kv[0]], kv[1]))
            story_pairs = pairs.filter(lambda kv: story_of.value[kv[0][0]] == story_of.value[kv[0][1]]).map(
                lambda kv: (story_of.value[kv[0][0]], kv)
            )
            self.traced = grouped.cogroup(story_pairs, parts).mapPartitions(
                partial(stages.trace_partition, config=config, embedded=self.embedded)
            ).persist(self.disk)
            n_stories = self.traced.count()
            roots.unpersist()
        self.progress("stories", n_stories, n_stories)
        self.stats.embedded = self.embedded.value


def run_distributed(
    spark: SparkSession, paths: Sequence[str | os.PathLike[str]], config: RunConfig, spark_config: SparkConfig,
    stats: Stats, progress: Progress, tables: str | None = None,
) -> SparkResult:
    """Every stage as Spark jobs, in the engine's order (``engine.SEQUENCE``); the results stay
    distributed (and Parquet tables go to ``tables``)."""
    from wiretrace.engine.spark_jobs.tables import write_tables

    run = SparkStages(spark, paths, config, spark_config, stats, progress, tables)
    for name in SEQUENCE:
        getattr(run, name)()
    with timed(stats, "tables"):
        written = write_tables(spark, tables, run.items, run.pairs, run.traced) if tables else {}
    return SparkResult(run.items, run.pairs, run.traced, written)


def run_spark(
    paths: Sequence[str | os.PathLike[str]], config: RunConfig | None = None, out: str | Path | None = None,
    progress: Progress | None = None, stats: Stats | None = None, spark_config: SparkConfig | None = None,
    spark: SparkSession | None = None,
) -> Report:
    """``wiretrace.run`` on Spark: the same Report; Parquet tables under ``out/tables`` when ``out`` is given."""
    config = config or RunConfig()
    spark_config = spark_config or SparkConfig.from_env()
    stats = stats if stats is not None else Stats()
    session = spark or spark_session(spark_config)
    tables = spark_config.tables or (str(Path(out) / "tables") if out is not None else None)
    result = run_distributed(session, paths, config, spark_config, stats, progress or _quiet, tables)
    try:
        if not spark_config.report:
            return Report(skipped=stats.skipped)
        items = result.items.values().collect()
        return Report(
            documents=[it.doc for it in items], cleaned={it.doc.id: it.cleaned for it in items},
            pairs=[p for _, p in sorted(result.pairs.collect(), key=lambda kv: kv[0])],
            stories=sorted(result.stories.collect(), key=lambda s: s.id), skipped=stats.skipped,
        )
    finally:
        result.release()


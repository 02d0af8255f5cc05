"""The Spark engine's jobs, one module per concern; ``wiretrace.engine.spark`` runs them in order.

Nothing here imports pyspark at module level: the functions that run on executors are plain
functions over iterators of wiretrace's own dataclasses, and the driver-side ones receive the
RDDs they work on. Every stage calls the same pure function the local engine calls.

* ``ingest``: inputs read on executors (JSONL split by lines, Parquet rows, one task per other file),
  duplicate ids resolved by reading order as the local reader does;
* ``corpus``: corpus-wide statistics by aggregation (learned boilerplate blocks, topic idf);
* ``candidates``: LSH bands, exact body hashes, anchors and names as joins on their keys;
* ``components``: connected components by alternating large-star / small-star rounds;
* ``tables``: the Parquet tables written beside the report;
* (the script ``spark-submit`` runs is ``wiretrace.app.submit``: a shell, like the CLI)
"""

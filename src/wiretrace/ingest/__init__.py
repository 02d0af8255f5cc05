"""Ingest: read text, HTML, JSONL and WARC inputs into Documents (or Skipped entries with a reason).

``read_inputs`` is the stage's entry point; ``read_html_string`` reads one page given as a string
(JSONL ``html`` fields, WARC payloads, the HTTP service). See ``reader.py`` for the walk and the
duplicate-id rules, ``decode.py`` for how bytes become text.
"""

from wiretrace.ingest.html import read_html_string
from wiretrace.ingest.reader import IngestConfig, read_inputs

__all__ = ["IngestConfig", "read_html_string", "read_inputs"]

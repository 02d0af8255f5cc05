"""Reports: the JSON contract (``wiretrace.report/1``, its JSON Schema and codecs) and the static HTML page."""

from wiretrace.report.json import SCHEMA, report_to_json, write_report
from wiretrace.report.schema import schema

__all__ = ["SCHEMA", "report_to_json", "schema", "write_report"]

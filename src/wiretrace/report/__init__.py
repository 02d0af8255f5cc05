"""Reports: the JSON contract (``wiretrace.report/1``) and the static HTML page."""

from wiretrace.report.json import SCHEMA, report_to_json, write_report

__all__ = ["SCHEMA", "report_to_json", "write_report"]

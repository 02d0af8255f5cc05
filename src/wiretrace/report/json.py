"""The JSON report, following the contract in DESIGN.md (schema ``wiretrace.report/1``).

Extra keys beyond the contract (``format``, ``encoding``, ``path``, ``reasons``, ``evidence``,
``origin_evidence``, ``span``, ``skipped``, ``summary``; per story ``headline``, ``headline_source`` and
``summary`` (sentences with document, span, the members carrying them and the sentence text); per edge
``direction``) only add; none changes a contract field.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from wiretrace.model import Report
from wiretrace.report.codecs import pair_to_json, story_to_json

SCHEMA = "wiretrace.report/1"


def report_to_json(report: Report, with_text: bool = False) -> dict[str, Any]:
    docs = sorted(report.documents, key=lambda d: d.id)
    by_id = {d.id: d for d in docs}
    documents = []
    for d in docs:
        c = report.cleaned.get(d.id)
        item: dict[str, Any] = {
            "id": d.id, "source": d.source, "url": d.url, "title": d.title, "published": d.published,
            "chars": len(d.text), "format": d.format, "encoding": d.encoding, "path": d.path,
        }
        if with_text:
            item["text"] = d.text
        item["body"] = [list(r) for r in c.body] if c else []
        item["removed"] = [{"start": s.start, "end": s.end, "kind": s.kind} for s in c.removed] if c else []
        documents.append(item)
    stories = []
    for s in sorted(report.stories, key=lambda s: (-len(s.documents), s.id)):
        j = story_to_json(s)
        dates = sorted(by_id[m].published for m in s.documents if m in by_id and by_id[m].published)  # type: ignore[type-var]
        j["span"] = {"first": dates[0] if dates else None, "last": dates[-1] if dates else None}
        for line in j["summary"]:
            # The sentence itself, so a reader of report.json without --with-text can read the summary.
            holder = by_id.get(line["document"])
            line["text"] = holder.text[line["span"][0] : line["span"][1]] if holder else None
        stories.append(j)
    pairs = [pair_to_json(p) for p in sorted(report.pairs, key=lambda p: (p.a, p.b))]
    relations = Counter(str(p.relation) for p in report.pairs)  # plain names, for JSON and for print
    return {
        "schema": SCHEMA,
        "summary": {
            "documents": len(documents), "stories": len(stories),
            "stories_with_several_documents": sum(1 for s in stories if len(s["documents"]) > 1),
            "pairs": len(pairs), "relations": dict(sorted(relations.items())), "skipped": len(report.skipped),
        },
        "documents": documents,
        "pairs": pairs,
        "stories": stories,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
    }


def write_report(
    report: Report, out: str | Path, with_text: bool = False, html: bool = True, site: str | None = None
) -> tuple[Path, Path | None]:
    """Write ``report.json`` (and the overview ``index.html``) into ``out`` atomically; return their paths.
    ``site``: the story browser's folder relative to ``out`` (``"site/"``) when one is written there."""
    from wiretrace.report.html import featured_documents, render_html

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = report_to_json(report, with_text=with_text)
    json_path = out / "report.json"
    _atomic_write(json_path, json.dumps(data, ensure_ascii=False, indent=1))
    html_path = None
    if html:
        full = data
        if not with_text:  # the page shows the text of the featured stories' members only
            keep = featured_documents(data)
            texts = {d.id: d.text for d in report.documents if d.id in keep}
            full = {**data, "documents": [{**d, "text": texts[d["id"]]} if d["id"] in texts else d for d in data["documents"]]}
        html_path = out / "index.html"
        _atomic_write(html_path, render_html(full, site))
    return json_path, html_path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

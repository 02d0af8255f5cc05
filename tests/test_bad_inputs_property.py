"""Property (issue 17): over random mixes of good and bad inputs, every input is either a document or a
skip with a reason, no document is invented, and the report lists them all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wiretrace as wt
from wiretrace.align import AlignConfig
from wiretrace.errors import NoInputError
from wiretrace.model import Document, Skipped
from wiretrace.report import report_to_json

FOLDERS = ["", "a", "a/b", "b"]
STEMS = ["index", "page", "story"]  # few stems: the same file name in several folders is common
KINDS = ["text", "html", "empty", "binary", "jsonl", "fifo", "dangling", "missing", "unsupported"]
LINES = ["good", "bad_json", "no_id", "empty_text"]


def body(n: int) -> str:
    words = ["harbour", "ferry", "bridge", "tunnel", "orchard", "library", "council", "storm", "market"]
    picked = " ".join(words[(n * k + 3) % len(words)] for k in range(1, 12))
    return f"Item {n}: {picked} news\n\nReport number {n} tells of the {picked}, officials said on day {n}.\n"


inputs = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(FOLDERS), st.sampled_from(STEMS),
              st.lists(st.sampled_from(LINES), min_size=1, max_size=4)),
    min_size=1, max_size=12,
)


def build(root: Path, plan: list[tuple[str, str, str, list[str]]]) -> tuple[list[str], dict, set[str]]:
    """Make the inputs; return the paths to give, the expected documents ((path, JSONL id or None) -> text)
    and the expected skips (paths, ``path:LINE`` for a JSONL line)."""
    data = root / "data"
    data.mkdir()
    given = [str(data)]
    want_docs: dict[tuple[str, str | None], str] = {}
    want_skips: set[str] = set()
    n = 0
    for i, (kind, folder, stem, lines) in enumerate(plan):
        where = data / folder
        where.mkdir(parents=True, exist_ok=True)
        n += 1
        if kind == "text":
            path = where / f"{stem}.txt"
            if path.exists():
                continue
            path.write_text(body(n), encoding="utf-8")
            want_docs[(str(path), None)] = body(n)
        elif kind == "html":
            path = where / f"{stem}.html"
            if path.exists():
                continue
            path.write_text(f"<html><body><p>{body(n)}</p></body></html>", encoding="utf-8")
            want_docs[(str(path), None)] = body(n)
        elif kind == "empty":
            path = where / f"{stem}{i}.txt"
            path.write_text("", encoding="utf-8")
            want_skips.add(str(path))
        elif kind == "binary":
            path = where / f"{stem}{i}.html"
            path.write_bytes(b"\x00\x01\x02binary\x00" * 10)
            want_skips.add(str(path))
        elif kind == "fifo":
            path = where / f"{stem}{i}.txt"
            os.mkfifo(path)
            want_skips.add(str(path))
        elif kind == "dangling":
            path = where / f"{stem}{i}.html"
            path.symlink_to(where / f"gone{i}.html")
            want_skips.add(str(path))
        elif kind == "missing":
            path = root / f"missing{i}.txt"
            given.append(str(path))
            want_skips.add(str(path))
        elif kind == "unsupported":
            path = root / f"{stem}{i}.docx"
            path.write_text(body(n), encoding="utf-8")
            given.append(str(path))
            want_skips.add(str(path))
        else:
            path = where / f"{stem}{i}.jsonl"
            rows = []
            for k, line in enumerate(lines, 1):
                n += 1
                if line == "good":
                    rows.append(json.dumps({"id": f"j{i}-{k}", "text": body(n)}))
                    want_docs[(str(path), f"j{i}-{k}")] = body(n)
                else:
                    rows.append({"bad_json": '{"id": "x", "text": ', "no_id": json.dumps({"text": body(n)}),
                                 "empty_text": json.dumps({"id": f"e{i}-{k}", "text": "  "})}[line])
                    want_skips.add(f"{path}:{k}")
            path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return given, want_docs, want_skips


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs)
def test_every_input_is_a_document_or_a_named_skip_and_nothing_is_invented(plan: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        given_paths, want_docs, want_skips = build(root, plan)
        config = wt.RunConfig(align=AlignConfig(semantic=False))
        try:
            report = wt.run(given_paths, config, out=root / "out")
        except NoInputError as err:
            assert not want_docs
            assert {s.path for s in err.skipped} == want_skips and all(s.reason for s in err.skipped)
            return
        docs: list[Document] = report.documents
        # every document comes from an input made to be read, once, with its text
        got = {(d.path, d.id if d.format == "jsonl" else None): d for d in docs}
        assert len(got) == len(docs) == len({d.id for d in docs})
        assert set(got) == set(want_docs)
        for key, text in want_docs.items():
            assert " ".join(text.split()) in " ".join(got[key].text.split())
        # every bad input is skipped with a reason, and nothing else is
        skipped: list[Skipped] = report.skipped
        assert {s.path for s in skipped} == want_skips and all(s.reason.strip() for s in skipped)
        # the report lists them all
        rep = report_to_json(report)
        assert sorted(d["id"] for d in rep["documents"]) == sorted(d.id for d in docs)
        assert {s["path"] for s in rep["skipped"]} == want_skips
        assert rep["summary"]["documents"] == len(want_docs) and rep["summary"]["skipped"] == len(want_skips)

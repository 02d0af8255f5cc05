"""Real corpora for the benchmarks, read from ``../shared/data`` beside the repo at run time.

No dataset text is kept in the repo: every script calls these loaders, which read the files where
they lie and exit with a message naming the missing path when they are absent.

* ``reuters_records()``: Reuters-21578, Distribution 1.0 (22 SGML files, 19043 records with a BODY);
* ``bbc_records()``: the BBC News dataset (Greene & Cunningham 2006), 2225 articles;
* ``write_jsonl()``: wiretrace's JSONL input (``id``, ``text``, ``title``, ``published``);
* ``exact_duplicate_groups()`` / ``true_pairs()``: the ground truth both data sets ship with, groups
  of records whose whitespace-normalised texts are identical.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
REUTERS = DATA / "reuters21578"
BBC = DATA / "bbc-news" / "bbc_docs.jsonl"

_RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_ENTITY = re.compile(r"&(#\d+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}


def require(path: Path) -> Path:
    """``path`` if it exists; else exit with a message saying where the data is expected."""
    if not path.exists():
        sys.exit(
            f"bench: data not found at {path.resolve()}\n"
            "The benchmarks read real data from ../shared/data beside the repo; put the shared data folder there."
        )
    return path


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    # Numeric references become the character itself, control characters included ("&#3;" -> "\x03"):
    # the SGML's raw bytes, not html.unescape's HTML5 rules, which drop control characters.
    return chr(int(name[1:])) if name.startswith("#") else _NAMED[name]


def decode_sgml(text: str) -> str:
    return _ENTITY.sub(_entity, text)


def reuters_records(with_empty: bool = False) -> Iterator[dict[str, str | None]]:
    """Every Reuters-21578 record with a ``<BODY>`` (all records with ``with_empty``), in file order.

    ``text`` is the BODY as written, entities decoded, the closing " Reuter" and "\\x03" kept.
    """
    files = sorted(require(REUTERS).glob("reut2-0*.sgm"))
    if not files:
        sys.exit(f"bench: no reut2-0NN.sgm files in {REUTERS.resolve()}")
    for f in files:
        raw = f.read_text(encoding="latin-1")
        for m in _RECORD.finditer(raw):
            attrs, inner = m.group(1), m.group(2)
            newid = _NEWID.search(attrs)
            body = _BODY.search(inner)
            if newid is None or (body is None and not with_empty):
                continue
            title = _TITLE.search(inner)
            date = _DATE.search(inner)
            published = None
            if date and date.group(2).upper() in _MONTHS:
                published = (
                    f"{int(date.group(3)):04d}-{_MONTHS[date.group(2).upper()]:02d}-{int(date.group(1)):02d}"
                )
            yield {
                "id": f"reuters-{newid.group(1)}",
                "title": decode_sgml(title.group(1)).strip() if title else None,
                "published": published,
                "text": decode_sgml(body.group(1)) if body else "",
            }


def bbc_records() -> Iterator[dict[str, str | None]]:
    """The 2225 BBC News articles; ``text`` is the whole file, its first line the title."""
    with require(BBC).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            yield {"id": f"bbc-{r['id']}", "title": r.get("title"), "published": None, "text": r["text"]}


def corpus(name: str) -> list[dict[str, str | None]]:
    """``reuters``, ``bbc`` or ``both`` (Reuters then BBC)."""
    if name == "reuters":
        return list(reuters_records())
    if name == "bbc":
        return list(bbc_records())
    if name == "both":
        return list(reuters_records()) + list(bbc_records())
    raise SystemExit(f"bench: unknown corpus {name!r}; use reuters, bbc or both")


def write_jsonl(records: Iterable[dict[str, str | None]], path: str | Path) -> int:
    """Write wiretrace's JSONL input (id, text, title, published); return the number of lines."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for r in records:
            row = {"id": r["id"], "text": r["text"], "title": r.get("title"), "published": r.get("published")}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def jsonl_documents(path: Path, every: int = 1, limit: int = 0) -> list:
    """Every ``every``-th record of a JSONL file as a wiretrace ``Document`` (at most ``limit``; 0: all),
    read by the wiretrace first on the path (a bench's "before" or "after" version)."""
    from wiretrace.ingest.jsonl import record_document

    docs = []
    with Path(path).open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % every:
                continue
            docs.append(record_document(line, path=str(path), where=f"{path}:{i + 1}"))
            if limit and len(docs) >= limit:
                break
    return docs


def normalise(text: str) -> str:
    """White space folded: the key exact duplicates share."""
    return " ".join(text.split())


def exact_duplicate_groups(records: Iterable[dict[str, str | None]]) -> list[list[str]]:
    """Groups (two ids or more) of records whose normalised texts are identical, in id order."""
    by_text: dict[str, list[str]] = defaultdict(list)
    for r in records:
        by_text[normalise(r["text"] or "")].append(str(r["id"]))
    return sorted(sorted(ids) for ids in by_text.values() if len(ids) > 1)


def true_pairs(groups: Iterable[list[str]]) -> set[tuple[str, str]]:
    """Every pair within a group, keyed ``(min id, max id)``."""
    return {(a, b) if a < b else (b, a) for g in groups for a, b in itertools.combinations(g, 2)}


if __name__ == "__main__":
    for name in ("reuters", "bbc"):
        recs = corpus(name)
        groups = exact_duplicate_groups(recs)
        print(
            f"{name}: {len(recs)} records, {len(groups)} exact-duplicate groups covering "
            f"{sum(len(g) for g in groups)} records, {len(true_pairs(groups))} true pairs"
        )

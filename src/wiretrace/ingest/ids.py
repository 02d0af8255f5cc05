"""Ids of page files (.txt, .html): unique by path, stable across runs, the plain stem where it is unique.

A file stored before keeps the id it was stored under (matched by resolved path). The others take,
in order, the first of these that no other file of the run shares and the store does not hold:

1. the file stem (``world/index.html`` -> ``index``),
2. the path relative to the deepest folder that holds every page of the run, without the suffix
   (``siteA/world/index`` for ``run .``, for ``run siteA siteB`` and for ``run crawl``),
3. that path with its suffix (``siteA/world/index.html``, when ``index.txt`` sits beside it),
4. the resolved path.

Each step compares every file still without an id at once, so the ids do not depend on the order of
the inputs: two files with one stem both move on to step 2. Control characters become ``_`` (an id
is printed, and put in URLs).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from wiretrace.ingest.walk import Found
from wiretrace.model import Format

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
PAGE_FORMATS = (Format.TEXT, Format.HTML)


def clean_id(value: str) -> str:
    """``value`` with its control characters (and bidi overrides) replaced by ``_``."""
    return _CONTROL.sub("_", value)


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def stem(path: str) -> str:
    name = os.path.basename(path)
    for double in (".warc.gz", ".jsonl.gz"):
        if name.lower().endswith(double):
            return name[: -len(double)]
    return os.path.splitext(name)[0]


def _without_suffix(rel: str) -> str:
    return os.path.join(os.path.dirname(rel), stem(rel)).replace(os.sep, "/")


_STEPS: tuple[Callable[[Found, str], str], ...] = (
    lambda f, top: stem(f.path),
    lambda f, top: _without_suffix(os.path.relpath(os.path.abspath(f.path), top)),
    lambda f, top: os.path.relpath(os.path.abspath(f.path), top).replace(os.sep, "/"),
    lambda f, top: f.key,
)


def assign_page_ids(found: Sequence[Found], stored: Mapping[str, str]) -> dict[str, str]:
    """Resolved path -> id of every page file in ``found``. ``stored``: resolved path -> id of the
    documents already in the store (any id in it is taken by its file)."""
    pages = [f for f in found if f.problem is None and f.fmt in PAGE_FORMATS]
    ids: dict[str, str] = {}
    taken = set(stored.values())
    todo = []
    for f in pages:
        if f.key in stored:
            ids[f.key] = stored[f.key]
        else:
            todo.append(f)
    top = os.path.commonpath([os.path.dirname(os.path.abspath(f.path)) for f in pages]) if pages else ""
    for step in _STEPS:
        if not todo:
            break
        wanted = {f.key: clean_id(step(f, top)) for f in todo}
        counts = Counter(wanted.values())
        rest = []
        for f in todo:
            candidate = wanted[f.key]
            if counts[candidate] == 1 and candidate not in taken:
                ids[f.key] = candidate
            else:
                rest.append(f)
        taken.update(ids[f.key] for f in todo if f.key in ids)
        todo = rest
    for f in todo:  # two spellings of one resolved path cannot both be here; a last resort all the same
        ids[f.key] = clean_id(f.key) + f"#{len(ids)}"
    return ids

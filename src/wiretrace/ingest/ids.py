"""Ids of page files (.txt, .html): unique by path, stable across runs, the plain stem where it is unique.

A file stored before keeps the id it was stored under (matched by resolved path). The others take,
in order, the first of these that no other file of the run shares and the store does not hold:

1. the file stem (``world/index.html`` -> ``index``),
2. the path relative to the folder given, without the suffix (``siteA/world/index`` for ``run .``),
3. the path (relative to the current folder where it lies under it) without the suffix
   (``siteA/world/index`` for ``run siteA siteB``),
4. that path with its suffix (``siteA/world/index.html``, when ``index.txt`` sits beside it),
5. the resolved path.

Each step compares every file still without an id at once, so the ids do not depend on the order of
the inputs: two files with one stem both move on to step 2. Control characters become ``_`` (an id
is printed, and put in URLs).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from wiretrace.ingest.walk import Found, shown_path

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
PAGE_FORMATS = ("text", "html")


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


_STEPS: tuple[Callable[[Found], str], ...] = (
    lambda f: stem(f.path),
    lambda f: _without_suffix(f.rel),
    lambda f: _without_suffix(shown_path(f.path)),
    lambda f: shown_path(f.path).replace(os.sep, "/"),
    lambda f: f.key,
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
    for step in _STEPS:
        if not todo:
            break
        wanted = {f.key: clean_id(step(f)) for f in todo}
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

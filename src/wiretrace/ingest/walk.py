"""Which files a run reads: the paths given, folders walked, every entry either listed or named.

A folder is walked depth first in sorted order, hidden entries left out, symbolic links to folders
followed (a link back to a folder above it is named as a loop, not followed). Inside a folder, files
of a recognised type are listed; an entry that cannot be read (an unreadable sub-folder, a dangling
link, a link loop, a pipe or device under any name, a gzip file that is no WARC or JSONL) is listed
with the reason it is not read; other files (notes, data files) are passed over. Folders holding
wiretrace's own output (a store, a ``report.json`` of wiretrace's schema, a story browser export)
are never read as input. The same file reached by two spellings (relative and absolute, a link) is
one input: identity is the resolved path.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wiretrace.model import Format

# suffix -> format; ".warc.gz" and ".jsonl.gz" are told apart from other ".gz" files by their full name
FORMATS = {
    ".txt": Format.TEXT,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".jsonl": Format.JSONL,
    ".jsonl.gz": Format.JSONL,
    ".warc": Format.WARC,
    ".warc.gz": Format.WARC,
}
SUPPORTED = ".txt, .html/.htm, .jsonl/.jsonl.gz or .warc/.warc.gz"
STORE_FILE = "wiretrace.sqlite"  # the store's file (store.STORE_FILE; a test keeps them equal)
REPORT_SCHEMA = "wiretrace.report/"
OUTPUT_REASON = "a wiretrace output folder ({what}), not read as input; give the folders that hold the pages"


@dataclass(frozen=True, slots=True)
class Found:
    """One input: its path as found, its format ("" when unknown), why it is not read (None: read it),
    and its identity (the resolved path)."""

    path: str
    fmt: Format | Literal[""]
    problem: str | None
    key: str


def file_format(path: str) -> Format | None:
    name = os.path.basename(path).lower()
    for double in (".warc.gz", ".jsonl.gz"):
        if name.endswith(double):
            return FORMATS[double]
    return FORMATS.get(os.path.splitext(name)[1])


def suffix_of(path: str) -> str:
    name = os.path.basename(path)
    if "." not in name.lstrip("."):
        return "(no suffix)"
    suffixes = "".join(Path(name).suffixes[-2:]) if name.lower().endswith(".gz") else Path(name).suffix
    return f"'{suffixes}'"


def unsupported(path: str) -> str:
    hint = "; gunzip it first" if path.lower().endswith(".gz") else ""
    return f"unsupported file type {suffix_of(path)}; give {SUPPORTED}{hint}"


def output_folder(folder: str) -> str | None:
    """What makes ``folder`` a wiretrace output folder, or None."""
    if os.path.isfile(os.path.join(folder, STORE_FILE)):
        return f"it holds a store, {STORE_FILE}"
    report = os.path.join(folder, "report.json")
    try:
        with open(report, "rb") as stream:
            head = stream.read(4096)
    except OSError:
        head = b""
    if REPORT_SCHEMA.encode() in head:
        return "it holds a report.json of wiretrace's schema"
    if os.path.isfile(os.path.join(folder, "index.html")) and os.path.isfile(os.path.join(folder, "static", "app.js")):
        return "it holds a story browser export: index.html and static/app.js"
    return None


def _inside_output(path: str, seen: dict[str, str | None]) -> str | None:
    """The output folder above ``path`` (a file named on the command line), described, or None.
    ``seen``: folders looked at before in this listing, and what they are."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        if folder not in seen:
            seen[folder] = output_folder(folder)
        what = seen[folder]
        if what is not None:
            return f"inside {folder}, " + OUTPUT_REASON.format(what=what)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def list_files(paths: Sequence[str | os.PathLike[str]]) -> list[Found]:
    """Every input under ``paths``, each file once (first spelling wins), in a fixed order."""
    out: list[Found] = []
    visited: set[str] = set()
    outputs: dict[str, str | None] = {}
    for given in paths:
        raw = os.fspath(given)
        if not raw:
            out.append(Found("", "", "empty path; give a file or a folder (\".\" for this one)", ""))
            continue
        path = os.path.normpath(raw)
        try:
            mode = os.stat(path).st_mode
        except OSError as err:
            out.append(Found(path, "", _stat_problem(path, err), path))
            continue
        key = os.path.realpath(path)
        if stat.S_ISDIR(mode):
            what = output_folder(path)
            if what is not None:
                out.append(Found(path, "", OUTPUT_REASON.format(what=what), key))
                continue
            _walk(path, {key}, visited, out)
            continue
        if key in visited:
            continue
        visited.add(key)
        if not stat.S_ISREG(mode):
            out.append(Found(path, "", f"{_kind(mode)}, not a regular file or folder; give a file or a folder", key))
            continue
        fmt = file_format(path)
        inside = _inside_output(path, outputs) if fmt in (Format.TEXT, Format.HTML) else None
        problem = inside or (None if fmt else unsupported(path))
        out.append(Found(path, fmt or "", problem, key))
    return out


def _walk(folder: str, above: set[str], visited: set[str], out: list[Found]) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as err:
        out.append(Found(folder, "", f"cannot read the folder: {err.strerror}; check its permissions",
                         os.path.realpath(folder)))
        return
    for entry in entries:
        path = entry.path
        try:
            mode = os.stat(path).st_mode  # follows links
        except OSError as err:
            out.append(Found(path, "", _stat_problem(path, err), os.path.abspath(path)))
            continue
        key = os.path.realpath(path)
        if stat.S_ISDIR(mode):
            if key in above:
                out.append(Found(path, "", f"symbolic link loop: it leads back to {key}, a folder above it; not followed", key))
                continue
            what = output_folder(path)
            if what is not None:
                out.append(Found(path, "", OUTPUT_REASON.format(what=what), key))
                continue
            _walk(path, above | {key}, visited, out)
            continue
        if key in visited:
            continue
        fmt = file_format(entry.name)
        if not stat.S_ISREG(mode):
            visited.add(key)
            out.append(Found(path, "", f"{_kind(mode)}, not a regular file; not read", key))
        elif fmt:
            visited.add(key)
            out.append(Found(path, fmt, None, key))
        elif entry.name.lower().endswith(".gz"):
            visited.add(key)
            out.append(Found(path, "", unsupported(path), key))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _stat_problem(path: str, err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "symbolic link loop (the link leads back to itself); fix or remove the link"
    if err.errno == errno.ENOENT and os.path.islink(path):
        return f"dangling symbolic link: its target {os.readlink(path)} does not exist; fix or remove the link"
    if err.errno == errno.ENOENT:
        return "no such file or folder; check the path"
    return f"cannot read it: {err.strerror}; check its permissions"

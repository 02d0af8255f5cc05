"""Plain-text pages: the text is the file, the title its first short line, the date the first one near the top."""

from __future__ import annotations

import re

from wiretrace.errors import EMPTY_TEXT, InputError
from wiretrace.ingest.dates import DATE, find_date
from wiretrace.ingest.decode import check_text_bytes, decode_bytes
from wiretrace.model import Document, Format

MAX_TITLE_CHARS = 200
DATE_LINES = 5  # a page's date, when a scraper kept one, sits in its first lines

# A scraper's date stamp before the headline: "date 2022-09-19 Headline", "Published: Sept. 19, 2022 | Headline"
_LABEL = r"(?:(?:date|published|updated|posted)(?:\s+on)?\s*:?\s*)?"
_DATE_PREFIX = re.compile(rf"\s*{_LABEL}(?:{DATE.pattern})(?:\s*[-–—|:·•,]+)?\s*", re.IGNORECASE)


def read_text_bytes(data: bytes, *, doc_id: str, path: str) -> Document:
    """A ``format="text"`` Document from a file's bytes; raise InputError when they are not usable text."""
    check_text_bytes(data, path=path)
    decoded = decode_bytes(data, path=path)
    text = decoded.text
    if not text.strip():
        raise InputError(path, EMPTY_TEXT)
    return Document(
        id=doc_id,
        text=text,
        path=path,
        format=Format.TEXT,
        encoding=decoded.encoding,
        title=guess_title(text),
        published=guess_published(text),
    )


def guess_title(text: str) -> str | None:
    """The first non-empty line without a leading date stamp, when it is short enough to be a headline."""
    for line in _first_lines(text):
        title = _DATE_PREFIX.sub("", line, count=1).strip() if _DATE_PREFIX.match(line) else line.strip()
        if not title:
            continue  # a line holding only a date: the headline follows
        return title if len(title) <= MAX_TITLE_CHARS else None
    return None


def guess_published(text: str) -> str | None:
    """The first date written in the first lines, as ``YYYY-MM-DD``."""
    for line in _first_lines(text):
        found = find_date(line)
        if found:
            return found[0]
    return None


def _first_lines(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip():
            lines.append(line)
            if len(lines) == DATE_LINES:
                break
    return lines

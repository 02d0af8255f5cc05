"""Blocks: the units cleaning decides on, cut from a document's raw text, and their identity across
documents.

An HTML page's visible text and scraped text hold one block per line; hard-wrapped text (a wire
story's fixed-width lines) holds a paragraph over several lines, joined into one block
(``text_blocks``). ``block_key`` names a block across documents (corpus boilerplate), ``Block`` is
the per-document record the rule pass, the classifier and the context repairs write their verdict
into.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import xxhash

from wiretrace.model import Document, Format
from wiretrace.text.tokens import lines, raw_lines, trim, wrap_width

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # tokens.words' word, counted without building tokens
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
TERMINAL = re.compile(r"[.!?…:;\"”’)]$")


def count_block_words(text: str, start: int, end: int) -> int:
    """Words of a block; in Chinese or Japanese script (no spaces) two characters count as one word."""
    block = text[start:end]
    n = len(_WORD.findall(block))
    if not block.isascii():
        n += len(CJK.findall(block)) // 2
    return n


@dataclass(slots=True)
class Block:
    """One block of a document and the verdict reached on it so far."""

    start: int
    end: int
    text: str
    n_words: int
    kind: str = ""  # "" (no verdict yet), a NoiseKind, "body", or rules.CORPUS_BOILERPLATE
    reason: str = ""
    hinted: bool = False
    rule: str = ""  # the kind the wording rules gave, kept after the classifier's verdict
    sure: bool = False  # the wording rule alone decides (a kind outside HARD_KINDS, named by an unambiguous line)


def is_prose(b: Block) -> bool:
    return b.n_words >= 12 and bool(TERMINAL.search(b.text))


def is_headline(b: Block) -> bool:
    return 3 <= b.n_words <= 16 and not TERMINAL.search(b.text) and b.text[:1].isupper()


# --- blocks: lines, or paragraphs of hard-wrapped text ----------------------------------------------
_FIRST_WORD = re.compile(r"\S+")
_SENT_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def text_blocks(text: str, joinable: bool = True) -> list[tuple[int, int]]:
    """The blocks cleaning decides on, as trimmed ``[start, end)`` ranges of ``text``.

    Scraped text and a page's visible text hold one block per line. Hard-wrapped text (``wrap_width``)
    holds a paragraph over several lines: its lines are joined into one block that runs to a blank
    line, or to a line that looks complete: it ends a sentence and is either short of the wrap column
    or followed by an indented line (a new paragraph). Without the join, every line of a wire story is
    a block, and lines that recur across a corpus (table rows, "Net ... vs ..." lines) would be learnt
    as boilerplate and cut out of the body. ``joinable=False`` (markup given) keeps lines.
    """
    width = wrap_width(text) if joinable else 0
    if not width:
        return lines(text)
    raw = raw_lines(text)
    rows = [text[s:e] for s, e in raw]
    indents = [len(r) - len(r.lstrip()) for r in rows]
    # continuation lines carry the text's usual indentation; a paragraph's first line may carry more
    cont = Counter([indents[i + 1] for i in range(len(raw) - 1) if not rows[i].isspace() and rows[i]])
    base = cont.most_common(1)[0][0] if cont else 0
    out: list[tuple[int, int]] = []
    start = -1
    for i, (s, e) in enumerate(raw):
        line = rows[i].rstrip()
        if not line:  # a blank line (rstrip leaves nothing of white space alone)
            continue
        if start < 0:
            start = s
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        first = _FIRST_WORD.search(text, nxt[0], nxt[1]) if nxt else None
        if first is None:  # a blank line or the end of the text
            end = True
        else:
            complete = bool(_SENT_TERMINAL.search(line))
            short = len(line) + 1 + len(first.group()) <= width
            end = complete and (short or indents[i + 1] > base)
        if end:
            bs, be = trim(text, start, e)
            if be > bs:
                out.append((bs, be))
            start = -1
    return out


WHOLE = "="  # prefix of a document's own key among its block keys (document_blocks)


def block_key(text: str) -> str:
    """A block's identity across documents: case- and white-space-insensitive."""
    norm = " ".join(text.casefold().split())
    return xxhash.xxh64_hexdigest(norm.encode("utf-8"))


def doc_blocks(doc: Document) -> list[tuple[int, int]]:
    """A document's blocks: an HTML page's visible text keeps one block per line (its markup made them)."""
    return text_blocks(doc.text, joinable=doc.format != Format.HTML and not doc.hints)

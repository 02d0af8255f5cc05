"""Context repairs, after the classifier's verdicts: what a block's neighbours say of it.

A teaser list headed after the body is noise; a short off-topic run inside an appeal is appeal; in
plain text (no markup hints) a short run of "body" cut off after the article by noise blocks is noise
and an unsure line between two body paragraphs is body; and a block whose sentences disagree (an
appeal glued to the first body sentence) is split at the sentence boundary (``split_sentences``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from wiretrace.clean.blocks import Block, is_headline, is_prose
from wiretrace.clean.config import CleanConfig
from wiretrace.clean.rules import APPEAL_G, BULLET, TEASER_HEADER, appeal_sentence
from wiretrace.model import BODY, NoiseKind, Segment
from wiretrace.text.tokens import MAX_SENTENCE_CHARS, sentences, word_tokens
from wiretrace.text.topic import content_words, cosine

# Plain-text context repairs (text mode only: in HTML mode the markup extractor's hints already say
# where the article ends). Measured on trafilatura-eval by bench/clean_eval.py: +0.006 F1 in text mode,
# on the training, test and eval-gate splits alike.
TAIL_GAP = 3  # noise blocks that separate two runs of body blocks
TAIL_SHARE = 0.25  # a run after the main one with at most this share of its words is detached
TAIL_KEEP = 0.97  # ... unless the classifier is this sure of a block
BRIDGE_FLOOR = 0.4  # p(body) a lone block between two body paragraphs needs to be body


def _body_runs(blocks: list[Block], gap: int) -> list[list[int]]:
    """Indices of the body blocks, in runs split where more than ``gap`` blocks lie between two."""
    runs: list[list[int]] = []
    for i, b in enumerate(blocks):
        if b.kind != BODY:
            continue
        if runs and i - runs[-1][-1] - 1 <= gap:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def detached_tail(blocks: list[Block], p_body: np.ndarray) -> None:
    """Short runs of BODY after the article's main run, cut off from it by noise, are page
    furniture: an author's bio, a "this post was filed under" line, a pingback, a newsletter box.
    Plain text has no markup to say where the article ends; the gap of noise blocks says it."""
    runs = _body_runs(blocks, TAIL_GAP)
    if len(runs) < 2:
        return
    words = [sum(blocks[i].n_words for i in r) for r in runs]
    main = max(range(len(runs)), key=lambda k: words[k])
    for k in range(main + 1, len(runs)):
        if words[k] > TAIL_SHARE * words[main]:
            continue
        for i in runs[k]:
            if p_body[i] < TAIL_KEEP:
                blocks[i].kind = NoiseKind.BOILERPLATE
                blocks[i].reason = f"detached from the article's body by noise; {blocks[i].reason}"


def bridged_blocks(blocks: list[Block], p_body: np.ndarray) -> None:
    """A block no wording rule named, between two body paragraphs and not far below the classifier's
    threshold, is body: a recipe's ingredient line or a spec line inside the article."""
    body = [b.kind == BODY and is_prose(b) for b in blocks]
    for i in range(1, len(blocks) - 1):
        b = blocks[i]
        if b.kind == BODY or b.rule or p_body[i] < BRIDGE_FLOOR or not (body[i - 1] and body[i + 1]):
            continue
        b.kind, b.reason = BODY, f"between two body paragraphs; {b.reason}"


def sandwiches(blocks: list[Block], config: CleanConfig, max_run: int = 2) -> None:
    """A short run of body blocks between two appeal (or comment) blocks, off the page's topic, takes
    their kind: an appeal paragraph without appeal words, inside the appeal."""
    body: Counter[str] | None = None  # the body's content words, counted when a run is first tested
    i = 1
    while i < len(blocks) - 1:
        if blocks[i].kind != BODY or blocks[i - 1].kind not in (NoiseKind.APPEAL, NoiseKind.COMMENTS):
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind == BODY:
            j += 1
        kind = blocks[i - 1].kind
        if j < len(blocks) and j - i <= max_run and blocks[j].kind == kind:
            if body is None:  # the kinds it reads are those of the blocks at its start: none changed yet
                body = Counter[str]()
                for bb in blocks:
                    if bb.kind == BODY and bb.n_words >= 12:
                        body.update(content_words(bb.text))
            for b in blocks[i:j]:
                cw = content_words(b.text)
                if cosine(cw, body - cw) < config.coherence_floor:
                    b.kind, b.reason = kind, f"between {kind} blocks and off the page's topic"
        i = j


def teasers_after_body(blocks: list[Block], min_prose: int = 2, min_headlines: float = 0.4) -> None:
    """A teaser-list header after the article's body ends the article: the list it heads is noise,
    when it looks like one (bullets or headlines for at least ``min_headlines`` of its items; a
    header followed by paragraphs is more likely a subheading of the article)."""
    prose = 0
    for i, b in enumerate(blocks):
        if b.kind == BODY and is_prose(b):
            prose += 1
        if prose < min_prose or not TEASER_HEADER.match(b.text):
            continue
        run = []
        for c in blocks[i + 1 :]:
            if c.rule != NoiseKind.TEASERS:
                break
            run.append(c)
        listy = sum(1 for c in run if BULLET.match(c.text) or is_headline(c))
        if run and listy < min_headlines * len(run):
            continue
        b.kind, b.reason = NoiseKind.TEASERS, "teaser-list header after the article's body"
        for c in run:
            c.kind, c.reason = NoiseKind.TEASERS, "item of a teaser list after the article's body"
        return


def split_sentences(text: str, b: Block) -> list[Segment]:
    """Split a block whose sentences disagree (noise glued to body) at the sentence boundary."""
    if b.kind not in (BODY, NoiseKind.APPEAL):
        return [_segment(b.start, b.end, b.kind, b.reason)]
    if b.kind == BODY and len(b.text) <= MAX_SENTENCE_CHARS and not APPEAL_G.search(b.text):
        # No appeal wording in the block, so none in any of its sentences (each starts and ends
        # beside white space or punctuation: a block this short is not cut inside a word): a body
        # block splits only at an appeal sentence, so it stays whole without splitting it.
        return [_segment(b.start, b.end, b.kind, b.reason)]
    sents = _block_sentences(b)
    if len(sents) < 2:
        return [_segment(b.start, b.end, b.kind, b.reason)]
    verdicts = [NoiseKind.APPEAL if APPEAL_G.search(text[s:e]) else BODY for s, e in sents]
    if b.kind == BODY:
        # Only the edges of a body block are split off: an appeal inside prose is likely a quote.
        # And only sentences that ask the reader (or that a scraper glued on): "Bellman's
        # contribution is remembered..." has an appeal word and is prose.
        lo, hi = 0, len(sents)
        while lo < hi and verdicts[lo] == NoiseKind.APPEAL and _asks_reader(text, sents, lo):
            lo += 1
        while hi > lo and verdicts[hi - 1] == NoiseKind.APPEAL and _asks_reader(text, sents, hi - 1):
            hi -= 1
        verdicts = [NoiseKind.APPEAL if (k < lo or k >= hi) else BODY for k in range(len(sents))]
    else:
        # An appeal block ending in prose: the trailing run of sentences without appeal wording is
        # body when it is glued on (no space: a scraper joined two blocks) or long.
        k = len(sents)
        while k > 0 and verdicts[k - 1] == BODY:
            k -= 1
        if not 0 < k < len(sents) or not _glued_or_long(text, (sents[k][0], sents[-1][1])):
            return [_segment(b.start, b.end, b.kind, b.reason)]
        verdicts = [NoiseKind.APPEAL] * k + [BODY] * (len(sents) - k)
    if len(set(verdicts)) == 1:
        return [_segment(b.start, b.end, b.kind, b.reason)]
    out: list[Segment] = []
    for (s, e), v in zip(sents, verdicts, strict=True):
        why = "appeal sentence beside body prose" if v == NoiseKind.APPEAL else "article prose after an appeal"
        if out and out[-1].kind == v:
            out[-1] = _segment(out[-1].start, e, v, out[-1].reason)
        else:
            out.append(_segment(s, e, v, why))
    return out


def _segment(start: int, end: int, kind: str, reason: str) -> Segment:
    """A segment of the cleaner's output, its kind a plain ``str`` (a ``NoiseKind`` member's value):
    the Spark engine's rows go to the JVM, whose unpickler cannot build enum members."""
    return Segment(start, end, str(kind), reason)


def _block_sentences(b: Block) -> list[tuple[int, int]]:
    """Sentences of a block; the line breaks of a hard-wrapped paragraph do not end sentences."""
    flat = b.text.replace("\n", " ")  # same length: offsets stay
    return [(s + b.start, e + b.start) for s, e in sentences(flat)]


def _asks_reader(text: str, sents: list[tuple[int, int]], k: int) -> bool:
    """An appeal sentence at a body block's edge: it speaks to the reader, or is glued to its neighbour."""
    s, e = sents[k]
    if appeal_sentence(text[s:e]):
        return True
    glued_before = k > 0 and s > 0 and not text[s - 1].isspace()
    glued_after = k + 1 < len(sents) and not text[e].isspace()
    return glued_before or glued_after


def _glued_or_long(text: str, sent: tuple[int, int]) -> bool:
    """The last sentence of an appeal block is body if it is glued on (no space) or long prose."""
    s, e = sent
    return (s > 0 and not text[s - 1].isspace()) or len(word_tokens(text, s, e)) >= 20

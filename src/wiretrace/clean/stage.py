"""The cleaning stage per document: blocks, the rule pass, the classifier's verdicts, the repairs.

``analyse`` cuts a document into blocks and computes what the classifier reads; ``clean`` decides
every block and returns the document's segments; ``clean_batch`` is the unit a worker or a Spark
partition runs.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping

from wiretrace.clean.blocks import CJK, Block, doc_blocks
from wiretrace.clean.classifier import Analysis, load_lexicon, verdicts
from wiretrace.clean.config import CleanConfig
from wiretrace.clean.features import BlockInfo, stage1_features, tokens_of
from wiretrace.clean.repairs import (
    bridged_blocks,
    detached_tail,
    sandwiches,
    split_sentences,
    teasers_after_body,
)
from wiretrace.clean.rules import first_pass, second_article, teaser_and_comment_runs
from wiretrace.model import Cleaned, Document, Segment

MARKUP_HINT = "markup_body"  # the kind of the markup extractor's main-content hints (ingest.html)


def analyse(
    doc: Document,
    config: CleanConfig | None = None,
    boilerplate: frozenset[str] = frozenset(),
    lexicon: Mapping[str, float] | None = None,
) -> Analysis:
    """Blocks of a document, the kinds the wording rules give them, and the classifier's features.

    The rules name what a block would be if it is noise (a byline, a caption, a comment form...);
    the classifier then weighs those names with the block's shape, its neighbours and the markup.
    """
    config = config or CleanConfig()
    text = doc.text
    blocks = []
    tokens = []
    for s, e in doc_blocks(doc):
        toks, n_words = block_tokens(text[s:e])  # the words counted are the tokens the features read
        blocks.append(Block(s, e, text[s:e], n_words))
        tokens.append(toks)
    hints = sorted((h.start, h.end) for h in doc.hints if h.kind == MARKUP_HINT)
    if hints:
        starts = [s for s, _ in hints]
        for b in blocks:
            k = bisect_right(starts, b.end - 1) - 1  # the last hint starting inside or before the block
            b.hinted = k >= 0 and hints[k][1] > b.start
    if not blocks:
        return Analysis(blocks, "html" if hints else "text", stage1_features([], has_hints=False), [])
    first = blocks[0]
    # Without metadata, the first line is the headline only if it looks like one (not prose).
    title = doc.title or (first.text if first.n_words <= 30 and not first.text.rstrip().endswith(".") else None)
    first_pass(blocks, title, boilerplate)
    teaser_and_comment_runs(blocks)
    second_article(blocks, title)
    infos = _infos(blocks)
    mode = "html" if hints else "text"
    lexicon = load_lexicon() if lexicon is None else lexicon
    return Analysis(blocks, mode, stage1_features(infos, has_hints=bool(hints), lexicon=lexicon, tokens=tokens), infos)


def block_tokens(block: str) -> tuple[list[str], int]:
    """``tokens_of(block)`` and ``blocks.count_block_words`` of it from one ``findall``: the words
    counted are the tokens (lower-casing ASCII text moves no word boundary; other text is tokenised
    as it is, each token folded on its own), plus half the CJK characters."""
    toks = tokens_of(block)
    return toks, len(toks) if block.isascii() else len(toks) + len(CJK.findall(block)) // 2


def _infos(blocks: list[Block]) -> list[BlockInfo]:
    return [BlockInfo(b.text, b.n_words, b.kind, b.hinted) for b in blocks]


def clean(doc: Document, config: CleanConfig | None = None, boilerplate: frozenset[str] = frozenset()) -> Cleaned:
    """Segment one document into body and removed spans. Pure: same input, same output."""
    an = analyse(doc, config, boilerplate)
    if not an.blocks:
        return Cleaned(doc.id, ())
    p_body = verdicts(an)
    if an.mode == "text":
        detached_tail(an.blocks, p_body)
        bridged_blocks(an.blocks, p_body)
    teasers_after_body(an.blocks)
    sandwiches(an.blocks, config or CleanConfig())
    segments: list[Segment] = []
    for b in an.blocks:
        segments.extend(split_sentences(doc.text, b))
    return Cleaned(doc.id, tuple(segments))


def clean_batch(
    docs: Iterable[Document], config: CleanConfig | None = None, boilerplate: frozenset[str] = frozenset()
) -> list[Cleaned]:
    """Clean a batch (the unit a worker or a Spark partition runs)."""
    config = config or CleanConfig()
    return [clean(d, config, boilerplate) for d in docs]

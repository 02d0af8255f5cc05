"""Corpus boilerplate: blocks that recur across documents which share nothing else of substance.

``document_blocks`` gives a document's block keys; a ``BlockIndex`` holds which documents hold which
blocks (a batch in memory, or the store's rows); ``learn_boilerplate`` picks the keys whose repeats
nothing explains (``unexplained_repeat``). The rule pass removes those blocks (``rules.first_pass``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from wiretrace.clean.blocks import WHOLE, block_key, doc_blocks
from wiretrace.clean.config import CleanConfig
from wiretrace.model import Document
from wiretrace.text.tokens import count_words


@dataclass(frozen=True, slots=True)
class BlockIndex:
    """Which documents hold which blocks, to learn boilerplate from the corpus being processed."""

    docs_of: Mapping[str, frozenset[str]]  # block key -> ids of documents holding it
    blocks_of: Mapping[str, frozenset[str]]  # doc id -> its block keys
    long_blocks: frozenset[str]  # keys of blocks with many words (content-like)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int]]) -> BlockIndex:
        """The index of (block key, document id, is a long block) rows, as the store keeps them."""
        docs_of: dict[str, set[str]] = {}
        blocks_of: dict[str, set[str]] = {}
        long_keys: set[str] = set()
        for key, doc_id, long in rows:
            docs_of.setdefault(key, set()).add(doc_id)
            blocks_of.setdefault(doc_id, set()).add(key)
            if long:
                long_keys.add(key)
        return cls(
            {k: frozenset(v) for k, v in docs_of.items()}, {k: frozenset(v) for k, v in blocks_of.items()}, frozenset(long_keys)
        )

    @classmethod
    def of_documents(cls, docs: Iterable[Document], config: CleanConfig) -> BlockIndex:
        """The index of documents held in memory (a batch, an evaluation set)."""
        rows: list[tuple[str, str, int]] = []
        for d in docs:
            keys, long_keys = document_blocks(d, config)
            rows += [(k, d.id, int(k in long_keys)) for k in keys]
        return cls.from_rows(rows)


def document_blocks(doc: Document, config: CleanConfig) -> tuple[frozenset[str], frozenset[str]]:
    """A document's block keys, and those of its long blocks.

    Both also hold the document's own key (``WHOLE`` + the key of its whole text): documents that
    share it are copies of one document, whose blocks recur because the document does.
    """
    whole = WHOLE + block_key(doc.text)
    keys, long_keys = {whole}, {whole}
    for s, e in doc_blocks(doc):
        k = block_key(doc.text[s:e])
        keys.add(k)
        if count_words(doc.text, s, e, at_most=config.long_block_words) >= config.long_block_words:
            long_keys.add(k)
    return frozenset(keys), frozenset(long_keys)


def learn_boilerplate(index: BlockIndex, config: CleanConfig) -> frozenset[str]:
    """Blocks that recur in many documents which share nothing else of substance.

    A syndicated wire paragraph also recurs in many documents, but those documents share their
    other long blocks too (the rest of the wire text): that co-occurrence explains the repeat, so
    the block stays body. A template footer recurs beside unrelated stories. Copies of one document
    (they share its ``WHOLE`` key) explain the repeat whatever their length: the table rows of three
    copies of a short earnings report are not boilerplate.
    """
    out = set()
    for key, docs in index.docs_of.items():
        if len(docs) < config.boilerplate_min_docs or key.startswith(WHOLE):
            continue
        if unexplained_repeat(
            key, sorted(docs)[:12], lambda d: index.blocks_of[d] & index.long_blocks, config, index.blocks_of.__getitem__
        ):
            out.add(key)
    return frozenset(out)


def near_copies(a: frozenset[str], b: frozenset[str], config: CleanConfig) -> bool:
    """Whether two documents' block sets make them near copies of one document: they share at least
    ``near_copy_blocks`` blocks, and at least ``near_copy_share`` of the blocks of the one with fewer
    (the same short brief republished with a line added or dropped). Blocks of any length count,
    since a short report's rows are short. A template footer, or one stock line of a brief's mould,
    is a small share of either document."""
    a = frozenset(k for k in a if not k.startswith(WHOLE))
    b = frozenset(k for k in b if not k.startswith(WHOLE))
    common = len(a & b)
    return common >= config.near_copy_blocks and common >= config.near_copy_share * min(len(a), len(b))


def unexplained_repeat(
    key: str,
    ids: Sequence[str],
    long_blocks_of: Callable[[str], frozenset[str]],
    config: CleanConfig,
    blocks_of: Callable[[str], frozenset[str]] | None = None,
) -> bool:
    """Whether block ``key``, held by the documents ``ids`` (the first 12 by id), is boilerplate: the
    median pair of them shares fewer than ``syndication_shared_blocks`` other long blocks (copies of one
    document, which share its ``WHOLE`` key, and near copies by ``blocks_of``, every block key of a
    document, count as sharing enough). The rule of ``learn_boilerplate``, also asked by the store's
    kept boilerplate (``corpus_state.boilerplate``)."""
    shared = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            common = (long_blocks_of(a) & long_blocks_of(b)) - {key}
            copies = any(k.startswith(WHOLE) for k in common) or (
                blocks_of is not None and near_copies(blocks_of(a), blocks_of(b), config)
            )
            shared.append(config.syndication_shared_blocks if copies else len(common))
    shared.sort()
    return shared[len(shared) // 2] < config.syndication_shared_blocks

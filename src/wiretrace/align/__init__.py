"""Align: which passages of document a reappear in document b, with offsets on both sides.

Two passes, cheap first, then one tidy-up:
1. **Seed and extend** (verbatim, ``verbatim``): shared word 5-grams are seeds; seeds on nearby
   diagonals chain into passages, tolerating small edits (a changed word, a dropped clause). A chain
   with no gap is ``verbatim``, one with gaps ``near_verbatim``. Where two chains overlap, the shorter
   gives up the overlap; a passage that spills a word or two over a sentence boundary is cut back to
   it; one that covers most of a sentence is widened to the whole sentence (the rest is an edit).
2. **Semantic** (paraphrase, ``semantic``): sentences that the first pass left unexplained on both
   sides are embedded (MiniLM, batched and cached) and matched greedily by the paraphrase decision
   (``features``): a cosine floor, then a small logistic model over the cosine and lexical agreement,
   fitted on MRPC by ``bench/calibrate.py`` and shipped as data (``data/paraphrase.json``). A
   sentence may take in a neighbour of the other side (a rewrite that splits or merges sentences).
   A cascade settles first what the static sentence vectors settle for certain (``bounds``, fitted
   by ``bench/semantic_calibrate.py`` into ``data/semantic_bounds.json``).
3. **Join**: word-for-word passages that tile one stretch of both texts (sentences reordered, an
   edit too heavy for a chain) become one maximal passage.

The stage's interface is what this package exports; ``stage.align`` runs the passes in order.
"""

from __future__ import annotations

from wiretrace.align.bounds import SemanticBounds, cascade_bounds, load_semantic_bounds, semantic_bounds
from wiretrace.align.config import AlignConfig, Alignment
from wiretrace.align.features import (
    PARAPHRASE_FEATURES,
    SHORT_FEATURES,
    ParaphraseModel,
    SentenceProfile,
    load_paraphrase_model,
    paraphrase_decision,
    paraphrase_features,
    paraphrase_model,
    paraphrase_probability,
    residue,
    residue_features,
    sentence_profile,
    short_probability,
)
from wiretrace.align.semantic import mean_cos, sentence_settled
from wiretrace.align.stage import align, identical_alignment, whole_text_alignment
from wiretrace.align.verbatim import sentence_spans, verbatim_passages

__all__ = [
    "PARAPHRASE_FEATURES",
    "SHORT_FEATURES",
    "AlignConfig",
    "Alignment",
    "ParaphraseModel",
    "SemanticBounds",
    "SentenceProfile",
    "align",
    "cascade_bounds",
    "identical_alignment",
    "whole_text_alignment",
    "load_paraphrase_model",
    "load_semantic_bounds",
    "mean_cos",
    "paraphrase_decision",
    "paraphrase_features",
    "paraphrase_model",
    "paraphrase_probability",
    "residue",
    "residue_features",
    "semantic_bounds",
    "sentence_profile",
    "short_probability",
    "sentence_settled",
    "sentence_spans",
    "verbatim_passages",
]

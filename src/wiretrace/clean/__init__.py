"""Clean: find each document's story body and mark the rest as spans with kinds.

The cleaner never rewrites text. It cuts the raw text into blocks (``blocks.text_blocks``: lines, as
an HTML page's visible text and scraped text have one block per line; paragraphs in hard-wrapped
text, whose line breaks are the wire's, not the writer's) and decides each in three steps:

1. Wording and position rules (``rules``) name what a block would be if it is noise: the headline
   and its repeats, a standfirst, bylines, date / "min read" lines, captions, appeals, comment
   forms, teaser lists, footers, a second article glued in (headline + byline right after body
   paragraphs), and blocks the corpus showed to be boilerplate (``boilerplate.learn_boilerplate``).
2. A trained classifier (``classifier``, over ``features``: two stacked logistic regressions over
   the block's shape, multilingual wording cues, a learned word lexicon, its neighbours, the markup
   extractor's hints for HTML, and the page's core; in plain text the second stage also sees where
   the block stands against the page's body region and the runs of like-shaped lines it is in)
   gives every block p(body). The rules that are right ~98% of the time on labelled pages decide
   alone (``HARD_KINDS``); for the rest the classifier's verdict stands, and a noise block keeps the
   kind the rules named (``boilerplate`` when none did).
3. Context repairs (``repairs``): a teaser list headed after the body is noise, a short off-topic
   run inside an appeal is appeal, in plain text (no markup hints) a short run of "body" cut off
   after the article by noise blocks is noise and an unsure line between two body paragraphs is
   body, and a block whose sentences disagree (an appeal glued to the first body sentence) is split
   at the sentence boundary.

Every verdict carries its reason (the rule, or the classifier's probability and the features that
pushed it), for ``wiretrace explain``. The weights are data files (``clean/data``, read by
``weights``), trained by ``bench/clean_train.py`` and measured by ``bench/clean_eval.py``.
"""

from __future__ import annotations

from wiretrace.clean.blocks import WHOLE, block_key, text_blocks
from wiretrace.clean.boilerplate import BlockIndex, document_blocks, learn_boilerplate, unexplained_repeat
from wiretrace.clean.classifier import Analysis, Model, load_lexicon, load_model
from wiretrace.clean.config import CleanConfig
from wiretrace.clean.rules import HARD_KINDS
from wiretrace.clean.stage import analyse, clean, clean_batch

__all__ = [
    "HARD_KINDS",
    "WHOLE",
    "Analysis",
    "BlockIndex",
    "CleanConfig",
    "Model",
    "analyse",
    "block_key",
    "clean",
    "clean_batch",
    "document_blocks",
    "learn_boilerplate",
    "load_lexicon",
    "load_model",
    "text_blocks",
    "unexplained_repeat",
]

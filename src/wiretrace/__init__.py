"""wiretrace: turn a pile of scraped news pages into stories.

Library first: ``wiretrace.run(paths, config)`` does what ``wiretrace run`` does, and
``wiretrace.compare(text_a, text_b)`` tells how two texts relate, with aligned passages.
"""

from wiretrace.engine.pipeline import RunConfig, Stats, compare, run
from wiretrace.model import (
    Cleaned,
    Comparison,
    Direction,
    Document,
    Pair,
    Passage,
    PassageKind,
    Relation,
    Report,
    Skipped,
    Span,
    Story,
)

__all__ = [
    "Cleaned", "Comparison", "Direction", "Document", "Pair", "Passage", "PassageKind", "Relation", "Report", "RunConfig",
    "Skipped", "Span", "Stats", "Story",
    "compare", "run",
]
__version__ = "0.1.0"

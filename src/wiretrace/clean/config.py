"""The cleaning stage's settings (corpus boilerplate and context repairs)."""

from __future__ import annotations

from dataclasses import dataclass

from wiretrace.config import check_types
from wiretrace.errors import ConfigError


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """Settings of cleaning: when a repeated block is corpus boilerplate, and the topic floor of the repairs."""

    boilerplate_min_docs: int = 3  # a block in at least this many documents may be boilerplate
    syndication_shared_blocks: int = 2  # ...unless its documents also share this many long blocks
    long_block_words: int = 12
    near_copy_blocks: int = 3  # ...or are near copies: they share this many blocks of any length
    near_copy_share: float = 0.8  # ...making this share of the blocks of the one with fewer
    coherence_floor: float = 0.08  # below this, a block between noise blocks takes their kind

    def __post_init__(self) -> None:
        check_types("clean", self)
        if self.boilerplate_min_docs < 2:
            raise ConfigError("clean", "boilerplate_min_docs", self.boilerplate_min_docs, "an integer >= 2")
        if self.syndication_shared_blocks < 1:
            raise ConfigError("clean", "syndication_shared_blocks", self.syndication_shared_blocks, "an integer >= 1")
        if self.near_copy_blocks < 1:
            raise ConfigError("clean", "near_copy_blocks", self.near_copy_blocks, "an integer >= 1")
        if not 0.0 < self.near_copy_share <= 1.0:
            raise ConfigError("clean", "near_copy_share", self.near_copy_share, "a number in (0, 1]")
        if not 0.0 <= self.coherence_floor <= 1.0:
            raise ConfigError("clean", "coherence_floor", self.coherence_floor, "a number in [0, 1]")

"""The aligner's settings (``AlignConfig``) and what it finds for one pair of texts (``Alignment``)."""

from __future__ import annotations

from dataclasses import dataclass

from wiretrace.config import check_types
from wiretrace.errors import ConfigError
from wiretrace.model import Passage


@dataclass(frozen=True, slots=True)
class AlignConfig:
    seed: int = 5  # words per seed
    max_gap: int = 8  # words of edit tolerated inside a passage
    min_passage: int = 8  # words; shorter verbatim runs are chance
    join_gap: int = 20  # words between word-for-word passages that still make one passage (-1: never join)
    explained: float = 0.6  # a sentence this much covered by verbatim passages needs no embedding
    paraphrase_cos: float = 0.55  # sentence cosine below which a pair is never a paraphrase
    paraphrase_p: float = 0.53  # the paraphrase model's probability that decides (0: the cosine alone)
    split_cos: float = 0.55  # cosine for the second sentence of a one-to-two match
    near_verbatim_jaccard: float = 0.5  # a semantic match this lexically close is near_verbatim
    topic_cos: float = 0.3  # idf-weighted content-word cosine below which no embedding is spent
    lead: int = 3  # sentences embedded first to decide whether the whole texts are worth embedding
    lead_cos: float = 0.5  # ...when no verbatim passage links the texts already
    doc_sentences: int = 3  # sentences of each side MiniLM reads for a document cosine the cascade leaves open (the lead)
    semantic: bool = True  # run the embedding pass
    # Settle the clear cases of the semantic pass with the static vectors (``SemanticBounds``, fitted
    # by ``bench/semantic_calibrate.py``); the transformer reads only the rest.
    cascade: bool = True
    # The MiniLM cosine the static envelope keeps above the largest one calibration saw under each edge
    # (``SemanticBounds.envelope_margin``; the fit wrote 0.05): a sentence pair (or split neighbour) whose
    # bound falls under the threshold is settled without the transformer. 0 (the calibration's maxima)
    # reads about a sixth fewer sentences, but is no bound: on Reuters + BBC it lost a true paraphrased
    # sentence (one derivative pair read as same_story), so the default keeps the fitted margin.
    envelope_margin: float = 0.05

    def __post_init__(self) -> None:
        check_types("align", self)
        if not 2 <= self.seed <= 12:
            raise ConfigError("align", "seed", self.seed, "2 to 12 words")
        if not 0.0 < self.paraphrase_cos <= 1.0:
            raise ConfigError("align", "paraphrase_cos", self.paraphrase_cos, "a cosine in (0, 1]")
        if not 0.0 <= self.paraphrase_p < 1.0:
            raise ConfigError("align", "paraphrase_p", self.paraphrase_p, "a probability in [0, 1) (0 turns the model off)")
        if not 0.0 <= self.envelope_margin <= 0.2:
            raise ConfigError("align", "envelope_margin", self.envelope_margin, "a cosine margin in [0, 0.2] (the fit wrote 0.05)")
        if self.doc_sentences < self.lead:
            raise ConfigError("align", "doc_sentences", self.doc_sentences, f"at least lead ({self.lead}) sentences")
        if self.split_cos > self.paraphrase_cos:
            raise ConfigError("align", "split_cos", self.split_cos, f"at most paraphrase_cos ({self.paraphrase_cos})")


@dataclass(frozen=True, slots=True)
class Alignment:
    passages: tuple[Passage, ...]
    a_covered: float  # share of a's words inside passages
    b_covered: float
    a_verbatim: float  # share of a's words inside verbatim / near-verbatim passages
    b_verbatim: float
    lexical: float  # shared 5-grams over the smaller side's 5-grams
    semantic: float | None  # cosine of mean sentence vectors, when the semantic pass ran
    a_words: int
    b_words: int
    vetoed: bool = False  # the caller's veto stopped the semantic pass before the transformer (``align``)


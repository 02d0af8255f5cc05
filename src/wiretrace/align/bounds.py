"""The semantic cascade's bounds: what the static sentence vectors settle without the transformer.

The bounds are data, fitted by ``bench/semantic_calibrate.py`` and shipped as
``wiretrace/align/data/semantic_bounds.json`` (read with ``importlib.resources``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import numpy as np

from wiretrace.align.config import AlignConfig
from wiretrace.errors import DataFileError

BOUNDS_FILE = "semantic_bounds.json"  # in wiretrace/align/data/


@dataclass(frozen=True, slots=True)
class SemanticBounds:
    """Static cosines that settle a MiniLM cosine's side of a threshold without the transformer.

    Fitted on real document pairs of four corpora by ``bench/semantic_calibrate.py`` (the file
    ``data/semantic_bounds.json`` says on what, how and when): below a ``*_below`` bound no calibration
    pair's MiniLM cosine came within a margin of the threshold; from a ``*_above`` bound every one
    cleared it by the margin. A bound is used only where the settings it guards are the ones it was
    fitted for (``usable``)."""

    lead_below: float  # the lead test (mean vector of the first ``lead`` sentences): below lead_threshold
    lead_threshold: float  # fitted for min(lead_cos, RelateConfig.same_story_cos)
    lead_above: float  # ...and at or above lead_go (the pass goes on)
    lead_go: float  # fitted for max(lead_cos, RelateConfig.same_story_cos)
    doc_below: float  # the document cosine (mean vector of every sentence): below doc_threshold
    doc_above: float  # ...at or above it
    doc_threshold: float  # fitted for RelateConfig.same_story_cos
    far_below: float  # below / at or above far_threshold
    far_above: float
    far_threshold: float  # fitted for RelateConfig.far_same_story_cos
    doc_linear: tuple[float, float]  # MiniLM ~ a + b * static: the cosine a settled document pair reports
    sentence_below: float  # one sentence pair: below sentence_threshold
    sentence_threshold: float  # fitted for min(paraphrase_cos, split_cos)
    envelope: tuple[tuple[float, float], ...]  # (static edge, MiniLM bound): static < edge -> MiniLM < bound
    fitted: str  # the date of the fit
    # The MiniLM cosine the fit added above the largest one seen under each edge (``margin`` in the file):
    # ``with_envelope_margin`` keeps another (``AlignConfig.envelope_margin``).
    envelope_margin: float = 0.05

    def usable(self, config: AlignConfig) -> bool:
        return (
            self.lead_threshold <= config.lead_cos <= self.lead_go
            and self.sentence_threshold <= min(config.paraphrase_cos, config.split_cos)
        )

    def sentence_bound(self, static_cos: float) -> float:
        """An upper bound on the MiniLM cosine of a sentence pair with this static cosine."""
        for edge, bound in self.envelope:
            if static_cos < edge:
                return bound
        return 1.0

    def sentence_bounds(self, static_cos: np.ndarray) -> np.ndarray:
        """``sentence_bound`` of every cosine of an array (float64)."""
        static = np.asarray(static_cos, dtype=np.float64)
        edges = np.array([e for e, _ in self.envelope], dtype=np.float64)
        if len(edges) and np.all(np.diff(edges) > 0):
            # The first edge above the cosine, as the loop finds it; past the last one, 1.
            tops = np.append(np.array([u for _, u in self.envelope], dtype=np.float64), 1.0)
            return tops[np.searchsorted(edges, static, side="right")]
        return np.array([self.sentence_bound(float(c)) for c in static.ravel()], dtype=np.float64).reshape(static.shape)

    def with_envelope_margin(self, margin: float) -> SemanticBounds:
        """These bounds with the sentence envelope ``margin`` above the largest MiniLM cosine the fit saw
        under each edge instead of the fitted one; a bound of 1 (nothing settled) stays 1."""
        shift = self.envelope_margin - margin
        if shift == 0.0:
            return self
        return replace(
            self, envelope=tuple((e, u if u >= 1.0 else round(min(1.0, u - shift), 4)) for e, u in self.envelope),
            envelope_margin=margin,
        )

    def doc(self, static_cos: float, far: bool | None = None) -> tuple[bool, float | None]:
        """``(settled, cosine)`` for the document cosine. ``far``: whether the two reports are dated
        further apart than ``RelateConfig.same_story_days`` (then only ``far_same_story_cos`` decides),
        not (only ``same_story_cos``), or None (unknown: both must be settled).

        Settled below every threshold that decides: cosine None (not measured). Settled above: the
        linear estimate, kept on the settled side of each deciding threshold. Else not settled."""
        a, b = self.doc_linear
        est = a + b * static_cos
        lo, hi = 0.0, 1.0
        for threshold, below, above, decides in (
            (self.doc_threshold, self.doc_below, self.doc_above, far is not True),
            (self.far_threshold, self.far_below, self.far_above, far is not False),
        ):
            if not decides:
                continue
            if static_cos < below:
                hi = min(hi, threshold - 1e-4)
            elif static_cos >= above:
                lo = max(lo, threshold)
            else:
                return False, None
        if hi < 1.0 and lo == 0.0:
            return True, None
        return True, round(min(max(est, lo), hi), 4)


def load_semantic_bounds(path: Path | Traversable) -> SemanticBounds:
    """The bounds in ``path``: DataFileError naming the file and the fix where it is missing or not the
    layout ``bench/semantic_calibrate.py --write`` writes."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        b = doc["bounds"]
        lead, dc, sent = b["lead"], b["doc"], b["sentence"]
        return SemanticBounds(
            lead_below=float(lead["static_below"]), lead_threshold=float(lead["threshold"]),
            lead_above=float(lead["static_above"]), lead_go=float(lead["go_threshold"]),
            doc_below=float(dc["static_below"]), doc_above=float(dc["static_above"]), doc_threshold=float(dc["threshold"]),
            far_below=float(dc["far_below"]), far_above=float(dc["far_above"]), far_threshold=float(dc["far_threshold"]),
            doc_linear=(float(dc["linear"][0]), float(dc["linear"][1])),
            sentence_below=float(sent["static_below"]), sentence_threshold=float(sent["threshold"]),
            envelope=tuple((float(e), float(u)) for e, u in sent["envelope"]),
            fitted=str(doc["fitted"]), envelope_margin=float(doc.get("margin", 0.05)),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise DataFileError(
            str(path), f"the semantic bounds cannot be read ({e!r})",
            "reinstall wiretrace, rerun bench/semantic_calibrate.py --write, or set cascade=False",
        ) from e


@cache
def semantic_bounds() -> SemanticBounds:
    """The bounds shipped with the package (``data/semantic_bounds.json``, read once)."""
    return load_semantic_bounds(resources.files("wiretrace.align").joinpath("data", BOUNDS_FILE))


def cascade_bounds(config: AlignConfig) -> SemanticBounds | None:
    """The bounds the semantic pass settles with, or None where the cascade is off or they do not fit."""
    if not config.cascade:
        return None
    bounds = _with_margin(config.envelope_margin)
    return bounds if bounds.usable(config) else None


@cache
def _with_margin(margin: float) -> SemanticBounds:
    return semantic_bounds().with_envelope_margin(margin)


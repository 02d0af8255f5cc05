"""Every ``*Config`` checks its fields when built: types and ranges, with a ConfigError that names the
stage, the field, the value and what it must be."""

from __future__ import annotations

import dataclasses

import pytest

from wiretrace.align import AlignConfig
from wiretrace.candidates.lexical import CandidateConfig
from wiretrace.clean import CleanConfig
from wiretrace.engine.spark import SparkConfig
from wiretrace.errors import ConfigError
from wiretrace.ingest import IngestConfig
from wiretrace.relate.pair import RelateConfig
from wiretrace.relate.template import TemplateConfig
from wiretrace.sketch import SketchConfig
from wiretrace.stages import RunConfig
from wiretrace.stories import StoryConfig
from wiretrace.trace.consolidate import SummaryConfig
from wiretrace.trace.provenance import TraceConfig

CONFIGS = (
    AlignConfig, CandidateConfig, CleanConfig, SparkConfig, IngestConfig, RelateConfig, TemplateConfig, SketchConfig,
    RunConfig, StoryConfig, SummaryConfig, TraceConfig,
)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_defaults_are_valid_and_a_field_of_another_type_is_refused(cls: type) -> None:
    config = cls()
    if cls in (AlignConfig, CleanConfig):
        return  # their types are checked by RunConfig (below)
    for f in dataclasses.fields(config):
        with pytest.raises(ConfigError) as caught:
            dataclasses.replace(config, **{f.name: object()})
        assert f"{f.name}=<object object" in str(caught.value) and "expected" in str(caught.value)


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: TraceConfig(min_addition_words=0), "trace: min_addition_words=0 is invalid: expected a whole number of words >= 1"),
        (lambda: TraceConfig(margin=-0.5), "trace: margin=-0.5 is invalid"),
        (lambda: TraceConfig(min_addition_words="6"), "trace: min_addition_words='6' is invalid: expected a whole number"),
        (lambda: TraceConfig(summary=None), "trace: summary=None is invalid: expected an instance of SummaryConfig"),
        (lambda: RunConfig(workers=True), "run: workers=True is invalid: expected a whole number"),
        (lambda: AlignConfig(semantic="yes"), "align: semantic='yes' is invalid: expected true or false"),
        (lambda: CleanConfig(long_block_words="12"), "clean: long_block_words='12' is invalid: expected a whole number"),
        (lambda: RelateConfig(same_story_cos=1.5), "relate: same_story_cos=1.5 is invalid: expected a cosine in [-1, 1]"),
        (lambda: RelateConfig(common_share=2.0), "relate: common_share=2.0 is invalid: expected a share in [0, 1]"),
        (lambda: TemplateConfig(form=0.0), "template: form=0.0 is invalid: expected a share in (0, 1]"),
        (lambda: TemplateConfig(min_differing=0), "template: min_differing=0 is invalid"),
        (lambda: StoryConfig(banal_share=-0.1), "stories: banal_share=-0.1"),
        (lambda: SketchConfig(topic_words=0), "sketch: topic_words=0"),
        (lambda: CandidateConfig(min_names=-1), "candidates: min_names=-1"),
        (lambda: SparkConfig(master=3), "spark: master=3 is invalid: expected a string or None"),
        (lambda: SummaryConfig(min_words=-1), "summary: min_words=-1"),
    ],
)
def test_a_bad_value_names_the_stage_field_value_and_expectation(build, says: str) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError) as caught:
        build()
    assert str(caught.value).startswith(says), str(caught.value)


def test_numbers_of_other_numeric_types_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    assert RelateConfig(near_duplicate=np.float64(0.9)).near_duplicate == 0.9
    assert TraceConfig(min_addition_words=np.int64(4), margin=1).margin == 1  # an int is a number

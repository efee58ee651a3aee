"""Hypothesis: spec -> YAML -> spec round-trips; random garbage never produces a traceback."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubefleet.errors import SpecError
from kubefleet.spec.loader import dump_yaml, load_text
from kubefleet.spec.model import ClusterSpec
from tests.strategies import spec_data, specs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_round_trip_spec_yaml_spec(spec: ClusterSpec) -> None:
    text = dump_yaml([spec])
    [again] = load_text(text, "rt.yaml")
    assert again.spec == spec
    assert dump_yaml([again.spec]) == text


@settings(max_examples=40, deadline=None)
@given(st.lists(spec_data(), min_size=2, max_size=4, unique_by=lambda d: d["metadata"]["name"]))
def test_multi_document_round_trip(docs: list[dict]) -> None:
    parsed = [ClusterSpec.model_validate(d) for d in docs]
    loaded = load_text(dump_yaml(parsed), "multi.yaml")
    assert [item.spec for item in loaded] == parsed


yamlish = st.text(alphabet=string.printable + "äß→\u00a0", max_size=300)


def _must_not_crash(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except SpecError as err:
        for issue in err.issues:
            assert issue.file == "fuzz.yaml" and issue.line >= 1 and issue.column >= 1
            assert "Traceback" not in issue.render()


@settings(max_examples=300, deadline=None)
@given(yamlish)
def test_garbage_text_never_crashes(text: str) -> None:
    _must_not_crash(text)


@settings(max_examples=200, deadline=None)
@given(spec_data(), st.data())
def test_mutated_specs_never_crash(data: dict, draw: st.DataObject) -> None:
    """Break a valid spec at a random place (wrong types, unknown keys, deletions): errors, not crashes."""
    text = dump_yaml([ClusterSpec.model_validate(data)])
    lines = text.splitlines()
    i = draw.draw(st.integers(0, len(lines) - 1))
    junk = draw.draw(st.sampled_from(["", "  bogus: 1", ": :", "- [", "  name: 12", "\tx: y", "spec: 7", "'"]))
    lines[i] = junk if draw.draw(st.booleans()) else lines[i] + junk
    _must_not_crash("\n".join(lines) + "\n")

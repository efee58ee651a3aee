"""The offline render drops resource aliases and source positions (kubefleet.render.offline._without_aliases,
_no_source_positions): speed-ups that must change nothing in the graph. The reference is the SDK's own unmodified path (``shortcuts=False``), for
two example clusters that between them declare every resource kind the adapters use (mesh add-ons, GPU
and spot pools, private networking), on every provider. (All seven examples took ~90 s on a busy machine.)"""

from __future__ import annotations

import pytest

from kubefleet.graph import ResourceGraph
from kubefleet.providers import provider_names
from kubefleet.render.offline import render_resolved
from tests.conftest import example_specs, resolved


def _shape(graph: ResourceGraph) -> object:
    return ([(r.urn, r.type, r.name, r.parent, r.inputs, r.custom, r.protect, r.secret_paths, r.ignore_changes,
              r.replace_on_changes, r.delete_before_replace) for r in graph.resources],
            graph.outputs, [n.as_dict() for n in graph.parity])


EXAMPLES = ("shop-mesh", "inference")  # examples/istio-microservices.yaml, examples/gpu-inference.yaml


@pytest.mark.parametrize("provider", provider_names())
def test_dropping_aliases_changes_nothing_in_the_graph(provider: str) -> None:
    chosen = [s for s in example_specs() if s.spec.name in EXAMPLES]
    assert len(chosen) == len(EXAMPLES)
    for loaded in chosen:
        cluster = resolved(loaded.spec, provider)
        fast, reference = render_resolved(cluster), render_resolved(cluster, shortcuts=False)
        assert _shape(fast) == _shape(reference), f"{loaded.spec.name} on {provider}"


def test_the_sdk_classes_carry_aliases_that_are_dropped() -> None:
    """The transformation has something to drop (else this test and the speed-up are moot): azure-native's
    AgentPool declares an alias per older API version, and the transformation removes them."""
    import pulumi

    from kubefleet.render.offline import _without_aliases

    class Args:
        props: dict[str, object] = {}
        opts = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="azure-native:containerservice/v20190201:AgentPool")])

    result = _without_aliases(Args())
    assert result is not None and result.opts.aliases is None
    Args.opts = pulumi.ResourceOptions()
    assert _without_aliases(Args()) is None


def test_the_sdk_records_source_positions_again_after_a_render() -> None:
    """The SDK function swapped during an offline render is put back, also when the render fails, so an
    engine run in the same process (the Automation API runs the program in-process) gets its positions."""
    from pulumi.runtime import resource

    from kubefleet.render import offline

    original = resource._get_stack_trace
    render_resolved(resolved(example_specs()[0].spec, "gke"))
    assert resource._get_stack_trace is original
    try:
        with offline._no_source_positions():
            assert resource._get_stack_trace is not original
            raise RuntimeError("a render that fails")
    except RuntimeError:
        pass
    assert resource._get_stack_trace is original

"""policy rule in-program-install-reachable: a private-only API endpoint plus in-program Helm/Kubernetes
resources fails at `up` unless it runs inside the network; providers that offer a reachable endpoint
(GKE's DNS-based endpoint) are not flagged."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from kubefleet.graph import ResourceGraph
from kubefleet.policies.engine import check
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec
from tests.conftest import MINIMAL, shape_resolver
from tests.test_policies import fixed_pricer

RULE = "in-program-install-reachable"
PRIVATE_MESH = MINIMAL + "  controlPlane: {endpoint: private}\n  addons: {istio: {mode: self-managed}}\n"


def findings(spec: ClusterSpec, provider: str, renderer: Callable[[ClusterSpec, str], ResourceGraph] | None = None
             ) -> list[str]:
    result = check([spec], as_of=date(2026, 11, 29), providers=[provider],
                   renderer=renderer or (lambda s, p: render(s, p, resolver=shape_resolver(p))), pricer=fixed_pricer("100"))
    return [f.message for f in result.findings if f.rule == RULE]


def test_gke_private_endpoint_with_dns_endpoint_is_reachable(load_spec: Callable[[str], ClusterSpec]) -> None:
    assert findings(load_spec(PRIVATE_MESH), "gke") == []


def test_private_only_endpoint_with_helm_is_flagged(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = load_spec(PRIVATE_MESH)

    def without_dns(s: ClusterSpec, p: str) -> ResourceGraph:
        graph = render(s, p, resolver=shape_resolver(p))
        out = []
        for r in graph.resources:
            if r.type == "gcp:container/cluster:Cluster":
                r = dataclasses.replace(r, inputs={k: v for k, v in r.inputs.items()
                                                   if k != "controlPlaneEndpointsConfig"})
            out.append(r)
        return dataclasses.replace(graph, resources=out)

    [message] = findings(spec, "gke", without_dns)
    assert "private API endpoint only" in message and "Release" in message


def test_public_endpoint_or_no_in_cluster_resources_is_not_flagged(load_spec: Callable[[str], ClusterSpec]) -> None:
    assert findings(load_spec(MINIMAL + "  addons: {istio: {mode: self-managed}}\n"), "gke") == []
    assert findings(load_spec(MINIMAL + "  controlPlane: {endpoint: private}\n"), "gke") == []

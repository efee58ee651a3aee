"""kubefleet diff on a region / project / subscription move of an existing cluster (issue #23).

Expected values come from the upstream rules, not from kubefleet's code:

* EKS (pulumi_aws 7.x, explicit aws.Provider): the provider's `region` no longer forces a provider replacement
  in v7 (pulumi/pulumi-aws#5656; the bridge replaces a provider only for ForcesProviderReplace keys,
  pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/tfbridge/provider.go:841-894), so
  the engine updates the provider and diffs each resource (pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8:
  pkg/resource/deploy/step_generator.go:2800-2880). Every resource of a regional service then has its unset
  `region` defaulted to the provider's new region and is replaced (hashicorp/terraform-provider-aws@
  4640a66635ff36287cdb9ce0683daefda6c188c7:internal/provider/sdkv2/region.go:52-69, 91-113). Which types are
  regional is read here from the installed pulumi_aws SDK (its Args take `region` exactly for those).
* AKS subscription move: azure-native's DiffConfig never asks for a replacement
  (pulumi/pulumi-azure-native@6d9e7fe5da3ddea283f27995305640427e65761c:provider/pkg/provider/provider.go
  DiffConfig), and a resource's inputs do not name the subscription: nothing is replaced.
* Every move of an existing cluster is refused by kubefleet with the new-stack hint.

The local test cloud (tests/localcloud) has no explicit-provider DiffConfig to model, so this is checked on
rendered graphs of both sides (kubefleet.render.offline), not through the engine.
"""

from __future__ import annotations

import importlib
import inspect
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubefleet.changes.diff import Priced, diff_graphs, diff_specs
from kubefleet.cli.app import app
from kubefleet.graph import ResourceGraph
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec
from tests.conftest import MINIMAL


def _spec(extra: str = "", region: str = "us-east") -> ClusterSpec:
    return load_text((MINIMAL + extra).replace("us-east", region), "x.yaml")[0].spec


def _sdk_takes_region(type_: str) -> bool:
    """Whether the installed pulumi_aws resource class for ``type_`` takes a ``region`` input (pulumi-aws v7
    generates it from Terraform AWS v6's per-resource region, only on regional services)."""
    _, mod_path, cls = type_.split(":")
    module = importlib.import_module("pulumi_aws." + mod_path.split("/")[0])
    klass = getattr(module, cls)
    return "region" in inspect.signature(klass._internal_init).parameters


@pytest.fixture(scope="module")
def eks_move() -> tuple[ResourceGraph, ResourceGraph]:
    return render(_spec(), "eks"), render(_spec(region="europe-west"), "eks")


def test_the_sdk_oracle_tells_regional_from_global() -> None:
    assert _sdk_takes_region("aws:ec2/vpc:Vpc") and _sdk_takes_region("aws:eks/cluster:Cluster")
    assert not _sdk_takes_region("aws:iam/role:Role")


def test_eks_region_move_replaces_every_regional_resource(eks_move: tuple[ResourceGraph, ResourceGraph]) -> None:
    old, new = eks_move
    (a,) = [r.inputs["region"] for r in old.resources if r.type == "pulumi:providers:aws"]
    (b,) = [r.inputs["region"] for r in new.resources if r.type == "pulumi:providers:aws"]
    assert a != b
    diffs = {d.urn: d for d in diff_graphs(old, new)}
    customs = [r for r in new.resources if r.custom and r.type.startswith("aws:")]
    regional = [r for r in customs if _sdk_takes_region(r.type)]
    assert regional and len(regional) < len(customs)  # both kinds present
    for r in regional:
        d = diffs[r.urn]
        assert d.change.op == "replace", r.urn
        assert "region" in d.forced_by, r.urn
        change = {i.path: i for i in d.change.inputs}["region"]
        assert (change.old, change.new) == (a, b)
    for r in customs:
        if not _sdk_takes_region(r.type):
            assert "region" not in diffs[r.urn].forced_by, r.urn


def test_eks_same_region_is_no_change() -> None:
    old = render(_spec(), "eks")
    assert all(d.change.op == "same" for d in diff_graphs(old, old))


def _items(old: ClusterSpec, new: ClusterSpec, provider: str) -> Any:
    return diff_specs([old], [new], render=render, price=lambda g: Priced(Decimal(0)), providers=[provider])


@pytest.mark.parametrize(("provider", "old_extra", "new_extra", "region"), [
    ("eks", "", "", "europe-west"),
    ("gke", "  providers: {gke: {project: p-one}}\n", "  providers: {gke: {project: p-one}}\n", "europe-west"),
    ("gke", "  providers: {gke: {project: p-one}}\n", "  providers: {gke: {project: p-two}}\n", "us-east"),
    ("aks", "", "", "europe-west"),
])
def test_a_move_is_refused_with_the_new_stack_hint(provider: str, old_extra: str, new_extra: str, region: str) -> None:
    (item,) = _items(_spec(old_extra), _spec(new_extra, region), provider)
    (note,) = item.refused
    assert note.inputs and "new stack" in note.text and f"<name>-{provider}" in note.text
    # the cluster resource itself is replaced, as the providers' ForceNew/create-only rules and the EKS region
    # rule say (cloud cluster types)
    cluster_types = {"eks": "aws:eks/cluster:Cluster", "gke": "gcp:container/cluster:Cluster",
                     "aks": "azure-native:containerservice:ManagedCluster"}
    (cluster,) = [c for c in item.changes.changes if c.type == cluster_types[provider]]
    assert cluster.op == "replace"


def test_aks_subscription_move_replaces_nothing_and_is_refused() -> None:
    one = "  providers: {aks: {subscriptionId: 00000000-0000-0000-0000-000000000001}}\n"
    two = one.replace("0001}", "0002}")
    (item,) = _items(_spec(one), _spec(two), "aks")
    assert all(c.op != "replace" for c in item.changes.changes)
    (note,) = item.refused
    assert "subscription" in note.text and "azure-native" in note.rule


def test_an_unchanged_place_is_not_refused() -> None:
    for provider in ("eks", "gke", "aks"):
        (item,) = _items(_spec(), _spec(), provider)
        assert item.refused == ()


def _position(path: Path, key: str) -> str:
    """file:line:col of ``key``'s value, found in the text itself (not by kubefleet's locator)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if f"{key}: " in line:
            return f"{path}:{number}:{line.index(f'{key}: ') + len(key) + 3}"
    raise AssertionError(key)


@pytest.mark.parametrize(("old_extra", "new_extra", "region", "field"), [
    ("  provider: eks\n", "  provider: eks\n", "europe-west", "region"),
    ("  provider: gke\n  providers: {gke: {project: p-one}}\n", "  provider: gke\n  providers: {gke: {project: p-two}}\n",
     "us-east", "project"),
    ("  provider: aks\n  providers: {aks: {subscriptionId: 00000000-0000-0000-0000-000000000001}}\n",
     "  provider: aks\n  providers: {aks: {subscriptionId: 00000000-0000-0000-0000-000000000002}}\n",
     "us-east", "subscriptionId"),
])
def test_validate_base_refuses_a_move_at_its_field(tmp_path: Path, old_extra: str, new_extra: str, region: str,
                                                   field: str) -> None:
    before, after = tmp_path / "old.yaml", tmp_path / "new.yaml"
    before.write_text(MINIMAL + old_extra)
    after.write_text((MINIMAL + new_extra).replace("us-east", region))
    result = CliRunner().invoke(app, ["validate", str(after), "--base", str(before), "--as-of", "2026-11-27"])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"{_position(after, field)}: kubefleet refuses to move the existing" in flat, flat
    same = CliRunner().invoke(app, ["validate", str(before), "--base", str(before), "--as-of", "2026-11-27"])
    assert "refuses to move" not in same.output, same.output  # (1.33 may be refused as too old: another check)

"""AKS day 2, offline: what `kubefleet diff` predicts for each change of an AKS spec, with the expected
operation taken from the provider's replace table (azure-native forceNewMap), the AKS API model
(azure-mgmt-containerservice, ARM 2025-09-01) and Microsoft's AKS documentation — not from kubefleet."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.providers.aks.nodepool import RECREATE_ON

BASE = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: shop
  labels: {team: payments, owner: jane-doe, cost-center: cc-1234, env: staging}
spec:
  provider: aks
  kubernetes: {version: "1.33"}
  region: us-east
  controlPlane: {availability: regional, tier: standard, endpoint: public}
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      count: 3
  addons:
    istio: {mode: managed, dataPlane: sidecar, expectedPods: 200}
"""
POOL = "azure-native:containerservice:AgentPool"
CLUSTER = "azure-native:containerservice:ManagedCluster"


def _diff(tmp_path: Path, new: str) -> dict[str, dict[str, Any]]:
    (tmp_path / "old.yaml").write_text(BASE)
    (tmp_path / "new.yaml").write_text(new)
    result = CliRunner().invoke(app, ["diff", "--base", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"),
                                      "--as-of", "2026-11-27", "--output", "json"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    (cluster,) = data["clusters"]
    return {f"{c['type']}::{c['name']}": c for c in cluster["changes"]}


def _pool(changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return changes[f"{POOL}::shop-general"]


def test_model_says_os_disk_type_cannot_change_after_creation() -> None:
    """The oracle behind RECREATE_ON's osDiskType: the AKS API model's own text."""
    models = importlib.import_module("azure.mgmt.containerservice.models")
    doc = inspect.getdoc(models.AgentPool) or ""
    os_disk = doc.split(":ivar os_disk_type:", 1)[1].split(":ivar", 1)[0]
    assert "May not be changed after creation" in " ".join(os_disk.split())
    assert "osDiskType" in RECREATE_ON and "availabilityZones" in RECREATE_ON


def test_resize_is_an_in_place_update(tmp_path: Path) -> None:
    pool = _pool(_diff(tmp_path, BASE.replace("count: 3", "count: 5")))
    assert pool["op"] == "update" and "replaced_because" not in pool
    assert [i["path"] for i in pool["inputs"]] == ["count"]


def test_machine_shape_change_replaces_the_pool_deleting_it_first(tmp_path: Path) -> None:
    """vmSize is in azure-native's forceNewMap; the pool keeps its name, so the old one goes first."""
    pool = _pool(_diff(tmp_path, BASE.replace("vcpus: 4, memoryGiB: 16", "vcpus: 8, memoryGiB: 32")))
    assert pool["op"] == "replace" and pool["replaced_because"] == ["vmSize"]
    assert "deleted before its replacement is created" in pool["at_apply"]


def test_zone_change_replaces_the_pool_instead_of_an_update_aks_refuses(tmp_path: Path) -> None:
    """learn.microsoft.com/azure/aks/availability-zones: zones cannot change after a pool is created."""
    changes = _diff(tmp_path, BASE.replace("availability: regional", "availability: zonal"))
    pool = _pool(changes)
    assert pool["op"] == "replace" and "availabilityZones" in pool["replaced_because"]
    assert "deleted before its replacement is created" in pool["at_apply"]


def test_mesh_revision_is_not_sent_again_so_a_mesh_upgrade_is_not_reverted(tmp_path: Path) -> None:
    """`az aks mesh upgrade` moves serviceMeshProfile.istio.revisions (istio-upgrade doc); the program
    ignores it after creation and the diff says a spec-side move is not applied."""
    from kubefleet.catalog import load_catalog
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_text

    (spec,) = load_text(BASE, "base.yaml")
    graph = render(spec.spec, "aks", catalog=load_catalog())
    (cluster,) = [r for r in graph.resources if r.type == CLUSTER]
    assert "serviceMeshProfile.istio.revisions" in cluster.ignore_changes
    assert cluster.inputs["serviceMeshProfile"]["istio"]["revisions"]  # created with the resolved revision


def test_adding_and_removing_a_pool(tmp_path: Path) -> None:
    extra = BASE.replace("      count: 3\n", "      count: 3\n    - name: batch\n"
                                              "      machine: {vcpus: 4, memoryGiB: 16}\n      count: 1\n")
    added = _diff(tmp_path, extra)
    assert added[f"{POOL}::shop-batch"]["op"] == "create"
    assert added[f"{POOL}::shop-general"]["op"] == "same"


@pytest.mark.parametrize("channel_text", ["kubernetes: {version: \"1.34\"}"])
def test_version_bump_on_an_auto_upgrade_channel_is_said_not_silent(tmp_path: Path, channel_text: str) -> None:
    changes = _diff(tmp_path, BASE.replace('kubernetes: {version: "1.33"}', channel_text))
    cluster = changes[f"{CLUSTER}::shop-aks"]
    # the default channel of this spec auto-upgrades: the engine ignores kubernetesVersion after creation
    assert cluster["op"] in ("same", "update")
    assert "kubernetesVersion" not in [i["path"] for i in cluster["inputs"]]
    assert "not applied by up" in cluster.get("at_apply", "") and "kubernetesVersion" in cluster["at_apply"]


def test_stack_azure_native_config_reaches_the_explicit_provider() -> None:
    """`providers.aks.subscriptionId` makes an explicit provider, which Pulumi does not configure from the
    stack's `azure-native:*` keys; the program must carry them (every key of the installed ProviderArgs)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    from kubefleet.catalog import load_catalog
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_text

    text = BASE + "  providers:\n    aks: {subscriptionId: 00000000-0000-0000-0000-000000000001}\n"
    (spec,) = load_text(text, "sub.yaml")
    keys = {"azure-native:clientId": "11111111-2222-3333-4444-555555555555",
            "azure-native:tenantId": "66666666-7777-8888-9999-000000000000", "azure-native:useOidc": "true",
            "azure-native:environment": "usgovernment"}
    for key, value in keys.items():
        pulumi.runtime.set_config(key, value)
    try:
        graph = render(spec.spec, "aks", catalog=load_catalog())
    finally:
        for key in keys:
            runtime_config.CONFIG.get().pop(key, None)
    provider = graph.one("pulumi:providers:azure-native")
    assert provider.get("clientId") in (keys["azure-native:clientId"], "[secret]")  # the SDK marks it secret
    assert provider.get("clientId") is not None
    assert provider.get("tenantId") in (keys["azure-native:tenantId"], "[secret]")
    assert provider.get("useOidc") in (True, "true")  # provider config travels as strings
    assert provider.get("environment") == "usgovernment"
    assert provider.get("subscriptionId") == "00000000-0000-0000-0000-000000000001"

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


# ---- the System pool as an AgentPool ------------------------------------------------------------------

SYSTEM = f"{POOL}::shop-kubefleet-aks-system"


def _forcenew(type_: str) -> set[str]:
    """AgentPool inputs in azure-native's forceNewMap, as the generated replace table holds them."""
    from kubefleet.changes import replace

    return {path for path, rule in replace.rules(type_).items() if rule.get("arm") == "forceNewMap"}


def test_system_pool_name_hashes_every_input_that_replaces_a_pool() -> None:
    """The managed System pool's name changes exactly when a replace-forcing input changes: azure-native's
    forceNewMap (pulumi-azure-native@1b7112af provider/pkg/gen/replacement.go, via the generated table) plus
    the inputs AKS refuses to change (RECREATE_ON)."""
    from kubefleet.providers.aks.nodepool import NAME_INPUTS

    assert set(NAME_INPUTS) == _forcenew(POOL) | set(RECREATE_ON)
    assert {"vmSize", "gpuInstanceProfile"} <= _forcenew(POOL)


def test_zone_change_replaces_the_system_pool_create_before_delete(tmp_path: Path) -> None:
    """use-system-pools.md@fb060ab:90-91: a System pool may be deleted only when another takes its place,
    and a cluster requires at least one: the System pool's replacement gets a new agentPoolName (an ARM URL
    parameter, so the table replaces it) and is created before the old one is deleted; the ManagedCluster is
    not touched (its agentPoolProfiles, the bootstrap pool, is ignored after creation)."""
    changes = _diff(tmp_path, BASE.replace("availability: regional", "availability: zonal"))
    system = changes[SYSTEM]
    assert system["op"] == "replace"
    assert {"agentPoolName", "availabilityZones"} <= set(system["replaced_because"])
    assert "deleted before its replacement is created" not in system.get("at_apply", "")
    cluster = changes[f"{CLUSTER}::shop-aks"]
    assert "agentPoolProfiles" not in [i["path"] for i in cluster["inputs"]]
    assert "agentPoolProfiles" not in cluster.get("at_apply", "")
    # the user pool keeps its name: deleted first
    assert "deleted before its replacement is created" in _pool(changes)["at_apply"]


def _render(text: str, system_vm: str | None = None) -> Any:
    from kubefleet.render.offline import render
    from kubefleet.resolve.pools import SYSTEM_POOL_KEY
    from kubefleet.spec.loader import load_text
    from tests.conftest import shape_resolver

    base = shape_resolver("aks")

    def resolver(pool: Any) -> Any:
        choice = base(pool)
        if system_vm and pool.name == SYSTEM_POOL_KEY:
            return type(choice)(**{**vars(choice), "name": system_vm})
        return choice

    (spec,) = load_text(text, "spec.yaml")
    return render(spec.spec, "aks", resolver=resolver)


def test_system_vm_size_change_is_a_create_before_delete_replace_the_api_model_accepts() -> None:
    """Offline plan (mock monitor): the System shape resolving to another VM size replaces the managed
    System AgentPool (vmSize is in the table's forceNewMap; the new name makes it create-before-delete);
    the cluster stays the same. The API model (azure-mgmt-containerservice 40.1.0, ARM 2025-09-01) accepts
    both rendered AgentPool bodies."""
    from kubefleet.changes.diff import diff_graphs
    from kubefleet.providers import verify_graph

    old, new = _render(BASE), _render(BASE, system_vm="Standard_D8s_v5")
    by_key = {f"{d.change.type}::{d.change.name}": d for d in diff_graphs(old, new)}
    system = by_key[SYSTEM]
    assert system.change.op == "replace" and not system.delete_first
    assert {"vmSize", "agentPoolName"} <= set(system.forced_by)
    assert by_key[f"{CLUSTER}::shop-aks"].change.op == "same"
    assert by_key[f"{POOL}::shop-general"].change.op == "same"
    for graph in (old, new):
        report = verify_graph(graph)
        assert report.violations == [], report.violations
        body = next(r for r in graph.of_type(POOL) if r.get("mode") == "System")
        assert body.get("vmSize") in ("Standard_D4s_v5", "Standard_D8s_v5")


def test_user_pool_count_update_and_pool_removal(tmp_path: Path) -> None:
    """count is not in the forceNewMap: an in-place update of the one AgentPool; removing a pool deletes
    its AgentPool only (the System pool stays)."""
    resized = _diff(tmp_path, BASE.replace("count: 3", "count: 4"))
    assert resized[SYSTEM]["op"] == "same" and _pool(resized)["op"] == "update"
    assert "count" not in _forcenew(POOL)
    two = BASE.replace("      count: 3\n", "      count: 3\n    - name: batch\n"
                                           "      machine: {vcpus: 4, memoryGiB: 16}\n      count: 1\n")
    (tmp_path / "two.yaml").write_text(two)
    (tmp_path / "one.yaml").write_text(BASE)
    result = CliRunner().invoke(app, ["diff", "--base", str(tmp_path / "two.yaml"), str(tmp_path / "one.yaml"),
                                      "--as-of", "2026-11-27", "--output", "json"], catch_exceptions=False)
    (cluster,) = json.loads(result.stdout)["clusters"]
    ops = {f"{c['type']}::{c['name']}": c["op"] for c in cluster["changes"]}
    assert ops[f"{POOL}::shop-batch"] == "delete"
    assert ops[SYSTEM] == "same" and ops[f"{POOL}::shop-general"] == "same"


# ---- Kata (Pod Sandboxing) on a VM size that cannot run it ----------------------------------------------

ORACLES = Path(__file__).parent / "data" / "oracles" / "vm-features"


def _size_page(series_file: str) -> tuple[list[str], bool, bool]:
    """(sizes, generation 2, nested virtualization) as the committed excerpt of a size page states them."""
    import re

    text = (ORACLES / series_file).read_text(encoding="utf-8")
    sizes = re.findall(r"^\| (Standard_[A-Za-z0-9_]+) \|", text, re.M)

    def supported(feature: str) -> bool:
        line = next(ln for ln in text.splitlines() if f"[{feature}]" in ln)
        status = line.split(")", 1)[1]
        return "Not Supported" not in status and "Supported" in status

    return sizes, supported("Generation 2 VMs"), supported("Nested Virtualization")


def test_vm_feature_facts_are_the_size_pages() -> None:
    """kubefleet/catalog/data/vm-features.yaml against the committed excerpts of Microsoft's size pages (each
    source URL pins the commit the excerpt names); the Kata rule itself is use-pod-sandboxing.md:64-65."""
    from kubefleet.catalog.vm_features import vm_features

    rule = (ORACLES / "use-pod-sandboxing.md").read_text(encoding="utf-8")
    assert "generation 2 VM and supports nested virtualization" in rule
    assert "Only the Azure Linux os-sku supports this feature" in rule
    facts = vm_features()
    for page in ("dsv5-series.md", "esv5-series.md", "fsv2-series.md", "bv1-series.md"):
        sizes, gen2, nested = _size_page(page)
        commit = (ORACLES / page).read_text(encoding="utf-8").split("@", 1)[1].split(" ", 1)[0]
        assert sizes
        for size in sizes:
            f = facts[size]
            assert (f.generation2, f.nested_virtualization) == (gen2, nested), size
            assert commit in f.source.url and f.source.url.endswith(page), size
    assert facts["Standard_B2ms"].runs_kata is False and facts["Standard_D4s_v5"].runs_kata is True


def test_shape_matching_cannot_pick_a_size_kata_cannot_run_on() -> None:
    """Every non-GPU AKS size in the price catalog (what shape matching picks from) is listed and runs Kata."""
    from kubefleet.catalog import load_catalog
    from kubefleet.catalog.vm_features import features_of

    catalog = load_catalog()
    names = {i.name for region in ("eastus", "westus2", "westeurope", "southeastasia")
             for i in catalog.instances("aks", region) if not i.gpu_count}
    assert names
    for name in sorted(names):
        f = features_of(name)
        assert f is not None and f.runs_kata, name


def test_validate_refuses_a_sandboxed_pool_pinned_to_a_size_without_nested_virtualization(tmp_path: Path) -> None:
    """The Bv1 page says Nested Virtualization Not Supported: `validate` says so at the pin's line, exit 2."""
    text = BASE.replace('version: "1.33"', 'version: "1.36"').replace(
        "      count: 3\n", "      count: 3\n      instanceTypes: {aks: Standard_B2ms}\n") + (
        "  tenancy: {isolation: sandboxed}\n")
    spec = tmp_path / "kata.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(spec), "--as-of", "2026-12-06"])
    line = text.splitlines().index("      instanceTypes: {aks: Standard_B2ms}") + 1
    assert result.exit_code == 2, result.output
    assert f"kata.yaml:{line}:" in result.output and "Standard_B2ms cannot run AKS Pod Sandboxing" in result.output
    assert "nested virtualization" in result.output
    ok = spec.read_text().replace("Standard_B2ms", "Standard_D4s_v5")
    spec.write_text(ok)
    assert "Pod Sandboxing" not in CliRunner().invoke(app, ["validate", str(spec), "--as-of", "2026-12-06"]).output

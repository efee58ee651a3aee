"""Day 2 on the kubeadm target: what Cluster API's own admission webhooks say to each change kubefleet would
send to the management cluster. The verdict each test expects is the webhook's, cited line by line below;
nothing here asks kubefleet's code what the answer should be.

Where the built managers run (scripts/build-capi-managers.sh: Cluster API v1.13.6's core, KCP and CABPK
managers, their webhooks registered with the test kube-apiserver by tests/capi_apiserver.py), the change is
sent for real and the webhook answers. CAPV's manager is not built (its module is not on the Go module
proxy, and its controllers want a vCenter), so its two template rules are cited and checked as the
invariant they impose on what we render: a template name always denotes one spec.

Already covered in tests/test_capi_render.py (same apiserver): +1 minor, downgrade, +2 minors chained
through ClusterClass.kubernetesVersions, control-plane replicas 1 -> 3, machine shape change through a new
class, dropping an in-use pool class from a live class, KubeadmControlPlaneTemplate immutability.

Sources (sigs.k8s.io/cluster-api@v1.13.6 as served by the Go module proxy; CAPV at its v1.16.1 commit):

- C1 cluster-api@v1.13.6:internal/webhooks/cluster.go:312,899-926 + internal/topology/check/compatibility.go:
  288-304 - every MachineDeployment topology of the *new* Cluster must name a class of the *new* ClusterClass
  ("MachineDeploymentClass with name %q does not exist in ClusterClass %q"); nothing else ties a pool to the
  old class, so pools may be renamed, added or removed together with a class change.
- C2 compatibility.go:166-225 (called from cluster.go:412 when classRef changes) - a class rebase may change
  template *names* but not the group or kind of any templateRef ("kind cannot be changed from ..."):
  compatibility.go:89-110.
- C3 cluster.go:317,1032-1056 - a MachineDeployment topology may not carry both ``replicas`` and the
  autoscaler min/max annotations ("cannot be set for cluster ... if the same MachineDeploymentTopology has
  autoscaler annotations").
- K1 cluster-api@v1.13.6:controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go:118-231 - a KCP update
  may change only the allow-listed paths; kubeadmConfigSpec files, preKubeadmCommands, postKubeadmCommands
  (169-172), replicas and version (189-190) and rollout (195-196) are among them; anything else is
  "cannot be modified" (226-231), e.g. clusterConfiguration.certificatesDir.
- K2 kubeadmcontrolplane.go:269-281 - with stacked etcd, replicas "cannot be an even number".
- B1 cluster-api@v1.13.6:bootstrap/kubeadm/internal/webhooks/kubeadmconfigtemplate.go:70-73 - a
  KubeadmConfigTemplate update is only validated, not compared with the old one: it is mutable.
- V1 cluster-api-provider-vsphere@5b57d1db50a72f8d7ac605f9860f18d517215b4d:
  internal/webhooks/vspheremachinetemplate.go:36,107-117 - an update whose spec.template.spec is not
  reflect.DeepEqual to the stored one is refused ("VSphereMachineTemplate spec.template.spec field is
  immutable. Please create a new resource instead."), except the topology controller's own dry runs.
- V2 same commit, internal/webhooks/vsphereclustertemplate.go:48-51 - likewise "VSphereClusterTemplate spec
  is immutable".
- T1 cluster-api@v1.13.6:controlplane/kubeadm/internal/webhooks/kubeadmcontrolplanetemplate.go:94-101 -
  likewise for KubeadmControlPlaneTemplate (run for real in test_capi_render.py).
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any

import pytest

from kubefleet.errors import SpecError
from kubefleet.providers.kubeadm import capi
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec
from tests.capi_apiserver import ApiServer
from tests.conftest import example_specs, resolved

CP_API = "controlplane.cluster.x-k8s.io/v1beta2"
CORE_API = "cluster.x-k8s.io/v1beta2"


def _text(name: str, *, version: str = "1.35", replicas: int = 1, pools: str | None = None, extra: str = "") -> str:
    availability = "regional" if replicas > 1 else "zonal"
    if pools is None:
        pools = "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 2\n"
    return (
        "apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\n"
        f"metadata: {{name: {name}, labels: {{team: t, owner: o, cost-center: c, env: dev}}}}\n"
        f"spec:\n  kubernetes: {{version: \"{version}\"}}\n  region: us-west\n"
        f"  controlPlane: {{availability: {availability}, replicas: {replicas}}}\n{extra}  nodePools:\n{pools}"
    )


def _load(text: str) -> ClusterSpec:
    return load_text(text, "day2.yaml")[0].spec


def _render(spec: ClusterSpec) -> list[dict[str, Any]]:
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server="vcenter.example.com", thumbprint="AA:BB")
    return capi.render(inputs)


def _one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (obj,) = [o for o in objects if o["kind"] == kind]
    return obj


def _need_webhooks(api: ApiServer) -> None:
    if not api.webhooks:
        reason = "Cluster API managers not built (scripts/build-capi-managers.sh): webhook verdicts not checked"
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _url(api: ApiServer, obj: dict[str, Any]) -> str:
    return f"{api.path_for(obj)}/{obj['metadata']['name']}"


def _apply(api: ApiServer, objects: list[dict[str, Any]], *, skip: tuple[str, ...] = ()) -> None:
    """Create what is missing (the content-named templates and classes of a new render); what exists is
    left alone, as it would be: an existing name carries the same spec (test_a_template_name_denotes_one_spec)."""
    for obj in objects:
        if obj["kind"] in skip:
            continue
        if obj["kind"] == "Namespace":
            made = api.request("POST", "/api/v1/namespaces", obj)
        else:
            made = api.create(obj)
        assert made.ok or made.status == 409, f"{obj['kind']} {obj['metadata']['name']}: {made.message}"


def _wait_for(predicate: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"{what} not seen within {timeout:.0f}s")


def _kcp(api: ApiServer, spec: ClusterSpec) -> dict[str, Any]:
    path = f"/apis/{CP_API}/namespaces/{capi.namespace(spec)}/kubeadmcontrolplanes"
    return _wait_for(lambda: (api.request("GET", path).body.get("items") or [None])[0],
                     "the KubeadmControlPlane Cluster API's topology controller creates")


def _settled(api: ApiServer, spec: ClusterSpec) -> None:
    """A control plane that finished provisioning at the spec's version: the Cluster paused (Cluster API's own
    stop switch, so no controller rewrites status) and the KCP's status.version set, which the Cluster
    webhook reads (cluster.go:486-525) before it allows any topology change."""
    cluster = _one(_render(spec), "Cluster")
    paused = api.merge_patch(_url(api, cluster), {"spec": {"paused": True}})
    assert paused.ok, paused.message
    kcp = _kcp(api, spec)
    patch = {"status": {"version": cluster["spec"]["topology"]["version"]}}
    done = api.merge_patch(f"{api.path_for(kcp)}/{kcp['metadata']['name']}/status", patch)
    assert done.ok, done.message


def _cluster_verdict(api: ApiServer, objects: list[dict[str, Any]]) -> Any:
    """The new render's templates and class created for real, then its Cluster sent as an update (dry run):
    the Cluster webhook's verdict on exactly what `kubefleet up` would change."""
    _apply(api, objects, skip=("Cluster",))
    cluster = _one(objects, "Cluster")
    body = {"spec": cluster["spec"]}
    return api.merge_patch(_url(api, cluster) + "?dryRun=All&fieldValidation=Strict", body)


def _put_dry_run(api: ApiServer, live: dict[str, Any]) -> Any:
    return api.request("PUT", _url(api, live) + "?dryRun=All&fieldValidation=Strict", live)


# ---- the Cluster webhook: pools, classes, autoscaling ----


def test_pools_renamed_added_removed_and_bootstrap_changed_in_one_update(apiserver: ApiServer) -> None:
    """C1/C2: the content-named class that a render with a renamed pool, a removed pool, a new pool, sandboxed
    tenancy (new bootstrap files and commands) and another pod CIDR produces is accepted as one Cluster
    update. Control: a topology whose pool names a class the new class lacks is refused (C1)."""
    _need_webhooks(apiserver)
    two = ("    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 2\n"
           "    - name: batch\n      machine: {vcpus: 4, memoryGiB: 16}\n      count: 1\n")
    spec = _load(_text("whpools", pools=two))
    _apply(apiserver, _render(spec))
    _settled(apiserver, spec)
    renamed = ("    - name: general\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 2\n"
               "    - name: gpu-free\n      machine: {vcpus: 8, memoryGiB: 32}\n      count: 1\n")
    sandboxed = "  tenancy: {isolation: sandboxed}\n  network: {podCidr: 10.200.0.0/16}\n"
    after = _render(_load(_text("whpools", pools=renamed, extra=sandboxed)))
    verdict = _cluster_verdict(apiserver, after)
    assert verdict.ok, verdict.message

    broken = copy.deepcopy(after)
    _one(broken, "Cluster")["spec"]["topology"]["workers"]["machineDeployments"][0]["class"] = "default"
    refused = _cluster_verdict(apiserver, broken)
    assert not refused.ok and 'MachineDeploymentClass with name "default" does not exist' in refused.message, (
        refused.message)


def test_template_kinds_never_change_between_renders() -> None:
    """C2: a class rebase may not change the group or kind of any templateRef. Every render of every example
    and of the day-2 variants below refers to the same kinds in the same places."""
    variants = [_text("k", version=v, replicas=r) for v in ("1.33", "1.35") for r in (1, 3)]
    variants.append(_text("k", extra="  tenancy: {isolation: sandboxed}\n"))
    specs = [ls.spec for ls in example_specs()] + [_load(t) for t in variants]
    seen = set()
    for spec in specs:
        cc = _one(_render(spec), "ClusterClass")["spec"]
        refs = [("infrastructure", cc["infrastructure"]["templateRef"]),
                ("controlPlane", cc["controlPlane"]["templateRef"]),
                ("controlPlane.machineInfrastructure", cc["controlPlane"]["machineInfrastructure"]["templateRef"])]
        for md in cc["workers"]["machineDeployments"]:
            refs += [("md.infrastructure", md["infrastructure"]["templateRef"]),
                     ("md.bootstrap", md["bootstrap"]["templateRef"])]
        seen |= {(where, ref["apiVersion"].split("/")[0], ref["kind"]) for where, ref in refs}
    assert seen == {
        ("infrastructure", "infrastructure.cluster.x-k8s.io", "VSphereClusterTemplate"),
        ("controlPlane", "controlplane.cluster.x-k8s.io", "KubeadmControlPlaneTemplate"),
        ("controlPlane.machineInfrastructure", "infrastructure.cluster.x-k8s.io", "VSphereMachineTemplate"),
        ("md.infrastructure", "infrastructure.cluster.x-k8s.io", "VSphereMachineTemplate"),
        ("md.bootstrap", "bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate"),
    }


def test_switching_a_pool_between_fixed_count_and_autoscaling(apiserver: ApiServer) -> None:
    """C3: count -> autoscaling (replicas dropped, min/max annotations added) and back are accepted; a pool
    with both is refused - and no render ever carries both."""
    _need_webhooks(apiserver)
    fixed = "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 2\n"
    auto = "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      autoscaling: {min: 1, max: 4}\n"
    spec = _load(_text("whauto", pools=fixed))
    _apply(apiserver, _render(spec))
    _settled(apiserver, spec)
    to_auto = _render(_load(_text("whauto", pools=auto)))
    md = _one(to_auto, "Cluster")["spec"]["topology"]["workers"]["machineDeployments"][0]
    assert "replicas" not in md and md["metadata"]["annotations"][capi.AUTOSCALER_MIN] == "1"
    # a merge patch keeps keys it does not name: say that replicas goes, as a server-side apply would
    md_patch = copy.deepcopy(to_auto)
    _one(md_patch, "Cluster")["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = None
    verdict = _cluster_verdict(apiserver, md_patch)
    assert verdict.ok, verdict.message
    back = _cluster_verdict(apiserver, _render(_load(_text("whauto", pools=fixed))))
    assert back.ok, back.message
    both = copy.deepcopy(to_auto)
    _one(both, "Cluster")["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 3
    refused = _cluster_verdict(apiserver, both)
    assert not refused.ok and "has autoscaler annotations" in refused.message, refused.message


# ---- the KubeadmControlPlane webhook: what the topology controller will write into the live KCP ----


def test_kcp_accepts_the_changes_kubefleet_makes_and_refuses_frozen_fields(apiserver: ApiServer) -> None:
    """K1/K2 against the KCP Cluster API's topology controller created from our class: the kubeadmConfigSpec
    a sandboxed render with another pod CIDR produces (files, pre/post commands) and replicas 1 -> 3 are
    accepted; an even replica count and a frozen clusterConfiguration field are refused. The spec refuses
    the even count before anything reaches Cluster API."""
    _need_webhooks(apiserver)
    spec = _load(_text("whkcp"))
    _apply(apiserver, _render(spec))
    live = _kcp(apiserver, spec)
    changed = _render(_load(_text("whkcp", replicas=3,
                                  extra="  tenancy: {isolation: sandboxed}\n  network: {podCidr: 10.200.0.0/16}\n")))
    template = _one(changed, "KubeadmControlPlaneTemplate")["spec"]["template"]["spec"]
    new = copy.deepcopy(live)
    new["spec"]["kubeadmConfigSpec"].update(
        {k: template["kubeadmConfigSpec"][k] for k in ("files", "preKubeadmCommands", "postKubeadmCommands")})
    new["spec"]["replicas"] = 3
    assert new["spec"]["kubeadmConfigSpec"] != live["spec"]["kubeadmConfigSpec"]
    verdict = _put_dry_run(apiserver, new)
    assert verdict.ok, verdict.message

    even = copy.deepcopy(live)
    even["spec"]["replicas"] = 4
    refused = _put_dry_run(apiserver, even)
    assert not refused.ok and "cannot be an even number when etcd is stacked" in refused.message, refused.message
    with pytest.raises(SpecError, match="1, 3 or 5"):
        _load(_text("whkcp", replicas=4))

    frozen = copy.deepcopy(live)
    frozen["spec"]["kubeadmConfigSpec"].setdefault("clusterConfiguration", {})["certificatesDir"] = "/etc/pki/k8s"
    refused = _put_dry_run(apiserver, frozen)
    assert not refused.ok and "cannot be modified" in refused.message and "certificatesDir" in refused.message, (
        refused.message)


def test_kubeadm_config_template_is_mutable_in_place(apiserver: ApiServer) -> None:
    """B1: CABPK's webhook does not compare a KubeadmConfigTemplate with its stored self, so an in-place
    change would be accepted; kubefleet still names it by content, so that the class (and with it the
    MachineDeployment's template reference) changes and the topology controller rolls the pool."""
    _need_webhooks(apiserver)
    spec = _load(_text("whkct"))
    objects = _render(spec)
    _apply(apiserver, objects, skip=("Cluster",))
    tpl = _one(objects, "KubeadmConfigTemplate")
    live = apiserver.request("GET", _url(apiserver, tpl)).body
    live["spec"]["template"]["spec"]["preKubeadmCommands"] = ["echo changed"]
    verdict = _put_dry_run(apiserver, live)
    assert verdict.ok, verdict.message
    sandboxed = _render(_load(_text("whkct", extra="  tenancy: {isolation: sandboxed}\n")))
    assert _one(sandboxed, "KubeadmConfigTemplate")["metadata"]["name"] != tpl["metadata"]["name"]


# ---- CAPV's template rules (cited, V1/V2) and T1: a template name denotes exactly one spec ----

_DAY2: dict[str, dict[str, Any]] = {
    "base": {},
    "patch bump": {"version": "1.34.3"},
    "minor bump": {"version": "1.35"},
    "three masters": {"replicas": 3},
    "shape": {"pools": "    - name: default\n      machine: {vcpus: 4, memoryGiB: 16}\n      count: 2\n"},
    "disk": {"pools": "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      disk: {sizeGiB: 120}\n"
                       "      count: 2\n"},
    "count": {"pools": "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 5\n"},
    "second pool": {"pools": "    - name: default\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 2\n"
                             "    - name: edge\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 1\n"},
    "sandboxed": {"extra": "  tenancy: {isolation: sandboxed}\n"},
    "pod cidr": {"extra": "  network: {podCidr: 10.200.0.0/16}\n"},
    "template override": {"extra": "  providers:\n    kubeadm:\n      vsphere: {template: \"golden-{version}\"}\n"},
    "vip": {"extra": "  providers:\n    kubeadm: {controlPlaneVip: 10.0.0.99}\n"},
}
_TEMPLATES = ("VSphereMachineTemplate", "VSphereClusterTemplate", "KubeadmControlPlaneTemplate",
              "KubeadmConfigTemplate", "ClusterClass")


def _day2_renders() -> dict[str, list[dict[str, Any]]]:
    out = {}
    for label, kw in _DAY2.items():
        kw = {"version": "1.34", **kw}
        out[label] = _render(_load(_text("whnames", **kw)))
    return out


def test_a_template_name_denotes_one_spec() -> None:
    """V1/V2/T1: the update Pulumi would send for an existing template name must carry a spec DeepEqual to
    the stored one, or CAPV/KCP refuse it. Over every day-2 change above, each (kind, name) kubefleet renders
    maps to exactly one spec - so kubefleet never sends such an update - and a change that alters a
    machine's spec (patch, minor, shape, disk, template override) gives that template a new name."""
    renders = _day2_renders()
    specs: dict[tuple[str, str], str] = {}
    for label, objects in renders.items():
        seen_here: set[tuple[str, str]] = set()
        for obj in objects:
            if obj["kind"] not in _TEMPLATES:
                continue
            key = (obj["kind"], obj["metadata"]["name"])
            assert key not in seen_here, f"{label}: {key} rendered twice"
            seen_here.add(key)
            body = json.dumps(obj["spec"], sort_keys=True)
            assert specs.setdefault(key, body) == body, f"{label}: {key} names two different specs"

    def machine_names(label: str) -> set[str]:
        return {o["metadata"]["name"] for o in renders[label] if o["kind"] == "VSphereMachineTemplate"}

    base = machine_names("base")
    for label in ("patch bump", "minor bump", "template override"):
        assert not machine_names(label) & base, f"{label}: a machine template kept its name"
    for label in ("shape", "disk"):
        changed = machine_names(label) - base
        assert len(changed) == 1 and "-default-" in next(iter(changed)), (label, changed)
    assert machine_names("count") == base  # a count is topology, not template
    assert machine_names("three masters") == base


def test_a_pool_named_like_the_control_plane_gets_its_own_template() -> None:
    """A pool called ``control-plane`` with the masters' VM shape must not render the control plane's
    VSphereMachineTemplate a second time (two Pulumi resources would own one object: deleting the pool
    would delete the masters' template)."""
    pools = "    - name: control-plane\n      machine: {vcpus: 2, memoryGiB: 4}\n      disk: {sizeGiB: 50}\n      count: 1\n"
    objects = _render(_load(_text("whcp", pools=pools)))
    names = [o["metadata"]["name"] for o in objects if o["kind"] == "VSphereMachineTemplate"]
    assert len(names) == len(set(names)) == 2, names

"""A changed pod CIDR, service CIDR or control-plane VIP of an existing kubeadm cluster is refused, not sent.

Cluster API v1.13.6 accepts such a change (its Cluster webhook only checks that the blocks parse as CIDRs:
internal/webhooks/cluster.go:202-206; the oracle below is the webhook itself, run from the built manager),
but nothing re-addresses a running cluster: the bootstrap provider reads clusterNetwork only when it
generates a machine's kubeadm configuration (bootstrap/kubeadm/internal/controllers/kubeadmconfig_controller.go:
1320-1325), and the Cluster takes its controlPlaneEndpoint from the infrastructure cluster only while it has
none (internal/controllers/cluster/cluster_controller_phases.go:218). So:

- ``kubefleet diff`` shows it as refused (the refusal mechanism of skipped/downgraded versions:
  kubefleet.changes.upgrades), with the reason and the way out, in every format, and exits 1;
- ``validate --base`` / ``plan --base`` report it at the field (file:line:col), exit 2;
- ``up`` and ``preview`` compare the spec with the Cluster already in the management cluster (a real
  kube-apiserver with Cluster API's CRDs and managers) and stop with exit 2 at the field, before the engine.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from kubefleet.changes import upgrades
from kubefleet.cli.app import app
from kubefleet.spec.loader import load_text
from tests.capi_apiserver import ApiServer
from tests.conftest import ROOT, resolved
from tests.test_e2e_engine import CLI_DIR, WHY_NOT, Env, engine_env, kf  # noqa: F401  (engine_env: fixture)

AS_OF = "2026-12-06"
runner = CliRunner()

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: NAME
  labels: {team: platform, owner: ops-bot, cost-center: cc-0001, env: dev}
spec:
  provider: kubeadm
  kubernetes: {version: "1.35"}
  region: us-east
  network: {nodeCidr: NODES, podCidr: PODS, serviceCidr: SERVICES}
  nodePools:
    - name: default
      machine: {vcpus: 2, memoryGiB: 8}
      count: COUNT
  providers:
    kubeadm:
      vsphere: {server: vcenter.example.com, datacenter: dc1, cluster: c1, datastore: ds1, network: vm-net}
VIP"""


def _spec(path: Path, *, name: str = "onprem", pods: str = "10.64.0.0/14", services: str = "10.96.0.0/16",
          nodes: str = "10.20.0.0/16", vip: str | None = "10.20.0.10", count: int = 2) -> Path:
    text = (SPEC.replace("NAME", name).replace("PODS", pods).replace("SERVICES", services).replace("NODES", nodes)
            .replace("COUNT", str(count)).replace("VIP", f"      controlPlaneVip: {vip}\n" if vip else ""))
    path.write_text(text, encoding="utf-8")
    return path


def _position(path: Path, key: str) -> str:
    """file:line:col of ``key``'s value, found in the text itself (not by kubefleet's locator)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if f"{key}: " in line:
            return f"{path}:{number}:{line.index(f'{key}: ') + len(key) + 3}"
    raise AssertionError(key)


def test_diff_shows_a_pod_cidr_change_as_refused_with_the_way_out(tmp_path: Path) -> None:
    old = _spec(tmp_path / "old.yaml")
    new = _spec(tmp_path / "new.yaml", pods="10.128.0.0/14")
    args = ["diff", "--base", str(old), str(new), "--as-of", AS_OF]
    table = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert table.exit_code == 1, table.output
    flat = " ".join(table.stdout.split())
    assert "CHANGE REFUSED" in flat and "VERSION CHANGE REFUSED" not in flat  # kubefleet's refusal, not the cloud's
    # the Cluster's row says it is not a routine update (the narrow op column wraps "update REFUSED")
    assert re.search(r"│ update\s+│[^\n]*│ Cluster:kubefleet-onprem/onprem [^\n]*\n│ REFUSED ", table.stdout), table.stdout
    assert ("REFUSED: kubefleet refuses to change the pod CIDR of the running kubeadm cluster 'onprem' from "
            "10.64.0.0/14 to 10.128.0.0/14: Cluster API accepts the change but nothing re-addresses a running cluster") in flat
    assert "create a new cluster with 10.128.0.0/14 (a new metadata.name) and move the workloads" in flat
    assert upgrades.CIDR_RULE in flat

    doc = json.loads(runner.invoke(app, [*args, "-o", "json"]).stdout)
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "diff.schema.json").read_text()))
    assert doc["refused"] == 1
    (note,) = [n for n in doc["clusters"][0]["upgrades"] if n["kind"] == "refused"]
    assert note["rule"] == upgrades.CIDR_RULE and note["provider"] == "kubeadm"
    (row,) = [c for c in doc["clusters"][0]["changes"] if "refused" in c]
    assert row["type"] == "kubernetes:cluster.x-k8s.io/v1beta2:Cluster" and row["refused"] == [upgrades.CIDR_RULE]

    md = runner.invoke(app, [*args, "-o", "markdown"])
    assert md.exit_code == 1
    assert "1 change(s) kubefleet refuses" in md.stdout and "the cloud will refuse" not in md.stdout
    assert "❌ **Refused by kubefleet**" in md.stdout and "**change refused by kubefleet**" in md.stdout
    assert ("| ❌ update **refused** (see Upgrades) | `Cluster:kubefleet-onprem/onprem` "
            "(`kubernetes:cluster.x-k8s.io/v1beta2:Cluster`)") in md.stdout


@pytest.mark.parametrize(("change", "field", "old", "new"), [
    ({"services": "10.100.0.0/16"}, "serviceCidr", "10.96.0.0/16", "10.100.0.0/16"),
    ({"vip": "10.20.0.99"}, "controlPlaneVip", "10.20.0.10", "10.20.0.99"),
    # no controlPlaneVip: it is derived from nodeCidr, so a new nodeCidr moves it (10.20.0.10 -> 10.30.0.10)
    ({"vip": None, "nodes": "10.30.0.0/16"}, "nodeCidr", "10.20.0.10", "10.30.0.10"),
])
def test_validate_base_points_at_the_field_and_exits_2(tmp_path: Path, change: dict[str, str | None], field: str,
                                                       old: str, new: str) -> None:
    base_vip = {"vip": None} if "nodes" in change else {}
    before = _spec(tmp_path / "old.yaml", **base_vip)  # type: ignore[arg-type]
    after = _spec(tmp_path / "new.yaml", **change)  # type: ignore[arg-type]
    result = runner.invoke(app, ["validate", str(after), "--base", str(before), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"{_position(after, field)}: kubefleet refuses to " in flat, flat
    assert f"from {old} to {new}" in flat and f"keep {old}, or create a new cluster with {new}" in flat
    diff = runner.invoke(app, ["diff", "--base", str(before), str(after), "--as-of", AS_OF, "-o", "json"])
    assert diff.exit_code == 1 and json.loads(diff.stdout)["refused"] == 1


def test_other_day_2_changes_are_not_refused(tmp_path: Path) -> None:
    before = _spec(tmp_path / "old.yaml")
    after = _spec(tmp_path / "new.yaml", count=5)
    result = runner.invoke(app, ["diff", "--base", str(before), str(after), "--as-of", AS_OF, "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] == 0
    # the same CIDR change on a cloud provider is the cloud's business, not this refusal
    gke_old = _spec(tmp_path / "g-old.yaml").read_text().replace("provider: kubeadm", "provider: gke")
    gke_new = gke_old.replace("10.64.0.0/14", "10.128.0.0/14")
    (tmp_path / "g-old.yaml").write_text(gke_old.split("  providers:")[0])
    (tmp_path / "g-new.yaml").write_text(gke_new.split("  providers:")[0])
    result = runner.invoke(app, ["diff", "--base", str(tmp_path / "g-old.yaml"), str(tmp_path / "g-new.yaml"),
                                 "--as-of", AS_OF, "-o", "json"])
    assert not any("re-addresses" in n["text"] for c in json.loads(result.stdout)["clusters"] for n in c["upgrades"])


def test_the_cited_cluster_api_lines_say_it() -> None:
    """The rules, opened in Cluster API v1.13.6 as the Go module proxy serves it."""
    from tests.test_kubeadm_parity import _module_dir

    base = _module_dir()
    if base is None:
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail("Cluster API module not in the Go module cache")
        pytest.skip("Cluster API module not in the Go module cache")
    expect = {
        "internal/webhooks/cluster.go:202": "Ensure that the CIDR blocks defined under ClusterNetwork are valid",
        "bootstrap/kubeadm/internal/controllers/kubeadmconfig_controller.go:1320":
            "len(cluster.Spec.ClusterNetwork.Services.CIDRBlocks) > 0",
        "internal/controllers/cluster/cluster_controller_phases.go:218": "if !cluster.Spec.ControlPlaneEndpoint.IsValid()",
    }
    cited = [c.split(":", 1)[1] for c in (*upgrades.CIDR_RULE.split("; "), upgrades.VIP_RULE)]
    assert sorted(cited) == sorted(expect)
    for where, phrase in expect.items():
        path, line = where.rsplit(":", 1)
        assert phrase in (base / path).read_text().splitlines()[int(line) - 1], where
    # the webhook's update branch forbids only removing the topology: nothing about clusterNetwork
    webhook = (base / "internal/webhooks/cluster.go").read_text()
    update = webhook[webhook.index("\t// On update.\n\tif oldCluster != nil {"):]
    assert "ClusterNetwork" not in update[: update.index("\treturn allWarnings, nil")]


# ---- the live check: the Cluster already in a REAL management cluster (tests/capi_apiserver.py) ----

LIVE = "readdr"  # its own namespace (kubefleet-readdr) in the session's apiserver


def _create_cluster(api: ApiServer, spec_file: Path) -> dict[str, Any]:
    """What a first `up` of ``spec_file`` leaves in the management cluster (the rendered objects, created for
    real, in order; the credential Secrets are not needed here). Returns the stored Cluster."""
    from kubefleet.providers.kubeadm import capi

    spec = load_text(spec_file.read_text(), str(spec_file))[0].spec
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server="vcenter.example.com")
    for obj in capi.render(inputs):
        made = (api.request("POST", "/api/v1/namespaces", obj) if obj["kind"] == "Namespace" else api.create(obj))
        assert made.ok or made.status == 409, f"{obj['kind']}: {made.message}"
    got = api.request("GET", f"/apis/{capi.CLUSTER_API}/namespaces/{capi.namespace(spec)}/clusters/{spec.name}")
    assert got.ok, got.message
    return got.body


def _mgmt_kubeconfig(api: ApiServer) -> str:
    from tests.test_capi_management import _kubeconfig

    return _kubeconfig(api)


def test_up_preflight_refuses_against_the_live_cluster_at_the_spec_field(apiserver: ApiServer, tmp_path: Path) -> None:
    from kubefleet.engine import management
    from kubefleet.errors import SpecError

    first = _spec(tmp_path / "first.yaml", name=LIVE)
    stored = _create_cluster(apiserver, first)
    kubeconfig = _mgmt_kubeconfig(apiserver)
    loaded = load_text(first.read_text(), str(first))[0]
    # the same addresses: no refusal (what it may print is the anti-affinity note about CAPV's manager)
    assert all("ESXi host" in w for w in management.check_installed(loaded.spec, kubeconfig, loaded))

    for change, field, old, new in (({"pods": "10.128.0.0/14"}, "podCidr", "10.64.0.0/14", "10.128.0.0/14"),
                                    ({"services": "10.100.0.0/16"}, "serviceCidr", "10.96.0.0/16", "10.100.0.0/16"),
                                    ({"vip": "10.20.0.99"}, "controlPlaneVip", "10.20.0.10", "10.20.0.99")):
        changed = _spec(tmp_path / f"{field}.yaml", name=LIVE, **change)  # type: ignore[arg-type]
        again = load_text(changed.read_text(), str(changed))[0]
        with pytest.raises(SpecError) as err:
            management.check_installed(again.spec, kubeconfig, again)
        text = err.value.render()
        assert err.value.exit_code == 2
        assert text.startswith(f"{_position(changed, field)}: kubefleet refuses to "), text
        assert f"from {old} to {new}" in text and f"hint: keep {old}, or create a new cluster with {new}" in text
    # nothing was touched: the stored Cluster is the one created first
    from kubefleet.providers.kubeadm import capi

    now = apiserver.request("GET", f"/apis/{capi.CLUSTER_API}/namespaces/kubefleet-{LIVE}/clusters/{LIVE}").body
    assert now["spec"]["clusterNetwork"] == stored["spec"]["clusterNetwork"]
    assert now["spec"]["topology"]["classRef"] == stored["spec"]["topology"]["classRef"]


def test_cluster_apis_webhook_itself_accepts_the_change_kubefleet_refuses(apiserver: ApiServer, tmp_path: Path) -> None:
    """The reason for the refusal, from the oracle: Cluster API v1.13.6's Cluster webhook (the built manager)
    admits a new pod and service CIDR on an existing Cluster (dry-run update)."""
    from kubefleet.providers.kubeadm import capi

    if not apiserver.webhooks:
        reason = "Cluster API managers not built (scripts/build-capi-managers.sh): the webhook's verdict not checked"
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    _create_cluster(apiserver, _spec(tmp_path / "first.yaml", name=LIVE))
    path = f"/apis/{capi.CLUSTER_API}/namespaces/kubefleet-{LIVE}/clusters/{LIVE}"
    cluster = apiserver.request("GET", path).body
    cluster["spec"]["clusterNetwork"] = {"pods": {"cidrBlocks": ["10.128.0.0/14"]},
                                         "services": {"cidrBlocks": ["10.100.0.0/16"]}}
    got = apiserver.request("PUT", f"{path}?dryRun=All&fieldValidation=Strict", cluster)
    assert got.ok, got.message
    cluster["spec"]["clusterNetwork"]["pods"]["cidrBlocks"] = ["not-a-cidr"]  # the webhook is really judging
    bad = apiserver.request("PUT", f"{path}?dryRun=All&fieldValidation=Strict", cluster)
    assert bad.status == 422 and "clusterNetwork.pods.cidrBlocks" in bad.message, bad.message


@pytest.mark.slow
@pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)
def test_kubefleet_up_and_preview_stop_before_the_engine(
    engine_env: Env, apiserver: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """`kubefleet up -y` (CliRunner, the real CLI path with the Pulumi CLI installed) against the management
    cluster holding the cluster: exit 2 at the field, and no stack is created (nothing touched)."""
    _create_cluster(apiserver, _spec(tmp_path / "first.yaml", name=LIVE))
    kc = tmp_path / "mgmt.kubeconfig"
    kc.write_text(_mgmt_kubeconfig(apiserver), encoding="utf-8")
    monkeypatch.setenv("KUBEFLEET_MANAGEMENT_KUBECONFIG", str(kc))
    monkeypatch.setenv("VSPHERE_USER", "svc-capv@vsphere.local")
    monkeypatch.setenv("VSPHERE_PASSWORD", "Vc-pa55-readdr")
    changed = _spec(engine_env.spec, name=LIVE, pods="10.128.0.0/14")
    for command in (["up", str(changed), "-p", "kubeadm", "-y"], ["preview", str(changed), "-p", "kubeadm"]):
        result = kf(*command)
        flat = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert f"{_position(changed, 'podCidr')}: kubefleet refuses to change the pod CIDR" in flat, flat
        assert "Vc-pa55-readdr" not in flat and apiserver.token not in flat
    stacks = kf("stacks")
    assert LIVE not in stacks.output, stacks.output

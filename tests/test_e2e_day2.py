"""The day-2 matrix through the REAL engine (Pulumi CLI + local cloud), on GKE, EKS and AKS.

Per provider ONE stack walks the matrix: it is brought up, then each step is the next change to the same
cluster. A step carries the matrix rows that touch different resources (so each resource's operation is still
one row's): for every step `kubefleet diff` (offline, before anything runs) and the engine's own steps during
`up` must both equal the operations written below, per resource, with the upstream rule that predicts them,
and the local cloud must have done what they say (a delete-first replacement deletes before it creates).

Operations: ``update`` (in place), ``create``, ``delete``, ``replace`` (create the new, then delete the old:
Pulumi's default) and ``delete-first`` (delete, then create: deleteBeforeReplace — the provider asks for it when
the program set the resource's autonamed input, pulumi/pulumi-terraform-bridge@59de6c6:pkg/tfbridge/
provider.go:1275-1276 with schema.go:195, or the program sets the option).

The local cloud refuses what the real APIs refuse (tests/localcloud/cloud.py ``already_exists``,
``update_error``; versions.py for a skipped minor), so a wrong operation fails at `up` as it would there.
Not here: two clusters in one project (tests of the per-scope stacks). Destroy and re-create: AKS's, with the
private nodes' egress and a cluster of an older kubefleet, in :func:`test_aks_private_egress_older_cluster_and_recreate`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubefleet.changes import replace
from kubefleet.changes.diff import DELETE_FIRST_NOTE
from tests.localcloud import cloud
from tests.test_e2e_engine import CLI_DIR, WHY_NOT, Env, engine_env, kf, ok

__all__ = ["engine_env"]  # the fixture, shared with tests/test_e2e_engine.py

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)]

#: (start minor, next minor, channel) the compatibility data offers today on each provider
VERSIONS = {"gke": ("1.35", "1.36", "rapid"), "eks": ("1.34", "1.35", "extended"), "aks": ("1.35", "1.36", "none")}

DISK = "      disk: {sizeGiB: 50, type: standard}\n"
BATCH = "    - name: batch\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 1\n"
BATCH_4 = BATCH.replace("vcpus: 2, memoryGiB: 8", "vcpus: 4, memoryGiB: 16")
MESH = "  addons: {istio: {mode: managed}}\n"
PRIVATE = "  network: {privateNodes: true}\n"
ZONAL = "availability: zonal, tier: free, endpoint: public, replicas: 1"
REGIONAL = "availability: regional, tier: free, endpoint: public"


def _sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, (old, text)
        return text.replace(old, new)
    return edit


@dataclass(frozen=True)
class Row:
    name: str  # the matrix row
    edit: Callable[[str], str]  # the spec change


def _minor(provider: str) -> Row:
    start, nxt, _ = VERSIONS[provider]
    return Row("bump the minor", _sub(f'version: "{start}"', f'version: "{nxt}"'))


def steps(provider: str) -> list[tuple[str, list[Row]]]:
    return [
        ("resize+add+mesh-on", [
            Row("resize a pool", _sub("count: 2\n", "count: 3\n")),
            Row("add a pool", _sub(DISK, DISK + BATCH)),
            Row("mesh on", _sub("  providers:\n", MESH + "  providers:\n")),
        ]),
        ("shape+minor+mesh-off", [
            Row("change the machine shape", _sub(BATCH, BATCH_4)),
            _minor(provider),
            Row("mesh off", _sub(MESH, "")),
        ]),
        ("zones+remove", [
            Row("change zones/availability", _sub(ZONAL, REGIONAL)),
            Row("remove a pool", _sub(BATCH_4, "")),
        ]),
    ]


GKE_CLUSTER, GKE_POOL = "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"
FEATURE, MEMBERSHIP = "gcp:gkehub/feature:Feature", "gcp:gkehub/membership:Membership"
FEATURE_MEMBERSHIP = "gcp:gkehub/featureMembership:FeatureMembership"
STASH = "pulumi:index:Stash"
EKS_CLUSTER, NODE_GROUP = "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE, SUBNET = "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/subnet:Subnet"
ROUTE_ASSOC, RELEASE = "aws:ec2/routeTableAssociation:RouteTableAssociation", "kubernetes:helm.sh/v3:Release"
AKS_CLUSTER, AGENT_POOL = "azure-native:containerservice:ManagedCluster", "azure-native:containerservice:AgentPool"

TF_GOOGLE = "hashicorp/terraform-provider-google-beta@3dc173a:google-beta/services/container/"
TF_AWS = "hashicorp/terraform-provider-aws@012e0a3:internal/service/eks/"
AZN = "pulumi/pulumi-azure-native@1b7112a:provider/pkg/gen/replacement.go forceNewMap"
BRIDGE_DBR = "autonamed input set by the program: bridge provider.go:1275 + pulumi-{pkg} autonaming"

#: provider -> step -> the steps of the project's shared scope stack that `up` applies first (issue #23 item 2:
#: once-per-project resources live once; a second servicemesh Feature in a project is a 409,
#: terraform-google-modules/terraform-google-kubernetes-engine#1590). Mesh off leaves them: other clusters of
#: the project may use them, and a cluster's change never touches the scope stack's resources.
SERVICE = "gcp:projects/service:Service"
SCOPE: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "gke": {
        "resize+add+mesh-on": {
            f"{FEATURE}::servicemesh": ("create", "mesh on: the project's servicemesh Feature"),
            f"{SERVICE}::api-mesh": ("create", "mesh on: mesh.googleapis.com enabled in the project"),
            f"{SERVICE}::api-gkehub": ("create", "mesh on: gkehub.googleapis.com enabled in the project"),
        },
    },
}

#: provider -> step -> {"type::name": (operation, why — the upstream rule, not kubefleet's code)}
EXPECTED: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "gke": {
        "resize+add+mesh-on": {
            f"{GKE_POOL}::e2e-default": ("update", TF_GOOGLE + "resource_container_node_pool.go: node_count has no "
                                                  "ForceNew (resized in place)"),
            f"{GKE_POOL}::e2e-batch": ("create", "a new pool"),
            f"{MEMBERSHIP}::e2e-membership": ("create", "mesh on: the fleet membership"),
            f"{FEATURE_MEMBERSHIP}::e2e-mesh": ("create", "mesh on: managed control plane for the membership"),
        },
        "shape+minor+mesh-off": {
            f"{GKE_POOL}::e2e-batch": ("update", TF_GOOGLE + "node_config.go: machine_type has no ForceNew (the "
                                                "provider rolls the pool to the new machine type in place)"),
            f"{GKE_CLUSTER}::e2e-cluster": ("update", TF_GOOGLE + "resource_container_cluster.go: min_master_version "
                                                     "has no ForceNew (UpdateCluster desiredMasterVersion)"),
            f"{MEMBERSHIP}::e2e-membership": ("delete", "mesh off"),
            f"{FEATURE_MEMBERSHIP}::e2e-mesh": ("delete", "mesh off"),
        },
        "zones+remove": {
            # zonal -> regional moves `location` from a zone to the region: ForceNew on both; both names are
            # set by the program and autonamed (pulumi-gcp@ed6078a:provider/resources.go:3014 SetAutonaming)
            f"{GKE_CLUSTER}::e2e-cluster": ("delete-first", TF_GOOGLE + "resource_container_cluster.go: location "
                                                           "ForceNew; " + BRIDGE_DBR.format(pkg="gcp")),
            f"{GKE_POOL}::e2e-default": ("delete-first", TF_GOOGLE + "resource_container_node_pool.go: location "
                                                        "ForceNew; " + BRIDGE_DBR.format(pkg="gcp")),
            f"{GKE_POOL}::e2e-batch": ("delete", "pool removed"),
            # the zones picked from getZones are kept in the state per availability/region/zone count
            # (providers/gke/cluster.py placement): a new availability is a new pick
            f"{STASH}::e2e-zones-zonal-us-east4-1": ("delete", "zonal pick no longer used"),
            f"{STASH}::e2e-zones-regional-us-east4-3": ("create", "regional: three zones picked once"),
        },
    },
    "eks": {
        "resize+add+mesh-on": {
            f"{NODE_GROUP}::e2e-default": ("update", TF_AWS + "node_group.go: scaling_config has no ForceNew "
                                                    "(UpdateNodegroupConfig)"),
            f"{NODE_GROUP}::e2e-batch": ("create", "a new pool"),
            f"{LAUNCH_TEMPLATE}::e2e-batch-lt": ("create", "the new pool's launch template"),
            f"{RELEASE}::e2e-istio-base": ("create", "mesh on: Istio base chart"),
            f"{RELEASE}::e2e-istiod": ("create", "mesh on: istiod chart"),
        },
        "shape+minor+mesh-off": {
            # instance_types ForceNew; nodeGroupName set by the program and autonamed by pulumi-aws
            # (pulumi-aws@015d343:provider/resource_overrides.go aws_eks_node_group): delete first, or EKS
            # answers "NodeGroup already exists" (terraform-aws-modules/terraform-aws-eks#1191)
            f"{NODE_GROUP}::e2e-batch": ("delete-first", TF_AWS + "node_group.go: instance_types ForceNew; "
                                                        + BRIDGE_DBR.format(pkg="aws")),
            f"{EKS_CLUSTER}::e2e": ("update", TF_AWS + "cluster.go: version has no ForceNew (UpdateClusterVersion)"),
            f"{NODE_GROUP}::e2e-default": ("update", TF_AWS + "node_group.go: version has no ForceNew "
                                                    "(UpdateNodegroupVersion)"),
            f"{RELEASE}::e2e-istio-base": ("delete", "mesh off"),
            f"{RELEASE}::e2e-istiod": ("delete", "mesh off"),
        },
        "zones+remove": {
            f"{SUBNET}::e2e-private-2": ("create", "regional: a second availability zone"),
            f"{SUBNET}::e2e-public-2": ("create", "regional: a second availability zone"),
            f"{ROUTE_ASSOC}::e2e-public-2": ("create", "regional: the new public subnet's route"),
            f"{EKS_CLUSTER}::e2e": ("update", TF_AWS + "cluster.go: vpc_config.subnet_ids has no ForceNew "
                                             "(UpdateClusterConfig)"),
            f"{NODE_GROUP}::e2e-default": ("delete-first", TF_AWS + "node_group.go: subnet_ids ForceNew; "
                                                          + BRIDGE_DBR.format(pkg="aws")),
            f"{NODE_GROUP}::e2e-batch": ("delete", "pool removed"),
            f"{LAUNCH_TEMPLATE}::e2e-batch-lt": ("delete", "pool removed"),
        },
    },
    "aks": {
        "resize+add+mesh-on": {
            f"{AGENT_POOL}::e2e-default": ("update", AZN + ": AgentPool count is not listed (scaled in place)"),
            f"{AGENT_POOL}::e2e-batch": ("create", "a new pool"),
            f"{AKS_CLUSTER}::e2e-aks": ("update", "mesh on: serviceMeshProfile (not in " + AZN + ")"),
        },
        "shape+minor+mesh-off": {
            # vmSize is in forceNewMap; the agentPoolName is the ARM URL, so old and new cannot coexist: the
            # program deletes first (Azure/terraform-azurerm-aks extra_node_pool.tf create-after-destroy)
            f"{AGENT_POOL}::e2e-batch": ("delete-first", AZN + ": AgentPool vmSize"),
            f"{AKS_CLUSTER}::e2e-aks": ("update", "kubernetesVersion and serviceMeshProfile are updatable (not in "
                                                  + AZN + ")"),
        },
        "zones+remove": {
            # AKS refuses new zones on an existing pool (MicrosoftDocs/azure-aks-docs availability-zones.md;
            # cloud.update_error): a spec pool keeps its ARM name, so the old one goes first
            f"{AGENT_POOL}::e2e-default": ("delete-first", "AKS: a pool's zones cannot change after creation"),
            # the System pool's ARM name changes with its zones, and AKS needs a System pool at all times
            # (azure-aks-docs@fb060ab:articles/aks/use-system-pools.md:90-91): the new one first
            f"{AGENT_POOL}::e2e-kubefleet-aks-system": ("replace", "AKS: zones fixed at creation; a System pool "
                                                                   "must always exist"),
            f"{AGENT_POOL}::e2e-batch": ("delete", "pool removed"),
            # the ManagedCluster's agentPoolProfiles is not sent as a change: AKS refuses pool changes through the
            # cluster PUT ("Adding agent pools ... not allowed through managed cluster operations",
            # pulumi/pulumi-azure-native#579; PropertyChangeNotAllowed for vmSize, Azure/bicep-registry-modules#7130)
        },
    },
}


class Engine:
    """`up` through the engine as `kubefleet up -y` runs it (open_stack + run_up; the CLI's own preview and
    pricing are tested in tests/test_e2e_engine.py). The stack is opened once; each later `up` gives it the
    program of the changed spec (what open_stack would do again, less re-installing the same plugins and
    re-setting the same provider config, which is checked to be unchanged)."""

    def __init__(self, env: Env, provider: str) -> None:
        self.env, self.provider = env, provider
        self.stack: Any = None
        self.config: dict[str, str] = {}
        self.scope: list[list[tuple[str, str, str]]] = []  # per up, the steps of the shared scope stack

    def up(self) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
        """Run `up`: the (op, type, name) of every step the engine took, and the operations kubefleet's own
        event collector made of them."""
        from kubefleet.changes.model import ChangeCollector
        from kubefleet.cost.sources.cache import active_catalog
        from kubefleet.engine.backend import resolve_backend
        from kubefleet.engine.errors import EngineContext, engine_errors
        from kubefleet.engine.progress import EventRouter
        from kubefleet.engine.scope import apply_scope
        from kubefleet.engine.workspace import open_stack, provider_config, run_up, stack_target
        from kubefleet.render.program import inline_program
        from kubefleet.spec.loader import load_file

        seen: list[tuple[str, str, str]] = []
        collector = ChangeCollector()

        def listen(event: Any) -> None:
            _step(event, seen)

        (loaded,) = load_file(self.env.spec)
        target = stack_target(loaded.spec, self.provider, resolve_backend())
        config = provider_config(target.spec, target.provider)
        with engine_errors(EngineContext(action="up", stack=target.stack_name, provider=self.provider)):
            # the project's shared stack first, as `up` does (GKE: project APIs and the fleet Feature)
            scope_steps: list[tuple[str, str, str]] = []
            apply_scope(target, EventRouter(listeners=[lambda e: _step(e, scope_steps)]))
            self.scope.append(scope_steps)
            if self.stack is None:
                self.stack, self.config = open_stack(target), config
            else:
                assert config == self.config, "the provider config changed: open the stack again"
                self.stack.workspace.program = inline_program(target.spec, target.provider, active_catalog(),
                                                              protection=target.protection)
            run_up(self.stack, EventRouter(listeners=[listen, collector]))
        shown = {f"{c.type}::{c.name}": c.op for c in collector.resource_changes() if c.op != "same"}
        return seen, shown


def _step(event: Any, into: list[tuple[str, str, str]]) -> None:
    """Record the (op, type, name) of an engine step event."""
    pre = event.resource_pre_event
    if pre is not None:
        op = getattr(pre.metadata.op, "value", pre.metadata.op)
        into.append((str(op), pre.metadata.type, pre.metadata.urn.rsplit("::", 1)[-1]))


def engine_ops(steps_taken: list[tuple[str, str, str]]) -> dict[str, str]:
    """Per resource, the operation the engine's steps make: a replace whose old resource was deleted before
    the new one was created (delete-replaced before create-replacement) is ``delete-first``."""
    order: dict[str, list[str]] = {}
    for op, type_, name in steps_taken:
        if type_.startswith(("pulumi:pulumi:", "pulumi:providers:")) or op in ("same", "read", "refresh"):
            continue
        order.setdefault(f"{type_}::{name}", []).append(op)
    out: dict[str, str] = {}
    for key, ops in order.items():
        if "delete-replaced" in ops and "create-replacement" in ops:
            first = ops.index("delete-replaced") < ops.index("create-replacement")
            out[key] = "delete-first" if first else "replace"
        elif "create" in ops:
            out[key] = "create"
        elif "delete" in ops or ops == ["delete-replaced", "remove-pending-replace"]:
            # a removed resource that depends on a delete-first replacement: deleted with the dependents first,
            # then dropped (pulumi v3.274.0 steps)
            out[key] = "delete"
        else:
            out[key] = ops[0]
    return out


def offline_ops(env: Env, base: str, provider: str) -> dict[str, str]:
    """`kubefleet diff --base` (nothing runs) per resource; a replace it says deletes first is ``delete-first``."""
    (env.root / "base.yaml").write_text(base, encoding="utf-8")
    out = ok("diff", "--base", str(env.root / "base.yaml"), str(env.spec), "--providers", provider, "-o", "json")
    changes = json.loads(out[out.index("{"):])["clusters"][0]["changes"]
    ops = {}
    for c in changes:
        if c["op"] == "same":
            continue
        first = c["op"] == "replace" and DELETE_FIRST_NOTE in (c.get("at_apply") or "")
        ops[f"{c['type']}::{c['name']}"] = "delete-first" if first else c["op"]
    return ops


def cloud_order(env: Env, since: int) -> dict[str, list[str]]:
    """What the local cloud was asked to do per resource (create/update/delete, in order) since log entry ``since``."""
    out: dict[str, list[str]] = {}
    for entry in cloud.read_log(env.cloud)[since:]:
        if entry["op"] in ("create", "update", "delete"):
            out.setdefault(f"{entry['type']}::{str(entry['urn']).rsplit('::', 1)[-1]}", []).append(entry["op"])
    return out


@pytest.mark.parametrize("provider", ["gke", "eks", "aks"])
def test_day2_matrix_engine_plan_equals_table_and_offline_diff(engine_env: Env, provider: str) -> None:
    start, _, channel = VERSIONS[provider]
    text = _sub('version: "1.35", channel: stable', f'version: "{start}", channel: {channel}')(
        engine_env.spec.read_text(encoding="utf-8"))
    if provider == "aks":
        # private nodes: egress from kubefleet's zone-redundant load balancer IP (providers/aks/network.py); the
        # zones step must leave it (no row for it: any operation on it would fail the equality below)
        text = _sub("  nodePools:\n", PRIVATE + "  nodePools:\n")(text)
    engine_env.spec.write_text(text, encoding="utf-8")
    engine = Engine(engine_env, provider)
    engine.up()
    for step, rows in steps(provider):
        base = text
        for row in rows:
            text = row.edit(text)
        engine_env.spec.write_text(text, encoding="utf-8")
        expected = {key: op for key, (op, _) in EXPECTED[provider][step].items()}
        offline = offline_ops(engine_env, base, provider)
        assert offline == expected, (provider, step, "kubefleet diff", offline)
        since = len(cloud.read_log(engine_env.cloud))
        taken, shown = engine.up()
        planned = engine_ops(taken)
        assert planned == expected, (provider, step, "engine", planned)
        scope = {key: op for key, (op, _) in SCOPE.get(provider, {}).get(step, {}).items()}
        assert engine_ops(engine.scope[-1]) == scope, (provider, step, "scope stack", engine.scope[-1])
        # what `kubefleet up`/`preview` show of those steps (kubefleet.changes.model.ChangeCollector), which
        # has no delete-first of its own: it says replace
        assert shown == {k: "replace" if op == "delete-first" else op for k, op in expected.items()}, (step, shown)
        done = cloud_order(engine_env, since)
        for key, op in expected.items():
            if key.startswith("pulumi:"):
                continue  # the engine's own resources (a Stash) never reach the cloud
            if op == "delete-first":
                assert done.get(key, [])[:2] == ["delete", "create"], (step, key, done.get(key))
            elif op == "replace":
                assert done.get(key, [])[:2] == ["create", "delete"], (step, key, done.get(key))
            elif op in ("create", "update"):
                assert done.get(key) == [op], (step, key, done.get(key))
            else:
                assert done.get(key) == ["delete"], (step, key, done.get(key))


def test_the_table_agrees_with_the_cited_rules() -> None:
    """The generated table says what the rows cite (so a regenerated table that disagrees fails here too)."""
    assert "nodeConfig.machineType" not in replace.replace_paths(GKE_POOL)
    assert "nodeCount" not in replace.replace_paths(GKE_POOL)
    assert "location" in replace.replace_paths(GKE_POOL) and "location" in replace.replace_paths(GKE_CLUSTER)
    assert "minMasterVersion" not in replace.replace_paths(GKE_CLUSTER)
    assert {"instanceTypes", "subnetIds"} <= set(replace.replace_paths(NODE_GROUP))
    assert not {"scalingConfig", "version"} & set(replace.replace_paths(NODE_GROUP))
    assert not {"version", "vpcConfig"} & set(replace.replace_paths(EKS_CLUSTER))
    assert "vmSize" in replace.replace_paths(AGENT_POOL) and "count" not in replace.replace_paths(AGENT_POOL)
    assert not {"kubernetesVersion", "serviceMeshProfile"} & set(replace.replace_paths(AKS_CLUSTER))
    assert replace.autonamed(NODE_GROUP) == ("nodeGroupName",)
    assert replace.autonamed(GKE_POOL) == ("name",) and replace.autonamed(GKE_CLUSTER) == ("name",)
    assert replace.names_fixed(NODE_GROUP, {"nodeGroupName": "e2e-batch"})
    assert not replace.names_fixed(NODE_GROUP, {"nodeGroupNamePrefix": "e2e-"})


# ------------------------------------------------------------------ EKS: account-wide IAM role names (issue #23)

ROLE = "aws:iam/role:Role"


def _roles(env: Env, stack: str) -> dict[str, str]:
    """URN name -> the role name the local cloud holds, for one stack's roles."""
    return {str(r["urn"]).rsplit("::", 1)[-1]: r["inputs"]["name"] for r in cloud.all_resources(env.cloud)
            if r["type"] == ROLE and f"urn:pulumi:{stack}::" in str(r["urn"])}


def test_eks_role_names_differ_per_region_and_an_existing_stack_keeps_its_own(
        engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """IAM is one namespace per account (botocore: iam isRegionalized false; "role names must be unique within the
    account"); the local cloud is one account and refuses a second role of a name with EntityAlreadyExists
    (tests/localcloud/cloud.py NAMED_IN_CLOUD). Through the real engine:

    1. a stack made by the previous code (role names hashed from the cluster name only, kubefleet@093596a);
    2. the same cluster name in another region of the account, with the previous names: CreateRole refuses;
    3. today's code on the existing stack: preview and up leave every resource alone (the roles keep their names,
       so neither they nor the cluster, whose roleArn is ForceNew, are replaced), and the offline diff of the two
       programs says the same;
    4. today's code in the other region: the roles get other names and the stack comes up.
    """
    from kubefleet.changes.diff import diff_graphs
    from kubefleet.providers.eks import iam
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_file
    from tests.test_day2_eks import previous_role_name

    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")  # the old program must not be cached under today's code
    env = engine_env
    east = str(env.spec)
    west_path = env.root / "west.yaml"
    west_path.write_text(env.spec.read_text(encoding="utf-8").replace("region: us-east", "region: us-west"),
                         encoding="utf-8")
    west = str(west_path)
    today = iam.role_name

    # 1. the stack as the previous code made it
    monkeypatch.setattr(iam, "role_name", previous_role_name)
    ok("up", east, "-p", "eks", "-y")
    (spec,) = load_file(env.spec)
    old_names = _roles(env, "e2e-eks")
    assert old_names == {f"e2e-{k}-role": previous_role_name(spec.spec, "", k)
                         for k in ("cluster", "node", "ebs-csi")}, old_names
    old_graph = render(spec.spec, "eks")

    # 2. the bug: the same cluster name in us-west, previous names: IAM refuses the roles
    since = len(cloud.read_log(env.cloud))
    failed = kf("up", west, "-p", "eks", "-y", "--stack", "e2e-eks-west")
    assert failed.exit_code != 0, failed.output
    refused = [e for e in cloud.read_log(env.cloud)[since:] if e["op"] == "create-failed" and e["type"] == ROLE]
    assert refused and all("EntityAlreadyExists: Role with name" in e["reason"] for e in refused), refused
    assert _roles(env, "e2e-eks-west") == {}

    # 3. today's code on the existing stack: nothing to do
    monkeypatch.setattr(iam, "role_name", today)
    engine = json.loads(ok("preview", east, "-p", "eks", "-o", "json"))["clusters"][0]["changes"]
    assert {(c["type"], c["name"]): c["op"] for c in engine if c["op"] != "same"} == {}, engine
    offline = diff_graphs(old_graph, render(spec.spec, "eks"))
    assert {(d.change.type, d.change.name): d.change.op for d in offline if d.change.op != "same"} == {}
    assert {d.change.name for d in offline if d.at_apply and d.change.type == ROLE} == set(old_names)
    since = len(cloud.read_log(env.cloud))
    taken: list[tuple[str, str, str]] = []
    _up_steps(env, east, taken)
    assert engine_ops(taken) == {}, taken
    assert [e for e in cloud.read_log(env.cloud)[since:] if e["op"] in ("create", "update", "delete")] == []
    assert _roles(env, "e2e-eks") == old_names

    # 4. today's code in us-west: other names, and the stack comes up beside the old one
    ok("up", west, "-p", "eks", "-y", "--stack", "e2e-eks-west")
    west_names = _roles(env, "e2e-eks-west")
    assert set(west_names) == set(old_names)
    assert not {n.lower() for n in west_names.values()} & {n.lower() for n in old_names.values()}
    clusters = [r for r in cloud.all_resources(env.cloud) if r["type"] == EKS_CLUSTER]
    assert sorted(c["inputs"]["region"] for c in clusters) == ["us-east-1", "us-west-2"], clusters


def _up_steps(env: Env, spec: str, into: list[tuple[str, str, str]]) -> None:
    """`up` of ``spec`` on EKS through the engine, recording the engine's steps (as Engine.up does)."""
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.errors import EngineContext, engine_errors
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.workspace import open_stack, run_up, stack_target
    from kubefleet.spec.loader import load_file

    (loaded,) = load_file(Path(spec))
    target = stack_target(loaded.spec, "eks", resolve_backend())
    with engine_errors(EngineContext(action="up", stack=target.stack_name, provider="eks")):
        run_up(open_stack(target), EventRouter(listeners=[lambda e: _step(e, into)]))


# ------------------------------------------------------------------ GKE: project-wide names (issue #23)

SERVICE_ACCOUNT, NETWORK = "gcp:serviceaccount/account:Account", "gcp:compute/network:Network"


def _named(env: Env, stack: str, type_: str, key: str) -> dict[str, str]:
    return {str(r["urn"]).rsplit("::", 1)[-1]: r["inputs"][key] for r in cloud.all_resources(env.cloud)
            if r["type"] == type_ and f"urn:pulumi:{stack}::" in str(r["urn"])}


def test_gke_project_wide_names_differ_per_region_and_an_existing_stack_keeps_its_own(
        engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A GKE service account id and a VPC network name are project-wide (the local cloud is one project and
    answers a second one with 409 alreadyExists, as GCP does). Through the real engine, as for EKS above: a
    stack made with the previous names (kubefleet@7b0dfba) is left alone by today's code (preview, up and the
    offline diff agree); the same cluster name in another region of the project is refused with the previous
    names and comes up with today's."""
    from kubefleet.changes.diff import diff_graphs
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_file
    from tests.test_day2_gke import previous_names

    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")
    env = engine_env
    east = str(env.spec)
    west_path = env.root / "west.yaml"
    west_path.write_text(env.spec.read_text(encoding="utf-8").replace("region: us-east", "region: us-west"),
                         encoding="utf-8")
    west = str(west_path)
    (spec,) = load_file(env.spec)
    today_graph = render(spec.spec, "gke")

    with monkeypatch.context() as old_code:
        previous_names(old_code)
        ok("up", east, "-p", "gke", "-y")
        old_graph = render(spec.spec, "gke")
        since = len(cloud.read_log(env.cloud))
        failed = kf("up", west, "-p", "gke", "-y", "--stack", "e2e-gke-west")
        assert failed.exit_code != 0, failed.output
        refused = {e["type"] for e in cloud.read_log(env.cloud)[since:] if e["op"] == "create-failed"
                   and "Error 409" in e["reason"] and "already exists" in e["reason"]}
        assert refused == {SERVICE_ACCOUNT, NETWORK}, cloud.read_log(env.cloud)[since:]
    old_sa, old_net = _named(env, "e2e-gke", SERVICE_ACCOUNT, "accountId"), _named(env, "e2e-gke", NETWORK, "name")
    assert old_sa and old_net

    # today's code on the existing stack: nothing to do, in the engine's preview, its up and the offline diff
    engine = json.loads(ok("preview", east, "-p", "gke", "-o", "json"))["clusters"][0]["changes"]
    assert {(c["type"], c["name"]): c["op"] for c in engine if c["op"] != "same"} == {}, engine
    offline = diff_graphs(old_graph, today_graph)
    assert {(d.change.type, d.change.name): d.change.op for d in offline if d.change.op != "same"} == {}
    since = len(cloud.read_log(env.cloud))
    ok("up", east, "-p", "gke", "-y")
    assert [e for e in cloud.read_log(env.cloud)[since:] if e["op"] in ("create", "update", "delete")] == []
    assert _named(env, "e2e-gke", SERVICE_ACCOUNT, "accountId") == old_sa
    assert _named(env, "e2e-gke", NETWORK, "name") == old_net

    # today's code in us-west: other names, and the stack comes up beside the old one
    ok("up", west, "-p", "gke", "-y", "--stack", "e2e-gke-west")
    assert set(_named(env, "e2e-gke-west", SERVICE_ACCOUNT, "accountId").values()).isdisjoint(old_sa.values())
    assert set(_named(env, "e2e-gke-west", NETWORK, "name").values()).isdisjoint(old_net.values())
    assert len([r for r in cloud.all_resources(env.cloud) if r["type"] == GKE_CLUSTER]) == 2


# ------------------------------------------------------------------ GKE: one year later, destroy and re-create

def _gke_cluster(env: Env) -> dict[str, Any]:
    (record,) = [r for r in cloud.all_resources(env.cloud) if r["type"] == GKE_CLUSTER]
    return record


def _changed_since(env: Env, since: int) -> dict[str, list[str]]:
    return {k: ops for k, ops in cloud_order(env, since).items()
            if not k.startswith(("gcp:projects/service:Service", FEATURE))}


def test_gke_zones_picked_at_the_first_up_stay_when_a_zone_goes_down(engine_env: Env) -> None:
    """No `providers.gke.zones`: the program lists the region's UP zones at apply time (getZones with status UP,
    sorted: terraform-provider-google-beta@3dc173a:google-beta/services/compute/data_source_google_compute_zones.go
    :80,:125). A zone that is down during a later `up` shifts that list; `location` is ForceNew
    (resource_container_cluster.go:328-332), so a zonal cluster would be deleted and re-created in the next zone
    (the bridge deletes first: its name is fixed) and a regional one would move its nodes. The engine must take
    no step at all on the zones (the local cloud answers getZones like the data source, with the zone DOWN)."""
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    zone = _gke_cluster(engine_env)["outputs"]["location"]
    assert zone.count("-") == 2, zone  # zonal: a zone
    cloud.set_zones_down(engine_env.cloud, [zone])
    since = len(cloud.read_log(engine_env.cloud))
    ok("up", spec, "-p", "gke", "-y")
    assert _changed_since(engine_env, since) == {}
    assert _gke_cluster(engine_env)["outputs"]["location"] == zone
    # the same for a regional cluster's node zones: picked once, with every zone up
    cloud.set_zones_down(engine_env.cloud, [])
    engine_env.spec.write_text(_sub(ZONAL, REGIONAL)(engine_env.spec.read_text(encoding="utf-8")), encoding="utf-8")
    ok("up", spec, "-p", "gke", "-y")
    picked = _gke_cluster(engine_env)["outputs"]["nodeLocations"]
    assert zone in picked and len(picked) == 3, picked
    cloud.set_zones_down(engine_env.cloud, [zone])
    since = len(cloud.read_log(engine_env.cloud))
    ok("up", spec, "-p", "gke", "-y")
    assert _changed_since(engine_env, since) == {}
    assert _gke_cluster(engine_env)["outputs"]["nodeLocations"] == picked


def test_gke_prod_cluster_destroy_force_then_recreate_the_same_spec(engine_env: Env) -> None:
    """env: prod turns on the provider's deletion_protection, which the provider checks in its own state on
    delete ("Cannot destroy cluster because deletion_protection is set to true",
    terraform-provider-google-beta@3dc173a:google-beta/services/container/resource_container_cluster.go:5886-5887;
    pulumi_gcp 10.2.0: deleting "will only succeed if this field is `false` in the Terraform state"). The local
    cloud refuses as the provider does. `destroy` without --force is refused by kubefleet (exit 2, what to do);
    `destroy --force` must lift both Pulumi's protect and that flag and delete everything; then `up` of the same
    spec creates every resource again under the same names (the local cloud refuses a name that is still live)."""
    engine_env.write_spec(env="prod")
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    assert _gke_cluster(engine_env)["inputs"]["deletionProtection"] is True
    refused = kf("destroy", spec, "-p", "gke", "-y")
    assert refused.exit_code == 2 and "--force" in refused.output, refused.output
    out = ok("destroy", spec, "-p", "gke", "-y", "--force")
    assert "unprotected" in out
    assert not [r for r in cloud.all_resources(engine_env.cloud)
                if not r["type"].startswith(("gcp:projects/service:", FEATURE))]
    ok("up", spec, "-p", "gke", "-y")
    assert _gke_cluster(engine_env)["inputs"]["deletionProtection"] is True
    ok("destroy", spec, "-p", "gke", "-y", "--force")


PIP, NAT = "azure-native:network:PublicIPAddress", "azure-native:network:NatGateway"


def _live(env: Env, type_: str) -> list[dict[str, Any]]:
    return [r for r in cloud.all_resources(env.cloud) if r["type"] == type_]


def test_aks_private_egress_older_cluster_and_recreate(engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """AKS private nodes through the real engine. (1) A cluster an older kubefleet created egresses through its
    NAT gateway (userAssignedNATGateway; stood in for by answering `up`'s question to Azure with it): the next
    `up`s ask the cloud (azure-native getManagedCluster, answered by the local cloud from what runs), keep the
    NAT gateway and touch nothing of the egress — outboundType is create-only in pulumi-azure-native (the
    generated replace table), so anything else would replace the cluster; a pool resize is the pool's update
    only. (2) Destroy and re-create the same spec: the new cluster egresses from the zone-redundant IP
    (zones 1-3, load-balancer-standard-availability-zones.md) as the load balancer's outbound IP, no NAT gateway,
    and nothing collides with the destroyed one's names."""
    from kubefleet.providers.aks import cluster as aks_cluster
    from kubefleet.providers.aks.network import LiveCluster

    env = engine_env
    text = env.spec.read_text(encoding="utf-8").replace("  nodePools:\n", PRIVATE + "  nodePools:\n", 1)
    env.spec.write_text(text, encoding="utf-8")
    spec = str(env.spec)
    assert replace.replace_paths(AKS_CLUSTER) and "networkProfile.outboundType" in replace.replace_paths(AKS_CLUSTER)

    asks = aks_cluster.live_cluster
    monkeypatch.setattr(aks_cluster, "live_cluster", lambda *_: LiveCluster("userAssignedNATGateway"))
    ok("up", spec, "-p", "aks", "-y")
    monkeypatch.setattr(aks_cluster, "live_cluster", asks)  # from here on the program asks the cloud
    [running] = _live(env, AKS_CLUSTER)
    assert running["outputs"]["networkProfile"]["outboundType"] == "userAssignedNATGateway"
    assert len(_live(env, NAT)) == 1

    since = len(cloud.read_log(env.cloud))
    env.spec.write_text(_sub("count: 2\n", "count: 3\n")(text), encoding="utf-8")
    ok("up", spec, "-p", "aks", "-y")
    log = cloud.read_log(env.cloud)[since:]
    assert any(e.get("token") == "azure-native:containerservice:getManagedCluster" for e in log)
    changed = cloud_order(env, since)
    assert changed == {f"{AGENT_POOL}::e2e-default": ["update"]}, changed
    assert len(_live(env, NAT)) == 1

    ok("destroy", spec, "-p", "aks", "-y")
    assert _live(env, AKS_CLUSTER) == [] and _live(env, PIP) == []
    ok("up", spec, "-p", "aks", "-y")
    [running] = _live(env, AKS_CLUSTER)
    [ip] = _live(env, PIP)
    profile = running["outputs"]["networkProfile"]
    assert profile["outboundType"] == "loadBalancer" and _live(env, NAT) == []
    assert profile["loadBalancerProfile"]["outboundIPs"]["publicIPs"] == [{"id": ip["id"]}]
    assert ip["outputs"]["zones"] == ["1", "2", "3"] and ip["outputs"]["sku"]["name"] == "Standard"

"""The rules: plain functions over the spec, the rendered graph, its resources and its cost.

Every rule is registered in :data:`RULES` with its id, description, default enforcement level, scope
and typed parameters. The offline check and the CrossGuard pack both run these functions; nothing else
decides what is a violation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final

from kubefleet.cost.model import fmt_money
from kubefleet.policies.model import Param, Rule, RuleContext, TeamCost, Violation
from kubefleet.resolve.cluster import PRODUCTION_LABELS, PRODUCTION_PATTERN, ProtectionRule, is_production

if TYPE_CHECKING:
    from kubefleet.graph import RenderedResource

ENVIRONMENTS: Final = ("dev", "test", "staging", "prod")

# Resource types the adapters declare, by role. A table, not if-chains: a fifth provider adds rows.
CLUSTER_TYPES: Final = (
    "gcp:container/cluster:Cluster",
    "aws:eks/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
)
NODE_GROUP_TYPES: Final = (
    "gcp:container/nodePool:NodePool",
    "aws:eks/nodeGroup:NodeGroup",
    "azure-native:containerservice:AgentPool",
)
#: kubeadm: the Cluster API Cluster in the management cluster (deleting it deletes every machine)
CAPI_CLUSTER: Final = "kubernetes:cluster.x-k8s.io/v1beta2:Cluster"
GKE_CLUSTER: Final = "gcp:container/cluster:Cluster"
GKE_NODE_POOL: Final = "gcp:container/nodePool:NodePool"
EKS_NODE_GROUP: Final = "aws:eks/nodeGroup:NodeGroup"
EKS_LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_SUBNET: Final = "aws:ec2/subnet:Subnet"
AKS_CLUSTER: Final = "azure-native:containerservice:ManagedCluster"
AKS_AGENT_POOL: Final = "azure-native:containerservice:AgentPool"

DEFAULT_PROTECTED_TYPES: Final = (*CLUSTER_TYPES, *NODE_GROUP_TYPES, CAPI_CLUSTER)

# Instance families their clouds have superseded (older, dearer per unit of work, some retiring).
DEFAULT_DEPRECATED_FAMILIES: Final = (
    "n1-*", "g1-*", "f1-*",
    "m4.*", "c4.*", "r4.*", "t2.*", "m3.*", "c3.*", "r3.*", "i2.*", "p2.*", "g3.*",
    "Standard_D*_v2", "Standard_DS*_v2", "Standard_A*",
)

# Input keys that name an instance type, in every provider's wire spelling.
INSTANCE_KEYS: Final = frozenset({"machineType", "instanceType", "instanceTypes", "vmSize"})


def _truthy(value: Any) -> bool:
    """Pulumi inputs carry booleans as bools, sometimes as strings ("true") in older bridged schemas."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def resource_ref(resource: RenderedResource) -> str:
    return f"{resource.type}::{resource.name}"


def _violation(resource: RenderedResource, message: str, hint: str | None = None) -> Violation:
    return Violation(message, hint, resource_ref(resource), resource.urn)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, key, value) for every key in nested inputs."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key), value
            yield from _walk(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}.{i}" if path else str(i))


def _is_prod(ctx: RuleContext) -> bool:
    """Production by the configured protection rule (labels and pattern of prod-deletion-protection):
    the rule that also decides Pulumi's ``protect`` and `destroy`'s refusal."""
    return is_production(ctx.spec, ctx.protection)


# ------------------------------------------------------------------------------------------ ownership


def ownership_labels(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    labels = ctx.spec.metadata.labels
    for key in params["required"]:
        if not labels.get(key):
            yield Violation(
                f"label {key!r} is missing",
                f"add `{key}: ...` under metadata.labels; fleet and finance views group by it",
            )
    cost_center = labels.get("cost-center")
    pattern: str = params["costCenterPattern"]
    if cost_center and not re.fullmatch(pattern, cost_center):
        yield Violation(
            f"cost-center {cost_center!r} does not match {pattern}",
            "use the finance system's cost-center code, e.g. cc-1234",
        )
    env = labels.get("env")
    allowed: list[str] = params["environments"]
    if env and env not in allowed:
        yield Violation(f"env {env!r} is not one of {', '.join(allowed)}", "use one of: " + ", ".join(allowed))


# ------------------------------------------------------------------------------ production posture


def prod_private_endpoint(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if _is_prod(ctx) and ctx.spec.spec.control_plane.endpoint != "private":
        yield Violation(
            "a prod cluster's API server endpoint is public",
            "set spec.controlPlane.endpoint: private (reach it through a VPN or bastion)",
        )


def prod_ha_control_plane(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    cp = ctx.spec.spec.control_plane
    if _is_prod(ctx) and (cp.availability != "regional" or cp.replicas < 3):
        yield Violation(
            f"a prod cluster has a {cp.availability} control plane ({cp.replicas} replica(s) on kubeadm)",
            "set spec.controlPlane.availability: regional (kubeadm: replicas: 3 or 5)",
        )


def prod_autoscaling(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if not _is_prod(ctx):
        return
    for pool in ctx.spec.spec.node_pools:
        if pool.autoscaling is None:
            yield Violation(
                f"node pool {pool.name!r} has a fixed size ({pool.count} nodes) in a prod cluster",
                f"replace `count: {pool.count}` with `autoscaling: {{min: {pool.count}, max: ...}}`",
            )


def prod_maintenance_window(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if _is_prod(ctx) and ctx.spec.spec.upgrades.maintenance_window is None:
        yield Violation(
            "a prod cluster has no maintenance window: automatic upgrades may start at any hour",
            'set spec.upgrades.maintenanceWindow, e.g. {day: sun, start: "03:00", hours: 4}',
        )


def prod_deletion_protection(
    resource: RenderedResource, ctx: RuleContext, params: Mapping[str, Any]
) -> Iterator[Violation]:
    if resource.type not in params["protectedTypes"]:
        return
    found = protection_rule(params).match(ctx.spec)
    if found is None and not ctx.spec.metadata.protected:
        return
    if resource.protect or _truthy(resource.inputs.get("deletionProtection")):
        return
    why = f"labelled {found[0]}: {found[1]}" if found else "marked `protected: true`"
    yield _violation(
        resource,
        f"{resource.name} ({resource.type}) in a production cluster ({why}) is not protected against deletion",
        "production resources are declared with Pulumi's protect option (GKE: deletion_protection); "
        "deploy with kubefleet (it sets protect by the same rule) or set protect on this resource",
    )


def protection_rule(params: Mapping[str, Any]) -> ProtectionRule:
    """The production rule from prod-deletion-protection's parameters (labels, pattern)."""
    return ProtectionRule(tuple(params.get("labels") or PRODUCTION_LABELS), params.get("pattern") or PRODUCTION_PATTERN)


# ------------------------------------------------------------------------------------ version hygiene


def _support_row(ctx: RuleContext) -> Any:
    assert ctx.provider is not None
    return ctx.facts.versions(ctx.provider).get(ctx.spec.spec.kubernetes.minor)


def version_known(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if _support_row(ctx) is None:
        minor = ctx.spec.spec.kubernetes.minor
        yield Violation(
            f"the catalog has no support dates for Kubernetes {minor} on {ctx.provider}; "
            "version support cannot be checked",
            "add the row to the catalog's version table (features.yaml `versions:`) with its source",
        )


def version_support(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    row = _support_row(ctx)
    if row is None or row.standard_end is None or ctx.as_of <= row.standard_end:
        return
    minor = ctx.spec.spec.kubernetes.minor
    in_extended = row.extended_end is not None and ctx.as_of <= row.extended_end
    if in_extended and not params["requireStandard"]:
        return
    if row.extended_end is not None and not in_extended:
        kind, ended = "extended", row.extended_end
    else:
        kind, ended = "standard", row.standard_end
    yield Violation(
        f"Kubernetes {minor} on {ctx.provider} left {kind} support on {ended.isoformat()} "
        f"(checked as of {ctx.as_of.isoformat()})",
        "upgrade spec.kubernetes.version to a supported minor; source: " + row.source.url,
    )


def version_extended_support(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    row = _support_row(ctx)
    if row is None or row.standard_end is None or ctx.as_of <= row.standard_end:
        return
    if row.extended_end is None or ctx.as_of > row.extended_end:
        return
    minor = ctx.spec.spec.kubernetes.minor
    yield Violation(
        f"Kubernetes {minor} on {ctx.provider} is past standard support ({row.standard_end.isoformat()}); "
        f"extended-support fees apply until {row.extended_end.isoformat()}",
        "upgrade to a minor in standard support to stop paying the extended-support fee",
    )


# ----------------------------------------------------------------------------------------- budgets


def budget_cluster(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    cap: Decimal | None = params["monthlyCap"]
    if cap is None:
        return
    cost = ctx.cost()
    if cost.monthly_total > cap:
        hint = "shrink pools, use spot for stateless work, or raise the cap in the policy config"
        if cost.unpriced:
            hint += f" ({len(cost.unpriced)} resource(s) are unpriced and not in the estimate)"
        yield Violation(
            f"estimated {fmt_money(cost.monthly_total)}/month on {ctx.provider} exceeds the cap of "
            f"{fmt_money(cap)}",
            hint,
        )


def budget_team(costs: Sequence[TeamCost], params: Mapping[str, Any]) -> Iterator[tuple[Violation, str, str]]:
    """Per team and provider: the sum over the clusters checked together against ``teamCaps``."""
    caps: Mapping[str, Decimal] = params["teamCaps"]
    totals: dict[tuple[str, str], list[TeamCost]] = defaultdict(list)
    for c in costs:
        if c.team is not None and c.team in caps:
            totals[(c.team, c.provider)].append(c)
    for (team, provider), items in sorted(totals.items()):
        total = sum((c.monthly for c in items), Decimal(0))
        if total > caps[team]:
            names = ", ".join(sorted(c.cluster for c in items))
            yield (
                Violation(
                    f"team {team!r}: estimated {fmt_money(total)}/month on {provider} across "
                    f"{len(items)} cluster(s) ({names}) exceeds the team cap of {fmt_money(caps[team])}",
                    "consolidate small clusters or raise the team's cap in the policy config",
                ),
                names,
                provider,
            )


# ------------------------------------------------------------------------------------ mesh overhead


def mesh_overhead(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    istio = ctx.spec.spec.addons.istio
    if istio.mode == "none" or istio.data_plane != "sidecar" or istio.expected_pods == 0:
        return
    sidecar = ctx.facts.istio()["sidecar"]
    pools = ctx.spec.spec.node_pools
    cpu = Decimal(sum(p.min_nodes * p.machine.vcpus for p in pools))
    mem_mib = Decimal(sum(p.min_nodes * p.machine.memory_gib for p in pools) * 1024)
    need_cpu = sidecar.cpu_cores * istio.expected_pods
    need_mem = sidecar.memory_mib * istio.expected_pods
    limit: Decimal = params["maxShare"]
    hint = (f"consider `dataPlane: ambient` (one ztunnel per node instead of a sidecar per pod), "
            f"or raise the pools' minimum; sidecar requests {sidecar.cpu_cores} CPU / {sidecar.memory_mib} MiB "
            f"per pod (source: {sidecar.source.url})")
    if cpu == 0 or mem_mib == 0:
        yield Violation(f"{istio.expected_pods} meshed pods expected but the pools have no nodes at minimum", hint)
        return
    share = max(need_cpu / cpu, need_mem / mem_mib)
    if share > limit:
        yield Violation(
            f"sidecars for {istio.expected_pods} pods request {need_cpu} vCPU and {need_mem / 1024:.1f} GiB: "
            f"{share * 100:.0f}% of the pools' capacity at minimum ({cpu} vCPU, {mem_mib / 1024} GiB); "
            f"the limit is {limit * 100:.0f}%",
            hint,
        )


# ------------------------------------------------------------------------------------------ tenancy


def tenancy_sandboxed(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.spec.metadata.labels.get("tenancy") == "multi-tenant" and ctx.spec.spec.tenancy.isolation != "sandboxed":
        yield Violation(
            "a cluster labelled tenancy: multi-tenant shares one kernel between tenants",
            "set spec.tenancy.isolation: sandboxed (gVisor / Kata / micro-VMs where the provider offers them)",
        )


# ------------------------------------------------------------------------------------------ sizing


def min_workers(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    env = ctx.spec.metadata.env
    if env in params["exempt"]:
        return
    workers = sum(p.min_nodes for p in ctx.spec.spec.node_pools)
    need: int = params["minWorkers"]
    if workers < need:
        yield Violation(
            f"{workers} worker node(s) at minimum in a {env or 'unlabelled'} cluster; at least {need} are needed "
            "so one node can drain during upgrades",
            f"raise the pools' count or autoscaling min to a total of {need} or more",
        )


def odd_control_plane(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    replicas = ctx.spec.spec.control_plane.replicas
    if replicas % 2 == 0:
        yield Violation(
            f"{replicas} control-plane replicas: etcd needs an odd member count for quorum",
            "use 3 (or 5) replicas",
        )


# ------------------------------------------------------------------------------ placement allow-lists


def renders(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    """Placed by the offline check itself (:func:`kubefleet.policies.engine.check`) when the spec cannot be
    built on a provider at all — the adapter or the catalog refuses it (e.g. a Kubernetes minor kubeadm's
    pinned add-ons were not checked with, an instance the region does not offer): then no graph exists for
    the other rules to read. In the CrossGuard pack the stack was built, so there is nothing to report."""
    return iter(())



def allowed_providers(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    allowed: list[str] = params["providers"]
    if allowed and ctx.provider not in allowed:
        yield Violation(f"provider {ctx.provider!r} is not allowed", "allowed providers: " + ", ".join(allowed))


def allowed_regions(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    allowed: list[str] = params["regions"]
    if not allowed:
        return
    assert ctx.provider is not None
    neutral, native = ctx.spec.spec.region, ctx.spec.region_for(ctx.provider)
    if neutral not in allowed and native not in allowed:
        yield Violation(
            f"region {native} ({neutral}) on {ctx.provider} is not allowed",
            "allowed regions (neutral or provider names): " + ", ".join(allowed),
        )


# ------------------------------------------------------------------------------ resource-level checks


def _gke_private_nodes(resources: Iterable[RenderedResource]) -> Iterator[Violation]:
    for r in resources:
        if r.type == GKE_CLUSTER and not (
            _truthy(r.get("privateClusterConfig.enablePrivateNodes"))
            or _truthy(r.get("networkConfig.enablePrivateNodes"))
        ):
            yield _violation(r, f"GKE cluster {r.name} does not enable private nodes",
                             "set spec.network.privateNodes: true (privateClusterConfig.enablePrivateNodes)")
        if r.type == GKE_NODE_POOL and r.get("networkConfig.enablePrivateNodes") is False:
            yield _violation(r, f"GKE node pool {r.name} turns private nodes off",
                             "remove networkConfig.enablePrivateNodes: false")


def _eks_public_subnets(resources: Sequence[RenderedResource]) -> Iterator[Violation]:
    # Node groups name their subnets by id; a subnet's id is its `id` (engine state) or, in the offline
    # render, the mock monitor's "<name>-id".
    subnets: dict[str, RenderedResource] = {}
    for r in resources:
        if r.type == EKS_SUBNET:
            subnets[f"{r.name}-id"] = r
            if isinstance(r.inputs.get("id"), str):
                subnets[r.inputs["id"]] = r
    for r in resources:
        if r.type != EKS_NODE_GROUP:
            continue
        for subnet_id in r.inputs.get("subnetIds") or []:
            subnet = subnets.get(subnet_id) if isinstance(subnet_id, str) else None
            if subnet is not None and _truthy(subnet.inputs.get("mapPublicIpOnLaunch")):
                yield _violation(r, f"EKS node group {r.name} runs in subnet {subnet.name}, which maps public IPs",
                                 "place node groups in private subnets (spec.network.privateNodes: true)")


def no_public_node_ips(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    if not _is_prod(ctx) or ctx.graph is None:
        return
    resources = list(ctx.graph.resources)
    yield from _gke_private_nodes(resources)
    yield from _eks_public_subnets(resources)
    for r in resources:
        for path, key, value in _walk(r.inputs):
            if key in ("enableNodePublicIP", "associatePublicIpAddress") and _truthy(value):
                yield _violation(r, f"{r.name} gives nodes public IPs ({path}: true)",
                                 f"set {key} to false; nodes reach the internet through NAT")


# In-program Kubernetes resources (Helm releases, manifests) are applied by the machine running `up`, so they
# need an API endpoint that machine can reach. Per cluster type: (input path, value) pairs any of which makes
# the API reachable from outside the cluster's network. A table: a provider with a new way adds a row.
REACHABLE_ENDPOINT: Final[dict[str, tuple[tuple[str, Any], ...]]] = {
    GKE_CLUSTER: (
        ("privateClusterConfig.enablePrivateEndpoint", False),
        # GKE's DNS-based endpoint: IAM-gated and reachable from the internet
        ("controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic", True),
    ),
    "aws:eks/cluster:Cluster": (("vpcConfig.endpointPublicAccess", True),),
    AKS_CLUSTER: (("apiServerAccessProfile.enablePrivateCluster", False),),
}
IN_CLUSTER_TYPE_PREFIX: Final = "kubernetes:"


def in_program_install_reachable(ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    """A private API endpoint with in-program Helm/Kubernetes resources and no endpoint `up` can reach."""
    if ctx.graph is None or ctx.spec.spec.control_plane.endpoint != "private":
        return
    in_cluster = [r for r in ctx.graph.resources if r.type.startswith(IN_CLUSTER_TYPE_PREFIX) and r.custom]
    if not in_cluster:
        return
    for cluster in ctx.graph.of_type(*REACHABLE_ENDPOINT):
        ways = REACHABLE_ENDPOINT[cluster.type]
        if any(_same(cluster.get(path), want) for path, want in ways):
            continue
        kinds = sorted({r.type.split(":")[-1] for r in in_cluster})
        yield _violation(
            cluster,
            f"{cluster.name} has a private API endpoint only, and the program installs {len(in_cluster)} "
            f"in-cluster resource(s) ({', '.join(kinds)}): `up` fails unless it runs inside the cluster's network",
            "run `kubefleet up` from a machine in the VPC/VNet (bastion, CI runner, VPN), or install the in-cluster "
            "parts separately after the cluster exists; the parity notes say which endpoint the provider offers",
        )


def _same(value: Any, want: Any) -> bool:
    if isinstance(want, bool):
        return _truthy(value) if want else value is False or (isinstance(value, str) and value.lower() == "false")
    return bool(value == want)


def disk_encryption(resource: RenderedResource, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[Violation]:
    """Where the provider exposes a disk-encryption switch, it is on. GKE and vSphere expose none that
    kubefleet sets (GKE encrypts every disk at rest); Azure managed disks are encrypted at rest, and
    encryption at host also covers temp disks and caches."""
    if resource.type == EKS_LAUNCH_TEMPLATE:
        for i, mapping in enumerate(resource.inputs.get("blockDeviceMappings") or []):
            ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
            if isinstance(ebs, Mapping) and not _truthy(ebs.get("encrypted")):
                yield _violation(resource, f"launch template {resource.name} declares an unencrypted EBS volume "
                                 f"(blockDeviceMappings.{i}.ebs.encrypted is not true)", "set encrypted: true")
    elif resource.type == EKS_NODE_GROUP and not resource.inputs.get("launchTemplate"):
        yield _violation(resource, f"EKS node group {resource.name} has no launch template: its volumes follow "
                         "the account's default EBS encryption setting",
                         "declare a launch template with encrypted volumes, or enable EBS encryption by default")
    elif resource.type == AKS_AGENT_POOL and not _truthy(resource.inputs.get("enableEncryptionAtHost")):
        yield _violation(resource, f"AKS agent pool {resource.name} does not enable encryption at host",
                         "set enableEncryptionAtHost: true (temp disks and caches are then encrypted too)")
    elif resource.type == AKS_CLUSTER:
        for i, profile in enumerate(resource.inputs.get("agentPoolProfiles") or []):
            if isinstance(profile, Mapping) and not _truthy(profile.get("enableEncryptionAtHost")):
                yield _violation(resource, f"AKS cluster {resource.name}: agentPoolProfiles.{i} "
                                 f"({profile.get('name', '?')}) does not enable encryption at host",
                                 "set enableEncryptionAtHost: true")


def deprecated_instance_family(
    resource: RenderedResource, ctx: RuleContext, params: Mapping[str, Any]
) -> Iterator[Violation]:
    patterns: list[str] = params["families"]
    for path, key, value in _walk(resource.inputs):
        if key not in INSTANCE_KEYS:
            continue
        names = value if isinstance(value, list) else [value]
        for name in names:
            if not isinstance(name, str):
                continue
            hit = next((p for p in patterns if fnmatchcase(name, p)), None)
            if hit is not None:
                yield _violation(
                    resource,
                    f"{resource.name} uses {name} ({path}), a deprecated instance family ({hit})",
                    "drop the pinned instance type, or pin a current generation "
                    "(GKE T4 GPUs need N1: prefer L4 on G2)",
                )


# ------------------------------------------------------------------------------------------ registry


def _rules() -> dict[str, Rule]:
    rules = [
        Rule("ownership-labels", "team, owner, cost-center and env labels are present and well-formed",
             "mandatory", "spec", ownership_labels, (
                 Param("required", "str-list", ["team", "owner", "cost-center", "env"], "labels that must be set"),
                 Param("costCenterPattern", "regex", r"^cc-[0-9]{4}$", "regular expression cost-center must match"),
                 Param("environments", "str-list", list(ENVIRONMENTS), "allowed values of the env label"),
             )),
        Rule("prod-private-endpoint", "prod clusters have a private API server endpoint",
             "mandatory", "spec", prod_private_endpoint),
        Rule("prod-ha-control-plane", "prod clusters have a regional / HA control plane (kubeadm: 3 or 5 replicas)",
             "mandatory", "spec", prod_ha_control_plane),
        Rule("prod-autoscaling", "every node pool of a prod cluster autoscales",
             "mandatory", "spec", prod_autoscaling),
        Rule("prod-maintenance-window", "prod clusters set a maintenance window",
             "mandatory", "spec", prod_maintenance_window),
        Rule("prod-deletion-protection", "prod clusters' core resources are protected against deletion",
             "mandatory", "resource", prod_deletion_protection, (
                 Param("protectedTypes", "str-list", list(DEFAULT_PROTECTED_TYPES),
                       "resource types that must carry protect (or deletionProtection)"),
                 Param("labels", "str-list", list(PRODUCTION_LABELS),
                       "labels that can mark a cluster as production (every prod-* rule, protect, destroy)"),
                 Param("pattern", "regex", PRODUCTION_PATTERN,
                       "a production value of one of those labels (whole value, any case)"),
             )),
        Rule("version-support", "the Kubernetes minor is still supported by the provider on the check date",
             "mandatory", "provider", version_support, (
                 Param("requireStandard", "bool", False,
                       "fail past standard support even where extended support still covers the minor"),
             )),
        Rule("version-extended-support", "the Kubernetes minor is past standard support: extended-support fees apply",
             "advisory", "provider", version_extended_support),
        Rule("version-known", "the catalog knows the support window of the Kubernetes minor",
             "advisory", "provider", version_known),
        Rule("budget-cluster", "each cluster's monthly estimate stays under the cap",
             "mandatory", "provider", budget_cluster, (
                 Param("monthlyCap", "decimal", None, "USD per cluster per month (unset: no cap)"),
             ), needs_cost=True),
        Rule("budget-team", "each team's monthly estimate over the clusters checked together stays under its cap",
             "mandatory", "fleet", budget_team, (
                 Param("teamCaps", "decimal-map", {}, "USD per month per team, e.g. {payments: 20000}"),
             ), needs_cost=True),
        Rule("mesh-overhead", "Istio sidecar requests stay under a share of the pools' capacity at minimum",
             "advisory", "spec", mesh_overhead, (
                 Param("maxShare", "decimal", Decimal("0.15"), "largest share of CPU or memory for sidecars"),
             )),
        Rule("tenancy-sandboxed", "clusters labelled tenancy: multi-tenant use sandboxed isolation",
             "mandatory", "spec", tenancy_sandboxed),
        Rule("min-workers", "clusters other than dev have at least two workers",
             "mandatory", "spec", min_workers, (
                 Param("minWorkers", "int", 2, "worker nodes at minimum"),
                 Param("exempt", "str-list", ["dev"], "env values the rule does not apply to"),
             )),
        Rule("odd-control-plane", "control-plane replicas are odd (etcd quorum)",
             "mandatory", "spec", odd_control_plane),
        Rule("renders", "the spec can be built on the provider (its adapter and the catalog accept it)",
             "mandatory", "provider", renders),
        Rule("allowed-providers", "clusters run only on allowed providers",
             "mandatory", "provider", allowed_providers, (
                 Param("providers", "str-list", [], "allowed providers (empty: any)"),
             )),
        Rule("allowed-regions", "clusters run only in allowed regions",
             "mandatory", "provider", allowed_regions, (
                 Param("regions", "str-list", [], "allowed regions, neutral (us-east) or provider names (empty: any)"),
             )),
        Rule("no-public-node-ips", "prod nodes get no public IP addresses",
             "mandatory", "provider", no_public_node_ips),
        Rule("in-program-install-reachable",
             "in-program Helm/Kubernetes installs have an API endpoint `up` can reach (not private-only)",
             "advisory", "provider", in_program_install_reachable),
        Rule("disk-encryption", "node disks are encrypted where the provider exposes the switch",
             "advisory", "resource", disk_encryption),
        Rule("deprecated-instance-family", "node pools do not use a deprecated instance family",
             "mandatory", "resource", deprecated_instance_family, (
                 Param("families", "str-list", list(DEFAULT_DEPRECATED_FAMILIES), "instance type glob patterns"),
             )),
    ]
    return {r.id: r for r in rules}


RULES: Final[dict[str, Rule]] = _rules()

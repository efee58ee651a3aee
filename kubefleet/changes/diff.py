"""Offline diff: what changing a spec would do, computed from two rendered graphs (no engine, no cloud).

``kubefleet diff --base OLD NEW`` renders both specs under the mock monitor and compares the resources
the program declares, resource by resource, the way ``pulumi preview`` would report them:

* resources are matched by URN (stack ``<cluster>-<provider>``, parent type chain, logical name); a
  resource whose logical name or parent changed is a *different* resource: delete + create
* a matched resource with different inputs is an **update**, or a **replace** when one of the changed
  inputs forces it in the generated replace table (the provider cannot change it in place: ForceNew,
  an ARM URL parameter…; :mod:`kubefleet.changes.replace`)
* a resource that depends on a replaced one gets a new id, so an input holding that id (or the replaced
  resource's cloud name or self-link) changes too: a replace when that input forces replacement
  (``subnetIds`` of an EKS node group), otherwise an update (see :func:`_cascade`)
* component resources (no cloud counterpart) and provider resources are left out, as the engine's
  change collector does; but a changed explicit provider's configuration is read (:func:`provider_moves`):
  an EKS region move replaces every regional resource (its ``region`` follows the provider's), and a
  region, project or subscription move of an existing cluster is refused (:func:`location_refusals`)

Secrets: the render replaces secret inputs by ``[secret]`` before we see them, so a change inside a
secret cannot be detected. When a resource is updated or replaced for another reason, its secret inputs
are listed as ``[secret] → [secret]`` with ``uncertain=True`` ("may have changed"); when nothing else
changed they are not listed at all (a secret-only change is invisible offline — ``kubefleet preview``
against the real stack sees it).

No typer or rich here; the CLI (``kubefleet.cli.diff_cmd``) loads, renders and prints.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from kubefleet.changes import replace as _replace
from kubefleet.changes.model import (
    INTERNAL_TYPE_PREFIXES,
    ClusterChanges,
    InputChange,
    Op,
    ResourceChange,
    input_change,
    parse_path,
)
from kubefleet.graph import at_path
from kubefleet.redact import SECRET

if TYPE_CHECKING:
    from kubefleet.changes.drift import DriftReport
    from kubefleet.changes.upgrades import UpgradeCheck, UpgradeNote
    from kubefleet.graph import RenderedResource, ResourceGraph
    from kubefleet.spec.model import ClusterSpec

Status = Literal["added", "removed", "changed", "unchanged"]

# ------------------------------------------------------------------ replace-on-change
#
# Which changed inputs force a replacement comes from the providers' own schemas, generated into
# kubefleet/changes/replace_table.json by scripts/gen_replace_tables.py (see kubefleet.changes.replace).
# No list of replace paths is kept here: tests/test_replace_table.py fails if one reappears.

# Inputs whose in-place update still replaces every node of the pool (a rolling migration, at the pool's
# surge settings) — the reviewer must know, even though Pulumi reports an "update":
# GKE  googleapis container/v1 UpdateNodePoolRequest, as shipped in google-cloud-container
#      (google/cloud/container_v1/types/cluster_service.py): machine_type, disk_type and disk_size_gb each
#      "Initiates an upgrade operation that migrates the nodes in the node pool to the specified ...";
#      node_version is "The Kubernetes version to change the nodes to". tests/test_diff.py reads those
#      docstrings from the installed SDK.
# EKS  botocore's eks service model, UpdateNodegroupVersion ("Updates the Kubernetes version or AMI version
#      of an Amazon EKS managed node group ... When a node in a managed node group is terminated due to a
#      scaling action or update, every Pod on that node is drained first"); a launch template version
#      change goes through the same operation. Tested against the installed botocore.
# AKS  orchestratorVersion / nodeImageVersion: an upgrade cordons, drains and replaces each node with a
#      surge node (learn.microsoft.com aks/upgrade-aks-cluster, "How the upgrade works").
ROLLS_NODES: Final[dict[str, tuple[str, ...]]] = {
    "gcp:container/nodePool:NodePool": (
        "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "version",
    ),
    "aws:eks/nodeGroup:NodeGroup": ("version", "releaseVersion", "launchTemplate.version"),
    "azure-native:containerservice:AgentPool": ("orchestratorVersion", "nodeImageVersion"),
}

#: node-pool types: a replace of one of these rolls every node too (a new pool, then the old one drained)
NODE_POOL_TYPES: Final = frozenset({
    "gcp:container/nodePool:NodePool", "aws:eks/nodeGroup:NodeGroup", "azure-native:containerservice:AgentPool",
})

#: inputs that turn on a provider's own deletion protection (the delete half of a replace then fails):
#: pulumi-gcp container.Cluster ``deletionProtection`` (terraform-provider-google: "Whether Terraform will
#: be prevented from destroying the cluster"), pulumi-aws eks.Cluster ``deletionProtection`` (botocore
#: eks CreateCluster ``deletionProtection``: "the cluster can't be deleted").
DELETION_PROTECTION_INPUTS: Final[dict[str, str]] = {
    "gcp:container/cluster:Cluster": "deletionProtection",
    "aws:eks/cluster:Cluster": "deletionProtection",
}


def rolling_paths(type_: str, changed: Iterable[str]) -> tuple[str, ...]:
    """The changed input paths of ``type_`` that roll every node of a pool (in an in-place update)."""
    rolls = ROLLS_NODES.get(type_, ())
    return tuple(sorted({p for p in changed for r in rolls if p == r or p.startswith((r + ".", r + "["))}))


def protection(r: RenderedResource) -> str | None:
    """Why deleting ``r`` would be refused: Pulumi's ``protect`` option or the provider's own flag."""
    if r.protect:
        return "Pulumi `protect`"
    key = DELETION_PROTECTION_INPUTS.get(r.type)
    if key and r.inputs.get(key) is True:
        return f"`{key}: true`"
    return None


def replace_paths(type_: str) -> tuple[str, ...]:
    """The replace-on-change input paths of a resource type, from the generated table."""
    return _replace.replace_paths(type_)


# ------------------------------------------------------------------ input comparison

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _join(prefix: str, key: str) -> str:
    """A Pulumi property path segment: ``a.b``, or ``a["kubefleet.dev/cluster"]`` for odd keys."""
    if _PLAIN_KEY.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]' if prefix else f'["{key}"]'


def diff_inputs(old: Any, new: Any, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; mappings are recursed, lists compared whole
    (a list is one value to the reader: ``instanceTypes``, ``subnetIds``)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            yield from diff_inputs(old.get(key), new.get(key), _join(prefix, str(key)))
        return
    if old != new:
        yield (prefix or "(value)", old, new)


def forcing_paths(type_: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The replace-on-change paths of ``type_`` that the change from ``old`` to ``new`` triggers (the
    generated table's rules; values masked as ``[secret]`` on both sides never force a replacement)."""
    return _replace.forcing_paths(type_, old, new)


def _secret_leaves(data: Any, prefix: str = "") -> Iterator[str]:
    if data == SECRET:
        yield prefix or "(value)"
    elif isinstance(data, Mapping):
        for key in sorted(data, key=str):
            yield from _secret_leaves(data[key], _join(prefix, str(key)))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _secret_leaves(item, f"{prefix}[{i}]")


# ------------------------------------------------------------------ graph comparison


@dataclass(frozen=True)
class ClusterNotes:
    """What the offline diff knows about one cluster × provider beyond the change model."""

    forced_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "type::name" -> input paths
    rolls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "type::name" -> rolling inputs
    protected: Mapping[str, str] = field(default_factory=dict)  # "type::name" -> why deletion is refused
    unpriced_before: int = 0
    unpriced_after: int = 0
    categories_before: Mapping[str, Decimal] = field(default_factory=dict)
    categories_after: Mapping[str, Decimal] = field(default_factory=dict)
    drift: DriftReport | None = None  # engine preview --refresh: the drift in spec terms and its monthly cost
    at_apply: Mapping[str, str] = field(default_factory=dict)  # "type::name" -> what `up` decides from the live resource
    refused: tuple[str, ...] = ()  # version moves the provider refuses (kubefleet.changes.upgrades), as sentences
    #: of ``refused``, the ones kubefleet itself refuses (a kubeadm re-address), and the inputs they concern
    kubefleet_refused: tuple[str, ...] = ()
    refused_inputs: frozenset[str] = frozenset()
    resources_before: Mapping[str, Decimal] = field(default_factory=dict)  # "type::name" -> monthly (priced lines)
    resources_after: Mapping[str, Decimal] = field(default_factory=dict)


#: Inputs holding a cluster's or a node pool's Kubernetes version (GKE cluster/node pool, EKS cluster/node group,
#: AKS managed cluster/agent pool): where a refused version move shows in the resource rows.
VERSION_INPUTS: Final = frozenset({"minMasterVersion", "nodeVersion", "version", "kubernetesVersion",
                                   "orchestratorVersion"})


def changes_version(change: ResourceChange) -> bool:
    """Whether ``change`` moves a Kubernetes version input (see :data:`VERSION_INPUTS`)."""
    return any(i.path in VERSION_INPUTS for i in change.inputs)


def refusals_of(refused: Sequence[UpgradeNote], paths: Iterable[str]) -> list[UpgradeNote]:
    """The refusals a resource change with these input paths falls under: a refused version move the version
    inputs (:data:`VERSION_INPUTS`), any other refusal the inputs it names (``UpgradeNote.inputs``)."""
    changed = set(paths)
    return [n for n in refused if changed & (set(n.inputs) if n.inputs else VERSION_INPUTS)]


@dataclass(frozen=True)
class ResourceDiff:
    """One resource's change plus why it is replaced (the forcing input paths)."""

    change: ResourceChange
    forced_by: tuple[str, ...] = ()
    urn: str = ""
    protected: str | None = None  # why the delete half would be refused (see :func:`protection`)
    at_apply: str | None = None  # what only `up` can decide, from the live resource (see :func:`apply_time_note`)
    delete_first: bool = False  # a replace that deletes the old resource before creating the new one


#: what a delete-before-replace step means for the reader (pulumi: deleteBeforeReplace)
DELETE_FIRST_NOTE: Final = ("deleted before its replacement is created (its cloud name must stay): it is gone "
                            "until the new one is up")


#: ignored inputs an autoscaler owns: the spec's bounds changed, not the count; nothing to tell. AKS
#: agentPoolProfiles holds only the bootstrap System pool the cluster was created with; the spec's pools are
#: AgentPool resources, whose rows show the change (providers/aks/nodepool.py)
_AUTOSCALER_OWNED: Final = frozenset({"count", "nodeCount", "scalingConfig.desiredSize", "agentPoolProfiles"})


#: inputs that are a resource's cloud name: when the program ignores one after creation, the resource keeps the
#: name it was created with (EKS IAM roles, GKE's project-wide network, firewall, membership, service account)
KEPT_NAMES: Final = ("name", "accountId", "membershipId")


def kept_name_note(path: str) -> str:
    return (f"not applied by up: {path} (an existing resource keeps the name it was created with; only a new one "
            "gets this name)")


def ignored_note(paths: Sequence[str]) -> str | None:
    """Say that a spec change is not applied because the program ignores the input after creation (an
    auto-upgrade channel's version, the Istio add-on revision `az aks mesh upgrade` moves, a kept cloud name)."""
    shown = [p for p in paths if p not in _AUTOSCALER_OWNED and p not in KEPT_NAMES]
    notes = [kept_name_note(p) for p in paths if p in KEPT_NAMES]
    if shown:
        notes.append("not applied by up: " + ", ".join(shown) + " (ignored after creation: the cloud's upgrade "
                     "channel or add-on upgrade moves it; see kubefleet upgrade)")
    return "; ".join(notes) or None


def _others_kept(r: RenderedResource, kept: Mapping[str, str]) -> dict[str, Any]:
    """``r``'s inputs reading every kept name as the old one, except its own (its ignored change is shown)."""
    inputs = dict(_with_kept(r.inputs, kept))
    for path in KEPT_NAMES:
        if path in r.inputs and ignored(path, r.ignore_changes):
            inputs[path] = r.inputs[path]
    return inputs


def kept_names(before: Mapping[str, RenderedResource], after: Mapping[str, RenderedResource]) -> dict[str, str]:
    """New cloud name -> old, for every matched resource whose changed name input (:data:`KEPT_NAMES`) the program
    ignores: the engine keeps the old name (processIgnoreChanges resets it before the provider's Diff), so the
    resource's outputs that carry the name (the name itself, an ARN or self-link ending in it, a service
    account's e-mail) keep the old value too."""
    kept: dict[str, str] = {}
    for urn, r in after.items():
        old = before.get(urn)
        if old is None:
            continue
        for path in KEPT_NAMES:
            was, now = old.inputs.get(path), r.inputs.get(path)
            if (ignored(path, r.ignore_changes) and isinstance(was, str) and isinstance(now, str) and was != now
                    and len(now) >= 6):
                kept[now] = was
    return kept


def _with_kept(value: Any, kept: Mapping[str, str]) -> Any:
    """``value`` with every reference to a kept name read as the old name. The names carry a hash of their
    identity (kubefleet.naming.cloud_name), so a string holding one refers to that resource."""
    if isinstance(value, str):
        for now, was in kept.items():
            value = value.replace(now, was)
        return value
    if isinstance(value, list):
        return [_with_kept(v, kept) for v in value]
    if isinstance(value, Mapping):
        return {k: _with_kept(v, kept) for k, v in value.items()}
    return value


def apply_time_note(old: RenderedResource, new: RenderedResource) -> str | None:
    """What the offline diff cannot know because it depends on the live resource. An EKS node group whose
    desiredSize the autoscaler owns: EKS refuses bounds that exclude the desired size, so at `up` the program
    moves it to the nearest new bound when what runs then is outside (providers/eks/nodepool.py scaling)."""
    if new.type != "aws:eks/nodeGroup:NodeGroup" or "scalingConfig.desiredSize" not in new.ignore_changes:
        return None
    old_min, new_min = old.get("scalingConfig.minSize"), new.get("scalingConfig.minSize")
    old_max, new_max = old.get("scalingConfig.maxSize"), new.get("scalingConfig.maxSize")
    notes = []
    if isinstance(old_min, int) and isinstance(new_min, int) and new_min > old_min:
        notes.append(f"if fewer than {new_min} nodes run at the next up, desiredSize is raised to {new_min}")
    if isinstance(old_max, int) and isinstance(new_max, int) and new_max < old_max:
        notes.append(f"if more than {new_max} nodes run at the next up, desiredSize is lowered to {new_max}")
    if not notes:
        return None
    return "; ".join(notes) + " (EKS refuses bounds that exclude the desired size)"


def _relevant(graph: ResourceGraph | None) -> dict[str, RenderedResource]:
    if graph is None:
        return {}
    return {r.urn: r for r in graph.resources if r.custom and not r.type.startswith(INTERNAL_TYPE_PREFIXES)}


def _changes(old: RenderedResource, new: RenderedResource) -> list[InputChange]:
    out = [input_change(path, o, n) for path, o, n in diff_inputs(old.inputs, new.inputs)]
    return sorted(out, key=lambda c: c.path)


def _with_uncertain_secrets(changes: list[InputChange], new: RenderedResource) -> tuple[InputChange, ...]:
    """Add the resource's masked secrets as 'may have changed' (only called for changed resources)."""
    listed = {c.path for c in changes}
    extra = [InputChange(path, SECRET, SECRET, uncertain=True)
             for path in _secret_leaves(new.inputs) if path not in listed]
    return tuple(sorted([*changes, *extra], key=lambda c: c.path))


def _reference_tokens(r: RenderedResource) -> tuple[str, ...]:
    """Strings by which other resources refer to ``r`` in a rendered graph: its mock id and its cloud
    name (``name`` input), which the program passes on as ``cluster``, ``clusterName`` or a self-link."""
    tokens = [f"{r.name}-id"]
    cloud_name = r.inputs.get("name")
    if isinstance(cloud_name, str) and len(cloud_name) >= 6:
        tokens.append(cloud_name)
    return tuple(tokens)


def _refers(value: Any, tokens: tuple[str, ...]) -> bool:
    if isinstance(value, str):
        return any(value == t or value.endswith("/" + t) for t in tokens)
    if isinstance(value, list):
        return any(_refers(v, tokens) for v in value)
    if isinstance(value, Mapping):
        return any(_refers(v, tokens) for v in value.values())
    return False


def _referencing_paths(inputs: Mapping[str, Any], tokens: tuple[str, ...], prefix: str = "") -> Iterator[str]:
    for key in sorted(inputs, key=str):
        value = inputs[key]
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from _referencing_paths(value, tokens, path)
        elif _refers(value, tokens):
            yield path


KNOWN_AFTER_REPLACE: Final = "(known after replace)"


def _cascade(diffs: dict[str, ResourceDiff], new: dict[str, RenderedResource]) -> None:
    """A replaced resource gets a new id (and the engine shows its outputs as unknown): resources that
    refer to it change too — replaced when the referring input forces replacement, else updated."""
    changed = True
    while changed:  # to a fixed point: a replacement can cascade further
        changed = False
        replaced = [new[u] for u, d in diffs.items() if d.change.op == "replace" and u in new]
        for urn, d in sorted(diffs.items()):
            if d.change.op not in ("same", "update") or urn not in new:
                continue
            r = new[urn]
            forced = set(replace_paths(r.type))
            hits: dict[str, str] = {}
            for dep in replaced:
                if dep.urn == urn:
                    continue
                for path in _referencing_paths(r.inputs, _reference_tokens(dep)):
                    hits.setdefault(path, dep.name)
            if not hits:
                continue
            extra = [InputChange(path, at_path(r.inputs, path)[1], KNOWN_AFTER_REPLACE)
                     for path in sorted(hits) if path not in {c.path for c in d.change.inputs}]
            forcing = tuple(sorted(p for p in hits if any(p == f or p.startswith(f + ".") for f in forced)))
            op: Op = "replace" if forcing else "update"
            inputs = tuple(sorted([*d.change.inputs, *extra], key=lambda c: c.path))
            if op != d.change.op or len(inputs) != len(d.change.inputs):
                diffs[urn] = ResourceDiff(
                    ResourceChange(op, r.type, r.name, _with_uncertain_secrets(list(inputs), r)),
                    tuple(sorted({*d.forced_by, *forcing})), urn,
                    delete_first=op == "replace" and (r.delete_before_replace or _replace.names_fixed(r.type, r.inputs)),
                )
                changed = True


def ignored(path: str, ignore_changes: tuple[str, ...]) -> bool:
    """Whether the engine ignores a change at ``path``: it is at or under one of the resource's
    ``ignore_changes`` paths (pulumi/pulumi pkg/resource/deploy/step_generator.go ``processIgnoreChanges``
    resets each path, and so everything under it, to the old inputs' value before the provider's Diff;
    tests/test_e2e_engine.py checks the offline diff against the real engine)."""
    segments = parse_path(path)
    return any(segments[: len(prefix)] == prefix for prefix in (parse_path(i) for i in ignore_changes) if prefix)


# ------------------------------------------------------------------ provider configuration: region moves
#
# What the engine does when an explicit provider's configuration changes (the region of a cluster):
# * the engine replaces every resource of a provider only when the provider itself is replaced, and it is
#   replaced only when its DiffConfig says so (pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8:
#   pkg/resource/deploy/step_generator.go:2800-2880 providerChanged, 2921-2925; a provider Diff is its
#   DiffConfig: pkg/resource/deploy/providers/registry.go:732-779). Otherwise the provider is updated in place,
#   keeps its id, and each resource is diffed by the (reconfigured) provider as usual.
# * pulumi-aws: a bridged provider's DiffConfig replaces only for config keys marked ForcesProviderReplace
#   (pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/tfbridge/provider.go:841-894);
#   pulumi-aws took that mark off `region` for v7 (pulumi/pulumi-aws#5656, "will instead require a separate
#   pulumi destroy and pulumi up sequence", and commit d273034ca4dff0fdfe4e1ab5f8896e4673055ece for the major
#   release), so the aws Provider is updated. Then every regional resource (Terraform AWS v6's per-resource
#   `region`) is replaced: CustomizeDiff sets an unset `region` to the provider's configured region and forces
#   a new resource when it differs from the stored one (hashicorp/terraform-provider-aws@
#   4640a66635ff36287cdb9ce0683daefda6c188c7:internal/provider/sdkv2/region.go:52-69 defaultRegion,
#   91-113 forceNewIfRegionChanges). Global services have no `region` (IAM: pulumi_aws 7.x's iam Args take
#   none; tests/test_diff_region.py reads that from the installed SDK).
# * pulumi-gcp (default provider; kubefleet passes project, region and location on every resource) and
#   azure-native (location on every tracked resource): the moves show through the resources' own ForceNew /
#   create-only inputs in the generated table. azure-native's DiffConfig never asks for a replacement
#   (pulumi/pulumi-azure-native@6d9e7fe5da3ddea283f27995305640427e65761c:provider/pkg/provider/provider.go,
#   DiffConfig returns no replaces), so a subscriptionId change replaces nothing: the resources stay where they
#   are, in the old subscription, while the provider now points at the new one.

#: AWS modules of global services: no per-resource ``region`` (see above; checked against the installed SDK)
AWS_GLOBAL_MODULES: Final = frozenset({"iam"})
PROVIDER_REGION: Final = "region"  # the forced path of a resource replaced because its region moved


def aws_region_aware(type_: str) -> bool:
    """Whether an AWS resource type carries Terraform AWS v6's per-resource ``region`` (a regional service)."""
    if not type_.startswith("aws:"):
        return False
    module = type_.split(":", 2)[1].split("/", 1)[0]
    return module not in AWS_GLOBAL_MODULES


def provider_regions(graph: ResourceGraph | None) -> dict[str, str]:
    """``region`` of each explicit aws provider in the graph, by the provider's name."""
    if graph is None:
        return {}
    return {r.name: r.inputs["region"] for r in graph.resources
            if r.type == "pulumi:providers:aws" and isinstance(r.inputs.get("region"), str)}


def provider_moves(old: ResourceGraph | None, new: ResourceGraph | None) -> tuple[str | None, str | None]:
    """The (old, new) region of the cluster's explicit aws provider when it changed, else (None, None). One
    provider per EKS stack (providers/eks/adapter.py); with several, none is assumed."""
    before, after = provider_regions(old), provider_regions(new)
    if len(before) != 1 or len(after) != 1:
        return None, None
    (a,), (b,) = before.values(), after.values()
    return (a, b) if a != b else (None, None)


def _effective_region(r: RenderedResource, provider_region: str | None) -> Any:
    """An AWS resource's region: its own ``region`` input, else its provider's (defaultRegion)."""
    return r.inputs.get("region", provider_region)


def _region_move(old: RenderedResource, new: RenderedResource,
                 regions: tuple[str | None, str | None]) -> InputChange | None:
    """The change of a regional AWS resource's effective region (its own input, else its provider's), which
    forces a new resource (forceNewIfRegionChanges, see above), or None."""
    if not aws_region_aware(new.type):
        return None
    was, now = _effective_region(old, regions[0]), _effective_region(new, regions[1])
    if regions == (None, None) and "region" not in old.inputs and "region" not in new.inputs:
        return None
    if not isinstance(was, str) or not isinstance(now, str) or was == now:
        return None
    return InputChange(PROVIDER_REGION, was, now)


def diff_graphs(old: ResourceGraph | None, new: ResourceGraph | None) -> list[ResourceDiff]:
    """Every resource of one cluster on one provider, OLD → NEW (either may be absent: added/removed)."""
    before, after = _relevant(old), _relevant(new)
    regions = provider_moves(old, new)
    kept = kept_names(before, after)
    if kept:  # the others read the names the engine keeps (a resource's own kept name shows as ignored)
        after = {urn: dataclasses.replace(r, inputs=_others_kept(r, kept)) for urn, r in after.items()}
    diffs: dict[str, ResourceDiff] = {}
    for urn, r in before.items():
        if urn not in after:
            diffs[urn] = ResourceDiff(ResourceChange("delete", r.type, r.name), (), urn)
    for urn, r in after.items():
        if urn not in before:
            diffs[urn] = ResourceDiff(ResourceChange("create", r.type, r.name), (), urn)
            continue
        every = _changes(before[urn], r)
        moved = _region_move(before[urn], r, regions)
        if moved is not None and moved.path not in {c.path for c in every}:
            every = sorted([*every, moved], key=lambda c: c.path)
        changes = [c for c in every if not ignored(c.path, r.ignore_changes)]
        skipped = ignored_note([c.path for c in every if ignored(c.path, r.ignore_changes)])
        if not changes:
            diffs[urn] = ResourceDiff(ResourceChange("same", r.type, r.name), (), urn, at_apply=skipped)
            continue
        forced = tuple(p for p in forcing_paths(r.type, before[urn].inputs, r.inputs)
                       if not ignored(p, r.ignore_changes))
        if moved is not None and not ignored(moved.path, r.ignore_changes):
            forced = tuple(sorted({*forced, moved.path}))
        # the provider itself asks to delete first when a replace it decides keeps a name the program set
        # (kubefleet.changes.replace.names_fixed); a replace only the program's replace_on_changes forces does not
        provider_dbr = bool(forced) and _replace.names_fixed(r.type, r.inputs)
        # the program's own replace_on_changes (pulumi/pulumi step_generator: a changed property at or under
        # one of them makes the step a replace, whatever the provider's diff says)
        forced += tuple(c.path for c in changes if c.path not in forced and ignored(c.path, r.replace_on_changes))
        op: Op = "replace" if forced else "update"
        diffs[urn] = ResourceDiff(ResourceChange(op, r.type, r.name, _with_uncertain_secrets(changes, r)), forced, urn,
                                  at_apply="; ".join(filter(None, (apply_time_note(before[urn], r), skipped))) or None,
                                  delete_first=op == "replace" and (r.delete_before_replace or provider_dbr))
    _cascade(diffs, after)
    for urn, d in list(diffs.items()):
        if d.change.destructive and urn in before and (why := protection(before[urn])):
            diffs[urn] = ResourceDiff(d.change, d.forced_by, d.urn, why, d.at_apply, d.delete_first)
    return sorted(diffs.values(), key=lambda d: (d.change.sort_key(), d.urn))


# ------------------------------------------------------------------ clusters × providers


@dataclass(frozen=True)
class ClusterDiff:
    """One cluster on one provider: the change model plus what the offline diff knows besides."""

    changes: ClusterChanges
    status: Status
    forced_by: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "type::name" -> forcing paths
    unpriced_before: int = 0
    unpriced_after: int = 0
    protected: dict[str, str] = field(default_factory=dict)  # "type::name" -> why deletion is refused
    categories_before: dict[str, Decimal] = field(default_factory=dict)
    categories_after: dict[str, Decimal] = field(default_factory=dict)
    at_apply: dict[str, str] = field(default_factory=dict)  # "type::name" -> what `up` decides from the live resource
    upgrades: tuple[UpgradeNote, ...] = ()  # refused version moves and support cliffs (kubefleet.changes.upgrades)
    resources_before: dict[str, Decimal] = field(default_factory=dict)  # "type::name" -> monthly of its priced lines
    resources_after: dict[str, Decimal] = field(default_factory=dict)

    @property
    def refused(self) -> tuple[UpgradeNote, ...]:
        """Version moves base → head the provider will refuse (a skipped minor, a downgrade)."""
        return tuple(n for n in self.upgrades if n.kind == "refused")

    def rolls_nodes(self, change: ResourceChange) -> tuple[str, ...]:
        """Why ``change`` replaces every node of a pool: the rolling inputs, or ``("replace",)``."""
        if change.op == "replace" and change.type in NODE_POOL_TYPES:
            return ("replace",)
        if change.op == "update":
            return rolling_paths(change.type, [i.path for i in change.inputs])
        return ()

    def notes(self) -> ClusterNotes:
        """The PR comment's view of what this diff knows beyond the change model."""
        rolls = {f"{c.type}::{c.name}": r for c in self.changes.changes if (r := self.rolls_nodes(c))}
        return ClusterNotes(self.forced_by, rolls, self.protected, self.unpriced_before, self.unpriced_after,
                            self.categories_before, self.categories_after, at_apply=self.at_apply,
                            refused=tuple(n.text for n in self.refused), resources_before=self.resources_before,
                            resources_after=self.resources_after,
                            kubefleet_refused=tuple(n.text for n in self.refused if n.inputs),
                            refused_inputs=frozenset(i for n in self.refused for i in n.inputs))

    def as_json(self) -> dict[str, Any]:
        data = self.changes.as_json()
        data["status"] = self.status
        for change in data["changes"]:
            key = f"{change['type']}::{change['name']}"
            if key in self.forced_by:
                change["replaced_because"] = list(self.forced_by[key])
            if key in self.protected:
                change["deletion_protected"] = self.protected[key]
            if key in self.at_apply:
                change["at_apply"] = self.at_apply[key]
            refusing = refusals_of(self.refused, [i["path"] for i in change["inputs"]])
            if refusing:
                change["refused"] = [n.rule for n in refusing]
            rolls = self.rolls_nodes(ResourceChange(change["op"], change["type"], change["name"],
                                                    tuple(InputChange(i["path"], None, None) for i in change["inputs"])))
            if rolls:
                change["rolls_every_node"] = list(rolls)
        data["unpriced"] = {"before": self.unpriced_before, "after": self.unpriced_after}
        data["upgrades"] = [n.as_json() for n in self.upgrades]
        return data


Renderer = Callable[["ClusterSpec", str], "ResourceGraph"]
Pricer = Callable[["ResourceGraph"], "Priced"]


@dataclass(frozen=True)
class Priced:
    """What the diff needs from a price: the monthly total, the unpriced item count, per-category totals and
    per-resource totals ("type::name" -> the sum of the priced lines of that rendered resource)."""

    total: Decimal
    unpriced: int = 0
    categories: Mapping[str, Decimal] = field(default_factory=dict)
    resources: Mapping[str, Decimal] = field(default_factory=dict)


_NOTHING: Final = Priced(Decimal(0))


def cluster_status(old: ResourceGraph | None, new: ResourceGraph | None, changes: Sequence[ResourceDiff]) -> Status:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "changed" if any(d.change.op != "same" for d in changes) else "unchanged"


def default_providers(spec: ClusterSpec) -> list[str]:
    """A cluster's own ``spec.provider``; if it names none, every provider."""
    if spec.spec.provider:
        return [spec.spec.provider]
    from kubefleet.providers import provider_names

    return provider_names()


#: The engine rules behind a location move of an existing cluster, per provider (see "provider configuration"
#: above): what a region/project/subscription change does to the stack's resources.
MOVE_RULES: Final[dict[str, str]] = {
    "eks": ("hashicorp/terraform-provider-aws@4640a66635ff36287cdb9ce0683daefda6c188c7:"
            "internal/provider/sdkv2/region.go:91-113; pulumi/pulumi-aws#5656"),
    "gke": "kubefleet/changes/replace_table.json (ForceNew location/region/project, terraform-provider-google-beta)",
    "aks": "kubefleet/changes/replace_table.json (arm:location: location is create-only)",
}
SUBSCRIPTION_RULE: Final = ("pulumi/pulumi-azure-native@6d9e7fe5da3ddea283f27995305640427e65761c:"
                            "provider/pkg/provider/provider.go (DiffConfig: no replaces); pulumi/pulumi@"
                            "1b5949891b3cefcb9974752b24a5ecef0acc86c8:pkg/resource/deploy/step_generator.go:2800-2880")
#: the changed inputs each move concerns (marks those rows refused)
_MOVE_INPUTS: Final[dict[str, tuple[str, ...]]] = {
    "eks": ("region",), "gke": ("location", "region", "project"), "aks": ("location",),
}


def _moves(spec: ClusterSpec, provider: str) -> dict[str, str | None]:
    """Where a cluster lives on ``provider``: its region, and the GCP project / Azure subscription it names."""
    where: dict[str, str | None] = {"region": spec.region_for(provider)}
    opts = spec.spec.provider_options(provider)
    if provider == "gke":
        where["project"] = getattr(opts, "project", None)
    elif provider == "aks":
        where["subscription"] = getattr(opts, "subscription_id", None)
    return where


def location_refusals(old: ClusterSpec | None, new: ClusterSpec | None, provider: str) -> tuple[UpgradeNote, ...]:
    """kubefleet's refusal of moving an existing cluster to another region, GCP project or Azure subscription.

    A region or project move replaces the whole cluster (every regional resource deleted, with the nodes and
    their volumes, and created anew: see "provider configuration" above) — almost never what was meant. An
    Azure subscription move replaces nothing (azure-native's DiffConfig never asks to): the resources stay in
    the old subscription while the provider points at the new one. Either way the way out is a new stack:
    stacks are named ``<metadata.name>-<provider>``, so a new metadata.name in the new place."""
    from kubefleet.changes.upgrades import UpgradeNote

    if old is None or new is None or provider not in MOVE_RULES:
        return ()
    a, b = _moves(old, provider), _moves(new, provider)
    label = {"gke": "GKE", "eks": "EKS", "aks": "AKS"}[provider]
    out: list[UpgradeNote] = []
    way = (f"keep it where it is, or create the cluster there as a new stack (a new metadata.name: stacks are "
           f"named <name>-{provider}), move the workloads, then destroy {new.name}-{provider}")
    for what in ("region", "project"):
        if what in a and a[what] != b[what] and a[what] is not None and b[what] is not None:
            out.append(UpgradeNote(
                new.name, provider, "refused",
                f"kubefleet refuses to move the existing {label} cluster {new.name!r} from {what} {a[what]} to "
                f"{b[what]}: the engine would replace every {'regional ' if provider == 'eks' else ''}resource "
                f"of the stack — the cluster is deleted with its nodes and volumes and created anew; {way}",
                MOVE_RULES[provider], inputs=_MOVE_INPUTS[provider] if what == "region" else ("project",)))
    if a.get("subscription") and b.get("subscription") and a["subscription"] != b["subscription"]:
        out.append(UpgradeNote(
            new.name, provider, "refused",
            f"kubefleet refuses to move the existing AKS cluster {new.name!r} from subscription "
            f"{a['subscription']} to {b['subscription']}: "
            f"azure-native does not replace anything for a provider subscription change, so the resources stay "
            f"in the old subscription while the provider points at the new one; {way}",
            SUBSCRIPTION_RULE, inputs=("subscriptionId",)))
    return tuple(out)


def move_field(spec: ClusterSpec, provider: str, note: UpgradeNote) -> tuple[str, ...]:
    """The spec field a location refusal (:func:`location_refusals`) is about, for ``validate --base``: the
    subscription or project field, the provider's region override when the spec sets one, else spec.region."""
    if "subscriptionId" in note.inputs:
        return ("spec", "providers", "aks", "subscriptionId")
    if note.inputs == ("project",):
        return ("spec", "providers", "gke", "project")
    key = "location" if provider == "aks" else "region"
    opts = spec.spec.provider_options(provider)
    if opts is not None and getattr(opts, key, None):
        return ("spec", "providers", provider, key)
    return ("spec", "region")


def diff_specs(
    old_specs: Iterable[ClusterSpec],
    new_specs: Iterable[ClusterSpec],
    *,
    render: Renderer,
    price: Pricer,
    providers: Sequence[str] | None = None,
    upgrades: UpgradeCheck | None = None,
) -> list[ClusterDiff]:
    """Match clusters by ``metadata.name`` and diff each on its providers (``providers`` or, per side,
    the cluster's own ``spec.provider``, else all): a provider only one side uses is a create or delete.
    ``upgrades`` (see :func:`kubefleet.changes.upgrades.checker`) adds refused version moves and support
    cliffs to each pair."""
    olds = {s.name: s for s in old_specs}
    news = {s.name: s for s in new_specs}
    out: list[ClusterDiff] = []
    for name in sorted(set(olds) | set(news)):
        old_spec, new_spec = olds.get(name), news.get(name)
        old_p = list(providers) if providers else (default_providers(old_spec) if old_spec else [])
        new_p = list(providers) if providers else (default_providers(new_spec) if new_spec else [])
        for provider in [*old_p, *[p for p in new_p if p not in old_p]]:
            old_graph = render(old_spec, provider) if old_spec is not None and provider in old_p else None
            new_graph = render(new_spec, provider) if new_spec is not None and provider in new_p else None
            diffs = diff_graphs(old_graph, new_graph)
            before = price(old_graph) if old_graph is not None else _NOTHING
            after = price(new_graph) if new_graph is not None else _NOTHING
            changes = ClusterChanges(name, provider, tuple(d.change for d in diffs), before.total, after.total)
            forced = {f"{d.change.type}::{d.change.name}": d.forced_by for d in diffs if d.forced_by}
            protected = {f"{d.change.type}::{d.change.name}": d.protected for d in diffs if d.protected}
            at_apply = {f"{d.change.type}::{d.change.name}": d.at_apply for d in diffs if d.at_apply}
            for d in diffs:
                if d.delete_first:
                    key = f"{d.change.type}::{d.change.name}"
                    at_apply[key] = "; ".join(filter(None, (at_apply.get(key), DELETE_FIRST_NOTE)))
            notes = upgrades(old_spec if provider in old_p else None, new_spec if provider in new_p else None,
                             provider, new_graph) if upgrades is not None else ()
            notes = (*location_refusals(old_spec if provider in old_p else None,
                                        new_spec if provider in new_p else None, provider), *notes)
            out.append(ClusterDiff(changes, cluster_status(old_graph, new_graph, diffs), forced,
                                   before.unpriced, after.unpriced, protected,
                                   dict(before.categories), dict(after.categories), at_apply, notes,
                                   dict(before.resources), dict(after.resources)))
    return out


def diff_document(items: Sequence[ClusterDiff], *, base: str, head: str, as_of: date) -> dict[str, Any]:
    """The body of the stable ``kubefleet diff --output json`` document (money as strings; the CLI adds its
    apiVersion and kind, kubefleet.report.contract)."""
    from kubefleet.changes.model import cents

    ordered = sorted(items, key=lambda d: (d.changes.cluster, d.changes.provider))
    total_before = sum((cents(d.changes.monthly_before or Decimal(0)) for d in ordered), Decimal(0))
    total_after = sum((cents(d.changes.monthly_after or Decimal(0)) for d in ordered), Decimal(0))
    doc = {
        "base": base,
        "head": head,
        "as_of": as_of.isoformat(),
        "monthly_before": str(total_before),
        "monthly_after": str(total_after),
        "monthly_delta": str(total_after - total_before),
        "clusters": [d.as_json() for d in ordered],
        "refused": sum(len(d.refused) for d in ordered),
    }
    return doc

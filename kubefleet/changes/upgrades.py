"""What a spec change means for upgrades: the version moves a cloud will refuse, and the support cliffs ahead.

Two kinds of note per cluster × provider, shown by ``kubefleet diff`` in every output format and in the PR
comment's "Upgrades" section:

* **refused**: base → head moves the Kubernetes minor in a way the provider rejects (a skipped minor such as
  EKS 1.32 → 1.34, or any downgrade such as GKE 1.35 → 1.34). The rule and the chain to use instead come
  from :func:`kubefleet.lifecycle.skew.transition_refusal`, which cites each provider's documentation.
* **refused** (kubeadm, not a version): base → head changes the pod CIDR, the service CIDR or the control-plane
  VIP of a kubeadm cluster. Cluster API accepts it, but nothing re-addresses a running cluster
  (:func:`readdress_refusals`); `kubefleet up` refuses the same change against the live Cluster in the
  management cluster (kubefleet/engine/management.py) before touching anything.
* **support**: the head's pinned minor leaves standard support (or, on EKS, extended support) inside the
  horizon (``--horizon``, default 90 days) or already has: what the provider does on the rendered channel
  (:func:`kubefleet.lifecycle.support.outlook`) and, where it then bills the extended-support fee, the
  monthly cost from the catalog's fees (``control_plane.standard`` / ``control_plane.extended``, each with its
  source, as the upgrade planner's :func:`kubefleet.lifecycle.upgrade.staying_cost` reads them) at 730 h/month.

Money is ``Decimal``; the date is passed in (``as_of``), never read from the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.errors import SpecIssue
    from kubefleet.graph import ResourceGraph
    from kubefleet.lifecycle.support import Outlook
    from kubefleet.spec.loader import LoadedSpec
    from kubefleet.spec.model import ClusterSpec

Kind = Literal["refused", "support"]

DEFAULT_HORIZON_DAYS: Final = 90
_LABEL: Final = {"gke": "GKE", "eks": "EKS", "aks": "AKS", "kubeadm": "kubeadm"}


@dataclass(frozen=True)
class UpgradeNote:
    """One upgrade fact about one cluster on one provider."""

    cluster: str
    provider: str
    kind: Kind
    text: str  # one sentence for people (plain text; renderers escape it)
    rule: str  # the cited provider rule: repo@commit:path:line or URL
    chain: tuple[str, ...] = ()  # refused: the minors to go through instead ("1.33", "1.34")
    base: str | None = None  # refused: the base's version
    head: str | None = None  # refused: the head's version
    #: refused, other than a version: the changed resource inputs it concerns (marks those rows refused)
    inputs: tuple[str, ...] = ()
    when: date | None = None  # support: the date the phase changes (end of standard / extended support)
    monthly_total: Decimal | None = None  # support: the control-plane fee per month in extended support
    monthly_extra: Decimal | None = None  # support: that fee minus the standard fee, per month
    fee_source: str | None = None  # support: the catalog source of the extended-support fee

    def as_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "kind": self.kind,
            "text": self.text,
            "rule": self.rule,
            "chain": list(self.chain),
            "base": self.base,
            "head": self.head,
            "date": self.when.isoformat() if self.when else None,
            "monthly_total": str(self.monthly_total) if self.monthly_total is not None else None,
            "monthly_extra": str(self.monthly_extra) if self.monthly_extra is not None else None,
            "fee_source": self.fee_source,
        }


UpgradeCheck = Callable[["ClusterSpec | None", "ClusterSpec | None", str, "ResourceGraph | None"],
                        tuple[UpgradeNote, ...]]


def refusal_note(cluster: str, provider: str, base: str, head: str, *, base_unsupported: bool = False,
                 lts: bool = False) -> UpgradeNote | None:
    """The provider's refusal of moving ``base`` → ``head`` (a skipped minor or a downgrade), or None.
    ``base_unsupported`` / ``lts``: the AKS exceptions (kubefleet.lifecycle.skew.transition_refusal)."""
    from kubefleet.lifecycle.skew import transition_refusal

    found = transition_refusal(provider, base, head, current_unsupported=base_unsupported, lts=lts)
    if found is None:
        return None
    if found.kind == "downgrade":
        text = (f"{found.message}: a cluster cannot go back a minor — keep {found.current}, or create a new "
                f"cluster on {found.target} and move the workloads")
    else:
        text = f"{found.message}: go through {' → '.join([found.current, *found.chain])} instead, one change per minor"
    return UpgradeNote(cluster, provider, "refused", text, found.rule, tuple(found.chain), base, head)


#: Why a running kubeadm cluster cannot be re-addressed through Cluster API v1.13.6 (the module's own lines):
#: the Cluster webhook only checks that clusterNetwork's blocks parse as CIDRs, on create and update alike, and
#: on update forbids nothing else of it, so a change is accepted; the bootstrap provider reads clusterNetwork
#: only into the kubeadm configuration of a machine it generates, so running nodes, kube-proxy, the Calico
#: pool (installed once by the first master) and Services keep the old ranges; and the Cluster takes its
#: controlPlaneEndpoint from the infrastructure cluster only while it has none, so a new VIP never reaches it
#: while the API server certificates and every kubeconfig name the old one.
CIDR_RULE: Final = ("cluster-api@v1.13.6:internal/webhooks/cluster.go:202; "
                    "cluster-api@v1.13.6:bootstrap/kubeadm/internal/controllers/kubeadmconfig_controller.go:1320")
VIP_RULE: Final = "cluster-api@v1.13.6:internal/controllers/cluster/cluster_controller_phases.go:218"


@dataclass(frozen=True)
class Addresses:
    """What a kubeadm cluster is addressed by, fixed when it is created."""

    pods: str
    services: str
    vip: str


def kubeadm_addresses(spec: ClusterSpec) -> Addresses:
    """A spec's pod and service CIDRs and its effective control-plane VIP (given, or derived from nodeCidr)."""
    from kubefleet.providers.kubeadm.capi import control_plane_vip

    return Addresses(spec.spec.network.pod_cidr, spec.spec.network.service_cidr, control_plane_vip(spec))


def vip_location(spec: ClusterSpec) -> tuple[str, ...]:
    """Where the VIP comes from in the spec: controlPlaneVip, or nodeCidr when it is derived."""
    from kubefleet.providers.kubeadm.capi import vip_is_derived

    if vip_is_derived(spec):
        return ("spec", "network", "nodeCidr")
    return ("spec", "providers", "kubeadm", "controlPlaneVip")


@dataclass(frozen=True)
class Readdress:
    """One refused re-address: the spec field it is about, the diff's note, and the same as what/why + hint."""

    path: tuple[str, ...]
    note: UpgradeNote
    message: str  # what and why
    hint: str  # the way out, and the rule


def readdress_refusals(cluster: str, old: Addresses, new: Addresses, *,
                       vip_at: tuple[str, ...] = ("spec", "providers", "kubeadm", "controlPlaneVip"),
                       ) -> list[Readdress]:
    """kubefleet's refusal of re-addressing a kubeadm cluster (Cluster API would accept it, see
    :data:`CIDR_RULE` and :data:`VIP_RULE`): one per changed address. The way out is a new cluster."""
    out = []

    def refuse(path: tuple[str, ...], why: str, a: str, b: str, rule: str, inputs: tuple[str, ...]) -> None:
        way = f"keep {a}, or create a new cluster with {b} (a new metadata.name) and move the workloads"
        note = UpgradeNote(cluster, "kubeadm", "refused", f"{why}; {way}", rule, inputs=inputs)
        out.append(Readdress(path, note, why, f"{way} (rule: {rule})"))

    for what, path, inputs, a, b in (
        ("pod CIDR", ("spec", "network", "podCidr"), ("spec.clusterNetwork.pods.cidrBlocks",), old.pods, new.pods),
        ("service CIDR", ("spec", "network", "serviceCidr"), ("spec.clusterNetwork.services.cidrBlocks",),
         old.services, new.services),
    ):
        if a != b:
            refuse(path, f"kubefleet refuses to change the {what} of the running kubeadm cluster {cluster!r} from "
                         f"{a} to {b}: Cluster API accepts the change but nothing re-addresses a running cluster "
                         f"(its nodes, kube-proxy, the Calico pool and existing Services keep {a})",
                   a, b, CIDR_RULE, inputs)
    if old.vip != new.vip:
        refuse(vip_at, f"kubefleet refuses to move the control-plane VIP of the running kubeadm cluster {cluster!r} "
                       f"from {old.vip} to {new.vip}: Cluster API keeps the endpoint the Cluster was created with, "
                       f"and the API server certificates, kube-vip and every kubeconfig name {old.vip}",
               old.vip, new.vip, VIP_RULE, ("spec.topology.classRef.name",))
    return out


#: GKE, the network kubefleet creates (providers/gke/network.py): the pod and service ranges are the subnetwork's
#: secondary ranges ``pods`` and ``services``, which "can be added or deleted, but they can't be updated" while
#: the cluster keeps using them by name (https://cloud.google.com/vpc/docs/configure-alias-ip-ranges,
#: Limitations, read 2026-12-06); the node range may only grow: a range that does not contain the old one makes
#: the provider replace the subnetwork its nodes are on (``customdiff.ForceNewIfChange("ip_cidr_range",
#: IsShrinkageIpCidr)``), which the generated replace table (ForceNew flags only) does not show.
GKE_SECONDARY_RULE: Final = "https://cloud.google.com/vpc/docs/configure-alias-ip-ranges (Limitations)"
GKE_NODE_RULE: Final = ("hashicorp/terraform-provider-google-beta@3dc173a:google-beta/services/compute/"
                        "resource_compute_subnetwork.go:63-80,511-512")


def gke_readdress_refusals(cluster: str, old: ClusterSpec, new: ClusterSpec) -> list[Readdress]:
    """What GCP refuses (or turns into replacing the in-use subnetwork) when an existing GKE cluster's ranges
    change, on the network kubefleet creates. A named existing network (``providers.gke.network``) is not
    checked: there the cluster's own ``ipAllocationPolicy`` blocks change, which the provider replaces (ForceNew,
    shown by the diff)."""
    import ipaddress

    from kubefleet.providers.gke.settings import existing_network

    if existing_network(old)[0] or existing_network(new)[0]:
        return []
    a, b = old.spec.network, new.spec.network
    out: list[Readdress] = []

    def refuse(path: tuple[str, ...], why: str, before: str, after: str, rule: str, inputs: tuple[str, ...]) -> None:
        way = f"keep {before}, or create a new cluster with {after} (a new metadata.name) and move the workloads"
        note = UpgradeNote(cluster, "gke", "refused", f"{why}; {way}", rule, inputs=inputs)
        out.append(Readdress(path, note, why, f"{way} (rule: {rule})"))

    for what, key, before, after in (("pod", "podCidr", a.pod_cidr, b.pod_cidr),
                                     ("service", "serviceCidr", a.service_cidr, b.service_cidr)):
        if before != after:
            refuse(("spec", "network", key),
                   f"GCP refuses to change the {what} range of the running GKE cluster {cluster!r} from {before} to "
                   f"{after}: it is a secondary range of the cluster's subnetwork, which can be added or deleted but "
                   "not updated while the cluster uses it", before, after, GKE_SECONDARY_RULE,
                   ("secondaryIpRanges",))  # the diff compares the list of ranges whole
    was, now = ipaddress.IPv4Network(a.node_cidr), ipaddress.IPv4Network(b.node_cidr)  # the spec takes IPv4 only
    if was != now and not was.subnet_of(now):
        refuse(("spec", "network", "nodeCidr"),
               f"GCP can only expand the node range of the running GKE cluster {cluster!r}: {b.node_cidr} does not "
               f"contain {a.node_cidr}, so the subnetwork its nodes are on would have to be replaced",
               a.node_cidr, b.node_cidr, GKE_NODE_RULE, ("ipCidrRange",))
    return out


def support_note(cluster: str, graph: ResourceGraph, catalog: Catalog, *, as_of: date,
                 horizon_days: int) -> UpgradeNote | None:
    """The head's pinned minor against its support dates: a note when standard support ends inside the
    horizon or already has (and, under extended support, when that ends inside the horizon). The fee figures
    are the upgrade planner's (kubefleet.lifecycle.upgrade.staying_cost: the catalog's cited fees)."""
    from kubefleet.cost.model import HOURS_PER_MONTH, fmt_money, money
    from kubefleet.cost.pricer import support_outlook
    from kubefleet.lifecycle.upgrade import staying_cost

    found = support_outlook(graph, catalog, as_of)
    if found is None or found.standard_end is None:
        return None
    until = as_of + timedelta(days=horizon_days)
    if not found.past_standard and found.standard_end >= until:
        return None
    label = _LABEL.get(graph.provider, graph.provider)
    phase = "its upstream end of life" if graph.provider == "kubeadm" else f"{label} standard support"
    if found.past_standard:
        verb = "reached" if graph.provider == "kubeadm" else "left"
        text = f"Kubernetes {found.minor} {verb} {phase} on {found.standard_end.isoformat()}"
    else:
        days = (found.standard_end - as_of).days
        verb = "reaches" if graph.provider == "kubeadm" else "leaves"
        text = (f"Kubernetes {found.minor} {verb} {phase} on {found.standard_end.isoformat()} "
                f"(in {days} day{'s' if days != 1 else ''})")
    text += f": {found.what()}"
    total = extra = None
    source = None
    if found.action == "extended-fee" and graph.provider in ("eks", "gke"):
        staying = staying_cost(catalog, graph.provider, found.minor, "extended")
        if staying.per_month_after is None or staying.extra_per_month is None:
            text += f"; {staying.note} (unpriced)"
        else:
            # billed from the end-of-standard-support date itself: "Billing for extended support starts at the
            # beginning of the day that the version reaches end of standard support"
            # (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
            # latest/ug/clusters/kubernetes-versions.adoc:64)
            total, extra, source = money(staying.per_month_after), money(staying.extra_per_month), staying.fee_source
            text += (f" — {fmt_money(total)}/month for the control plane from {found.standard_end.isoformat()} "
                     f"({fmt_money(extra, sign=True)}/month over standard support, at {HOURS_PER_MONTH} h/month)")
        text += _extended_end(found, until)
    return UpgradeNote(cluster, graph.provider, "support", text, found.rule, when=found.standard_end,
                       monthly_total=total, monthly_extra=extra, fee_source=source)


def _extended_end(found: Outlook, until: date) -> str:
    from kubefleet.lifecycle.support import EKS_END_OF_EXTENDED

    if found.extended_end is None or found.extended_end >= until or found.provider != "eks":
        return ""
    return (f"; extended support ends on {found.extended_end.isoformat()}: EKS then upgrades the control plane "
            f"to the oldest supported version ({EKS_END_OF_EXTENDED})")


def aks_exceptions(catalog: Catalog, provider: str, old: ClusterSpec, new: ClusterSpec, on: date) -> dict[str, bool]:
    """AKS accepts a minor skip from an unsupported version (past its end of life on ``on``) and between LTS
    versions (kubefleet's channel ``extended`` is AKS long-term support on both sides); see
    kubefleet.lifecycle.skew.PROVIDER_RULES["aks"]. Other providers: no exception."""
    if provider != "aks":
        return {}
    from kubefleet.lifecycle.support import support_phase

    unsupported = support_phase(catalog, "aks", old.spec.kubernetes.version, on).phase != "standard"
    lts = old.spec.kubernetes.channel == "extended" and new.spec.kubernetes.channel == "extended"
    return {"base_unsupported": unsupported, "lts": lts}


def checker(catalog: Catalog, *, as_of: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> UpgradeCheck:
    """The per cluster × provider upgrade check the offline diff runs (refusals, then support notes)."""

    def check(old: ClusterSpec | None, new: ClusterSpec | None, provider: str,
              graph: ResourceGraph | None) -> tuple[UpgradeNote, ...]:
        out: list[UpgradeNote] = []
        if old is not None and new is not None:
            refused = refusal_note(new.name, provider, old.spec.kubernetes.version, new.spec.kubernetes.version,
                                   **aks_exceptions(catalog, provider, old, new, as_of))
            if refused is not None:
                out.append(refused)
            if provider == "kubeadm":
                out += [r.note for r in readdress_refusals(new.name, kubeadm_addresses(old), kubeadm_addresses(new),
                                                           vip_at=vip_location(new))]
            if provider == "gke":
                out += [r.note for r in gke_readdress_refusals(new.name, old, new)]
        if new is not None and graph is not None:
            note = support_note(new.name, graph, catalog, as_of=as_of, horizon_days=horizon_days)
            if note is not None:
                out.append(note)
        return tuple(out)

    return check


def refusal_issues(loaded: Sequence[LoadedSpec], base: Sequence[ClusterSpec], providers_of: Mapping[str, Sequence[str]],
                   catalog: Catalog, on: date) -> list[SpecIssue]:
    """``validate --base`` / ``plan --base``: every spec whose Kubernetes version the provider(s) would refuse to
    move to from the base's cluster of the same name, at the spec's ``spec.kubernetes.version`` (file:line:col),
    with the chain to use instead and the cited rule; on kubeadm also a changed pod/service CIDR or VIP, at its
    field (:func:`readdress_refusals`). ``providers_of`` maps a cluster name to the providers it
    is checked on (its own ``spec.provider``, or every provider)."""
    olds = {s.name: s for s in base}
    issues: list[SpecIssue] = []
    for spec in loaded:
        new = spec.spec
        old = olds.get(new.name)
        if old is None:
            continue
        issues += _location_issues(spec, old, providers_of.get(new.name, []))
        if "kubeadm" in providers_of.get(new.name, []):
            issues += [spec.issue(r.path, r.message, r.hint) for r in readdress_refusals(
                new.name, kubeadm_addresses(old), kubeadm_addresses(new), vip_at=vip_location(new))]
        if "gke" in providers_of.get(new.name, []):
            issues += [spec.issue(r.path, r.message, r.hint) for r in gke_readdress_refusals(new.name, old, new)]
        notes = [n for p in providers_of.get(new.name, []) if (n := refusal_note(
            new.name, p, old.spec.kubernetes.version, new.spec.kubernetes.version,
            **aks_exceptions(catalog, p, old, new, on))) is not None]
        if not notes:
            continue
        first = notes[0]
        also = [_LABEL.get(n.provider, n.provider) for n in notes[1:]]
        message = first.text + (f" (likewise on {', '.join(also)})" if also else "")
        rules = "; ".join(dict.fromkeys(n.rule for n in notes))
        issues.append(spec.issue(("spec", "kubernetes", "version"),
                                 f"{message} (the base has {old.spec.kubernetes.version})", f"rule: {rules}"))
    return issues


def _location_issues(loaded: LoadedSpec, old: ClusterSpec, providers: Sequence[str]) -> list[SpecIssue]:
    """A region, GCP project or Azure subscription move of an existing cluster, refused at its field
    (kubefleet.changes.diff.location_refusals: the same refusal ``kubefleet diff`` shows); one issue per field,
    naming the other providers it concerns too."""
    from kubefleet.changes.diff import location_refusals, move_field

    by_field: dict[tuple[str, ...], list[UpgradeNote]] = {}
    for provider in providers:
        for note in location_refusals(old, loaded.spec, provider):
            by_field.setdefault(move_field(loaded.spec, provider, note), []).append(note)
    out = []
    for path, notes in by_field.items():
        also = [_LABEL.get(n.provider, n.provider) for n in notes[1:]]
        message = notes[0].text + (f" (likewise on {', '.join(also)})" if also else "")
        out.append(loaded.issue(path, message, "rule: " + "; ".join(dict.fromkeys(n.rule for n in notes))))
    return out

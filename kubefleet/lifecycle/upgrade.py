"""The upgrade planner: for one cluster spec on one provider, a dated chain of upgrades from the spec's
Kubernetes minor to a target — each control-plane hop (one minor at a time, :mod:`.skew`), each node-pool
rollout only where the version skew forces it (Cluster API's chained and efficient upgrades), the mesh moves
that must come first (an Istio release or AKS ``asm-1-xx`` revision that supports the next minor,
:mod:`.compat`), the date each hop must finish by (end of standard support, forced upgrade: the catalog's
``versions:``), the Kubernetes APIs each hop removes that the user's manifests still use
(:mod:`.removed_apis`), and what staying on the current minor costs per month from which date (the catalog's
control-plane fees; ``Decimal``).

Nothing here reads the clock: ``as_of`` is passed in. The node-pool method and knobs are what the provider
adapter rendered for the spec (``PoolMethod``, extracted by :mod:`kubefleet.report.upgrade` from the offline
render) so the plan describes what would be deployed, not a second reading of the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from kubefleet.errors import UsageError
from kubefleet.lifecycle.skew import (
    PROVIDER_RULES,
    chain,
    minor_of,
    parse_minor,
)
from kubefleet.spec.limits import MAX_MINOR

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.lifecycle.compat import Compat, MeshRevision
    from kubefleet.spec.model import ClusterSpec

HOURS_PER_MONTH = Decimal("730")
HOURS_PER_DAY = Decimal("24")
#: Days between control-plane hops when no --by date spreads them (one week to soak each minor).
DEFAULT_SPACING_DAYS = 7
SCHEDULE_SOURCE = "kubefleet schedule: hops spread from --as-of"
#: EKS and GKE bill extended support from the published end-of-standard-support date itself: the public EKS
#: issue saw two clusters go from $4.80 to $28.80 a day on 1.33's end-of-standard-support date, 2026-07-29.
CLIFF_SOURCE = "https://github.com/aws-samples/sample-aws-genai-ops-demos/issues/84"

#: Provider-side behaviour at the end of standard support, cited (what happens if the hop is not done).
END_OF_STANDARD = {
    "eks": ("extended support at the extended control-plane fee (upgrade policy EXTENDED), or an automatic "
            "upgrade to the next minor (STANDARD)",
            "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"),
    "gke": ("GKE upgrades the cluster automatically (Extended channel: extended support at the extended fee "
            "until the end of extended support)", "https://cloud.google.com/kubernetes-engine/versioning"),
    "aks": ("platform support only (no security patches); LTS on the Premium tier keeps support a year longer",
            "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions"),
    "kubeadm": ("no more upstream patch releases (end of life)", "https://kubernetes.io/releases/"),
}


class RemovedApiFinding(Protocol):
    """What :func:`kubefleet.lifecycle.removed_apis.findings` returns per use of a removed API."""

    file: str
    line: int
    column: int
    api_version: str
    kind: str

    @property
    def removal(self) -> Any: ...


FindingsFn = Callable[[Sequence[Path], str, str], Sequence[RemovedApiFinding]]


@dataclass(frozen=True)
class Dated:
    """A date and where it comes from (a URL, pinned where it is a repository, or the rule that made it)."""

    on: date
    what: str
    source: str

    def as_json(self) -> dict[str, str]:
        return {"date": self.on.isoformat(), "what": self.what, "source": self.source}


@dataclass(frozen=True)
class PoolMethod:
    """How the provider rolls one node pool: the method and the knobs, as rendered (e.g. GKE ``SURGE`` with
    maxSurge 1, EKS update config, AKS maxSurge/drain timeout/soak, Cluster API rolling update)."""

    pool: str
    method: str
    knobs: Mapping[str, str]
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"pool": self.pool, "method": self.method, "knobs": dict(self.knobs), "source": self.source}


@dataclass(frozen=True)
class MeshMove:
    """A mesh release/revision move that must happen before a control-plane hop."""

    mesh: Literal["istio", "aks-istio-addon", "gke-mesh"]
    from_revision: str | None
    to_revision: str | None  # None: no revision supports both minors on that date (a problem)
    reason: str
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"mesh": self.mesh, "from": self.from_revision, "to": self.to_revision, "reason": self.reason,
                "source": self.source}


@dataclass(frozen=True)
class RemovedApi:
    file: str
    line: int
    column: int
    api_version: str
    kind: str
    replacement: str | None
    removed_in: str

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "apiVersion": self.api_version,
                "kind": self.kind, "replacement": self.replacement, "removedIn": self.removed_in}


@dataclass
class Step:
    """One operation: ``mesh`` (move the mesh first), ``control-plane`` (one minor), ``node-pools`` (roll every
    pool to the control plane's minor, forced by the skew or at the end)."""

    kind: Literal["mesh", "control-plane", "node-pools"]
    from_minor: str
    to_minor: str
    start: Dated
    finish_by: Dated | None = None
    forced: Dated | None = None
    why: str = ""
    pools: list[PoolMethod] = field(default_factory=list)
    mesh: MeshMove | None = None
    removed_apis: list[RemovedApi] = field(default_factory=list)
    late: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "from": self.from_minor, "to": self.to_minor, "start": self.start.as_json(),
            "finishBy": self.finish_by.as_json() if self.finish_by else None,
            "forcedUpgrade": self.forced.as_json() if self.forced else None, "why": self.why,
            "late": self.late, "pools": [p.as_json() for p in self.pools],
            "mesh": self.mesh.as_json() if self.mesh else None,
            "removedApis": [r.as_json() for r in self.removed_apis],
        }


@dataclass(frozen=True)
class StayingCost:
    """What staying on ``minor`` costs per cluster from ``starts`` (a fee change) — or why it costs nothing
    extra (forced upgrade, no fee) with ``per_hour_after`` equal to ``per_hour_before``."""

    minor: str
    starts: Dated | None
    per_hour_before: Decimal | None
    per_hour_after: Decimal | None
    note: str
    fee_source: str | None

    @property
    def per_day_before(self) -> Decimal | None:
        return None if self.per_hour_before is None else self.per_hour_before * HOURS_PER_DAY

    @property
    def per_day_after(self) -> Decimal | None:
        return None if self.per_hour_after is None else self.per_hour_after * HOURS_PER_DAY

    @property
    def per_month_before(self) -> Decimal | None:
        return None if self.per_hour_before is None else self.per_hour_before * HOURS_PER_MONTH

    @property
    def per_month_after(self) -> Decimal | None:
        return None if self.per_hour_after is None else self.per_hour_after * HOURS_PER_MONTH

    @property
    def extra_per_month(self) -> Decimal | None:
        if self.per_month_after is None or self.per_month_before is None:
            return None
        return self.per_month_after - self.per_month_before

    def as_json(self) -> dict[str, Any]:
        def money(v: Decimal | None) -> str | None:
            return None if v is None else f"{v:.2f}"

        return {"minor": self.minor, "from": self.starts.as_json() if self.starts else None,
                "perHourBefore": money(self.per_hour_before), "perHourAfter": money(self.per_hour_after),
                "perDayBefore": money(self.per_day_before), "perDayAfter": money(self.per_day_after),
                "perMonthBefore": money(self.per_month_before), "perMonthAfter": money(self.per_month_after),
                "extraPerMonth": money(self.extra_per_month), "hoursPerMonth": str(HOURS_PER_MONTH),
                "note": self.note, "feeSource": self.fee_source}


@dataclass
class ClusterPlan:
    cluster: str
    provider: str
    file: str
    owner: str | None
    team: str | None
    channel: str
    current: str
    target: str
    as_of: date
    by: date | None
    steps: list[Step]
    staying: StayingCost
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifests_checked: bool = False

    @property
    def hops(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "control-plane"]

    def as_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster, "provider": self.provider, "file": self.file, "owner": self.owner,
            "team": self.team, "channel": self.channel, "current": self.current, "target": self.target,
            "asOf": self.as_of.isoformat(), "by": self.by.isoformat() if self.by else None,
            "rule": PROVIDER_RULES[self.provider].skip,
            "steps": [s.as_json() for s in self.steps], "stayingCost": self.staying.as_json(),
            "manifestsChecked": self.manifests_checked, "problems": list(self.problems), "notes": list(self.notes),
        }


def support_row(catalog: Catalog, provider: str, minor: str) -> Any:
    return catalog.versions(provider).get(minor)


def latest_minor(provider: str, channel: str, on: date, catalog: Catalog, compat: Compat) -> str | None:
    """The newest minor ``provider`` offers on the spec's ``channel`` on ``on`` (compat data), else the newest
    minor the catalog dates as still in standard support."""
    offered = compat.offered_minors(provider, channel, on)
    if offered:
        return offered[-1]
    rows = [m for m, r in catalog.versions(provider).items() if r.standard_end is None or r.standard_end >= on]
    return max(rows, key=parse_minor) if rows else None


def _deadline(catalog: Catalog, provider: str, minor: str, channel: str, compat: Compat | None = None) -> Dated | None:
    """The date a hop off ``minor`` must finish by: the provider's end of standard support for it; on AKS's
    long-term support (channel ``extended``, Premium tier) the end of LTS from the compat data."""
    if provider == "aks" and channel == "extended" and compat is not None:
        lts = compat.channel("aks", "extended")
        for r in lts.minors if lts is not None else ():
            if r.minor == minor and r.end is not None:
                return Dated(r.end, f"end of AKS long-term support for {minor} (Premium tier)", r.source.url)
    row = support_row(catalog, provider, minor)
    if row is None or row.standard_end is None:
        return None
    then, _ = END_OF_STANDARD[provider]
    return Dated(row.standard_end, f"end of standard support for {minor} on {PROVIDER_RULES[provider].label}: {then}",
                 row.source.url)


EKS_VERSIONS = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
GKE_VERSIONING = "https://cloud.google.com/kubernetes-engine/versioning"


def forced_upgrade(catalog: Catalog, provider: str, minor: str, channel: str) -> Dated | None:
    """The date the provider upgrades a cluster on ``minor`` to the next minor by itself, or None (AKS and
    kubeadm do not; GKE's end of extended support is not in the catalog): EKS with upgrade policy STANDARD and
    GKE outside the Extended channel at the end of standard support; EKS EXTENDED the day after extended
    support ends."""
    row = support_row(catalog, provider, minor)
    if row is None or row.standard_end is None:
        return None
    if provider == "eks" and not extended_billing(provider, channel):
        return Dated(row.standard_end, f"EKS upgrades {minor} to the next minor (upgrade policy STANDARD)",
                     EKS_VERSIONS)
    if provider == "eks" and row.extended_end is not None:
        return Dated(row.extended_end + timedelta(days=1), f"EKS upgrades {minor} to the next minor after extended "
                     f"support ends on {row.extended_end}", EKS_VERSIONS)
    if provider == "gke" and not extended_billing(provider, channel):
        return Dated(row.standard_end, f"GKE upgrades {minor} automatically at the end of its support (release "
                     f"channel {channel})", GKE_VERSIONING)
    return None


def extended_billing(provider: str, channel: str) -> bool:
    """Whether the provider keeps the cluster on its minor past standard support and bills the extended fee:
    EKS upgrade policy EXTENDED and GKE's Extended channel, which kubefleet sets for channel ``extended``
    (providers/eks/cluster.py support_type, providers/gke release channel)."""
    return provider in ("eks", "gke") and channel == "extended"


def staying_cost(catalog: Catalog, provider: str, minor: str, channel: str) -> StayingCost:
    """Per-cluster cost of staying on ``minor``: the control-plane fee before and after the fee change on the
    end-of-standard-support date (EKS extended, GKE Extended channel), or why nothing changes."""
    from kubefleet.catalog.models import Price

    row = support_row(catalog, provider, minor)
    if provider == "kubeadm":
        then, src = END_OF_STANDARD[provider]
        starts = Dated(row.standard_end, f"{minor} reaches upstream end of life", row.source.url) \
            if row is not None and row.standard_end is not None else None
        return StayingCost(minor, starts, None, None, f"self-managed: no provider fee; after that date {then}", src)
    base = catalog.fee(provider, "control_plane.standard")
    before = base.amount if isinstance(base, Price) else None
    base_src = base.source.url if isinstance(base, Price) else None
    if row is None or row.standard_end is None:
        return StayingCost(minor, None, before, before, f"no support dates for {minor} in the catalog", base_src)
    starts = Dated(row.standard_end, f"{minor} leaves standard support", row.source.url)
    if extended_billing(provider, channel):
        ext = catalog.fee(provider, "control_plane.extended")
        if not isinstance(ext, Price):
            return StayingCost(minor, starts, before, None, "extended-support fee unpriced: not in the catalog",
                               base_src)
        end = f" until {row.extended_end}" if row.extended_end else ""
        return StayingCost(minor, Dated(row.standard_end, f"extended-support fee from {row.standard_end}{end} "
                                        f"(billed from the end-of-standard-support date, as {CLIFF_SOURCE} shows)",
                                        row.source.url),
                           before, ext.amount, f"extended support: ${ext.amount}/h instead of ${before}/h",
                           ext.source.url)
    then, src = END_OF_STANDARD[provider]
    if provider == "eks":
        then = "EKS upgrades the cluster automatically (upgrade policy STANDARD)"
    elif provider == "gke":
        then = f"GKE upgrades the cluster automatically (release channel {channel})"
    return StayingCost(minor, starts, before, before, f"no fee change: {then}", src)


def _mesh_key(spec: ClusterSpec, provider: str) -> tuple[str, Literal["istio", "aks-istio-addon", "gke-mesh"]] | None:
    from kubefleet.lifecycle.check import _helm_istio

    mode = spec.spec.addons.istio.mode
    if mode == "none":
        return None
    if _helm_istio(provider, mode):
        return "istio", "istio"
    return provider, "aks-istio-addon" if provider == "aks" else "gke-mesh"


def _current_revision(compat: Compat, key: str, spec: ClusterSpec, minor: str, on: date) -> MeshRevision | None:
    rows = compat.mesh_revisions(key, minor, on)
    pinned = spec.spec.addons.istio.revision
    if pinned:
        named = [r for r in compat.table(key).mesh if r.revision == pinned]
        if named:
            return named[0]
    return rows[0] if rows else None


def plan_cluster(spec: ClusterSpec, provider: str, *, target: str, as_of: date, catalog: Catalog,
                 compat: Compat | None = None, by: date | None = None, file: str = "",
                 pools: Sequence[PoolMethod] = (), manifests: Sequence[Path] | None = None,
                 removed: FindingsFn | None = None) -> ClusterPlan:
    """The dated upgrade chain of one cluster on one provider (see the module docstring)."""
    from kubefleet.lifecycle.compat import load_compat

    if provider not in PROVIDER_RULES:
        raise UsageError(f"unknown provider {provider!r}", hint="one of: " + ", ".join(sorted(PROVIDER_RULES)))
    compat = compat or load_compat()
    channel = spec.spec.kubernetes.channel
    current = minor_of(spec.spec.kubernetes.version)
    problems: list[str] = []
    notes: list[str] = []
    if target == "latest":
        found = latest_minor(provider, channel, as_of, catalog, compat)
        if found is None:
            raise UsageError(f"no data on the newest minor {PROVIDER_RULES[provider].label} offers on channel "
                             f"{channel!r}", hint="pass --to MINOR")
        goal = found if parse_minor(found) >= parse_minor(current) else current
        if provider == "kubeadm" and parse_minor(goal)[1] > MAX_MINOR >= parse_minor(current)[1]:
            notes.append(f"latest upstream is {goal}; kubefleet's kubeadm add-ons are checked up to 1.{MAX_MINOR} "
                         "(kubefleet.spec.limits), so the plan stops there")
            goal = f"1.{MAX_MINOR}"
    else:
        goal = minor_of(target)
    if provider == "kubeadm" and parse_minor(goal)[1] > MAX_MINOR:
        problems.append(f"kubefleet renders kubeadm clusters up to Kubernetes 1.{MAX_MINOR} (its pinned Calico and "
                        f"kube-vip were checked with that); {goal} is beyond it")
    if by is not None and by < as_of:
        raise UsageError(f"--by {by} is before --as-of {as_of}", hint="the chain must finish after it starts")
    skew_steps = chain(provider, current, goal)
    n_hops = sum(1 for s in skew_steps if s.kind == "control-plane")
    spacing = DEFAULT_SPACING_DAYS if by is None or n_hops == 0 else max((by - as_of).days // n_hops, 0)
    schedule_src = (f"{SCHEDULE_SOURCE} to --by {by} ({spacing} days apart)" if by is not None
                    else f"{SCHEDULE_SOURCE}, {spacing} days apart (soak each minor; --by spreads them)")
    mesh = _mesh_key(spec, provider)
    revision = None
    if mesh is not None and compat.has_mesh_data(mesh[0]):
        revision = _current_revision(compat, mesh[0], spec, current, as_of)
    steps: list[Step] = []
    reported: set[tuple[str, int, int]] = set()
    cp = current
    hop_index = 0
    for s in skew_steps:
        if s.kind == "workers":
            start = steps[-1].start if steps else Dated(as_of, "start", schedule_src)
            steps.append(Step("node-pools", s.from_minor, s.to_minor, start,
                              _deadline(catalog, provider, s.from_minor, channel, compat), why=s.why, pools=list(pools)))
            continue
        start = Dated(as_of + timedelta(days=spacing * hop_index), f"control plane {s.from_minor} → {s.to_minor}",
                      schedule_src)
        hop_index += 1
        if mesh is not None and compat.has_mesh_data(mesh[0]) and (
                revision is None or s.to_minor not in revision.minors):
            ok = [r for r in compat.mesh_revisions(mesh[0], s.to_minor, start.on) if cp in r.minors]
            new = ok[0] if ok else None
            why = (f"{revision.revision if revision else 'the current mesh'} does not support Kubernetes "
                   f"{s.to_minor}" + ("" if new else f"; no release offered on {start.on} supports both "
                                      f"{cp} and {s.to_minor}"))
            known = new or revision
            src = known.source.url if known is not None else f"compat-{mesh[0]}.yaml"
            steps.append(Step("mesh", cp, cp, start, None, why=why,
                              mesh=MeshMove(mesh[1], revision.revision if revision else None,
                                            new.revision if new else None, why, src)))
            if new is None:
                problems.append(f"mesh: {why}")
            revision = new or revision
        step = Step("control-plane", s.from_minor, s.to_minor, start,
                    _deadline(catalog, provider, s.from_minor, channel, compat),
                    forced_upgrade(catalog, provider, s.from_minor, channel))
        if manifests is not None and removed is not None:
            for f in removed(manifests, s.from_minor, s.to_minor):
                if (f.file, f.line, f.column) in reported:
                    continue  # sources that date the removal differently: the first hop that removes it counts
                reported.add((f.file, f.line, f.column))
                rem = f.removal
                step.removed_apis.append(RemovedApi(
                    f.file, f.line, f.column, f.api_version, f.kind, getattr(rem, "replacement", None),
                    str(getattr(rem, "removed_in", s.to_minor))))
            if step.removed_apis:
                problems.append(f"{len(step.removed_apis)} manifest object(s) use APIs removed in {s.to_minor}")
        steps.append(step)
        cp = s.to_minor
    overdue = []
    for st in steps:
        if st.finish_by is not None and st.kind != "mesh":
            st.late = st.start.on >= st.finish_by.on
            if st.late and st.finish_by.on <= as_of:
                overdue.append(st)
            elif st.late:
                problems.append(f"{st.kind} {st.from_minor} → {st.to_minor} is scheduled {st.start.on}, on or after "
                                f"{st.finish_by.what} on {st.finish_by.on}")
    if overdue:
        first = overdue[0]
        problems.append(f"overdue: {len(overdue)} step(s) start from a minor already past its end of standard support "
                        f"({first.from_minor}: {first.finish_by.on if first.finish_by else ''})")
    if by is not None and steps and steps[-1].start.on > by:
        problems.append(f"the chain cannot finish by {by}")
    offered = compat.offered_minors(provider, channel, as_of)
    if offered is not None:
        for st in steps:
            if st.kind == "control-plane" and st.to_minor not in offered:
                later = compat.offered_minors(provider, channel, st.start.on) or []
                if st.to_minor not in later:
                    notes.append(f"{st.to_minor} is not offered on {PROVIDER_RULES[provider].label}'s channel "
                                 f"{channel!r} as of {st.start.on} (compat data)")
    if provider == "kubeadm":
        notes.append("kubeadm: each control-plane hop is a KubeadmControlPlane version change (Cluster API rolls "
                     "the control-plane machines one by one), node pools are MachineDeployment rollouts")
        if steps:
            notes.append(_etcd_backup_note(spec))
    meta = spec.metadata
    return ClusterPlan(spec.name, provider, file, meta.owner, meta.team, channel, current, goal, as_of, by, steps,
                       staying_cost(catalog, provider, current, channel), problems, notes,
                       manifests_checked=manifests is not None and removed is not None)


#: the backup CronJob kubefleet renders for kubeadm (providers/kubeadm/etcd_backup.py NAME; this layer may not
#: import providers, tests/test_kubeadm_etcd_backup.py checks the two agree)
ETCD_BACKUP_CRONJOB: Final = "kubefleet-etcd-backup"


def _etcd_backup_note(spec: ClusterSpec) -> str:
    """Cluster API takes no etcd snapshot before it rolls the control plane: say where kubefleet's are, or
    that there are none."""
    from kubefleet.spec.model import EtcdBackup

    opts = spec.spec.providers.kubeadm
    backup = opts.etcd_backup if opts is not None else EtcdBackup()
    by_hand = f"kubectl -n kube-system create job etcd-before-upgrade --from=cronjob/{ETCD_BACKUP_CRONJOB}"
    if backup.enabled:
        return (f"etcd: Cluster API snapshots nothing before it rolls the masters; kubefleet's CronJob "
                f"kube-system/{ETCD_BACKUP_CRONJOB} takes one on '{backup.schedule}' (UTC) and keeps {backup.keep} - "
                f"take a fresh one right before the first hop: {by_hand}")
    return ("etcd: backups are off (spec.providers.kubeadm.etcdBackup.enabled: false) and Cluster API snapshots "
            "nothing before it rolls the masters: take an etcd snapshot yourself before the first hop")


def default_findings() -> FindingsFn:
    """:func:`kubefleet.lifecycle.removed_apis.findings` (the removed-API database, kubepug + pluto), with each
    manifest set scanned once however many hops ask."""
    from kubefleet.lifecycle import removed_apis

    scans: dict[tuple[Path, ...], Any] = {}

    def findings(paths: Sequence[Path], current: str, target: str) -> Sequence[RemovedApiFinding]:
        key = tuple(paths)
        if key not in scans:
            scans[key] = removed_apis.scan(list(paths))
        found: Sequence[RemovedApiFinding] = scans[key].findings(current, target)
        return found

    return findings

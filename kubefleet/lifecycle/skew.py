"""Version skew: which Kubernetes version transitions each provider accepts, and which kubelet versions may run
under which API server. Pure functions over version strings; no catalog, no dates, no clock.

Rules, each cited where it is stated (read 2026-12-06):

* Kubernetes version-skew policy, kubernetes/website@01bc09751ea95187842d07b12453df0eba104622:
  content/en/releases/version-skew-policy.md:55 (``kubelet`` must not be newer than ``kube-apiserver``),
  :56 (``kubelet`` may be up to three minors older; ``kubelet`` < 1.25 only two), :192 (``kube-apiserver``
  must not skip minor versions when upgrading, even in single-instance clusters).
* Each provider's documented refusal of a control-plane minor skip and of a downgrade: :data:`PROVIDER_RULES`.
* Each provider's own node-to-control-plane skew where it is narrower than Kubernetes': :data:`KUBELET_LAG`.

The planner (:mod:`kubefleet.lifecycle.upgrade`) chains control-plane hops with :func:`control_plane_hops` and
rolls node pools only where :func:`kubelet_allowed` says the next hop would break the skew (Cluster API's
"efficient" chained upgrades); ``validate``/``diff``/``plan`` and ``upgrade apply`` ask
:func:`transition_refusal` whether the cloud would refuse a spec's version change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from kubefleet.errors import KubefleetError, UsageError

_VERSION = re.compile(r"v?(\d{1,3})\.(\d{1,3})(?:\.\d{1,6})?(?:[-+][0-9A-Za-z.\-+]{0,64})?")

#: The Kubernetes version-skew policy, pinned (kubernetes/website, read 2026-12-06).
SKEW_POLICY = ("kubernetes/website@01bc09751ea95187842d07b12453df0eba104622:"
               "content/en/releases/version-skew-policy.md")
KUBELET_NOT_NEWER = f"{SKEW_POLICY}:55"
KUBELET_LAG_RULE = f"{SKEW_POLICY}:56"
APISERVER_NO_SKIP = f"{SKEW_POLICY}:192"


@dataclass(frozen=True)
class ProviderRule:
    """Where a provider documents that it refuses a control-plane minor skip and a downgrade."""

    label: str
    skip: str
    downgrade: str
    note: str = ""


#: Each provider's documented rule (repo@commit:path:line where the documentation is a repository, else the URL).
PROVIDER_RULES: dict[str, ProviderRule] = {
    "gke": ProviderRule(
        "GKE",
        # "Clusters are upgraded to either a newer minor version (for example, 1.33 to 1.34) or newer patch
        # version"; the control plane is upgraded one minor at a time, a minor downgrade is not offered.
        "https://docs.cloud.google.com/kubernetes-engine/docs/how-to/upgrading-a-cluster#upgrade_cp",
        "https://docs.cloud.google.com/kubernetes-engine/docs/how-to/upgrading-a-cluster#downgrading",
        "GKE 1.33+ two-step minor upgrades may be rolled back during their soak; a finished minor upgrade "
        "cannot be downgraded",
    ),
    "eks": ProviderRule(
        "EKS",
        # "you can update only one minor version at a time"
        "awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:"
        "latest/ug/clusters/update-cluster.adoc:102",
        # "You cannot downgrade the Kubernetes of an Amazon EKS cluster."
        "awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:"
        "latest/ug/clusters/update-cluster.adoc:256",
    ),
    "aks": ProviderRule(
        "AKS",
        # "When you upgrade a supported non-LTS AKS cluster, you can't skip Kubernetes minor versions."
        "MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:"
        "articles/aks/upgrade-aks-control-plane.md:42",
        # "You can't downgrade the control plane or a node pool Kubernetes version."
        "MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:"
        "articles/aks/upgrade-node-pools.md:106",
        "AKS lets a cluster skip minors when it upgrades from an unsupported version to a supported one "
        "(articles/aks/upgrade-aks-faq.yml:21) or between LTS versions (upgrade-aks-control-plane.md:44)",
    ),
    "kubeadm": ProviderRule(
        "kubeadm",
        # "you cannot skip MINOR versions when you upgrade. For example, you can upgrade from 1.y to 1.y+1,
        # but not from 1.y to 1.y+2."; Cluster API's KubeadmControlPlane refuses the same in its upgrade plan
        "kubernetes/website@0189ae0f6bf2a79ff2e4bfd5f9ec0da98d64c5d2:"
        "content/en/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade.md:44",
        # kube-apiserver must not skip minors and kubelets must not be newer than it: a minor downgrade
        # would leave every kubelet newer than the API server
        KUBELET_NOT_NEWER,
        "Cluster API rejects a control-plane upgrade plan that skips a minor (kubernetes-sigs/cluster-api@"
        "ae7ff047db499ac3858ade268ba38db8c9f128bb:exp/topology/desiredstate/upgrade_plan.go:188-191)",
    ),
}

#: Providers whose documented node skew is narrower than Kubernetes' (at most this many minors behind).
KUBELET_LAG: dict[str, tuple[int, str]] = {
    # "Nodes and node pool versions can be up to two minor versions older than the control plane"
    "gke": (2, "https://cloud.google.com/kubernetes-engine/versioning"),
    # "The node pool minor version must be within two minor versions of the control plane version."
    "aks": (2, "MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:"
               "articles/aks/upgrade-node-pools.md:102"),
}


class UpgradeRefused(KubefleetError):
    """A version transition the provider (or the skew policy) refuses: a downgrade or a minor skip. Exit 2."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, refusal: Refusal | None = None) -> None:
        super().__init__(message, hint=hint)
        self.refusal = refusal


@dataclass(frozen=True)
class Refusal:
    """Why a provider refuses ``current`` → ``target`` on the control plane, the chain to use instead (empty for a
    downgrade: no chain reaches an older minor) and the cited rule."""

    provider: str
    current: str
    target: str
    kind: Literal["skip", "downgrade"]
    message: str
    rule: str
    chain: list[str] = field(default_factory=list)

    @property
    def hint(self) -> str:
        if self.kind == "downgrade":
            return (f"a cluster cannot go back a minor: create a new cluster on {self.target} and move the "
                    f"workloads; source: {self.rule}")
        return f"upgrade one minor at a time: {' → '.join([self.current, *self.chain])}; source: {self.rule}"

    def error(self) -> UpgradeRefused:
        return UpgradeRefused(self.message, hint=self.hint, refusal=self)


def parse_minor(version: str) -> tuple[int, int]:
    """``(major, minor)`` of "1.33", "v1.33.2", "1.33.4-gke.1350000" or "1.33.5-eks-…"; a usage error otherwise."""
    text = str(version).strip()
    m = _VERSION.fullmatch(text)
    if m is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UsageError(f"{shown!r} is not a Kubernetes version", hint='write a minor like "1.34" or "1.34.2"')
    return int(m.group(1)), int(m.group(2))


def minor_text(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def minor_of(version: str) -> str:
    """ "1.33.4-gke.1" → "1.33"."""
    return minor_text(parse_minor(version))


def control_plane_hops(current: str, target: str) -> list[str]:
    """Every minor after ``current`` up to and including ``target`` ("1.33"-style), one control-plane upgrade
    each ([] when they are the same minor). Raises :class:`UpgradeRefused` on a downgrade or a major change."""
    cur, tgt = parse_minor(current), parse_minor(target)
    if cur[0] != tgt[0]:
        raise UpgradeRefused(f"Kubernetes {minor_text(cur)} → {minor_text(tgt)} changes the major version",
                             hint="kubefleet plans minor upgrades within Kubernetes 1.x")
    if tgt < cur:
        raise UpgradeRefused(f"Kubernetes {minor_text(cur)} → {minor_text(tgt)} is a downgrade",
                             hint="a cluster's control plane cannot go back a minor; create a new cluster on "
                             f"{minor_text(tgt)} and move the workloads (source: {KUBELET_NOT_NEWER})")
    return [f"{cur[0]}.{m}" for m in range(cur[1] + 1, tgt[1] + 1)]


def transition_refusal(provider: str, current: str, target: str, *, current_unsupported: bool = False,
                       lts: bool = False) -> Refusal | None:
    """Whether ``provider`` refuses to move a control plane from ``current`` to ``target`` (a minor skip or a
    downgrade), with the chain to use instead and the provider's cited rule; ``None`` when it accepts it
    (same minor, or the next one). AKS alone accepts a skip from an unsupported version to a supported one
    (``current_unsupported``) and between LTS versions (``lts``), as its documentation says."""
    rules = PROVIDER_RULES.get(provider)
    if rules is None:
        raise UsageError(f"unknown provider {provider!r}", hint="one of: " + ", ".join(sorted(PROVIDER_RULES)))
    cur, tgt = parse_minor(current), parse_minor(target)
    if tgt[0] == cur[0] and tgt[1] in (cur[1], cur[1] + 1):
        return None
    if tgt < cur:
        return Refusal(provider, minor_text(cur), minor_text(tgt), "downgrade",
                       f"{rules.label} refuses a downgrade of the control plane from Kubernetes {minor_text(cur)} "
                       f"to {minor_text(tgt)}", rules.downgrade)
    if provider == "aks" and (current_unsupported or lts):
        return None
    chain = control_plane_hops(current, target)
    return Refusal(provider, minor_text(cur), minor_text(tgt), "skip",
                   f"{rules.label} refuses to skip minor versions on the control plane: Kubernetes "
                   f"{minor_text(cur)} → {minor_text(tgt)} skips {', '.join(chain[:-1])}", rules.skip, chain)


def max_kubelet_lag(provider: str, kubelet: str) -> tuple[int, str]:
    """How many minors a kubelet at ``kubelet`` may trail the API server on ``provider``, and the cited rule:
    Kubernetes allows three (two for kubelets older than 1.25); GKE and AKS document two."""
    lag, rule = (3, KUBELET_LAG_RULE) if parse_minor(kubelet) >= (1, 25) else (2, KUBELET_LAG_RULE)
    narrower = KUBELET_LAG.get(provider)
    if narrower is not None and narrower[0] < lag:
        return narrower
    return lag, rule


def kubelet_allowed(provider: str, apiserver: str, kubelet: str) -> bool:
    """Whether kubelets at ``kubelet`` may run under an API server at ``apiserver`` on ``provider``: never newer
    (version-skew-policy.md:55), at most :func:`max_kubelet_lag` minors older."""
    api, kub = parse_minor(apiserver), parse_minor(kubelet)
    if kub[0] != api[0] or kub > api:
        return False
    return api[1] - kub[1] <= max_kubelet_lag(provider, kubelet)[0]


@dataclass(frozen=True)
class Step:
    """One operation of a chained upgrade: the control plane moves one minor, or the workers (every node pool)
    roll to the control plane's version. ``why`` says what forced a worker rollout."""

    kind: Literal["control-plane", "workers"]
    from_minor: str
    to_minor: str
    why: str = ""


def chain(provider: str, current: str, target: str, *, workers: str | None = None) -> list[Step]:
    """The chained and efficient upgrade from ``current`` to ``target``, as Cluster API computes it for
    clusters with managed topologies (kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
    docs/proposals/20250513-chained-and-efficient-upgrades-for-clusters-with-managed-topologies.md:280-289):
    the control plane goes one minor at a time; the workers (at ``workers``, default the control plane's
    version) stay where they are until the next control-plane hop would leave them further behind than the
    provider allows, then roll to the control plane's version; and once more to ``target`` at the end."""
    cp = minor_of(current)
    w = minor_of(workers) if workers is not None else cp
    if not kubelet_allowed(provider, cp, w):
        lag, rule = max_kubelet_lag(provider, w)
        raise UpgradeRefused(f"workers at Kubernetes {w} under a control plane at {cp} are outside the version skew "
                             f"(kubelets at most {lag} minors older than the API server, never newer)",
                             hint=f"source: {rule}")
    steps: list[Step] = []
    for hop in control_plane_hops(cp, target):
        if not kubelet_allowed(provider, hop, w):
            lag, rule = max_kubelet_lag(provider, w)
            steps.append(Step("workers", w, cp, f"workers at {w} would trail a {hop} control plane by more than "
                              f"{lag} minors ({rule})"))
            w = cp
        steps.append(Step("control-plane", cp, hop))
        cp = hop
    if w != cp:
        steps.append(Step("workers", w, cp, "the workers reach the target version"))
    return steps

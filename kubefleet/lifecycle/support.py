"""Support phases: where a Kubernetes minor stands on a provider on a date — standard support, extended
support (billed extra on EKS and on GKE's Extended channel) or past its end (the provider no longer runs it).

The dates are the catalog's (``features.yaml`` ``versions:``, each with its source); the date is always
passed in, never read from the clock. The pricer bills by the phase, ``compare`` refuses to price a version
that is gone, and the coming upgrade planner dates its hops by the same answers. May import the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog, Source

Phase = Literal["standard", "extended", "ended"]


@dataclass(frozen=True)
class SupportPhase:
    """One minor's phase on one provider on one date, why, and the source of the dates (None = not known)."""

    phase: Phase
    why: str
    source: Source | None = None


#: Providers whose extended support (and its fee) starts ON the end-of-standard-support date, not the day after.
#: EKS: "Billing for extended support starts at the beginning of the day that the version reaches end of standard
#: support, in the UTC+0 timezone" (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
#: latest/ug/clusters/kubernetes-versions.adoc:64). The upgrade planner's staying cost and the PR comment's
#: Upgrades section bill from that date too, so the pricer agrees with them at the boundary.
EXTENDED_FROM_END_DATE = frozenset({"eks"})


def support_phase(catalog: Catalog, provider: str, version: str, on: date) -> SupportPhase:
    """The support phase of ``version``'s minor on ``provider`` on ``on``; standard when the catalog has no
    dates for it (said in ``why``)."""
    minor = ".".join(version.split(".")[:2])
    support = catalog.versions(provider).get(minor)
    if support is None or support.standard_end is None:
        return SupportPhase("standard", f"Kubernetes {minor}: support dates not in the catalog; standard support assumed")
    if support.extended_end is not None and on > support.extended_end:
        return SupportPhase("ended", f"Kubernetes {minor} reached the end of extended support on {support.extended_end}",
                            support.source)
    if on > support.standard_end or (on == support.standard_end and provider in EXTENDED_FROM_END_DATE):
        return SupportPhase("extended", f"Kubernetes {minor} left standard support on {support.standard_end}",
                            support.source)
    return SupportPhase("standard", f"Kubernetes {minor} is in standard support until {support.standard_end}",
                        support.source)


def version_gone(catalog: Catalog, provider: str, version: str, as_of: date) -> str | None:
    """Why ``version`` no longer exists on ``provider`` on ``as_of`` (past the end of extended support),
    or None. Such a cluster is not priced: the provider no longer runs that version."""
    minor = ".".join(version.split(".")[:2])
    support = catalog.versions(provider).get(minor)
    if support is None or support.extended_end is None or as_of <= support.extended_end:
        return None
    return (f"Kubernetes {minor} reached the end of extended support on {provider} on {support.extended_end} "
            f"({support.source.url}); the provider no longer runs it, so it is not priced — pick a supported version")


# ------------------------------------------------------------------ what the provider does after standard support
#
# Each provider's documented behaviour once a minor leaves standard support, by the setting the rendered
# cluster carries (the provider's own word for the channel, read from the rendered graph by the pricer):
#
# EKS  upgradePolicy.supportType. STANDARD: "If your upgrade policy is `STANDARD`, it will be automatically
#      upgraded" / "automatically upgrade to the next supported Kubernetes version in standard support";
#      EXTENDED: "will enter into extended support ... You will incur extended support charges"
#      (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
#      latest/ug/clusters/view-upgrade-policy.adoc:7,17,18). At the end of extended support "your cluster is
#      auto-upgraded to the oldest currently supported extended version" (same commit,
#      latest/ug/clusters/kubernetes-versions.adoc:24).
# GKE  releaseChannel.channel. Clusters on Rapid/Regular/Stable (and kubefleet's `none`, emulated inside
#      Stable) are upgraded automatically at the end of standard support; on the Extended channel the minor
#      enters the extended support period and "an additional cluster management fee applies"
#      (https://cloud.google.com/kubernetes-engine/versioning#auto-upgrades-end-of-support and
#      https://cloud.google.com/kubernetes-engine/pricing, read 2026-12-06; GKE's pages are not in a
#      repository, so they are cited by URL).
# AKS  autoUpgradeProfile.upgradeChannel. `stable` moves the cluster to the latest patch of minor N-1,
#      `rapid` to the newest minor, `patch` keeps the minor, `none` "disables auto-upgrades and keeps the
#      cluster at its current version"; and "AKS also initiates auto-upgrades for unsupported clusters. When
#      a cluster in an n-3 version ... is about to drop to n-4, AKS automatically upgrades the cluster to n-2"
#      (MicrosoftDocs/azure-aks-docs@010b3bf2675e1351c575d4d1a5d048be1a220621:
#      articles/aks/auto-upgrade-cluster.md:30,46-49). AKS bills no extra fee for an unsupported minor; long-term
#      support is the Premium tier, priced as such.
# kubeadm  nobody upgrades it: past the upstream end of life it gets no patches (kubernetes.io/releases).

Action = Literal["extended-fee", "auto-upgrade", "stays", "self-managed"]

_EKS_POLICY = ("awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:"
               "latest/ug/clusters/view-upgrade-policy.adoc:7,17,18")
EKS_END_OF_EXTENDED = ("awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:"
                        "latest/ug/clusters/kubernetes-versions.adoc:24")
_GKE_END_OF_SUPPORT = "https://cloud.google.com/kubernetes-engine/versioning#auto-upgrades-end-of-support"
_GKE_EXTENDED_FEE = "https://cloud.google.com/kubernetes-engine/pricing"
_AKS_CHANNELS = ("MicrosoftDocs/azure-aks-docs@010b3bf2675e1351c575d4d1a5d048be1a220621:"
                 "articles/aks/auto-upgrade-cluster.md:30,46-49")
_UPSTREAM = "https://kubernetes.io/releases/"

_LABEL = {"gke": "GKE", "eks": "EKS", "aks": "AKS", "kubeadm": "kubeadm"}
#: (rule when it stays at the extended fee, rule when it is upgraded automatically)
_EXTENDED_RULES = {"eks": (_EKS_POLICY, _EKS_POLICY), "gke": (_GKE_EXTENDED_FEE, _GKE_END_OF_SUPPORT)}


def _key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split(".")[:2])


def next_supported(catalog: Catalog, provider: str, minor: str, on: date) -> str | None:
    """The oldest minor newer than ``minor`` that is in standard support on ``provider`` on ``on`` (where an
    auto-upgrade lands), or None when the catalog lists none."""
    rows = catalog.versions(provider)
    newer = sorted((m for m, s in rows.items() if _key(m) > _key(minor)
                    and (s.standard_end is None or on <= s.standard_end)), key=_key)
    return newer[0] if newer else None


@dataclass(frozen=True)
class Outlook:
    """What ``provider`` does with a cluster on ``minor`` once standard support ends, on its channel.

    ``action``: ``extended-fee`` (it stays and the extended-support fee applies: EKS EXTENDED, GKE Extended),
    ``auto-upgrade`` (the provider moves it to ``upgrade_to``, or to a newer minor when None), ``stays``
    (AKS channel none/patch: no automatic minor upgrade, no fee change) or ``self-managed`` (kubeadm)."""

    provider: str
    minor: str
    channel: str  # the provider's own setting: EXTENDED, STANDARD, stable, none, ...
    phase: SupportPhase  # on ``on``
    on: date
    action: Action
    standard_end: date | None
    extended_end: date | None
    upgrade_to: str | None
    rule: str  # the provider's documented behaviour (repo@commit:path:line or URL)

    @property
    def past_standard(self) -> bool:
        return self.phase.phase != "standard"

    def what(self) -> str:
        """What the provider does (or did) at the end of standard support, in a sentence fragment."""
        label = _LABEL.get(self.provider, self.provider)
        to = f" to Kubernetes {self.upgrade_to}" if self.upgrade_to else " to a newer minor"
        if self.action == "extended-fee":
            if self.provider == "aks":
                return (f"{label} keeps it under long-term support (supportPlan AKSLongTermSupport): its fee is "
                        "the Premium tier's")
            stay = "EXTENDED" if self.provider == "eks" else "the Extended release channel"
            return f"{label} keeps it in extended support ({stay}) at the extended-support fee"
        if self.action == "auto-upgrade":
            if self.provider == "eks":
                return f"{label} upgrades it automatically{to} (upgrade policy {self.channel})"
            if self.provider == "aks":
                return (f"{label} upgrades it automatically (auto-upgrade channel {self.channel}: "
                        f"{'the newest minor' if self.channel == 'rapid' else 'minor N-1'})")
            return f"{label} upgrades it automatically{to} (release channel {self.channel})"
        if self.action == "stays":
            return (f"{label} does not upgrade its minor (auto-upgrade channel {self.channel}) until it would fall "
                    "out of platform support, then upgrades it to n-2; no extra fee")
        return "nobody upgrades it (self-managed): no upstream patches after that date"

    def message(self) -> str:
        """One line for people: the phase on the date and what the provider does."""
        label = _LABEL.get(self.provider, self.provider)
        end = self.standard_end.isoformat() if self.standard_end else "an unknown date"
        if self.provider == "kubeadm":
            head = f"Kubernetes {self.minor} {'reached' if self.past_standard else 'reaches'} its upstream end of life on {end}"
        elif self.past_standard:
            head = f"Kubernetes {self.minor} left {label} standard support on {end}"
        else:
            head = f"Kubernetes {self.minor} leaves {label} standard support on {end}"
        return f"{head}: {self.what()} (as of {self.on.isoformat()}; rule: {self.rule})"


def outlook(catalog: Catalog, provider: str, version: str, channel: str, on: date) -> Outlook | None:
    """What ``provider`` does with ``version`` on its ``channel`` (the provider's own setting) once standard
    support ends, as of ``on``; None when the catalog has no support dates for the minor."""
    minor = ".".join(version.split(".")[:2])
    support = catalog.versions(provider).get(minor)
    if support is None or support.standard_end is None:
        return None
    phase = support_phase(catalog, provider, version, on)
    after = support.standard_end + timedelta(days=1)
    action: Action
    rule: str
    upgrade_to: str | None = None
    if provider in ("eks", "gke"):  # EKS upgrade policy / GKE release channel: EXTENDED stays and pays
        extended_rule, upgrade_rule = _EXTENDED_RULES[provider]
        if channel.upper() == "EXTENDED":
            action, rule = "extended-fee", extended_rule
        else:
            action, rule = "auto-upgrade", upgrade_rule
            upgrade_to = next_supported(catalog, provider, minor, max(on, after))
    elif provider == "aks":
        rule = _AKS_CHANNELS
        if channel.endswith("+lts"):
            # supportPlan AKSLongTermSupport: "LTS ... Premium tier only" (features.yaml support_window, aks-versions)
            action = "extended-fee"
        else:
            action = "auto-upgrade" if channel.lower() in ("stable", "rapid") else "stays"
    else:
        action, rule = "self-managed", _UPSTREAM
    return Outlook(provider, minor, channel, phase, on, action, support.standard_end, support.extended_end,
                   upgrade_to, rule)

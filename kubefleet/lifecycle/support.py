"""Support phases: where a Kubernetes minor stands on a provider on a date — standard support, extended
support (billed extra on EKS and on GKE's Extended channel) or past its end (the provider no longer runs it).

The dates are the catalog's (``features.yaml`` ``versions:``, each with its source); the date is always
passed in, never read from the clock. The pricer bills by the phase, ``compare`` refuses to price a version
that is gone, and the coming upgrade planner dates its hops by the same answers. May import the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
    if on > support.standard_end:
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

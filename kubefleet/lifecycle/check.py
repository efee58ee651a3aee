"""Compatibility checks run before anything is touched: is the asked-for Kubernetes minor offered on the
provider's channel on the given date, and does a mesh revision exist for it? Data and sources:
:mod:`kubefleet.lifecycle.compat`. The provider limits the neutral spec allows (:mod:`kubefleet.spec.limits`)
are reported here too, so `validate`, `plan` and `up` say so at the spec's line instead of the cloud
failing half-way through an apply. Problems come back positioned (file:line:col of the spec field).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from kubefleet.errors import SpecError, SpecIssue
from kubefleet.spec.limits import api_limits

if TYPE_CHECKING:
    from kubefleet.lifecycle.compat import Compat
    from kubefleet.spec.loader import LoadedSpec

PROVIDER_LABELS = {"gke": "GKE", "eks": "EKS", "aks": "AKS", "kubeadm": "kubeadm", "istio": "Istio"}


def minor_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def problems(loaded: LoadedSpec, provider: str, on: date, compat: Compat | None = None) -> list[SpecIssue]:
    """Every compatibility problem of one spec on one provider as of ``on`` (empty = fine or no data)."""
    from kubefleet.lifecycle.compat import load_compat

    compat = compat or load_compat()
    spec = loaded.spec.spec
    label = PROVIDER_LABELS.get(provider, provider)
    minor = minor_of(spec.kubernetes.version)
    found: list[SpecIssue] = []
    if provider == "kubeadm":
        from kubefleet.errors import RenderError
        from kubefleet.spec.limits import check_version  # no cloud SDK import

        try:
            check_version(loaded.spec)
        except RenderError as err:  # the v1beta4 floor and the add-ons' ceiling, cited there
            found.append(loaded.issue(("spec", "kubernetes", "version"), err.message, err.hint))
    found += api_limits(loaded, provider)
    from kubefleet.lifecycle.zones import gpu_zone_issues

    found += gpu_zone_issues(loaded, provider)
    from kubefleet.lifecycle.sandbox import sandbox_limits  # the catalog's VM-size facts

    found += sandbox_limits(loaded, provider)
    channel = compat.channel(provider, spec.kubernetes.channel)
    offered = compat.offered_minors(provider, spec.kubernetes.channel, on)
    if channel is not None and offered is not None and minor not in offered:
        cited = sorted({r.source.url for r in channel.minors})
        if offered:
            hint = f"{label} offers {', '.join(offered)} there on {on.isoformat()}; source: {', '.join(cited)}"
        else:
            hint = f"{label} offers no minor on that channel on {on.isoformat()}; source: {', '.join(cited)}"
        found.append(loaded.issue(
            ("spec", "kubernetes", "version"),
            f"Kubernetes {minor} is not offered on {label}'s {channel.label} (spec channel "
            f"{spec.kubernetes.channel!r}) as of {on.isoformat()}",
            hint,
        ))
    istio = spec.addons.istio
    if istio.mode == "managed" and compat.has_mesh_data(provider) and not compat.mesh_revisions(provider, minor, on):
        rows = compat.table(provider).mesh
        supported = sorted({m for r in rows if r.offered_on(on) for m in r.minors})
        found.append(loaded.issue(
            ("spec", "addons", "istio", "mode"),
            f"no managed Istio revision on {label} supports Kubernetes {minor} as of {on.isoformat()}",
            f"revisions offered then cover {', '.join(supported) or 'no minor'}; "
            f"source: {', '.join(sorted({r.source.url for r in rows}))}",
        ))
    if _helm_istio(provider, istio.mode) and compat.has_mesh_data("istio") and not compat.mesh_revisions(
            "istio", minor, on):
        rows = compat.table("istio").mesh
        supported = sorted({m for r in rows if r.offered_on(on) for m in r.minors},
                           key=lambda m: tuple(int(p) for p in m.split(".")))
        found.append(loaded.issue(
            ("spec", "addons", "istio", "mode"),
            f"no supported Istio release (installed with Helm on {label}) supports Kubernetes {minor} as of "
            f"{on.isoformat()}",
            f"Istio releases supported then cover {', '.join(supported) or 'no minor'}; "
            f"source: {', '.join(sorted({r.source.url for r in rows if minor in r.minors}) or ['compat-istio.yaml'])}",
        ))
    return found


#: Providers without a managed Istio: there ``mode: managed`` is the upstream Helm install too.
_NO_MANAGED_ISTIO = ("eks", "kubeadm")


def _helm_istio(provider: str, mode: str) -> bool:
    """Whether the cluster's Istio is the self-managed Helm install (providers/mesh.py, data compat-istio.yaml)."""
    return mode == "self-managed" or (mode == "managed" and provider in _NO_MANAGED_ISTIO)


def enforce(specs: list[LoadedSpec], provider_of: dict[str, str], on: date) -> None:
    """Raise one :class:`SpecError` with every problem; ``provider_of`` maps cluster name -> provider."""
    issues = [i for s in specs if s.spec.name in provider_of for i in problems(s, provider_of[s.spec.name], on)]
    if issues:
        raise SpecError(issues)

"""Provider adapters and their registry.

The registry maps a provider name to the import path of its adapter class, so importing this package
imports no cloud SDK, and adding a fifth provider is one line here plus its own module.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Final

from kubefleet.errors import UsageError
from kubefleet.providers.base import ClusterAdapter

if TYPE_CHECKING:
    from kubefleet.graph import ResourceGraph
    from kubefleet.verify import VerifyReport

REGISTRY: Final[dict[str, str]] = {
    "gke": "kubefleet.providers.gke:GkeAdapter",
    "eks": "kubefleet.providers.eks:EksAdapter",
    "aks": "kubefleet.providers.aks:AksAdapter",
    "kubeadm": "kubefleet.providers.kubeadm:KubeadmAdapter",
}

DISPLAY_NAMES: Final[dict[str, str]] = {
    "gke": "GKE",
    "eks": "EKS",
    "aks": "AKS",
    "kubeadm": "kubeadm (vSphere)",
}


def provider_names() -> list[str]:
    return list(REGISTRY)


def check_provider(name: str) -> str:
    """A provider name as given by a user -> the registry key, or a UsageError with a hint."""
    key = name.strip().lower()
    if key not in REGISTRY:
        import difflib

        from kubefleet.spec.regions import provider_alias

        alias = provider_alias(key)  # gcp -> gke, aws -> eks, azure -> aks
        close = [alias] if alias in REGISTRY else difflib.get_close_matches(key, list(REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "choose one of: " + ", ".join(REGISTRY)
        raise UsageError(f"unknown provider {name!r}", hint=hint)
    return key


def parse_providers(text: str | None, default: list[str] | None = None) -> list[str]:
    """'gke,eks' or 'all' -> ['gke', 'eks']; None -> default (all)."""
    if text is None or text.strip().lower() in ("", "all"):
        return list(default or REGISTRY)
    out: list[str] = []
    for part in text.split(","):
        key = check_provider(part)
        if key not in out:
            out.append(key)
    return out


@cache
def get_adapter(name: str) -> ClusterAdapter:
    """The adapter instance for ``name`` (imports its cloud SDK on first use)."""
    module_name, _, cls_name = REGISTRY[check_provider(name)].partition(":")
    module = importlib.import_module(module_name)
    adapter: ClusterAdapter = getattr(module, cls_name)()
    return adapter


def verify_graph(graph: ResourceGraph) -> VerifyReport:
    """Check a rendered graph against its provider's API model (:mod:`kubefleet.verify`)."""
    return get_adapter(graph.provider).verify(graph)

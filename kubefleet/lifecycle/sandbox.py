"""Sandboxed tenancy on a VM size that cannot run the sandbox, caught at the spec's line.

On AKS ``tenancy.isolation: sandboxed`` is Pod Sandboxing: Kata Containers (``workloadRuntime:
KataVmIsolation``) on every non-GPU pool; AKS offers no gVisor. It needs "a generation 2 VM [size that]
supports nested virtualization" (MicrosoftDocs/azure-aks-docs@fb060ab articles/aks/use-pod-sandboxing.md:65,
107; "Otherwise, the command fails", line 63). Whether a size has both is the catalog's
(``data/vm-features.yaml``, each series' size page at a pinned commit). A pool pinned (``instanceTypes.aks``)
to a size the catalog says lacks one is refused at the pin; shape matching picks from the AKS price catalog,
whose non-GPU sizes all run Kata (tests/test_day2_aks.py holds the catalog to that). GPU pools stay on runc
(providers/aks/translate.py ``kata``), so their size is not judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubefleet.catalog.vm_features import features_of

if TYPE_CHECKING:
    from kubefleet.errors import SpecIssue
    from kubefleet.spec.loader import LoadedSpec


def sandbox_limits(loaded: LoadedSpec, provider: str) -> list[SpecIssue]:
    """Pools of a sandboxed AKS cluster pinned to a size that cannot run Kata, each at its pin."""
    spec = loaded.spec.spec
    if provider != "aks" or spec.tenancy.isolation != "sandboxed":
        return []
    found: list[SpecIssue] = []
    for i, pool in enumerate(spec.node_pools):
        size = pool.pinned("aks")
        if pool.machine.gpu is not None or size is None:
            continue
        facts = features_of(size)
        if facts is None or facts.runs_kata:
            continue
        found.append(loaded.issue(
            ("spec", "nodePools", i, "instanceTypes", "aks"),
            f"{size} cannot run AKS Pod Sandboxing (Kata, the sandbox tenancy.isolation: sandboxed uses on AKS): "
            f"the {facts.series} series has no {' and no '.join(facts.missing())} ({facts.source.url})",
            "pin a generation 2 size with nested virtualization (e.g. Dsv5, Esv5, Fsv2), or drop the pin; "
            "AKS requires both for workloadRuntime KataVmIsolation",
        ))
    return found

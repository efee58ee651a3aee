"""kubeadm on vSphere through Cluster API (KCP, CABPK, CAPV) in a management cluster.

The adapter is imported on first use (``KubeadmAdapter``), so the SDK-free parts of this package (the
Cluster API object mapping in :mod:`capi`) load without pulumi-kubernetes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubefleet.providers.kubeadm.adapter import KubeadmAdapter

__all__ = ["KubeadmAdapter"]


def __getattr__(name: str) -> Any:
    if name == "KubeadmAdapter":
        from kubefleet.providers.kubeadm.adapter import KubeadmAdapter

        return KubeadmAdapter
    raise AttributeError(name)

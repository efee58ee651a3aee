"""kubeadm on vSphere: VMs from a template, bootstrapped by cloud-init + kubeadm.

The adapter is imported on first use (``KubeadmAdapter``), so the SDK-free parts of this package (the
version range in :mod:`kubeadm_config`, used by ``validate``) load without pulumi-vsphere.
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

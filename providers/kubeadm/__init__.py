"""kubeadm on vSphere: the ``KubeadmAdapter`` (VMs + cloud-init + kubeadm config, kube-vip, Calico)."""

from kubefleet.providers.kubeadm.adapter import KubeadmAdapter

__all__ = ["KubeadmAdapter"]

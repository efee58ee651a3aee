"""GPU pools: the NVIDIA device plugin, without which ``nvidia.com/gpu`` is never advertised.

``gpuProfile.driver: Install`` makes AKS install the NVIDIA driver only; the Kubernetes device plugin is
the cluster owner's job in the self-managed GPU setup (MicrosoftDocs/azure-aks-docs@fb060ab:
articles/aks/use-nvidia-gpu.md:28-29,81-89). AKS-managed GPU node pools, which would install it, are a
preview behind the ``ManagedGPUExperiencePreview`` feature flag and do not support the cluster autoscaler
(aks-managed-gpu-nodes.md:15,83-99), so kubefleet declares the DaemonSet AKS documents
(use-nvidia-gpu.md:160-206, from NVIDIA/k8s-device-plugin@4b3d6b0:deployments/static/nvidia-device-plugin.yml)
with image ``nvcr.io/nvidia/k8s-device-plugin:v0.18.0``. Changes from that manifest: it runs only on the
GPU pools (node affinity on AKS's ``kubernetes.azure.com/agentpool`` label) and tolerates every taint,
since a spec's GPU pool may carry any taint, not only the docs' ``sku=gpu:NoSchedule``.

The DaemonSet is a Kubernetes object declared through pulumi-kubernetes, so ``up`` must reach the API
server: with a private endpoint it must run from the VNet or a peered network (parity says so).
"""

from __future__ import annotations

from typing import Any, Final

import pulumi

from kubefleet.providers.aks import translate as t
from kubefleet.spec.model import ClusterSpec

DEVICE_PLUGIN_IMAGE: Final = "nvcr.io/nvidia/k8s-device-plugin:v0.18.0"
NAMESPACE: Final = "gpu-resources"
#: AKS labels every node with its agent pool's name.
POOL_LABEL: Final = "kubernetes.azure.com/agentpool"


def daemonset_spec(pool_names: list[str]) -> dict[str, Any]:
    """The DaemonSet spec (plain data, so tests can read it without Pulumi)."""
    labels = {"name": "nvidia-device-plugin-ds"}
    return {
        "selector": {"matchLabels": labels},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "tolerations": [{"operator": "Exists"}],
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": POOL_LABEL, "operator": "In", "values": sorted(pool_names)}]}],
                }}},
                "priorityClassName": "system-node-critical",
                "containers": [{
                    "image": DEVICE_PLUGIN_IMAGE,
                    "name": "nvidia-device-plugin-ctr",
                    "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}],
                }],
                "volumes": [{"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}],
            },
        },
    }


def install_device_plugin(
    spec: ClusterSpec,
    kubeconfig: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> list[pulumi.Resource]:
    """The NVIDIA device plugin on the spec's GPU pools (nothing when there are none)."""
    pools = t.gpu_pools(spec)
    if not pools:
        return []
    import pulumi_kubernetes as k8s

    provider = k8s.Provider(
        f"{spec.name}-gpu-k8s",
        k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(kubeconfig)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    namespace = k8s.core.v1.Namespace(
        f"{spec.name}-gpu-resources",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE),
        opts=opts,
    )
    daemonset = k8s.apps.v1.DaemonSet(
        f"{spec.name}-nvidia-device-plugin",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="nvidia-device-plugin-daemonset", namespace=NAMESPACE),
        spec=daemonset_spec([t.pool_name_for(spec, p.name) for p in pools]),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
    )
    return [provider, namespace, daemonset]

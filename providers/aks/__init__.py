"""The AKS adapter (Azure Kubernetes Service on pulumi_azure_native). One module per concept:

- ``cluster``: resource group, ManagedCluster (control plane, System pool, identity, access), outputs;
- ``nodepool``: User agent pools; ``network``: VNet, node subnet, NAT gateway;
- ``mesh``: Istio add-on or Helm; ``upgrades``: maintenance configurations; ``kubeconfig``;
- ``translate``: the pure spec -> AKS mappings; ``support``: the parity table; ``mocks``: offline answers.
"""

from kubefleet.providers.aks.adapter import AksAdapter

__all__ = ["AksAdapter"]

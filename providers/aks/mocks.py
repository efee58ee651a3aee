"""Deterministic answers for the offline render: what Azure computes for each resource, and data sources."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

from kubefleet.naming import short_hash
from kubefleet.providers.base import InvokeFailure

#: Inputs that carry the Azure resource name, per type; the provider echoes it as the ``name`` output.
NAME_INPUTS: Final[dict[str, str]] = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:containerservice:MaintenanceConfiguration": "configName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:network:NatGateway": "natGatewayName",
    "azure-native:network:PublicIPAddress": "publicIpAddressName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
}

GET_MANAGED_CLUSTER: Final = "azure-native:containerservice:getManagedCluster"

OFFLINE_TENANT: Final = str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/offline/tenant"))
OFFLINE_SUBSCRIPTION: Final = str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/offline/subscription"))
OFFLINE_DEPLOYER: Final = str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/offline/deployer"))


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/offline/" + "/".join(parts)))


def offline_ca(cluster: str) -> str:
    """The CA data the offline render pretends AKS issued (base64 of a marker, not a certificate)."""
    return base64.b64encode(f"kubefleet-offline-ca:{cluster}".encode()).decode()


def mock_outputs(type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    key = NAME_INPUTS.get(type_)
    if key and inputs.get(key):
        out["name"] = inputs[key]
    if type_ == "azure-native:containerservice:ManagedCluster":
        location = str(inputs.get("location", "eastus"))
        prefix = str(inputs.get("dnsPrefix", name))
        tag = short_hash(prefix, location, length=8)
        out["fqdn"] = f"{prefix}-{tag}.hcp.{location}.azmk8s.io"
        out["azurePortalFQDN"] = f"{prefix}-{tag}.portal.hcp.{location}.azmk8s.io"
        access = inputs.get("apiServerAccessProfile") or {}
        if access.get("enablePrivateCluster"):
            out["privateFQDN"] = f"{prefix}-{tag}.{_guid(prefix, 'dns')}.privatelink.{location}.azmk8s.io"
        out["currentKubernetesVersion"] = inputs.get("kubernetesVersion")
        out["identity"] = {
            "type": "SystemAssigned",
            "principalId": _guid(prefix, "identity"),
            "tenantId": OFFLINE_TENANT,
        }
        out["oidcIssuerProfile"] = {
            "enabled": True,
            "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{OFFLINE_TENANT}/{_guid(prefix, 'oidc')}/",
        }
        out["provisioningState"] = "Succeeded"
        out["powerState"] = {"code": "Running"}
    elif type_ == "azure-native:containerservice:AgentPool":
        out["provisioningState"] = "Succeeded"
        out["currentOrchestratorVersion"] = inputs.get("orchestratorVersion")
    elif type_ == "azure-native:managedidentity:UserAssignedIdentity":
        out["principalId"] = _guid(name, "principal")
        out["clientId"] = _guid(name, "client")
        out["tenantId"] = OFFLINE_TENANT
    elif type_ == "azure-native:network:PublicIPAddress":
        h = int(short_hash(name, length=4), 16)
        out["ipAddress"] = f"20.{(h >> 8) % 256}.{h % 256}.{len(name) % 250 + 1}"
    return out


def _credential_kubeconfig(cluster: str, resource_group: str) -> str:
    """What listManagedClusterUserCredentials(format=exec) returns for an Entra ID cluster: no secret."""
    server = f"https://{cluster}-offline.hcp.azmk8s.io:443"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": server, "certificate-authority-data": offline_ca(cluster)},
            }
        ],
        "contexts": [
            {
                "name": cluster,
                "context": {"cluster": cluster, "user": f"clusterUser_{resource_group}_{cluster}"},
            }
        ],
        "current-context": cluster,
        "users": [
            {
                "name": f"clusterUser_{resource_group}_{cluster}",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": ["get-token", "--login", "devicecode"],
                    }
                },
            }
        ],
    }
    return base64.b64encode(json.dumps(doc).encode()).decode()


def mock_call(token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": _guid("client"),
            "objectId": OFFLINE_DEPLOYER,
            "subscriptionId": OFFLINE_SUBSCRIPTION,
            "tenantId": OFFLINE_TENANT,
        }
    if token == GET_MANAGED_CLUSTER:
        # offline nothing is deployed (ARM's not-found answer; providers/aks/network.py live_outbound_type)
        raise InvokeFailure(f"Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.ContainerService/"
                            f"managedClusters/{args.get('resourceName')}' was not found (offline render: "
                            "nothing is deployed)\"")
    if token == "azure-native:containerservice:listManagedClusterUserCredentials":
        cluster = str(args.get("resourceName", "cluster"))
        group = str(args.get("resourceGroupName", "group"))
        return {"kubeconfigs": [{"name": "clusterUser", "value": _credential_kubeconfig(cluster, group)}]}
    return None

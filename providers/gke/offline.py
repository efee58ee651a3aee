"""Answers for the offline render (the Pulumi SDK's mock monitor): the values GCP would compute for the
resources and data sources this adapter uses. Deterministic: derived from names and inputs only."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import Any, Final

from kubefleet.naming import short_hash

#: The project the offline render uses when neither the spec nor stack config names one.
OFFLINE_PROJECT: Final = "kubefleet-offline-project"
OFFLINE_REGION: Final = "us-central1"
COMPUTE: Final = "https://www.googleapis.com/compute/v1"

CLUSTER: Final = "gcp:container/cluster:Cluster"
NODE_POOL: Final = "gcp:container/nodePool:NodePool"
NETWORK: Final = "gcp:compute/network:Network"
SUBNETWORK: Final = "gcp:compute/subnetwork:Subnetwork"
ROUTER: Final = "gcp:compute/router:Router"
MEMBERSHIP: Final = "gcp:gkehub/membership:Membership"
FEATURE: Final = "gcp:gkehub/feature:Feature"
SERVICE_ACCOUNT: Final = "gcp:serviceaccount/account:Account"
#: Pulumi's own resource that keeps a value in the state (the zones picked on the first apply, cluster.placement)
STASH: Final = "pulumi:index:Stash"

GET_CLIENT_CONFIG: Final = "gcp:organizations/getClientConfig:getClientConfig"
GET_ZONES: Final = "gcp:compute/getZones:getZones"
GET_FEATURE: Final = "gcp:gkehub/getFeature:getFeature"


def _project(inputs: Mapping[str, Any]) -> str:
    return str(inputs.get("project") or OFFLINE_PROJECT)


def _public_ip(seed: str) -> str:
    h = short_hash(seed, length=6)
    return f"34.{int(h[0:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16) or 1}"


def _fake_ca(seed: str) -> str:
    pem = f"-----BEGIN CERTIFICATE-----\nkubefleet-offline-ca-{short_hash(seed, length=16)}\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


def _gke_version(version: str) -> str:
    parts = version.split(".")
    patch = parts[2] if len(parts) > 2 else "0"
    return f"{parts[0]}.{parts[1]}.{patch}-gke.100"


def mock_outputs(type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    project = _project(inputs)
    res_name = str(inputs.get("name") or name)
    if type_ == CLUSTER:
        location = str(inputs.get("location") or OFFLINE_REGION)
        private = bool((inputs.get("privateClusterConfig") or {}).get("enablePrivateEndpoint"))
        endpoint = "172.16.0.2" if private else _public_ip(f"{project}/{location}/{res_name}")
        version = _gke_version(str(inputs.get("minMasterVersion") or "1.33"))
        dns = f"gke-{short_hash(project, location, res_name, length=32)}.{location}.gke.goog"
        return {
            "project": project,
            "controlPlaneEndpointsConfig": {**(inputs.get("controlPlaneEndpointsConfig") or {}),
                                            "dnsEndpointConfig": {
                                                **((inputs.get("controlPlaneEndpointsConfig") or {})
                                                   .get("dnsEndpointConfig") or {}),
                                                "endpoint": dns}},
            "privateClusterConfig": {**(inputs.get("privateClusterConfig") or {}),
                                     "privateEndpoint": "172.16.0.2" if inputs.get("privateClusterConfig") else ""},
            "endpoint": endpoint,
            "masterVersion": version,
            "masterAuth": {"clusterCaCertificate": _fake_ca(f"{project}/{location}/{res_name}")},
            "selfLink": f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/clusters/{res_name}",
            "labelFingerprint": short_hash(res_name, length=8),
        }
    if type_ == NODE_POOL:
        location = str(inputs.get("location") or OFFLINE_REGION)
        return {
            "project": project,
            "version": "",
            "instanceGroupUrls": [
                f"{COMPUTE}/projects/{project}/zones/{location}/instanceGroupManagers/gke-{res_name}-grp"
            ],
        }
    if type_ == NETWORK:
        return {"project": project, "selfLink": f"{COMPUTE}/projects/{project}/global/networks/{res_name}"}
    if type_ == SUBNETWORK:
        region = str(inputs.get("region") or OFFLINE_REGION)
        cidr = inputs.get("ipCidrRange")
        gateway = str(next(ipaddress.IPv4Network(str(cidr)).hosts())) if cidr else ""
        return {
            "project": project,
            "gatewayAddress": gateway,
            "selfLink": f"{COMPUTE}/projects/{project}/regions/{region}/subnetworks/{res_name}",
        }
    if type_ == ROUTER:
        region = str(inputs.get("region") or OFFLINE_REGION)
        return {"project": project, "selfLink": f"{COMPUTE}/projects/{project}/regions/{region}/routers/{res_name}"}
    if type_ == MEMBERSHIP:
        location = str(inputs.get("location") or "global")
        membership_id = str(inputs.get("membershipId") or res_name)
        return {
            "project": project,
            "name": f"projects/{project}/locations/{location}/memberships/{membership_id}",
            "uid": short_hash(project, membership_id, length=32),
        }
    if type_ == SERVICE_ACCOUNT:
        account = str(inputs.get("accountId") or res_name)
        email = f"{account}@{project}.iam.gserviceaccount.com"
        return {"project": project, "email": email, "member": f"serviceAccount:{email}",
                "uniqueId": str(int(short_hash(email, length=12), 16))}
    if type_ == FEATURE:
        return {"project": project, "state": [{"state": [{"code": "OK"}]}]}
    if type_ == STASH:  # a new stash saves its input
        return {"output": inputs.get("input")}
    return {}


def mock_call(token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
    if token == GET_FEATURE:  # offline nothing exists yet: the data source's own not-found error
        from kubefleet.providers.base import InvokeFailure

        name = args.get("name") or "servicemesh"
        raise InvokeFailure(f"projects/{args.get('project') or OFFLINE_PROJECT}/locations/"
                            f"{args.get('location') or 'global'}/features/{name} not found")
    if token == GET_CLIENT_CONFIG:
        return {"id": f"projects/{OFFLINE_PROJECT}/regions/{OFFLINE_REGION}/zones/", "project": OFFLINE_PROJECT,
                "region": OFFLINE_REGION, "zone": "", "accessToken": ""}
    if token == GET_ZONES:
        region = str(args.get("region") or OFFLINE_REGION)
        project = str(args.get("project") or OFFLINE_PROJECT)
        return {
            "id": f"projects/{project}/regions/{region}",
            "names": [f"{region}-{suffix}" for suffix in "abc"],
            "project": project,
            "region": region,
            "status": args.get("status"),
        }
    return None

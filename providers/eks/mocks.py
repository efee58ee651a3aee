"""Deterministic answers for the offline render: what AWS would compute for the resources declared.

The adapter calls two data sources. ``aws.eks.get_addon_version`` (add-on versions follow the cluster's
Kubernetes version and are looked up at apply time): offline it answers with a placeholder that says so and
still has the semantic-version shape the provider requires. ``aws.get_availability_zones``: which zone ids an
account has in a region is known only at ``up``, so offline it answers with placeholders that say so
(network.OFFLINE_ZONE: ``us-east-1-zone-1-resolved-at-up``), never made-up zone ids.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final

from kubefleet.naming import short_hash
from kubefleet.providers.base import InvokeFailure

#: A documentation-style account id (never a real one).
MOCK_ACCOUNT: Final = "123456789012"
#: What an add-on version looked up at apply time renders as offline.
ADDON_VERSION_OFFLINE: Final = "v0.0.0-resolved-at-apply"
GET_ADDON_VERSION: Final = "aws:eks/getAddonVersion:getAddonVersion"
GET_AVAILABILITY_ZONES: Final = "aws:index/getAvailabilityZones:getAvailabilityZones"
GET_NODE_GROUP: Final = "aws:eks/getNodeGroup:getNodeGroup"
GET_CALLER_IDENTITY: Final = "aws:index/getCallerIdentity:getCallerIdentity"
GET_SESSION_CONTEXT: Final = "aws:iam/getSessionContext:getSessionContext"
GET_ACCESS_ENTRY: Final = "aws:eks/getAccessEntry:getAccessEntry"
GET_LOG_GROUP: Final = "aws:cloudwatch/getLogGroup:getLogGroup"
#: Who runs ``up`` is known only at ``up`` (STS): offline the deployer's access entry names this placeholder
#: role of the documentation account, whose path says so, not a made-up principal.
MOCK_DEPLOYER_ROLE: Final = f"arn:aws:iam::{MOCK_ACCOUNT}:role/resolved-at-up/identity-that-runs-up"


def mock_ca(cluster: str) -> str:
    pem = f"-----BEGIN CERTIFICATE-----\nkubefleet-mock-ca:{short_hash(cluster, 'ca', length=16)}\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


def mock_outputs(type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    if type_ == "aws:eks/cluster:Cluster":
        cluster = str(inputs.get("name", name))
        region = str(inputs.get("region", "us-east-1"))
        endpoint_id = short_hash(cluster, region, length=32).upper()
        vpc_config = dict(inputs.get("vpcConfig") or {})
        vpc_config.update(
            clusterSecurityGroupId=f"sg-{short_hash(cluster, 'cluster-sg', length=17)}",
            vpcId=vpc_config.get("vpcId") or f"vpc-{short_hash(cluster, 'vpc', length=17)}",
        )
        return {
            "arn": f"arn:aws:eks:{region}:{MOCK_ACCOUNT}:cluster/{cluster}",
            "endpoint": f"https://{endpoint_id}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": mock_ca(cluster)},
            "platformVersion": "eks.1",
            "status": "ACTIVE",
            "vpcConfig": vpc_config,
            "identities": [
                {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{endpoint_id}"}]}
            ],
        }
    if type_ == "aws:iam/role:Role":
        role = str(inputs.get("name", name))
        return {"arn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/{role}", "uniqueId": f"AROA{short_hash(role, length=17).upper()}"}
    if type_ == "aws:kms/key:Key":
        digest = short_hash(name, "kms", length=32)
        key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"
        return {"arn": f"arn:aws:kms:{inputs.get('region') or 'us-east-1'}:{MOCK_ACCOUNT}:key/{key_id}", "keyId": key_id}
    if type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        url = str(inputs.get("url") or "").removeprefix("https://")
        return {"arn": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/{url}"}
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1, "defaultVersion": 1}
    if type_ == "aws:ec2/eip:Eip":
        h = int(short_hash(name, length=4), 16)
        return {"allocationId": f"eipalloc-{short_hash(name, length=17)}", "publicIp": f"198.51.100.{h % 254 + 1}"}
    if type_ in ("aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/fargateProfile:FargateProfile"):
        return {"status": "ACTIVE"}
    return {}


def mock_call(token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
    if token == GET_NODE_GROUP:
        # offline nothing is deployed: every node group is new (the data source's not-found answer)
        raise InvokeFailure(f"reading EKS Node Group ({args.get('clusterName')}:{args.get('nodeGroupName')}): "
                                "couldn't find resource (offline render: nothing is deployed)")
    if token == GET_CALLER_IDENTITY:
        # offline: the documentation account (a real `up` asks STS who runs it)
        return {"accountId": MOCK_ACCOUNT, "arn": f"arn:aws:sts::{MOCK_ACCOUNT}:assumed-role/deployer/kubefleet",
                "userId": "AROAEXAMPLE:kubefleet", "id": MOCK_ACCOUNT}
    if token == GET_SESSION_CONTEXT:
        # the IAM role behind the assumed-role session above (a placeholder: offline nobody runs `up`)
        return {"arn": args.get("arn"), "id": args.get("arn"), "issuerArn": MOCK_DEPLOYER_ROLE,
                "issuerId": "AROAEXAMPLE", "issuerName": "identity-that-runs-up", "sessionName": "kubefleet"}
    if token == GET_ACCESS_ENTRY:
        # offline nothing is deployed (the data source's not-found answer)
        raise InvokeFailure(f"reading EKS Access Entry ({args.get('clusterName')}:{args.get('principalArn')}): "
                            "couldn't find resource (offline render: nothing is deployed)")
    if token == GET_LOG_GROUP:
        raise InvokeFailure(f"reading CloudWatch Logs Log Group ({args.get('name')}): empty result "
                            "(offline render: nothing is deployed)")
    if token == GET_AVAILABILITY_ZONES:
        from kubefleet.providers.eks.network import OFFLINE_ZONE

        region = str(args.get("region") or "us-east-1")
        ids = [OFFLINE_ZONE.format(region=region, n=n) for n in range(1, 4)]
        return {"id": region, "zoneIds": ids, "names": list(ids), "groupNames": [region] * len(ids), "region": region}
    if token == GET_ADDON_VERSION:
        addon, version = str(args.get("addonName")), str(args.get("kubernetesVersion"))
        return {"id": f"{addon}-{version}", "addonName": addon, "kubernetesVersion": version,
                "mostRecent": bool(args.get("mostRecent")), "version": ADDON_VERSION_OFFLINE}
    return None

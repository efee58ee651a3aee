"""The local cloud's data plane: resources in a state directory, one JSON file each.

Layout under ``$KUBEFLEET_LOCALCLOUD_DIR``::

    resources/<package>/<id-digest>.json   {"type", "urn", "id", "inputs", "outputs"}
    control.json                            failures and delays the next operations should see
    log.jsonl                               every operation, in order (tests read it)

Outputs are what the "cloud" reports: the inputs, plus the values the provider computes (ids,
endpoints, CA data, status), taken from the adapters' offline answers (``mock_outputs`` /
``mock_call``) so the local cloud and ``kubefleet plan`` agree on shapes.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

STATE_ENV: Final = "KUBEFLEET_LOCALCLOUD_DIR"

#: Pulumi package -> kubefleet adapter whose offline answers describe that cloud
ADAPTERS: Final[dict[str, str]] = {"gcp": "gke", "aws": "eks", "azure-native": "aks", "vsphere": "kubeadm"}

PACKAGES: Final = ("gcp", "aws", "azure-native", "vsphere", "kubernetes", "random")

#: The engine's "unknown during preview" sentinel (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# What a failing create says, per package and kind. Modelled on the clouds' own error texts:
# GCE quota errors ("Quota 'CPUS' exceeded"), GCP IAM ("Required '<perm>' permission"), AWS
# ("AccessDeniedException ... is not authorized to perform"), ARM ("QuotaExceeded",
# "AuthorizationFailed"), vSphere ("NoPermission").
FAILURES: Final[dict[str, dict[str, str]]] = {
    "gcp": {
        "quota": "googleapi: Error 403: Quota 'CPUS' exceeded.  Limit: 24.0 in region {region}., quotaExceeded",
        "permission": "googleapi: Error 403: Required 'container.clusters.create' permission for "
                      "'projects/{project}'., forbidden",
        # another operation holds the cluster (an auto-upgrade, a repair), as GKE reports it
        # (rancher/gke-operator#509): the caller waits and retries
        "busy": "googleapi: Error 400: Cluster is running incompatible operation operation-1718024305921-fd4f65ea., "
                "failedPrecondition",
    },
    "aws": {
        "quota": "operation error EKS: CreateNodegroup, https response error StatusCode: 400, "
                 "ResourceLimitExceededException: Nodegroup limit exceeded for cluster",
        "permission": "operation error EKS: CreateCluster, https response error StatusCode: 403, "
                      "AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to "
                      "perform: eks:CreateCluster",
    },
    "azure-native": {
        "quota": "Code=\"QuotaExceeded\" Message=\"Operation could not be completed as it results in exceeding "
                 "approved standardDSv5Family Cores quota.\"",
        "permission": "Code=\"AuthorizationFailed\" Message=\"The client does not have authorization to perform "
                      "action 'Microsoft.ContainerService/managedClusters/write'.\"",
    },
    "vsphere": {
        "quota": "ServerFaultCode: Insufficient resources to satisfy configured failover level for vSphere HA.",
        "permission": "ServerFaultCode: Permission to perform this operation was denied. (NoPermission)",
    },
    "kubernetes": {"quota": "exceeded quota: compute-resources", "permission": "forbidden: User cannot create"},
    "random": {"quota": "quota exceeded", "permission": "permission denied"},
}


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    value = env.get(STATE_ENV)
    if not value:
        raise RuntimeError(f"{STATE_ENV} is not set: the local cloud has nowhere to keep its resources")
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_of(type_: str) -> str:
    return type_.split(":", 1)[0]


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One writer at a time (several plugin processes share the directory)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _file(root: Path, package: str, id_: str) -> Path:
    return root / "resources" / package / (hashlib.sha256(id_.encode()).hexdigest()[:24] + ".json")


def put(root: Path, record: Mapping[str, Any]) -> None:
    path = _file(root, package_of(str(record["type"])), str(record["id"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def get(root: Path, type_: str, id_: str) -> dict[str, Any] | None:
    path = _file(root, package_of(type_), id_)
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def delete(root: Path, type_: str, id_: str) -> bool:
    path = _file(root, package_of(type_), id_)
    if path.is_file():
        path.unlink()
        return True
    return False


def all_resources(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((root / "resources").glob("*/*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(out, key=lambda r: (r["type"], r["urn"]))


def find(root: Path, type_: str, name: str) -> dict[str, Any]:
    """The one resource of ``type_`` whose URN ends in ``::name``."""
    hits = [r for r in all_resources(root) if r["type"] == type_ and str(r["urn"]).endswith("::" + name)]
    if len(hits) != 1:
        raise LookupError(f"{len(hits)} resources of type {type_} named {name!r} in {root}")
    return hits[0]


def log(root: Path, **entry: Any) -> None:
    with open(root / "log.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def read_log(root: Path) -> list[dict[str, Any]]:
    path = root / "log.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------ control (failures, delays)


def _control(root: Path) -> dict[str, Any]:
    path = root / "control.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _save_control(root: Path, data: Mapping[str, Any]) -> None:
    (root / "control.json").write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")


def fail_next(root: Path, type_: str, kind: str, op: str = "create", times: int = 1) -> None:
    """Make the next ``times`` ``op``s of ``type_`` fail with a ``kind`` (quota, permission) error."""
    if kind not in FAILURES.get(package_of(type_), FAILURES["random"]):
        raise ValueError(f"unknown failure kind {kind!r} for {type_}")
    with locked(root):
        data = _control(root)
        data.setdefault("fail", []).append({"type": type_, "op": op, "kind": kind, "times": times})
        _save_control(root, data)


def slow_down(root: Path, type_: str, seconds: float) -> None:
    """Make every create/update of ``type_`` take ``seconds`` (to hold a stack lock in a test)."""
    with locked(root):
        data = _control(root)
        data.setdefault("delay", {})[type_] = seconds
        _save_control(root, data)


def set_zones_down(root: Path, zones: list[str]) -> None:
    """Report these zones as DOWN from now on (Compute Engine's Zone.status; the GKE program lists UP zones)."""
    with locked(root):
        data = _control(root)
        data["zones_down"] = sorted(zones)
        _save_control(root, data)


def take_failure(root: Path, type_: str, op: str) -> str | None:
    """The failure kind the next ``op`` on ``type_`` must report (consumed), or None."""
    with locked(root):
        data = _control(root)
        for item in data.get("fail", []):
            if item["type"] == type_ and item["op"] == op and item["times"] > 0:
                item["times"] -= 1
                _save_control(root, data)
                return str(item["kind"])
    return None


def delay_for(root: Path, type_: str) -> float:
    return float(_control(root).get("delay", {}).get(type_, 0))


def failure_message(type_: str, kind: str, inputs: Mapping[str, Any]) -> str:
    template = FAILURES.get(package_of(type_), FAILURES["random"])[kind]
    return template.format(region=inputs.get("location") or inputs.get("region") or "us-central1",
                           project=inputs.get("project") or "local-project")


# ------------------------------------------------------------------ out-of-band edits (the "console")


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def edit(root: Path, type_: str, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change a live resource outside Pulumi (as someone in a cloud console would): its outputs."""
    with locked(root):
        record = find(root, type_, name)
        for path, value in changes.items():
            set_path(record["outputs"], path, value)
        put(root, record)
        log(root, op="console-edit", type=type_, urn=record["urn"], changes=dict(changes))
    return record


def remove(root: Path, type_: str, name: str) -> None:
    """Delete a live resource outside Pulumi."""
    with locked(root):
        record = find(root, type_, name)
        delete(root, type_, record["id"])
        log(root, op="console-delete", type=type_, urn=record["urn"])


# ------------------------------------------------------------------ what the cloud computes


def _digest(*parts: str, length: int = 12) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def new_id(type_: str, name: str, inputs: Mapping[str, Any]) -> str:
    """An id shaped like the cloud's (name-based where the cloud uses names), unique per create."""
    package = package_of(type_)
    suffix = secrets.token_hex(4)
    if package == "azure-native":
        group = inputs.get("resourceGroupName") or f"rg-{suffix}"
        leaf = type_.rsplit(":", 1)[-1]
        return f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{group}/providers/local/{leaf}/{name}-{suffix}"
    if package == "vsphere":
        return f"{_digest(name, suffix, length=8)}-{_digest(suffix, length=4)}-4{_digest(name, length=3)}-a{_digest(suffix, name, length=3)}-{_digest(type_, suffix)}"
    return f"{inputs.get('name') or name}-{suffix}"


def random_outputs(type_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """pulumi-random's computed values, generated for real (secrets the state must encrypt)."""
    if type_ in ("random:index/randomString:RandomString", "random:index/randomPassword:RandomPassword"):
        length = int(inputs.get("length") or 16)
        alphabet = ""
        if inputs.get("lower", True):
            alphabet += string.ascii_lowercase
        if inputs.get("upper", True):
            alphabet += string.ascii_uppercase
        if inputs.get("numeric", inputs.get("number", True)):
            alphabet += string.digits
        if inputs.get("special", True):
            alphabet += str(inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?")
        result = "".join(secrets.choice(alphabet or string.ascii_lowercase) for _ in range(length))
        return {"result": result}
    if type_ == "random:index/randomId:RandomId":
        raw = secrets.token_bytes(int(inputs.get("byteLength") or 8))
        prefix = str(inputs.get("prefix") or "")
        b64_url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"hex": prefix + raw.hex(), "b64Std": prefix + base64.b64encode(raw).decode(),
                "b64Url": prefix + b64_url, "dec": prefix + str(int.from_bytes(raw, "big"))}
    if type_ == "random:index/randomInteger:RandomInteger":
        low, high = int(inputs.get("min", 0)), int(inputs.get("max", 100))
        return {"result": low + secrets.randbelow(high - low + 1)}
    return {}


def computed_outputs(type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of a created/updated resource: inputs plus what the cloud computes."""
    package = package_of(type_)
    outputs = dict(inputs)
    if package == "random":
        outputs.update(random_outputs(type_, inputs))
        return outputs
    adapter = ADAPTERS.get(package)
    if adapter is not None:
        from kubefleet.providers import get_adapter

        outputs.update(get_adapter(adapter).mock_outputs(type_, name, inputs))
    if package == "kubernetes":
        outputs.setdefault("status", {"status": "deployed", "name": inputs.get("name") or name})
    return outputs


class InvokeError(Exception):
    """A data source's own error (the resource it reads does not exist, ...)."""


NODE_GROUP: Final = "aws:eks/nodeGroup:NodeGroup"
FEATURE: Final = "gcp:gkehub/feature:Feature"
GET_FEATURE: Final = "gcp:gkehub/getFeature:getFeature"


def _feature_key(values: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(values.get("project") or "local-project"), str(values.get("location") or "global"),
            str(values.get("name") or ""))


def _features(root: Path, key: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [r for r in all_resources(root) if r["type"] == FEATURE and _feature_key(r["outputs"]) == key]


def duplicate_error(root: Path, type_: str, inputs: Mapping[str, Any]) -> str | None:
    """A fleet Feature exists once per project and location: the GKE Hub API refuses a second create with 409
    ALREADY_EXISTS (terraform-google-modules/terraform-google-kubernetes-engine#1590, "asm: error creating
    Feature: Resource already exists" for a second cluster of a project)."""
    if type_ != FEATURE:
        return None
    key = _feature_key(inputs)
    if _features(root, key):
        return (f"Error creating Feature: googleapi: Error 409: Resource 'projects/{key[0]}/locations/{key[1]}/"
                f"features/{key[2]}' already exists, alreadyExists")
    return None


def _feature(root: Path, args: Mapping[str, Any]) -> dict[str, Any]:
    key = _feature_key(args)
    for record in _features(root, key):
        return {**record["outputs"], "id": record["id"]}
    # the data source's not-found text (terraform-provider-google@2bdfed3:
    # google/services/gkehub2/data_source_google_gke_hub_feature.go)
    raise InvokeError(f"projects/{key[0]}/locations/{key[1]}/features/{key[2]} not found")


def api_error(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """Rules the cloud's API enforces on a create or update that no schema states."""
    if type_ == NODE_GROUP:
        sc = inputs.get("scalingConfig") or {}
        low, desired, high = sc.get("minSize"), sc.get("desiredSize"), sc.get("maxSize")
        if isinstance(low, int) and isinstance(desired, int) and low > desired:
            # EKS UpdateNodegroupConfig / CreateNodegroup, as quoted in terraform-aws-modules/terraform-aws-eks#748
            return (f"InvalidParameterException: Minimum capacity {low} can't be greater than desired size "
                    f"{desired}")
        if isinstance(high, int) and isinstance(desired, int) and desired > high:
            return f"InvalidParameterException: Desired capacity {desired} can't be greater than max size {high}"
    return None


#: type -> (the inputs that name the resource in the cloud, the error the cloud answers a create of a name that
#: exists, as seen): a create-before-delete replacement that keeps the name fails with it on the real API
NAMED_IN_CLOUD: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    # EKS CreateNodegroup, quoted in terraform-aws-modules/terraform-aws-eks#1191 and aws/aws-cdk#26931 (409);
    # EKS is regional (botocore endpoints.json: eks is regionalized), so the name is unique per region
    NODE_GROUP: (("region", "clusterName", "nodeGroupName"),
                 "operation error EKS: CreateNodegroup, https response error StatusCode: 409, ResourceInUseException: "
                 "NodeGroup already exists with name {nodeGroupName} and cluster name {clusterName}"),
    # GKE: a node pool's / cluster's name is unique in its cluster / project and location (googleapi 409
    # alreadyExists, the error shape of cloud.FAILURES["gcp"])
    "gcp:container/nodePool:NodePool": (("cluster", "location", "name"),
                                        "googleapi: Error 409: Already exists: nodePools/{name}., alreadyExists"),
    "gcp:container/cluster:Cluster": (("project", "location", "name"),
                                      "googleapi: Error 409: Already exists: clusters/{name}., alreadyExists"),
    # IAM is one namespace per account, whatever the region (botocore iam CreateRoleRequest.RoleName: "role ...
    # names must be unique within the account"; endpoints.json iam isRegionalized false): the local cloud is
    # one account. The error as terraform-provider-aws words it, quoted in
    # aws-ia/terraform-aws-control_tower_account_factory#529 (request id left out)
    # GCP: a service account id is unique within a project, a network is a global resource of the project
    # (pulumi_gcp: "unique within a project"; projects/{project}/global/networks/{name}); the errors as quoted in
    # GoogleCloudPlatform/marketing-analytics-jumpstart#200 and GoogleCloudPlatform/magic-modules#6901
    "gcp:serviceaccount/account:Account": (("project", "accountId"),
                                           "Error creating service account: googleapi: Error 409: Service account "
                                           "{accountId} already exists within project projects/{project}., "
                                           "alreadyExists"),
    "gcp:compute/network:Network": (("project", "name"),
                                    "Error creating Network: googleapi: Error 409: The resource "
                                    "'projects/{project}/global/networks/{name}' already exists, alreadyExists"),
    "aws:iam/role:Role": (("name",),
                          "creating IAM Role ({name}): operation error IAM: CreateRole, https response error "
                          "StatusCode: 409, EntityAlreadyExists: Role with name {name} already exists."),
}


def _with_region(inputs: Mapping[str, Any], region: str | None) -> dict[str, Any]:
    """``inputs`` with the region the resource lives in: its own ``region`` input (pulumi-aws v7 takes one per
    resource), else its provider's (the ``region`` a record keeps, set at create from the provider config)."""
    return {**inputs, "region": inputs.get("region") or region or ""}


def already_exists(root: Path, type_: str, inputs: Mapping[str, Any], region: str | None = None) -> str | None:
    """The cloud's refusal to create a resource under a name a live one of the same type already has (in the same
    region, where the name is regional: ``region`` is the creating provider's)."""
    named = NAMED_IN_CLOUD.get(type_)
    if named is None:
        return None
    keys, text = named
    values = _with_region(inputs, region)
    wanted = tuple(values.get(k) for k in keys)
    if any(v is None for v in wanted):
        return None
    for record in all_resources(root):
        have = _with_region(record["inputs"], record.get("region"))
        if record["type"] == type_ and tuple(have.get(k) for k in keys) == wanted:
            return text.format(**{k: values.get(k) for k in keys})
    return None


AKS_CLUSTER: Final = "azure-native:containerservice:ManagedCluster"
AGENT_POOL: Final = "azure-native:containerservice:AgentPool"


def _zones(value: Any) -> list[str]:
    return sorted(str(z) for z in value or [])


def update_error(type_: str, running: Mapping[str, Any], news: Mapping[str, Any]) -> str | None:
    """Updates the cloud's API refuses although the provider sends them as an update (no schema says so).

    AKS, ManagedCluster PUT (the API version azure-native 3.29 uses, 2025-09-01):
    * a pool in ``agentPoolProfiles`` that the cluster does not have: "A new agent pool was introduced. Adding
      agent pools to an existing cluster is not allowed through managed cluster operations" (ARM's text as
      quoted in pulumi/pulumi-azure-native#579);
    * an existing pool's VM size: PropertyChangeNotAllowed, 'Changing property "agentPoolProfile.vmSize" is not
      allowed in an api-version before "2026-01-02-preview"' (Azure/bicep-registry-modules#7130);
    * an existing pool's zones: the zones of a node pool are set when it is created and cannot be changed
      (MicrosoftDocs/azure-aks-docs articles/aks/availability-zones.md; error in the same PropertyChangeNotAllowed
      shape) — for an AgentPool PUT as well.
    """
    if type_ == AKS_CLUSTER:
        before = {p.get("name"): p for p in running.get("agentPoolProfiles") or []}
        for profile in news.get("agentPoolProfiles") or []:
            old = before.get(profile.get("name"))
            if old is None:
                return ('Code="BadRequest" Message="A new agent pool was introduced. Adding agent pools to an existing '
                        "cluster is not allowed through managed cluster operations. For agent pool specific change, "
                        'please use per agent pool operations: https://aka.ms/agent-pool-rest-api" '
                        'Target="agentPoolProfiles"')
            if profile.get("vmSize") != old.get("vmSize"):
                return ('Code="PropertyChangeNotAllowed" Message="Changing property \'agentPoolProfile.vmSize\' is not '
                        'allowed in an api-version before \'2026-01-02-preview\'." Target="agentPoolProfile.vmSize"')
            if _zones(profile.get("availabilityZones")) != _zones(old.get("availabilityZones")):
                return ('Code="PropertyChangeNotAllowed" Message="Changing property '
                        '\'agentPoolProfile.availabilityZones\' is not allowed." '
                        'Target="agentPoolProfile.availabilityZones"')
    if type_ == AGENT_POOL and _zones(news.get("availabilityZones")) != _zones(running.get("availabilityZones")):
        return ('Code="PropertyChangeNotAllowed" Message="Changing property \'availabilityZones\' is not allowed." '
                'Target="availabilityZones"')
    return None


def _node_group(root: Path, args: Mapping[str, Any]) -> dict[str, Any]:
    for record in all_resources(root):
        out = record["outputs"]
        if record["type"] == NODE_GROUP and out.get("clusterName") == args.get("clusterName") \
                and out.get("nodeGroupName") == args.get("nodeGroupName"):
            return {**out, "scalingConfigs": [out.get("scalingConfig") or {}], "id": record["id"]}
    # the bridged data source's not-found text (terraform-provider-aws node_group_data_source.go)
    raise InvokeError(f"reading EKS Node Group ({args.get('clusterName')}:{args.get('nodeGroupName')}): "
                      "couldn't find resource")


def _managed_cluster(root: Path, args: Mapping[str, Any]) -> dict[str, Any]:
    """azure-native getManagedCluster: the running cluster's properties (the AKS program asks for its egress)."""
    for record in all_resources(root):
        out = record["outputs"]
        if record["type"] == AKS_CLUSTER and out.get("resourceName") == args.get("resourceName") \
                and out.get("resourceGroupName") == args.get("resourceGroupName"):
            return {**out, "id": record["id"]}
    # ARM's answer for a missing resource (code ResourceNotFound; ResourceGroupNotFound before the group exists)
    raise InvokeError(f"Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.ContainerService/managedClusters/"
                      f"{args.get('resourceName')}' under resource group '{args.get('resourceGroupName')}' was not found.\"")


def invoke(token: str, args: Mapping[str, Any], root: Path | None = None) -> dict[str, Any] | None:
    """The data sources the programs call: what the cloud holds where a program reads its own resources
    back, else the adapters' offline answers. InvokeError: the data source fails (not found)."""
    if token == "aws:eks/getNodeGroup:getNodeGroup":
        return _node_group(root or state_dir(), args)
    if token == GET_FEATURE:
        return _feature(root or state_dir(), args)
    if token == "azure-native:containerservice:getManagedCluster":
        return _managed_cluster(root or state_dir(), args)
    package = package_of(token)
    adapter = ADAPTERS.get(package)
    if adapter is None:
        return None
    from kubefleet.providers import get_adapter

    result: dict[str, Any] | None = get_adapter(adapter).mock_call(token, args)
    if token == GET_ZONES and result is not None:
        result = _zones_status(root or state_dir(), args, result)
    return result


GET_ZONES: Final = "gcp:compute/getZones:getZones"


def _zones_status(root: Path, args: Mapping[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """getZones with ``status``: the data source filters the region's zones on ``(status eq <status>)``
    (hashicorp/terraform-provider-google-beta@3dc173a:google-beta/services/compute/
    data_source_google_compute_zones.go:80) and sorts the names (:125)."""
    down = set(_control(root).get("zones_down") or [])
    status = args.get("status")
    if status not in ("UP", "DOWN"):
        return result
    keep = [z for z in result.get("names") or [] if (z in down) == (status == "DOWN")]
    return {**result, "names": sorted(keep)}


CLUSTER: Final = "gcp:container/cluster:Cluster"


def delete_error(type_: str, state: Mapping[str, Any]) -> str | None:
    """A delete the provider itself refuses from the state it holds: a GKE cluster whose state says
    deletion_protection (hashicorp/terraform-provider-google-beta@3dc173a:google-beta/services/container/
    resource_container_cluster.go:5886-5887, the provider's own text; the field defaults to true, :344-348)."""
    if type_ == CLUSTER and state.get("deletionProtection", True) is not False:
        return ("Cannot destroy cluster because deletion_protection is set to true. Set it to false to proceed with "
                "cluster deletion.")
    return None


EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"


def held_delete_error(root: Path, type_: str, id_: str) -> str | None:
    """A delete the cloud's API refuses from what the cloud itself holds, whatever the caller's state says.

    EKS DeleteCluster on an active cluster with deletion protection on: "If you try to delete an active cluster
    that has deletion protection turned on, you will receive a InvalidRequestException"; "you must first disable
    deletion protection before you can delete the cluster" (https://docs.aws.amazon.com/eks/latest/userguide/
    deletion-protection.html); the flag is set through UpdateClusterConfig ``deletionProtection`` (botocore
    1.44.18 data/eks/2017-11-01/service-2.json; InvalidRequestException is among DeleteCluster's errors there,
    HTTP 400). The documented parts are the exception name and the rule; AWS's exact message text is not
    published, so the sentence after the name is ours. The shape around it is the AWS SDK for Go v2's error
    as the bridged provider reports it ("deleting EKS Cluster (%s): %s", terraform-provider-aws
    internal/service/eks/cluster.go resourceClusterDelete). Clusters here are always ACTIVE."""
    if type_ != EKS_CLUSTER:
        return None
    record = get(root, type_, id_)
    if record is None or record["outputs"].get("deletionProtection") is not True:
        return None
    return (f"deleting EKS Cluster ({id_}): operation error EKS: DeleteCluster, https response error StatusCode: 400, "
            f"InvalidRequestException: Cluster {id_} has deletion protection enabled. Disable deletion protection "
            "(UpdateClusterConfig deletionProtection=false) before deleting the cluster.")

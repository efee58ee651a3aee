"""The GKE oracle: every rendered ``gcp.container.Cluster`` / ``gcp.container.NodePool`` input mapped onto
the GKE API's own model as ``google-cloud-container`` publishes it (``container_v1`` message descriptors),
then checked: enum membership (case-sensitive), scalar types and ranges, protobuf JSON formats (Timestamp,
Duration), required members and the documented patterns.

Where the values come from:

* Enum sets, field types, nesting: the ``container_v1`` protobuf descriptors, read at check time (nothing
  copied here). A wrong enum spelling is rejected with the model's own allowed set.
* Timestamp / Duration formats: protobuf's own JSON parsers (``Timestamp.FromJsonString``,
  ``Duration.FromJsonString``), the mapping the REST API uses.
* Ranges and patterns the descriptors cannot carry: the model's field documentation, quoted in
  :data:`DOC_RULES` (tests/test_verify_gke.py asserts each quote is still in the installed model).
* Required members: the Terraform provider pulumi-gcp bridges (``Required: true`` in its schema), cited
  per row as hashicorp/terraform-provider-google@TPG:path:line.

The Terraform-bridged provider renames some fields and handles a few itself; each such row says so with a
citation (``note``). A rendered input with no row is reported as a note (and the test suite fails on it),
so the mapping cannot silently fall behind what the adapter renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from kubefleet.verify import INSTALL_HINT, VerifyReport, VerifyUnavailable, Violation

if TYPE_CHECKING:
    from kubefleet.graph import RenderedResource, ResourceGraph

#: hashicorp/terraform-provider-google at the commit every provider citation below refers to.
TPG: Final = "hashicorp/terraform-provider-google@e03b7622a26cf4e878f90bdccaca6aa3d03a7999"
NC: Final = f"{TPG}:google/services/container/node_config.go"
RC: Final = f"{TPG}:google/services/container/resource_container_cluster.go"
NP: Final = f"{TPG}:google/services/container/resource_container_node_pool.go"

CLUSTER: Final = "gcp:container/cluster:Cluster"
NODE_POOL: Final = "gcp:container/nodePool:NodePool"

#: Pulumi resource type -> the container_v1 message its inputs describe.
ROOTS: Final[dict[str, str]] = {CLUSTER: "Cluster", NODE_POOL: "NodePool"}


@dataclass(frozen=True)
class Row:
    """One rendered input (``[]`` = every list item, ``*`` = every map key) and its API field.

    ``api`` is a dotted path of container_v1 field names from the root message; ``None`` means the input
    is the Terraform provider's own (no API field of that name), and ``note`` says what it does instead.
    """

    input: str
    api: str | None
    note: str = ""


# ---- Cluster ---------------------------------------------------------------------------------------
CLUSTER_ROWS: Final[tuple[Row, ...]] = (
    Row("name", "name"),
    Row("project", None, "the project in the request URL, not a Cluster field"),
    Row("location", None, "the location in the request URL (parent projects/*/locations/*)"),
    Row("nodeLocations[]", "locations"),
    Row("description", "description"),
    Row("initialNodeCount", "initial_node_count"),
    Row("removeDefaultNodePool", None,
        f"provider-side: the provider deletes the default pool after create ({RC}:2071, :3298)"),
    Row("deletionProtection", None, "provider-side guard against destroy; never sent to the API"),
    Row("releaseChannel.channel", "release_channel.channel"),
    Row("minMasterVersion", "initial_cluster_version",
        f"the provider sends min_master_version as initial_cluster_version on create ({RC}:2999)"),
    Row("network", "network"),
    Row("subnetwork", "subnetwork"),
    Row("networkingMode", "ip_allocation_policy.use_ip_aliases",
        f"provider-side enum VPC_NATIVE|ROUTES ({RC}:2067), sent as use_ip_aliases = (mode == VPC_NATIVE) "
        f"({RC}:5913)"),
    Row("ipAllocationPolicy.clusterSecondaryRangeName", "ip_allocation_policy.cluster_secondary_range_name"),
    Row("ipAllocationPolicy.servicesSecondaryRangeName", "ip_allocation_policy.services_secondary_range_name"),
    Row("ipAllocationPolicy.clusterIpv4CidrBlock", "ip_allocation_policy.cluster_ipv4_cidr_block"),
    Row("ipAllocationPolicy.servicesIpv4CidrBlock", "ip_allocation_policy.services_ipv4_cidr_block"),
    Row("ipAllocationPolicy.stackType", "ip_allocation_policy.stack_type"),
    Row("privateClusterConfig.enablePrivateNodes", "private_cluster_config.enable_private_nodes"),
    Row("privateClusterConfig.enablePrivateEndpoint", "private_cluster_config.enable_private_endpoint"),
    Row("privateClusterConfig.masterGlobalAccessConfig.enabled",
        "private_cluster_config.master_global_access_config.enabled"),
    Row("masterAuthorizedNetworksConfig.cidrBlocks[].cidrBlock",
        "master_authorized_networks_config.cidr_blocks.cidr_block"),
    Row("masterAuthorizedNetworksConfig.cidrBlocks[].displayName",
        "master_authorized_networks_config.cidr_blocks.display_name"),
    Row("masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
        "master_authorized_networks_config.gcp_public_cidrs_access_enabled"),
    Row("controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic",
        "control_plane_endpoints_config.dns_endpoint_config.allow_external_traffic"),
    Row("controlPlaneEndpointsConfig.ipEndpointsConfig.enabled",
        "control_plane_endpoints_config.ip_endpoints_config.enabled"),
    Row("workloadIdentityConfig.workloadPool", "workload_identity_config.workload_pool"),
    Row("datapathProvider", "network_config.datapath_provider",
        f"top-level in the provider schema ({RC}:2444), NetworkConfig.datapath_provider in the API ({RC}:3030)"),
    Row("maintenancePolicy.recurringWindow.startTime",
        "maintenance_policy.window.recurring_window.window.start_time"),
    Row("maintenancePolicy.recurringWindow.endTime", "maintenance_policy.window.recurring_window.window.end_time"),
    Row("maintenancePolicy.recurringWindow.recurrence", "maintenance_policy.window.recurring_window.recurrence"),
    Row("maintenancePolicy.maintenanceExclusions[].exclusionName", None,
        "the exclusion's key in MaintenanceWindow.maintenance_exclusions (a map keyed by name)"),
    Row("maintenancePolicy.maintenanceExclusions[].startTime", None,
        f"MaintenanceWindow.maintenance_exclusions[name].start_time ({RC}:6003); checked as a Timestamp below"),
    Row("maintenancePolicy.maintenanceExclusions[].endTime", None,
        f"MaintenanceWindow.maintenance_exclusions[name].end_time ({RC}:6004); checked as a Timestamp below"),
    Row("maintenancePolicy.maintenanceExclusions[].exclusionOptions.scope", None,
        "MaintenanceExclusionOptions.scope; checked against that enum below"),
    Row("maintenancePolicy.maintenanceExclusions[].exclusionOptions.endTimeBehavior", None,
        "MaintenanceExclusionOptions.end_time_behavior; checked against that enum below"),
    Row("resourceLabels.*", "resource_labels"),
)

# ---- NodePool ----------------------------------------------------------------------------------------
NODE_POOL_ROWS: Final[tuple[Row, ...]] = (
    Row("name", "name"),
    Row("project", None, "the project in the request URL"),
    Row("location", None, "the location in the request URL"),
    Row("cluster", None, "the cluster in the request URL (parent .../clusters/*)"),
    Row("version", "version"),
    Row("initialNodeCount", "initial_node_count"),
    Row("nodeCount", "initial_node_count",
        f"on create the provider sends node_count as initial_node_count ({NP}:1235-1249); later changes resize"),
    Row("autoscaling.totalMinNodeCount", "autoscaling.total_min_node_count"),
    Row("autoscaling.totalMaxNodeCount", "autoscaling.total_max_node_count"),
    Row("autoscaling.locationPolicy", "autoscaling.location_policy"),
    Row("management.autoRepair", "management.auto_repair"),
    Row("management.autoUpgrade", "management.auto_upgrade"),
    Row("upgradeSettings.strategy", "upgrade_settings.strategy"),
    Row("upgradeSettings.maxSurge", "upgrade_settings.max_surge"),
    Row("upgradeSettings.maxUnavailable", "upgrade_settings.max_unavailable"),
    Row("upgradeSettings.blueGreenSettings.nodePoolSoakDuration",
        "upgrade_settings.blue_green_settings.node_pool_soak_duration"),
    Row("upgradeSettings.blueGreenSettings.standardRolloutPolicy.batchPercentage",
        "upgrade_settings.blue_green_settings.standard_rollout_policy.batch_percentage"),
    Row("upgradeSettings.blueGreenSettings.standardRolloutPolicy.batchSoakDuration",
        "upgrade_settings.blue_green_settings.standard_rollout_policy.batch_soak_duration"),
    Row("nodeConfig.machineType", "config.machine_type"),
    Row("nodeConfig.diskSizeGb", "config.disk_size_gb"),
    Row("nodeConfig.diskType", "config.disk_type"),
    Row("nodeConfig.imageType", "config.image_type",
        f"a free-form string in the API; the provider compares it case-insensitively ({NC}:393)"),
    Row("nodeConfig.spot", "config.spot"),
    Row("nodeConfig.labels.*", "config.labels"),
    Row("nodeConfig.resourceLabels.*", "config.resource_labels"),
    Row("nodeConfig.taints[].key", "config.taints.key"),
    Row("nodeConfig.taints[].value", "config.taints.value"),
    Row("nodeConfig.taints[].effect", "config.taints.effect"),
    Row("nodeConfig.guestAccelerators[].type", "config.accelerators.accelerator_type",
        f"guest_accelerator.type/count are AcceleratorConfig.accelerator_type/count in the API ({NC}:1614-1615)"),
    Row("nodeConfig.guestAccelerators[].count", "config.accelerators.accelerator_count"),
    Row("nodeConfig.guestAccelerators[].gpuDriverInstallationConfig.gpuDriverVersion",
        "config.accelerators.gpu_driver_installation_config.gpu_driver_version"),
    Row("nodeConfig.workloadMetadataConfig.mode", "config.workload_metadata_config.mode"),
    Row("nodeConfig.sandboxConfig.type", "config.sandbox_config.type",
        f"the provider validates StringInSlice([GVISOR], false) - case-sensitive ({NC}:755); the deprecated "
        "sandboxType input took lower-case 'gvisor' and is not used"),
    Row("nodeConfig.shieldedInstanceConfig.enableSecureBoot", "config.shielded_instance_config.enable_secure_boot"),
    Row("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring",
        "config.shielded_instance_config.enable_integrity_monitoring"),
    Row("nodeConfig.oauthScopes[]", "config.oauth_scopes"),
    Row("nodeConfig.serviceAccount", "config.service_account"),
    Row("nodeConfig.tags[]", "config.tags"),
    Row("networkConfig.enablePrivateNodes", "network_config.enable_private_nodes"),
)

ROWS: Final[dict[str, tuple[Row, ...]]] = {CLUSTER: CLUSTER_ROWS, NODE_POOL: NODE_POOL_ROWS}

#: Members the provider schema marks ``Required: true`` inside an object that is present.
#: (resource type, object path, member, citation)
REQUIRED: Final[tuple[tuple[str, str, str, str], ...]] = (
    (CLUSTER, "", "name", f"{RC}:295"),
    (CLUSTER, "masterAuthorizedNetworksConfig.cidrBlocks[]", "cidrBlock", f"{RC}:94"),
    (CLUSTER, "maintenancePolicy.recurringWindow", "startTime", f"{RC}:1266"),
    (CLUSTER, "maintenancePolicy.recurringWindow", "endTime", f"{RC}:1271"),
    (CLUSTER, "maintenancePolicy.recurringWindow", "recurrence", f"{RC}:1276"),
    (NODE_POOL, "", "cluster", f"{NP}:248"),
    (NODE_POOL, "nodeConfig.taints[]", "key", f"{NC}:681"),
    (NODE_POOL, "nodeConfig.taints[]", "value", f"{NC}:686"),
    (NODE_POOL, "nodeConfig.taints[]", "effect", f"{NC}:691"),
    (NODE_POOL, "nodeConfig.sandboxConfig", "type", f"{NC}:753"),
    (NODE_POOL, "nodeConfig.guestAccelerators[]", "type", f"{NC}:332"),
    (NODE_POOL, "nodeConfig.guestAccelerators[]", "count", f"{NC}:326"),
)


@dataclass(frozen=True)
class DocRule:
    """A range or pattern stated in the model's own field documentation (quoted; tests keep it honest)."""

    message: str  # container_v1 message (dotted for nested: "NodePool.UpgradeSettings")
    field: str
    quote: str  # words from the field's docstring in the installed model
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: str = ""


DOC_RULES: Final[tuple[DocRule, ...]] = (
    DocRule("Cluster", "name", "Lowercase letters, numbers, and hyphens only",
            pattern=r"[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?",
            allowed="up to 40 characters: lower-case letters, digits, hyphens; starts with a letter, ends with "
                    "a letter or digit"),
    DocRule("Cluster", "initial_cluster_version", "picks the highest valid patch+gke.N",
            pattern=r"latest|-|1\.\d+(?:\.\d+(?:-gke\.\d+)?)?",
            allowed='"latest", "1.X", "1.X.Y", "1.X.Y-gke.N" or "-"'),
    DocRule("NodeConfig", "disk_size_gb", "The smallest allowed disk size", minimum=10,
            allowed=">= 10 (GB)"),
    DocRule("NodePoolAutoscaling", "total_min_node_count", "Must be greater", minimum=0, allowed=">= 0"),
)



@dataclass
class _Model:
    """The loaded container_v1 module and the oracle's name/version."""

    module: Any
    oracle: str


def _load() -> _Model:
    import importlib
    from importlib.metadata import version

    try:
        container_v1 = importlib.import_module("google.cloud.container_v1")
    except ImportError as exc:
        raise VerifyUnavailable("the GKE API model (google-cloud-container) is not installed",
                                hint=INSTALL_HINT) from exc
    return _Model(container_v1, f"google-cloud-container {version('google-cloud-container')} container_v1")


def _leaves(node: Any, path: str = "", ipath: str = "") -> Iterator[tuple[str, str, Any]]:
    """(pattern path with [] and *, concrete path with indexes, value) for every leaf of the inputs."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key), f"{ipath}.{key}" if ipath else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, path + "[]", f"{ipath}[{i}]")
    else:
        yield path, ipath, node


def _row_for(rows: tuple[Row, ...], path: str) -> Row | None:
    for row in rows:
        if row.input == path:
            return row
        if row.input.endswith(".*") and path.startswith(row.input[:-1]) and "." not in path[len(row.input) - 1:]:
            return row
    return None


def _field(module: Any, root: str, api: str) -> Any:
    """The protobuf FieldDescriptor at dotted ``api`` under message ``root``."""
    desc = getattr(module, root).pb().DESCRIPTOR
    field = None
    for part in api.split("."):
        if desc is None:
            raise KeyError(api)
        # proto-plus renames fields that clash with Python names (type -> type_)
        field = desc.fields_by_name.get(part) or desc.fields_by_name[part + "_"]
        desc = field.message_type
    if field is None:
        raise KeyError(api)
    return field


def _doc_rule(field: Any) -> DocRule | None:
    owner = field.containing_type.name
    for rule in DOC_RULES:
        if rule.message.split(".")[-1] == owner and rule.field == field.name:
            return rule
    return None


class _Check:
    def __init__(self, model: _Model, resource: RenderedResource) -> None:
        self.model = model
        self.resource = resource
        self.ref = f"{resource.type}::{resource.name}"
        self.violations: list[Violation] = []
        self.checked = 0

    def bad(self, field: str, api: str, value: Any, problem: str, allowed: str, oracle: str | None = None) -> None:
        self.violations.append(Violation(self.ref, field, api, _text(value), problem, allowed,
                                         oracle or self.model.oracle))

    def value(self, field: str, api_name: str, fd: Any, value: Any) -> None:
        from google.protobuf.descriptor import FieldDescriptor as F

        self.checked += 1
        if value == "[secret]":
            return
        if fd.enum_type is not None:
            names = [v.name for v in fd.enum_type.values]
            if value not in names:
                hint = ""
                if isinstance(value, str) and value.upper() in names:
                    hint = f" (case-sensitive: {value.upper()!r} is)"
                self.bad(field, api_name, value, "not one of the allowed values" + hint, " | ".join(names),
                         f"{self.model.oracle}.{fd.enum_type.full_name.removeprefix('google.container.v1.')}")
            return
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            fd = fd.message_type.fields_by_name["value"]  # map<string, V>: check the value
        if fd.type == F.TYPE_BOOL:
            if not isinstance(value, bool):
                self.bad(field, api_name, value, "not a boolean", "true | false")
            return
        if fd.type in (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_SINT32, F.TYPE_SINT64, F.TYPE_UINT32, F.TYPE_UINT64):
            bits = 32 if fd.type in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_UINT32) else 64
            unsigned = fd.type in (F.TYPE_UINT32, F.TYPE_UINT64)
            lo, hi = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
            if isinstance(value, bool) or not isinstance(value, int):
                self.bad(field, api_name, value, "not an integer", f"int{bits}")
                return
            if not lo <= value <= hi:
                self.bad(field, api_name, value, "out of range", f"int{bits}: {lo}..{hi}")
                return
        elif fd.type in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.bad(field, api_name, value, "not a number", "float")
                return
        elif fd.type == F.TYPE_STRING:
            if not isinstance(value, str):
                self.bad(field, api_name, value, "not a string", "string")
                return
        elif fd.type == F.TYPE_MESSAGE:
            self._well_known(field, api_name, fd.message_type.full_name, value)
            return
        rule = _doc_rule(fd)
        if rule is None:
            return
        oracle = f"{self.model.oracle}.{fd.containing_type.name}.{fd.name} docs: {rule.quote!r}"
        if rule.pattern is not None and not re.fullmatch(rule.pattern, str(value)):
            self.bad(field, api_name, value, "does not match the documented format", rule.allowed, oracle)
        if rule.minimum is not None and isinstance(value, (int, float)) and value < rule.minimum:
            self.bad(field, api_name, value, "out of range", rule.allowed, oracle)
        if rule.maximum is not None and isinstance(value, (int, float)) and value > rule.maximum:
            self.bad(field, api_name, value, "out of range", rule.allowed, oracle)

    def _well_known(self, field: str, api_name: str, full_name: str, value: Any) -> None:
        """google.protobuf.Timestamp / Duration in their JSON form, parsed by protobuf itself."""
        from google.protobuf import duration_pb2, timestamp_pb2

        parsers = {"google.protobuf.Timestamp": (timestamp_pb2.Timestamp, "RFC 3339 timestamp"),
                   "google.protobuf.Duration": (duration_pb2.Duration, 'seconds with an "s" suffix, e.g. "300s"')}
        if full_name not in parsers:
            self.bad(field, api_name, value, "a scalar where the API has a message", full_name)
            return
        cls, allowed = parsers[full_name]
        try:
            cls().FromJsonString(str(value))
        except (ValueError, TypeError):
            self.bad(field, api_name, value, "not a valid " + full_name, allowed,
                     f"protobuf {full_name} JSON mapping")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _get(inputs: Mapping[str, Any], path: str) -> list[Any]:
    """Every object at ``path`` ("a.b[].c"; "" = the inputs themselves)."""
    nodes: list[Any] = [inputs]
    if not path:
        return nodes
    for part in path.split("."):
        is_list = part.endswith("[]")
        key = part[:-2] if is_list else part
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(node, Mapping) and node.get(key) is not None:
                child = node[key]
                if is_list and isinstance(child, list):
                    nxt.extend(c for c in child if c is not None)
                elif not is_list:
                    nxt.append(child)
        nodes = nxt
    return nodes


def _required(check: _Check, type_: str, inputs: Mapping[str, Any]) -> None:
    for rtype, obj_path, member, cite in REQUIRED:
        if rtype != type_:
            continue
        for obj in _get(inputs, obj_path):
            check.checked += 1
            if isinstance(obj, Mapping) and obj.get(member) in (None, ""):
                where = f"{obj_path}.{member}" if obj_path else member
                check.bad(where.replace("[]", "[*]"), where, "(missing)", "required member missing",
                          f"{member} must be set", cite)


def _cross_field(check: _Check, type_: str, inputs: Mapping[str, Any], model: _Model) -> None:
    """Rules spanning two fields, each quoted from the model's documentation."""
    if type_ == NODE_POOL:
        auto = inputs.get("autoscaling") or {}
        lo, hi = auto.get("totalMinNodeCount"), auto.get("totalMaxNodeCount")
        if isinstance(lo, int) and isinstance(hi, int):
            check.checked += 1
            if lo > hi:
                check.bad("autoscaling.totalMinNodeCount", "autoscaling.total_min_node_count", lo, "out of range",
                          f"<= total_max_node_count ({hi})",
                          f"{model.oracle}.NodePoolAutoscaling.total_min_node_count docs: "
                          "'less than or equal to total_max_node_count'")
        up = inputs.get("upgradeSettings") or {}
        if up.get("strategy") == "BLUE_GREEN":
            check.checked += 1
            if not up.get("blueGreenSettings"):
                check.bad("upgradeSettings.blueGreenSettings", "upgrade_settings.blue_green_settings", "(missing)",
                          "required member missing", "blue_green_settings with strategy BLUE_GREEN",
                          f"{model.oracle}.BlueGreenSettings")
    if type_ == CLUSTER:
        for i, excl in enumerate((inputs.get("maintenancePolicy") or {}).get("maintenanceExclusions") or []):
            for key in ("startTime", "endTime"):
                if excl.get(key) is not None:
                    fd = _field(model.module, "TimeWindow", key.replace("Time", "_time"))
                    check.value(f"maintenancePolicy.maintenanceExclusions[{i}].{key}",
                                f"maintenance_policy.window.maintenance_exclusions[].{fd.name}", fd, excl[key])
            options = excl.get("exclusionOptions") or {}
            for key, api_name in (("scope", "scope"), ("endTimeBehavior", "end_time_behavior")):
                if options.get(key) is not None:
                    fd = _field(model.module, "MaintenanceExclusionOptions", api_name)
                    check.value(f"maintenancePolicy.maintenanceExclusions[{i}].exclusionOptions.{key}",
                                "maintenance_policy.window.maintenance_exclusions[]"
                                f".maintenance_exclusion_options.{api_name}", fd, options[key])


def check_resource(model: _Model, resource: RenderedResource) -> tuple[_Check, list[str]]:
    rows = ROWS[resource.type]
    root = ROOTS[resource.type]
    check = _Check(model, resource)
    unmapped: list[str] = []
    for path, concrete, value in _leaves(dict(resource.inputs)):
        row = _row_for(rows, path)
        if row is None:
            unmapped.append(path)
            continue
        if row.api is None or value is None:
            continue
        fd = _field(model.module, root, row.api)
        if row.input == "networkingMode":
            # provider-side enum (see the row's note), not an API field value
            check.checked += 1
            if value not in ("VPC_NATIVE", "ROUTES"):
                check.bad(concrete, row.api, value, "not one of the allowed values", "VPC_NATIVE | ROUTES",
                          f"{RC}:2067")
            continue
        check.value(concrete, row.api, fd, value)
    _required(check, resource.type, resource.inputs)
    _cross_field(check, resource.type, resource.inputs, model)
    return check, unmapped


def unmapped_inputs(graph: ResourceGraph) -> list[str]:
    """Rendered Cluster/NodePool input paths the mapping has no row for (must stay empty)."""
    model = _load()
    out: list[str] = []
    for res in graph.of_type(*ROWS):
        out += [f"{res.type}::{p}" for p in check_resource(model, res)[1]]
    return out


def verify(graph: ResourceGraph) -> VerifyReport:
    model = _load()
    report = VerifyReport(cluster=graph.cluster, provider=graph.provider, oracle=model.oracle)
    for res in graph.of_type(*ROWS):
        check, unmapped = check_resource(model, res)
        report.checked += check.checked
        report.violations += check.violations
        report.notes += [f"{res.type}::{res.name}: input {p} has no API mapping (not checked)" for p in unmapped]
    report.notes.append(
        "checked against the GKE API model; provider-side differences are cited in providers/gke/verify.py "
        f"(e.g. sandbox_config.type accepts only GVISOR: {NC}:755)"
    )
    return report

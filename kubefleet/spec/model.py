"""The provider-neutral cluster spec: ``apiVersion: kubefleet.dev/v1alpha1``, ``kind: Cluster``.

Neutral fields first; provider knobs only under ``spec.providers.<name>``. Cross-field rules raise
:class:`FieldRuleError`, which carries the path (relative to the model that raised it) so the loader
can point at the exact line and column of the offending field.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from kubefleet.spec.regions import PROVIDERS, REGIONS

API_VERSION: Final = "kubefleet.dev/v1alpha1"
KIND: Final = "Cluster"

ProviderName = Literal["gke", "eks", "aks", "kubeadm"]
Channel = Literal["rapid", "regular", "stable", "extended", "none"]
GpuKind = Literal["nvidia-t4", "nvidia-l4", "nvidia-a100", "nvidia-h100"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
LABEL_KEY = r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"
LABEL_VALUE = r"^([a-z0-9]([-a-z0-9_.]*[a-z0-9])?)?$"
VERSION = r"^1\.(\d{1,2})(\.\d{1,3})?$"
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"

# Labels the fleet and finance views group by. They are ordinary labels with first-class accessors.
OWNERSHIP_LABELS: Final = ("team", "owner", "cost-center", "env")
#: The label naming the cloud billing account a cluster is charged to (lowercase, as labels must be):
#: per-account allowances such as GKE's free-tier credit are given once per account in the fleet view.
BILLING_ACCOUNT_LABEL: Final = "billing-account"

MIN_MAINTENANCE_HOURS: Final = 4


class FieldRuleError(ValueError):
    """A cross-field rule failed; ``path`` points at the field (relative to the raising model)."""

    def __init__(self, path: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint


def _numeric(annotation: Any) -> bool:
    """Whether a field's type is a number (int, float, Decimal, possibly Optional/Annotated), not bool."""
    if annotation in (int, float, Decimal):
        return True
    return any(_numeric(arg) for arg in getattr(annotation, "__args__", ()) or ()) or (
        _numeric(annotation.__origin__) if hasattr(annotation, "__metadata__") else False)


def _integer(annotation: Any) -> bool:
    """Whether a field's type is a whole number (int, possibly Optional/Annotated)."""
    if annotation is int:
        return True
    return any(_integer(arg) for arg in getattr(annotation, "__args__", ()) or ()) or (
        _integer(annotation.__origin__) if hasattr(annotation, "__metadata__") else False)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """A boolean is never a number: pydantic's lax mode reads `count: true` as 1 node."""
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numeric(field.annotation):
                raise PydanticCustomError("int_type", "Input should be a valid integer, not true/false")
        if isinstance(value, str) and info.field_name is not None:
            # Nor is text a whole number: lax mode reads `count: "3"`, `!!str 3` and `1_000` (text in the
            # YAML 1.2 core schema) as numbers -- a quoted value was meant as text, so it is refused.
            field = cls.model_fields.get(info.field_name)
            if field is not None and _integer(field.annotation):
                raise PydanticCustomError("int_type", "Input should be a valid integer, not text")
        return value


Name = Annotated[str, StringConstraints(pattern=DNS_LABEL, min_length=1, max_length=40)]
PoolName = Annotated[str, StringConstraints(pattern=DNS_LABEL, min_length=1, max_length=30)]
Cidr = Annotated[str, StringConstraints(min_length=9, max_length=43)]


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not isinstance(key, str) or not re.match(LABEL_KEY, key) or len(key) > 63:
            raise FieldRuleError(
                (key,),
                f"label key {key!r} is not a valid label key",
                "use lowercase letters, digits, '-', '_' and '.', at most 63 characters "
                "(GCP labels accept no capitals)",
            )
        if not isinstance(value, str) or not re.match(LABEL_VALUE, value) or len(value) > 63:
            raise FieldRuleError(
                (key,),
                f"label {key}={value!r} has a value that is not a valid label value",
                "use lowercase letters, digits, '-', '_' and '.', at most 63 characters; "
                "write an owner as a handle (jane-doe), not an e-mail address",
            )
    return labels


class Metadata(_Model):
    name: Name = Field(description="Cluster name: a DNS-1123 label, at most 40 characters (GKE's limit).")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels copied onto every cloud resource. `team`, `owner`, `cost-center` and `env` "
        "are first-class: fleet and finance views group by them. `billing-account` names the cloud billing "
        "account (lowercase): per-account allowances such as GKE's free-tier credit are given once per account.",
    )
    protected: bool = Field(
        False,
        description="Protect the cluster's resources from deletion (Pulumi `protect`); `kubefleet destroy` "
        "then needs --force. Clusters labelled env: prod, production or prd (any case) are protected anyway.",
    )

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_labels(v)

    @property
    def team(self) -> str | None:
        return self.labels.get("team")

    @property
    def owner(self) -> str | None:
        return self.labels.get("owner")

    @property
    def cost_center(self) -> str | None:
        return self.labels.get("cost-center")

    @property
    def env(self) -> str | None:
        return self.labels.get("env")

    @property
    def billing_account(self) -> str | None:
        return self.labels.get(BILLING_ACCOUNT_LABEL)


class Kubernetes(_Model):
    version: Annotated[str, StringConstraints(pattern=VERSION)] = Field(
        description='Kubernetes minor ("1.33") or full patch ("1.33.4"). Quote it: YAML reads 1.30 as 1.3.'
    )
    channel: Channel = Field(
        "stable",
        description="Upgrade channel: rapid | regular | stable | extended (long-term support) | none "
        "(no automatic upgrades).",
    )

    @property
    def minor(self) -> str:
        """The minor version, e.g. ``1.33``."""
        major, minor = self.version.split(".")[:2]
        return f"{major}.{minor}"

    @property
    def minor_number(self) -> int:
        return int(self.version.split(".")[1])


class ControlPlane(_Model):
    availability: Literal["zonal", "regional"] = Field(
        "regional", description="regional = highly available masters spread over zones; zonal = one zone."
    )
    tier: Literal["free", "standard", "premium"] = Field(
        "standard", description="Managed control-plane tier; decides the fee and SLA where the provider has tiers."
    )
    endpoint: Literal["public", "private"] = Field(
        "public", description="Whether the API server is reachable from the internet."
    )
    authorized_networks: list[Cidr] = Field(
        default_factory=list, description="CIDRs allowed to reach the API server endpoint."
    )
    replicas: int = Field(
        3, description="Self-managed (kubeadm) control-plane VMs: 1, 3 or 5 (odd, for etcd quorum)."
    )

    @field_validator("authorized_networks")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for i, cidr in enumerate(v):
            _parse_cidr(cidr, (i,))
        return v

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, v: int) -> int:
        if v not in (1, 3, 5):
            raise FieldRuleError(
                (),
                f"control-plane replicas must be 1, 3 or 5, not {v}",
                "etcd needs an odd member count to keep quorum; 3 is the usual HA choice",
            )
        return v

    @model_validator(mode="after")
    def _ha(self) -> ControlPlane:
        if self.availability == "regional" and self.replicas == 1:
            raise FieldRuleError(
                ("replicas",),
                "a regional (highly available) control plane needs 3 or 5 replicas on self-managed clusters",
                "set `replicas: 3`, or `availability: zonal` for a single master",
            )
        return self


class Gpu(_Model):
    kind: GpuKind = Field(description="GPU model.")
    count: int = Field(1, ge=1, le=8, description="GPUs per node: 1, 2, 4 or 8.")

    @field_validator("count")
    @classmethod
    def _count(cls, v: int) -> int:
        if v not in (1, 2, 4, 8):
            raise FieldRuleError((), f"GPU count must be 1, 2, 4 or 8, not {v}", "clouds sell GPUs per node in powers of two")
        return v


class Machine(_Model):
    vcpus: int = Field(ge=1, le=192, description="Virtual CPUs per node (at least).")
    memory_gib: int = Field(alias="memoryGiB", ge=1, le=4096, description="Memory per node in GiB (at least).")
    gpu: Gpu | None = Field(None, description="Accelerators per node.")

    @model_validator(mode="after")
    def _gpu_shape(self) -> Machine:
        if self.gpu is not None:
            need_cpu, need_mem = 4 * self.gpu.count, 16 * self.gpu.count
            if self.vcpus < need_cpu or self.memory_gib < need_mem:
                raise FieldRuleError(
                    ("gpu",),
                    f"{self.gpu.count} GPU(s) need a shape of at least {need_cpu} vCPUs and {need_mem} GiB; "
                    f"this one has {self.vcpus} vCPUs and {self.memory_gib} GiB",
                    "every cloud's GPU instance types start at 4 vCPUs and 16 GiB per GPU",
                )
        return self


class InstanceTypes(_Model):
    gke: str | None = Field(None, description="Pinned GCE machine type, e.g. n2-standard-4.")
    eks: str | None = Field(None, description="Pinned EC2 instance type, e.g. m6i.xlarge.")
    aks: str | None = Field(None, description="Pinned Azure VM size, e.g. Standard_D4s_v5.")


class Autoscaling(_Model):
    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min > self.max:
            raise FieldRuleError(("min",), f"autoscaling min ({self.min}) is greater than max ({self.max})")
        return self


class Disk(_Model):
    size_gib: int = Field(100, alias="sizeGiB", ge=20, le=65536, description="Boot disk size per node in GiB.")
    type: Literal["standard", "balanced", "ssd"] = Field("balanced", description="Disk class.")


#: Kubernetes' own syntax for a taint key (a qualified name) and value (a label value):
#: kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go
#: (qualifiedNameFmt, labelValueFmt, LabelValueMaxLength = 63); every cloud's kubelet refuses others.
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: the EKS API refuses longer taint keys and values (botocore eks model: taintKey max 63, taintValue max 63)
TAINT_MAX: Final = 63


class Taint(_Model):
    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"

    @model_validator(mode="after")
    def _cloud_accepts(self) -> Taint:
        prefix, _, name = self.key.rpartition("/")
        if (len(self.key) > TAINT_MAX or not _QUALIFIED_NAME.match(name)
                or (prefix and not _DNS_SUBDOMAIN.match(prefix))):
            raise FieldRuleError(
                ("key",), f"taint key {self.key!r} is not one every cloud accepts",
                "a Kubernetes qualified name ([prefix/]name: alphanumerics, '-', '_', '.'; starting and ending "
                f"alphanumeric) of at most {TAINT_MAX} characters (the EKS API's limit)",
            )
        if len(self.value) > TAINT_MAX or (self.value and not _QUALIFIED_NAME.match(self.value)):
            raise FieldRuleError(
                ("value",), f"taint value {self.value!r} is refused by Kubernetes and the clouds",
                f"at most {TAINT_MAX} characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric",
            )
        return self


class NodePool(_Model):
    name: PoolName = Field(description="Pool name: a DNS-1123 label. Adapters derive cloud names from it.")
    machine: Machine = Field(
        description="Neutral shape, matched per provider to the cheapest current instance type that meets it. "
        "Always stated, so capacity stays comparable across providers."
    )
    instance_types: InstanceTypes | None = Field(None, description="Pinned instance types per provider; a pin wins.")
    count: int | None = Field(None, ge=1, le=1000, description="Fixed node count (or use autoscaling).")
    autoscaling: Autoscaling | None = Field(None, description="Autoscaling bounds (or use count).")
    spot: bool = Field(False, description="Spot / preemptible capacity.")
    pricing: Literal["on-demand", "1y", "3y", "spot"] | None = Field(
        None, description="Purchase option this pool's nodes are priced at by `kubefleet cost`/`compare` "
        "(on-demand, 1- or 3-year commitment, spot); wins over `--pricing` for this pool. Pricing only: "
        "nothing is bought. Unset: `--pricing`, else list on-demand prices.")
    disk: Disk = Field(default_factory=Disk)
    os: Literal["default", "ubuntu"] = Field("default", description="Node OS: the provider's default image, or Ubuntu.")
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes node labels.")
    taints: list[Taint] = Field(default_factory=list, description="Kubernetes node taints.")

    @model_validator(mode="after")
    def _size(self) -> NodePool:
        if self.count is None and self.autoscaling is None:
            raise FieldRuleError((), f"node pool {self.name!r} needs `count` or `autoscaling`", "e.g. `count: 3`")
        if self.count is not None and self.autoscaling is not None:
            raise FieldRuleError(
                ("autoscaling",), f"node pool {self.name!r} has both `count` and `autoscaling`", "keep one of them"
            )
        if self.spot and self.pricing not in (None, "spot"):
            raise FieldRuleError(
                ("pricing",), f"node pool {self.name!r} runs on spot capacity (`spot: true`) but asks for "
                f"`pricing: {self.pricing}`", "a spot pool is priced at spot rates: drop `pricing` or set `spot: false`"
            )
        return self

    @property
    def min_nodes(self) -> int:
        return self.count if self.count is not None else self.autoscaling.min  # type: ignore[union-attr]

    @property
    def max_nodes(self) -> int:
        return self.count if self.count is not None else self.autoscaling.max  # type: ignore[union-attr]

    def pinned(self, provider: str) -> str | None:
        if self.instance_types is None:
            return None
        value: str | None = getattr(self.instance_types, provider, None)
        return value


def _parse_cidr(text: str, path: tuple[str | int, ...]) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError as err:
        hint = None
        try:
            fixed = ipaddress.IPv4Network(text, strict=False)
            hint = f"did you mean {fixed}?"
        except ValueError:
            hint = "write an IPv4 network like 10.0.0.0/16"
        raise FieldRuleError(path, f"{text!r} is not a valid IPv4 CIDR ({err})", hint) from None


class Network(_Model):
    node_cidr: Cidr = Field("10.0.0.0/16", description="Node (VPC / subnet) range.")
    pod_cidr: Cidr = Field("10.64.0.0/14", description="Pod range.")
    service_cidr: Cidr = Field("10.96.0.0/16", description="Service (ClusterIP) range.")
    private_nodes: bool = Field(False, description=(
        "Nodes get no public IPs; egress through a NAT gateway (GKE Cloud NAT, EKS one NAT gateway per "
        "zone), on AKS the cluster load balancer's zone-redundant outbound IP; on kubeadm the port group's "
        "own routing (kubefleet assigns no public addresses)."))

    @model_validator(mode="after")
    def _cidrs(self) -> Network:
        nets = {
            "nodeCidr": _parse_cidr(self.node_cidr, ("nodeCidr",)),
            "podCidr": _parse_cidr(self.pod_cidr, ("podCidr",)),
            "serviceCidr": _parse_cidr(self.service_cidr, ("serviceCidr",)),
        }
        limits = {"nodeCidr": (8, 24), "podCidr": (8, 21), "serviceCidr": (12, 24)}
        for key, net in nets.items():
            lo, hi = limits[key]
            if not lo <= net.prefixlen <= hi:
                raise FieldRuleError(
                    (key,), f"{key} {net} has prefix /{net.prefixlen}; it must be between /{lo} and /{hi}"
                )
            if not net.is_private:
                raise FieldRuleError((key,), f"{key} {net} is not a private range", "use 10/8, 172.16/12 or 192.168/16")
        keys = list(nets)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if nets[a].overlaps(nets[b]):
                    raise FieldRuleError((b,), f"{b} {nets[b]} overlaps {a} {nets[a]}", "the three ranges must be disjoint")
        return self


class Istio(_Model):
    mode: Literal["none", "managed", "self-managed"] = Field(
        "none", description="managed = the provider's mesh add-on where offered; self-managed = Helm-installed."
    )
    data_plane: Literal["sidecar", "ambient"] = Field("sidecar", description="Sidecar proxies or ambient (ztunnel).")
    expected_pods: int = Field(0, ge=0, le=200000, description="Meshed pods expected; sizes the sidecar overhead.")
    revision: Annotated[str, StringConstraints(pattern=r"^asm-\d+-\d+$|^[0-9]+-[0-9]+$")] | None = Field(
        None, description="Mesh revision where the provider takes one (e.g. asm-1-25 on AKS)."
    )


class Addons(_Model):
    istio: Istio = Field(default_factory=Istio)


class Tenancy(_Model):
    isolation: Literal["shared", "sandboxed"] = Field(
        "shared", description="sandboxed = gVisor / Kata / per-pod micro-VMs where the provider offers them."
    )


class MaintenanceWindow(_Model):
    day: Day = Field(description="Weekday the window opens.")
    start: Annotated[str, StringConstraints(pattern=CLOCK)] = Field(description='UTC start, "HH:MM".')
    hours: int = Field(MIN_MAINTENANCE_HOURS, ge=1, le=24, description="Length in hours (at least 4).")

    @field_validator("hours")
    @classmethod
    def _long_enough(cls, v: int) -> int:
        if v < MIN_MAINTENANCE_HOURS:
            raise FieldRuleError(
                (),
                f"a maintenance window of {v}h is too short; it must be at least {MIN_MAINTENANCE_HOURS}h",
                "AKS and GKE need at least four hours for a node-pool upgrade to make progress",
            )
        return v


class Upgrades(_Model):
    strategy: Literal["surge", "blue-green"] = Field("surge", description="How node pools are replaced.")
    max_surge: int = Field(1, ge=0, le=100, description="Extra nodes during a surge upgrade.")
    max_unavailable: int = Field(0, ge=0, le=100, description="Nodes that may be down during a surge upgrade.")
    maintenance_window: MaintenanceWindow | None = Field(None, description="Weekly window for automatic upgrades.")

    @model_validator(mode="after")
    def _progress(self) -> Upgrades:
        if self.strategy == "surge" and self.max_surge + self.max_unavailable == 0:
            raise FieldRuleError(
                ("maxSurge",), "maxSurge and maxUnavailable are both 0: a surge upgrade could never progress",
                "set `maxSurge: 1`",
            )
        return self


class GkeOptions(_Model):
    project: str | None = Field(None, description="GCP project id (default: provider config / environment).")
    region: str | None = Field(None, description="Overrides the neutral region, e.g. us-central1.")
    zones: list[str] = Field(default_factory=list, description="Node zones (default: the provider's choice).")
    network: str | None = Field(None, description="Existing VPC network; none = kubefleet creates one.")
    subnetwork: str | None = Field(None, description="Existing subnetwork in that network.")
    node_count: Literal["total", "perZone"] = Field(
        "total",
        description="How GKE reads a pool's `count` and autoscaling bounds: `total` (default, the neutral "
        "meaning every provider shares: nodes in the whole pool; GKE counts per zone, so kubefleet divides "
        "by the zones and rounds up, and a regional pool may run a few more) or `perZone` (GKE's own "
        "meaning: that many nodes in each zone, so the pool runs count × zones). `kubefleet compare` shows "
        "the nodes each provider runs next to the spec's.",
    )

    @model_validator(mode="after")
    def _net(self) -> GkeOptions:
        if self.subnetwork and not self.network:
            raise FieldRuleError(("subnetwork",), "a subnetwork is given without its network", "add `network:`")
        return self


#: An IAM role or user ARN (EKS access entries take IAM principals: users and roles, any partition).
IAM_PRINCIPAL_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9_+=,.@/-]+$"


class EksOptions(_Model):
    region: str | None = Field(None, description="Overrides the neutral region, e.g. eu-central-1.")
    vpc_id: str | None = Field(None, description="Existing VPC; none = kubefleet creates one.")
    subnet_ids: list[str] = Field(default_factory=list, description="Existing subnets (two AZs at least).")
    private_subnet_ids: list[str] = Field(
        default_factory=list,
        description="Private subnets of the existing VPC (no route to an internet gateway) for Fargate pods; "
        "none = subnetIds, which must then all be private.",
    )
    admins: list[Annotated[str, StringConstraints(pattern=IAM_PRINCIPAL_ARN, max_length=2048)]] = Field(
        default_factory=list,
        description="IAM role/user ARNs given cluster-admin through EKS access entries "
        "(AmazonEKSClusterAdminPolicy, cluster scope).",
    )

    @model_validator(mode="after")
    def _net(self) -> EksOptions:
        if self.subnet_ids and not self.vpc_id:
            raise FieldRuleError(("subnetIds",), "subnetIds are given without vpcId", "add `vpcId:`")
        if self.private_subnet_ids and not self.vpc_id:
            raise FieldRuleError(("privateSubnetIds",), "privateSubnetIds are given without vpcId", "add `vpcId:`")
        if self.vpc_id and len(self.subnet_ids) < 2:
            raise FieldRuleError(
                ("subnetIds",), "an existing VPC needs at least two subnetIds in different availability zones"
            )
        return self


#: An Azure Key Vault key identifier with its version (what `az keyvault key show --query key.kid` prints):
#: https://{vault}.vault.azure.net/keys/{name}/{version} (Azure public, China, US Government clouds).
AZURE_KEY_ID = (r"^https://(?P<vault>[A-Za-z0-9-]{3,24})\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)"
                r"/keys/[A-Za-z0-9-]{1,127}/[0-9a-fA-F]{32}$")
#: The ARM resource ID of a key vault.
AZURE_KEY_VAULT_ID = (r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.KeyVault"
                      r"/vaults/(?P<vault>[A-Za-z0-9-]{3,24})$")


class AksKms(_Model):
    key_id: Annotated[str, StringConstraints(pattern=AZURE_KEY_ID)] = Field(
        description="Versioned Azure Key Vault key identifier (https://<vault>.vault.azure.net/keys/<name>/<version>) "
        "that encrypts Kubernetes secrets in etcd (securityProfile.azureKeyVaultKms.keyId).")
    key_vault_resource_id: Annotated[str, StringConstraints(pattern=AZURE_KEY_VAULT_ID)] = Field(
        description="ARM resource ID of that key's vault (a public-access vault); the cluster identity gets "
        "Key Vault Crypto User on it.")

    @model_validator(mode="after")
    def _same_vault(self) -> AksKms:
        key_vault = re.match(AZURE_KEY_ID, self.key_id)
        vault = re.match(AZURE_KEY_VAULT_ID, self.key_vault_resource_id)
        if key_vault and vault and key_vault["vault"].lower() != vault["vault"].lower():
            raise FieldRuleError(("keyVaultResourceId",), f"the key is in vault {key_vault['vault']!r}, the "
                                 f"resource ID names vault {vault['vault']!r}", "name the key's own vault")
        return self


class AksOptions(_Model):
    subscription_id: str | None = Field(None, description="Azure subscription (default: environment).")
    location: str | None = Field(None, description="Overrides the neutral region, e.g. northeurope.")
    resource_group: str | None = Field(None, description="Existing resource group; none = kubefleet creates one.")
    admin_group_object_ids: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]] = Field(
        default_factory=list, max_length=50,
        description="Entra ID group object IDs made cluster admins (aadProfile.adminGroupObjectIDs).",
    )
    kms: AksKms | None = Field(
        None, description="Encrypt Kubernetes secrets in etcd with your Azure Key Vault key (KMS); the cluster then "
        "runs with a user-assigned identity kubefleet creates. None = AKS's default platform encryption at rest.")
    workload_identity: bool = Field(
        True, description="OIDC issuer and Microsoft Entra Workload ID, so pods get Azure tokens without secrets.")


Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6)]


class OnPremCosts(_Model):
    vcpu_hour: Money | None = Field(None, description="USD per vCPU-hour (default from the catalog).")
    gib_hour: Money | None = Field(None, description="USD per GiB of RAM per hour.")
    disk_gb_month: Money | None = Field(None, description="USD per GB of VM disk per month.")
    vm_license_month: Money | None = Field(None, description="USD per VM per month (OS / support licence).")
    management_cluster_month: Money | None = Field(
        None,
        description="USD per month the whole Cluster API management cluster costs (default: the catalog's "
        "reference management cluster, priced at these rates).",
    )
    managed_clusters: int | None = Field(
        None, ge=1, le=100_000,
        description="Workload clusters that management cluster manages: this cluster is priced 1/N of it "
        "(default: the kubeadm clusters priced together - fleet, compare/cost over several specs - that name the "
        "same managementCluster; else 1, the whole management cluster).",
    )


class Vsphere(_Model):
    server: str | None = Field(None, description="vCenter host (default: VSPHERE_SERVER).")
    datacenter: str = Field("Datacenter", description="vSphere datacenter.")
    cluster: str = Field("Cluster", description="Compute cluster.")
    datastore: str = Field("datastore1", description="Datastore for VM disks.")
    network: str = Field("VM Network", description="Port group the VMs attach to.")
    template: str = Field("ubuntu-24.04-server-cloudimg", description="VM template with cloud-init (Ubuntu cloud image).")
    folder: str | None = Field(None, description="VM folder.")


#: robfig/cron's standard parser, which the CronJob API validates schedules with (five fields or a
#: descriptor; k8s.io/kubernetes@v1.35.4:pkg/apis/batch/validation/validation.go:833-838, robfig/cron ParseStandard):
#: field -> (lowest, highest, names)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day of week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _number(text: str) -> int | None:
    """A field number as robfig/cron reads it: ASCII digits only (``str.isdigit`` also takes "²", which
    ``int`` refuses) and short (``int`` refuses more than 4,300 digits; no cron value needs more than 4)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if (number := _number(text)) is not None:
        return number
    if text.upper() in names:
        return low + names.index(text.upper())
    return None


def cron_problem(schedule: str) -> str | None:
    """Why ``schedule`` is not a five-field cron expression (or descriptor) a CronJob accepts, or None."""
    if schedule.strip() in _CRON_DESCRIPTORS:
        return None
    fields = schedule.split()
    if len(fields) != 5:
        return f"{len(fields)} fields; a CronJob schedule has five (minute hour day-of-month month day-of-week)"
    for text, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            body, _, step = item.partition("/")
            if step and not _number(step):  # not a number, or 0
                return f"{what}: step {step!r} is not a positive number"
            if body in ("*", "?"):
                continue
            first, _, last = body.partition("-")
            values = [_cron_value(first, low, names)] + ([_cron_value(last, low, names)] if last else [])
            if any(v is None or not low <= v <= high for v in values):
                return f"{what}: {item!r} is outside {low}-{high}"
            if last and values[0] is not None and values[1] is not None and values[0] > values[1]:
                return f"{what}: range {body!r} runs backwards"
    return None


class EtcdBackup(_Model):
    enabled: bool = Field(
        True, description="Scheduled etcd snapshots of the workload cluster onto a vSphere volume (CronJob in kube-system); "
        "false suspends the CronJob and keeps the snapshots already taken.")
    schedule: str = Field(
        "0 */6 * * *", max_length=200, description="Cron schedule, in UTC (default: every 6 hours).")
    keep: int = Field(12, ge=1, le=1000, description="Snapshots kept; older ones are deleted after each new one.")
    size_gib: int | None = Field(
        None, alias="sizeGiB", ge=1, le=65536,
        description="Size of the backup volume in GiB (default: (keep + 1) x 2 GiB, etcd's default database quota, "
        "so every kept snapshot and the one being written fit at the largest size etcd allows by default).")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        problem = cron_problem(v)
        if problem is not None:
            raise FieldRuleError((), f"{v!r} is not a cron schedule: {problem}", "e.g. `0 */6 * * *` (every 6 hours, UTC)")
        return v


class KubeadmOptions(_Model):
    vsphere: Vsphere = Field(default_factory=Vsphere)
    control_plane_vip: Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")] | None = Field(
        None, description="Virtual IP that kube-vip announces for the API server."
    )
    costs: OnPremCosts = Field(default_factory=OnPremCosts)
    control_plane_addresses: list[str] | None = Field(
        None,
        description="Static IPv4 addresses of the masters, one per controlPlane.replicas, inside network.nodeCidr "
        "and outside its DHCP pool (etcd breaks when a master's address changes). Without them masters take "
        "DHCP leases, which must then be reserved.",
    )
    gateway: str | None = Field(None, description="Default gateway of masters with static addresses.")
    nameservers: list[str] = Field(
        default_factory=list, description="DNS servers of masters with static addresses (default: the gateway)."
    )
    etcd_backup: EtcdBackup = Field(
        default_factory=EtcdBackup,
        description="Scheduled etcd snapshots (Cluster API has none): a CronJob on a control-plane node writes them to a "
        "vSphere volume that outlives the masters KCP replaces.")
    management_cluster: str | None = Field(
        None,
        description="The kubefleet stack of the Cluster API management cluster (e.g. `mgmt-eks`, in the same "
        "backend); without it the management kubeconfig comes from KUBEFLEET_MANAGEMENT_KUBECONFIG.",
    )

    @field_validator("management_cluster")
    @classmethod
    def _stack(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]{1,100}", v):
            raise FieldRuleError((), f"{v!r} is not a stack name",
                                 "name the management cluster's stack, e.g. `mgmt-eks` (<cluster>-<provider>)")
        return v

    @field_validator("control_plane_vip", "gateway")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ipaddress.IPv4Address(v)
            except ValueError:
                raise FieldRuleError((), f"{v!r} is not an IPv4 address") from None
        return v

    @field_validator("control_plane_addresses", "nameservers")
    @classmethod
    def _ips(cls, v: list[str] | None) -> list[str] | None:
        for i, item in enumerate(v or []):
            try:
                ipaddress.IPv4Address(item)
            except ValueError:
                raise FieldRuleError((i,), f"{item!r} is not an IPv4 address") from None
        if v is not None and len(set(v)) != len(v):
            raise FieldRuleError((), "an address is listed twice")
        return v


class ProviderOptions(_Model):
    gke: GkeOptions | None = None
    eks: EksOptions | None = None
    aks: AksOptions | None = None
    kubeadm: KubeadmOptions | None = None


class ClusterBody(_Model):
    provider: ProviderName | None = Field(
        None, description="Where this cluster runs; commands use it unless --provider is given."
    )
    kubernetes: Kubernetes
    region: str = Field(description="Neutral region (us-east, us-west, europe-west, asia-southeast).")
    control_plane: ControlPlane = Field(default_factory=ControlPlane)
    node_pools: list[NodePool] = Field(min_length=1, description="Worker node pools.")
    network: Network = Field(default_factory=Network)
    addons: Addons = Field(default_factory=Addons)
    tenancy: Tenancy = Field(default_factory=Tenancy)
    upgrades: Upgrades = Field(default_factory=Upgrades)
    providers: ProviderOptions = Field(default_factory=ProviderOptions)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in REGIONS:
            import difflib

            from kubefleet.spec.regions import region_hint

            close = difflib.get_close_matches(v, list(REGIONS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "known regions: " + ", ".join(REGIONS)
            hint = region_hint(v) or hint + " (override per provider under `providers:`)"
            raise FieldRuleError((), f"unknown neutral region {v!r}", hint)
        return v

    @model_validator(mode="after")
    def _pools(self) -> ClusterBody:
        seen: dict[str, int] = {}
        for i, pool in enumerate(self.node_pools):
            if pool.name in seen:
                raise FieldRuleError(("nodePools", i, "name"), f"node pool name {pool.name!r} is used twice")
            seen[pool.name] = i
        return self

    @model_validator(mode="after")
    def _fargate_private_subnets(self) -> ClusterBody:
        """Sandboxed pods run on EKS Fargate, which accepts only private subnets (the EKS API model,
        CreateFargateProfileRequest.subnets); in an existing VPC kubefleet cannot tell which subnets are
        private, so they must be named rather than guessed from subnetIds."""
        opts = self.providers.eks
        if (self.tenancy.isolation == "sandboxed" and opts is not None and opts.vpc_id
                and not opts.private_subnet_ids):
            raise FieldRuleError(
                ("providers", "eks", "vpcId"), "sandboxed tenancy on EKS runs pods on Fargate, which takes "
                "private subnets only, and none are named for this existing VPC",
                "list them under `providers.eks.privateSubnetIds`",
            )
        return self

    @model_validator(mode="after")
    def _gke_zones_in_region(self) -> ClusterBody:
        """A GKE zone is named after its region: ``<region>-<letter>`` (cloud.google.com/compute/docs/
        regions-zones); a zone of another region is refused by the API only at `up` (the node locations must
        be in the cluster's region), so it is caught here, at the zone's line."""
        opts = self.providers.gke
        if opts is None or not opts.zones:
            return self
        region = opts.region or REGIONS[self.region]["gke"]
        for i, zone in enumerate(opts.zones):
            if not re.fullmatch(re.escape(region) + r"-[a-z]", zone):
                raise FieldRuleError(
                    ("providers", "gke", "zones", i), f"zone {zone!r} is not in the cluster's GKE region {region}",
                    f"use zones of {region} (e.g. {region}-b), or set `providers.gke.region`",
                )
        return self

    @model_validator(mode="after")
    def _static_masters(self) -> ClusterBody:
        opts = self.providers.kubeadm
        if opts is None or opts.control_plane_addresses is None:
            return self
        where = ("providers", "kubeadm", "controlPlaneAddresses")
        addresses = opts.control_plane_addresses
        if len(addresses) != self.control_plane.replicas:
            raise FieldRuleError(
                where,
                f"{len(addresses)} master address(es) for {self.control_plane.replicas} controlPlane.replicas",
                "give exactly one address per master",
            )
        net = ipaddress.IPv4Network(self.network.node_cidr)
        vip = opts.control_plane_vip or str(net.network_address + 10)  # the adapter's derived VIP
        for i, text in enumerate(addresses):
            if ipaddress.IPv4Address(text) not in net:
                raise FieldRuleError((*where, i), f"{text} is outside network.nodeCidr {net}")
            if text == vip:
                raise FieldRuleError((*where, i), f"{text} is the control-plane VIP", "masters need their own addresses")
        if opts.gateway is None:
            raise FieldRuleError(
                ("providers", "kubeadm"), "controlPlaneAddresses need a `gateway`", "e.g. `gateway: 192.168.0.1`"
            )
        if ipaddress.IPv4Address(opts.gateway) not in net:
            raise FieldRuleError(("providers", "kubeadm", "gateway"), f"{opts.gateway} is outside network.nodeCidr {net}")
        return self

    def provider_options(self, provider: str) -> Any:
        return getattr(self.providers, provider)


class ClusterSpec(_Model):
    api_version: Literal["kubefleet.dev/v1alpha1"] = Field(description="Always kubefleet.dev/v1alpha1.")
    kind: Literal["Cluster"] = Field(description="Always Cluster.")
    metadata: Metadata
    spec: ClusterBody

    @property
    def name(self) -> str:
        return self.metadata.name

    def region_for(self, provider: str) -> str:
        """The provider's region: the per-provider override if set, else the neutral table."""
        opts = self.spec.provider_options(provider)
        override = None
        if (provider == "gke" and opts is not None) or (provider == "eks" and opts is not None):
            override = opts.region
        elif provider == "aks" and opts is not None:
            override = opts.location
        return override or REGIONS[self.spec.region][provider]

    def to_data(self) -> dict[str, Any]:
        """Plain data in the YAML's own spelling (camelCase), defaults left out."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        # apiVersion/kind are required; make sure they survive exclude_defaults
        data = {"apiVersion": self.api_version, "kind": self.kind, **data}
        return data


__all__ = [
    "API_VERSION",
    "BILLING_ACCOUNT_LABEL",
    "KIND",
    "OWNERSHIP_LABELS",
    "PROVIDERS",
    "ClusterSpec",
    "FieldRuleError",
    "NodePool",
]

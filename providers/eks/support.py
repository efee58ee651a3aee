"""How EKS realises each spec field: native, emulated or unsupported, with the resource or the reason."""

from __future__ import annotations

from kubefleet.providers.base import Support, emulated, native, unsupported
from kubefleet.providers.eks.access import CLUSTER_ADMIN_POLICY, admins
from kubefleet.providers.eks.gpu import CHART_VERSION as NVIDIA_PLUGIN_VERSION
from kubefleet.providers.mesh import istio_revision
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec


def _kubernetes(spec: ClusterSpec) -> dict[str, Support]:
    k = spec.spec.kubernetes
    if k.version.count(".") == 2:
        version = emulated(
            f"aws.eks.Cluster.version = {k.minor}: EKS takes a minor only and applies patch releases itself, "
            f"so the patch pin {k.version} is not honoured"
        )
    else:
        version = native(f"aws.eks.Cluster.version and every NodeGroup.version = {k.minor}")
    version = type(version)(version.status, version.detail + (
        "; at the end of support AWS upgrades the control plane itself (STANDARD: end of standard support, "
        "EXTENDED: end of extended support) - the stack then asks for an older version than the cluster runs, "
        "which EKS refuses (no downgrade): raise kubernetes.version to the running minor before the next up; "
        "validate/plan check the minor against the dated EKS calendar"))
    if k.channel == "extended":
        channel = native("upgrade_policy.support_type = EXTENDED: 26 months of support per minor, at the extended hourly fee")
    elif k.channel == "none":
        channel = emulated(
            "upgrade_policy.support_type = STANDARD; EKS never upgrades on a schedule, only when version changes "
            "(or when standard support for the minor ends, when AWS upgrades the control plane)"
        )
    else:
        channel = emulated(
            f"EKS has no release channels ({k.channel!r}); upgrade_policy.support_type = STANDARD and the cluster "
            "moves only when kubernetes.version changes"
        )
    return {"spec.kubernetes.version": version, "spec.kubernetes.channel": channel}


def _control_plane(spec: ClusterSpec) -> dict[str, Support]:
    cp = spec.spec.control_plane
    if cp.availability == "regional":
        availability = native("the EKS control plane always spans three availability zones; nodes use subnets in three zones")
    else:
        availability = emulated(
            "EKS has no single-zone control plane (it is always multi-AZ, same fee); nodes are kept to one zone's "
            "subnet and one NAT gateway"
        )
    tier = {
        "free": unsupported("EKS has no free control plane: every cluster pays the standard hourly fee"),
        "standard": native("the EKS control plane with the 99.95% SLA (one tier)"),
        "premium": emulated(
            "EKS has one control-plane tier; long-term support is channel `extended` (upgrade_policy EXTENDED)"
        ),
    }[cp.tier]
    if cp.endpoint == "private":
        endpoint = native("vpc_config.endpoint_private_access = true, endpoint_public_access = false")
    else:
        endpoint = native("vpc_config.endpoint_public_access = true (and private access for nodes inside the VPC)")
    if not cp.authorized_networks:
        networks = native("none given: public endpoint open to 0.0.0.0/0 (EKS default)" if cp.endpoint == "public"
                          else "none given: private endpoint reachable from the VPC only")
    elif cp.endpoint == "public":
        networks = native("vpc_config.public_access_cidrs")
    else:
        networks = native("aws.vpc.SecurityGroupIngressRule (tcp/443) per CIDR on the cluster security group")
    return {
        "spec.controlPlane.availability": availability,
        "spec.controlPlane.tier": tier,
        "spec.controlPlane.endpoint": endpoint,
        "spec.controlPlane.authorizedNetworks": networks,
        "spec.controlPlane.replicas": native(
            "managed by AWS (at least two API servers and three etcd members); not configurable, not billed per VM"
        ),
    }


def _node_pools(spec: ClusterSpec) -> dict[str, Support]:
    pools = spec.spec.node_pools
    ubuntu = [p.name for p in pools if p.os == "ubuntu"]
    if ubuntu:
        os_support = unsupported(
            f"pools {', '.join(ubuntu)}: EKS managed node groups offer AL2023 / Bottlerocket / Windows AMI types; "
            "Ubuntu needs a custom AMI in the launch template with its own bootstrap, which kubefleet does not "
            "build — these nodes run AL2023"
        )
    else:
        os_support = native(
            "Amazon Linux 2023: NodeGroup.ami_type AL2023_<x86_64|ARM_64>_<STANDARD|NVIDIA|NEURON>, chosen from the "
            "catalog's architecture and accelerator facts for the pool's instance type (a type the catalog does not "
            "list is refused, not guessed from its name)")
    autoscaled = any(p.autoscaling for p in pools)
    autoscaling = (
        emulated(
            "scaling_config min_size/max_size bound the node group's Auto Scaling group (desired = min); EKS itself "
            "adds no nodes — Cluster Autoscaler or Karpenter must run in the cluster to scale within the bounds"
        )
        if autoscaled
        else native("not used")
    )
    return {
        "spec.nodePools[].name": native("aws.eks.NodeGroup node_group_name (prefix + hash) and its launch template name"),
        "spec.nodePools[].machine.vcpus": native("matched to an EC2 instance type in NodeGroup.instance_types"),
        "spec.nodePools[].machine.memoryGiB": native("matched to an EC2 instance type in NodeGroup.instance_types"),
        "spec.nodePools[].machine.gpu.kind": native(
            "matched to a GPU instance type; ami_type AL2023_*_NVIDIA (driver + toolkit; x86_64 or ARM_64 by the "
            "catalog's arch of the type) and NVIDIA's "
            f"device plugin chart {NVIDIA_PLUGIN_VERSION} (Helm, kube-system) so nodes advertise nvidia.com/gpu; "
            "GPU node groups carry nvidia.com/gpu.present=true for the chart's affinity"
            + (" (the Helm install needs `up` to reach the private API endpoint: run it inside the VPC)"
               if spec.spec.control_plane.endpoint == "private" else "")
        ),
        "spec.nodePools[].machine.gpu.count": native("matched to an instance type with that many GPUs"),
        "spec.nodePools[].instanceTypes.gke": native("not used on EKS (another provider's pin)"),
        "spec.nodePools[].instanceTypes.eks": native("pinned into NodeGroup.instance_types"),
        "spec.nodePools[].instanceTypes.aks": native("not used on EKS (another provider's pin)"),
        "spec.nodePools[].count": native("scaling_config desired_size = min_size = max_size"),
        "spec.nodePools[].autoscaling.min": autoscaling,
        "spec.nodePools[].autoscaling.max": autoscaling,
        "spec.nodePools[].spot": native("NodeGroup.capacity_type SPOT / ON_DEMAND"),
        "spec.nodePools[].disk.sizeGiB": native("launch template root volume (block_device_mappings ebs.volume_size)"),
        "spec.nodePools[].disk.type": _disk_type(spec),
        "spec.nodePools[].os": os_support,
        "spec.nodePools[].labels": _labels(spec),
        "spec.nodePools[].taints[].key": native("NodeGroup.taints key"),
        "spec.nodePools[].taints[].value": native("NodeGroup.taints value"),
        "spec.nodePools[].taints[].effect": native("NodeGroup.taints effect NO_SCHEDULE / PREFER_NO_SCHEDULE / NO_EXECUTE"),
    }


def _disk_type(spec: ClusterSpec) -> Support:
    types = {p.disk.type for p in spec.spec.node_pools}
    if "standard" in types:
        return emulated(
            "standard -> gp3: EBS has no current-generation HDD boot volume, gp3 is the cheapest; "
            "balanced -> gp3, ssd -> io2 at 30 IOPS/GiB (launch template)"
        )
    return native("launch template root volume: balanced -> gp3, ssd -> io2 at 30 IOPS/GiB")


def _network(spec: ClusterSpec) -> dict[str, Support]:
    opts = spec.spec.providers.eks
    existing = opts is not None and opts.vpc_id is not None
    if existing:
        node_cidr = emulated("an existing VPC is used (providers.eks.vpcId); its subnets decide node addresses")
    else:
        node_cidr = native("aws.ec2.Vpc cidr_block; private and public subnets carved per availability zone")
    return {
        "spec.network.nodeCidr": node_cidr,
        "spec.network.podCidr": unsupported(
            "the VPC CNI gives pods addresses from the node subnets (nodeCidr); a separate pod range would need "
            "CNI custom networking on a secondary VPC CIDR, which kubefleet does not set up"
        ),
        "spec.network.serviceCidr": native("kubernetes_network_config.service_ipv4_cidr"),
        "spec.network.privateNodes": native(
            "nodes in private subnets with NAT gateway egress" if spec.spec.network.private_nodes
            else "nodes in public subnets (map_public_ip_on_launch)"
        ),
    }


def _istio(ctx: ResolvedCluster) -> dict[str, Support]:
    spec = ctx.spec
    istio = spec.spec.addons.istio
    if istio.mode == "none":
        off = native("no mesh requested")
        return {
            "spec.addons.istio.mode": off,
            "spec.addons.istio.dataPlane": off,
            "spec.addons.istio.expectedPods": off,
            "spec.addons.istio.revision": off,
        }
    release = ctx.helm_istio()
    helm = (f"Helm releases of Istio {release.version} (base, istiod{', cni, ztunnel' if istio.data_plane == 'ambient' else ''}); "
            f"{release.reason}")
    private = (" The Helm install runs inside `up` against the cluster's API endpoint: with a private endpoint "
               "EKS offers no public DNS or proxy for it, so `up` must run from inside the VPC (or a peered "
               "network / VPN)." if spec.spec.control_plane.endpoint == "private" else "")
    if not release.supported:
        mode = unsupported(f"{helm}.{private}")
    elif istio.mode == "managed":
        mode = emulated(f"EKS has no managed Istio add-on; installed as {helm}, upgraded by you.{private}")
    else:
        mode = native(f"self-managed: {helm}.{private}")
    if istio.revision is None:
        revision = native("default revision")
    elif istio_revision(spec):
        revision = native(f"istiod revision {istio.revision}")
    else:
        revision = unsupported(f"{istio.revision} names a provider-managed mesh revision (AKS); upstream charts install the default revision")
    return {
        "spec.addons.istio.mode": mode,
        "spec.addons.istio.dataPlane": native(
            "ambient: istiod profile ambient + istio-cni + ztunnel charts" if istio.data_plane == "ambient"
            else "sidecar injection by istiod"
        ),
        "spec.addons.istio.expectedPods": native("sizing input for the sidecar overhead in the cost model; nothing to declare"),
        "spec.addons.istio.revision": revision,
    }


def _upgrades(spec: ClusterSpec) -> dict[str, Support]:
    up = spec.spec.upgrades
    if up.strategy == "blue-green":
        strategy = emulated(
            "managed node groups update by rolling; blue-green is a new node group: its name hashes the version, "
            "instance and disk settings, so a change creates the green group first and deleting the blue one drains it"
        )
    else:
        strategy = native("managed node group rolling update (update_config)")
    surge = emulated(
        "update_config.update_strategy DEFAULT (new nodes first; EKS picks the surge size)" if up.max_surge > 0
        else "update_config.update_strategy MINIMAL (old nodes go first, no extra nodes)"
    )
    if up.max_unavailable >= 1:
        unavailable = native("update_config.max_unavailable")
    else:
        unavailable = emulated("EKS needs max_unavailable >= 1: set to 1, but DEFAULT surges new nodes before draining")
    window = unsupported(
        "EKS has no maintenance window: the control plane changes minor only when you change the version, AWS "
        "applies patch releases at times it chooses, and node groups update only when you change them"
    )
    if up.maintenance_window is None:
        window = native("none given: EKS upgrades only on request")
    return {
        "spec.upgrades.strategy": strategy,
        "spec.upgrades.maxSurge": surge,
        "spec.upgrades.maxUnavailable": unavailable,
        "spec.upgrades.maintenanceWindow.day": window,
        "spec.upgrades.maintenanceWindow.start": window,
        "spec.upgrades.maintenanceWindow.hours": window,
    }


def field_support(ctx: ResolvedCluster) -> dict[str, Support]:
    spec = ctx.spec
    opts = spec.spec.providers.eks
    existing = opts is not None and opts.vpc_id is not None
    table: dict[str, Support] = {}
    table.update(_kubernetes(spec))
    table.update(_control_plane(spec))
    table.update(_node_pools(spec))
    table.update(_network(spec))
    table.update(_istio(ctx))
    policy = ("; Kubernetes NetworkPolicy is enforced on EC2 nodes by the VPC CNI network policy agent "
              "(vpc-cni configurationValues enableNetworkPolicy=true), as GKE enforces it; pods get no AWS "
              "credentials from the node (launch template IMDSv2 only, hop limit 1) but their own through EKS Pod "
              "Identity (eks-pod-identity-agent add-on) or IRSA (the cluster's OIDC issuer is an IAM OIDC provider); "
              "the EBS CSI driver add-on (PersistentVolumes on EBS) runs with its own Pod Identity role "
              "(AmazonEBSCSIDriverPolicy); Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key "
              "(encryption_config, yearly rotation on, $1/month; once on it cannot be turned off)")
    table["spec.tenancy.isolation"] = (
        native("aws.eks.FargateProfile: pods labelled kubefleet.dev/sandboxed=true each run in their own Fargate micro-VM"
               + policy + "; NetworkPolicy is NOT enforced for Fargate pods (the VPC CNI agent runs on EC2 nodes only) "
               "- isolate them with security groups for pods")
        if spec.spec.tenancy.isolation == "sandboxed"
        else native("pods share node kernels (the default)" + policy)
    )
    table.update(_upgrades(spec))
    table["spec.providers.eks.region"] = native("the AWS provider's region for every resource")
    table["spec.providers.eks.vpcId"] = native(
        "the cluster uses this VPC; no VPC, subnets, gateways or routes are created" if existing
        else "not given: kubefleet creates the VPC"
    )
    table["spec.providers.eks.subnetIds"] = native(
        "control plane and node groups use these subnets (Fargate uses privateSubnetIds)"
        if existing else "not given: subnets are created"
    )
    private_ids = opts.private_subnet_ids if opts is not None else []
    if private_ids:
        fargate = native("the Fargate profile uses these subnets (Fargate accepts private subnets only)")
    else:  # (sandboxed tenancy in an existing VPC without them is refused by the spec model)
        fargate = native("not given: Fargate uses the private subnets kubefleet creates" if not existing
                         else "not given: no Fargate profile (tenancy is shared)")
    table["spec.providers.eks.privateSubnetIds"] = fargate
    names = admins(spec)
    table["spec.providers.eks.admins"] = native(
        f"one EKS access entry (STANDARD) with {CLUSTER_ADMIN_POLICY} at cluster scope for the identity that runs "
        f"`up` (its IAM role, from the session) and for each of the {len(names)} listed ARN(s), once per ARN (the "
        "deployer may be listed too); bootstrapClusterCreatorAdminPermissions is off, so EKS adds no entry of its "
        "own; authentication mode API (no aws-auth ConfigMap)" if names else
        f"none given: only the identity that runs `up` is cluster admin - an EKS access entry (STANDARD) with "
        f"{CLUSTER_ADMIN_POLICY} for its IAM role, declared by kubefleet (bootstrapClusterCreatorAdminPermissions "
        "is off); add IAM role/user ARNs to grant others access entries"
    )
    return table


def _labels(spec: ClusterSpec) -> Support:
    empty = [f"{p.name}.{k}" for p in spec.spec.node_pools for k, v in p.labels.items() if not v]
    if empty:
        return unsupported(f"EKS refuses empty node-label values (Kubernetes allows them): {', '.join(empty)} "
                           "(`kubefleet validate` refuses it for EKS)")
    return native("NodeGroup.labels (Kubernetes node labels)")

"""EKS adapter: real pulumi_aws classes under the SDK's mock monitor, asserting the translations that matter."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from functools import cache

import pytest

from kubefleet.errors import CatalogError, RenderError
from kubefleet.graph import SECRET, ResourceGraph
from kubefleet.providers import get_adapter
from kubefleet.providers.base import spec_field_paths
from kubefleet.providers.eks.mocks import MOCK_DEPLOYER_ROLE, mock_ca
from kubefleet.providers.mesh import ISTIO_CHART_REPO
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec
from tests.conftest import MINIMAL, example_specs, resolved, shape_resolver

CLUSTER = "aws:eks/cluster:Cluster"
NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
FARGATE = "aws:eks/fargateProfile:FargateProfile"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"
VPC_TYPES = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
)
# Every type the adapter emits whose AWS API takes tags.
TAGGABLE = (
    *[t for t in VPC_TYPES if t != "aws:ec2/routeTableAssociation:RouteTableAssociation"],
    CLUSTER, NODEGROUP, FARGATE, "aws:eks/addon:Addon", "aws:iam/role:Role",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:cloudwatch/logGroup:LogGroup",
)


def _spec(text: str) -> ClusterSpec:
    return load_text(text, "test.yaml")[0].spec


@cache
def _render_text(text: str) -> ResourceGraph:
    return render(_spec(text), "eks", resolver=shape_resolver("eks"))


def rendered(text: str) -> ResourceGraph:
    """Render once per distinct spec text (renders are cheap, but not free)."""
    return _render_text(text)


def with_spec(extra: str, *, pools: str | None = None, name: str = "mini") -> str:
    """MINIMAL with extra lines under `spec:` and optionally other node pools."""
    text = MINIMAL.replace("name: mini", f"name: {name}")
    if pools is not None:
        text = text[: text.index("  nodePools:")] + pools
    return text + extra


GPU_POOLS = """\
  nodePools:
    - name: system
      machine: {vcpus: 4, memoryGiB: 16}
      count: 2
    - name: gpu
      machine: {vcpus: 8, memoryGiB: 32, gpu: {kind: nvidia-l4, count: 1}}
      instanceTypes: {eks: g6.2xlarge}
      autoscaling: {min: 1, max: 8}
      spot: true
      disk: {sizeGiB: 200, type: ssd}
      labels: {accelerator: nvidia-l4}
      taints:
        - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
        - {key: dedicated, value: ml, effect: PreferNoSchedule}
        - {key: evict, effect: NoExecute}
"""


def by_name(graph: ResourceGraph, type_: str, name: str):  # type: ignore[no-untyped-def]
    found = [r for r in graph.of_type(type_) if r.name == name]
    assert len(found) == 1, f"{type_} {name}: {[r.name for r in graph.of_type(type_)]}"
    return found[0]


# ---- every example renders; structure ----


@pytest.mark.parametrize("loaded", example_specs(), ids=lambda s: s.spec.name)
def test_every_example_renders_under_one_protected_component(loaded) -> None:  # type: ignore[no-untyped-def]
    spec = loaded.spec
    graph = render(spec, "eks", resolver=shape_resolver("eks"))
    component = graph.one("kubefleet:eks:Cluster")
    assert component.name == spec.name
    assert component.protect == (spec.metadata.env == "prod")
    by_urn = {r.urn: r for r in graph}
    for r in graph:
        if r is component:
            continue
        node, seen = r, set()
        while node.parent is not None and node.parent != component.urn:
            assert node.parent not in seen
            seen.add(node.parent)
            node = by_urn[node.parent]
        assert node.parent == component.urn, f"{r.type} {r.name} is not under the component"
    assert len(graph.of_type(NODEGROUP)) == len(spec.spec.node_pools)
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.outputs["endpoint"].startswith("https://") and graph.outputs["endpoint"].endswith(".eks.amazonaws.com")
    assert graph.outputs["region"] == spec.region_for("eks")


def test_sweet_spot_renders_the_same_graph_twice() -> None:
    """Rendering is deterministic (the render cache and the PR diff rely on it). Render speed is measured in
    benchmarks/ (scale_bench.py), not asserted here: a wall-clock bound in the default run flakes on a
    loaded 2-core CI machine."""
    spec = next(s.spec for s in example_specs() if s.spec.name == "sweet-spot")
    first = render(spec, "eks", resolver=shape_resolver("eks"))
    assert render(spec, "eks", resolver=shape_resolver("eks")).as_json() == first.as_json()


def test_tags_on_everything_taggable() -> None:
    graph = rendered(with_spec(
        "  tenancy: {isolation: sandboxed}\n  network: {privateNodes: true}\n"
        "  controlPlane: {endpoint: private, authorizedNetworks: [10.200.0.0/16]}\n"
    ))
    labels = {"kubefleet.dev/cluster": "mini", "kubefleet.dev/managed-by": "kubefleet", "team": "t", "owner": "o",
              "cost-center": "cc-1", "env": "dev"}
    seen = set()
    for r in graph:
        if r.type in TAGGABLE:
            seen.add(r.type)
            assert labels.items() <= r.inputs["tags"].items(), f"{r.type} {r.name} lacks ownership tags"
    assert seen == set(TAGGABLE)  # the spec above exercises every taggable type
    template = graph.one("aws:ec2/launchTemplate:LaunchTemplate")
    specs = {ts["resourceType"]: ts["tags"] for ts in template.inputs["tagSpecifications"]}
    assert set(specs) == {"instance", "volume", "network-interface"}
    assert all(labels.items() <= t.items() for t in specs.values())  # EC2 instances and volumes too


# ---- control plane ----


@pytest.mark.parametrize(("channel", "support"), [("extended", "EXTENDED"), ("stable", "STANDARD"),
                                                  ("rapid", "STANDARD"), ("none", "STANDARD")])
def test_channel_maps_to_upgrade_policy(channel: str, support: str) -> None:
    text = with_spec("").replace('kubernetes: {version: "1.33"}', f'kubernetes: {{version: "1.32", channel: {channel}}}')
    graph = rendered(text)
    cluster = graph.one(CLUSTER)
    assert cluster.get("upgradePolicy.supportType") == support
    assert cluster.get("version") == "1.32"
    assert {ng.get("version") for ng in graph.of_type(NODEGROUP)} == {"1.32"}


def test_patch_version_is_cut_to_minor_and_said_so() -> None:
    text = with_spec("").replace('version: "1.33"', 'version: "1.33.4"')
    assert rendered(text).one(CLUSTER).get("version") == "1.33"
    support = get_adapter("eks").field_support(resolved(_spec(text), "eks"))["spec.kubernetes.version"]
    assert support.status == "emulated" and "1.33.4" in support.detail


def test_cluster_defaults() -> None:
    cluster = rendered(MINIMAL).one(CLUSTER)
    assert cluster.get("accessConfig.authenticationMode") == "API"
    assert cluster.get("enabledClusterLogTypes") == ["api", "audit", "authenticator"]
    assert cluster.get("kubernetesNetworkConfig.serviceIpv4Cidr") == "10.96.0.0/16"
    assert cluster.get("bootstrapSelfManagedAddons") is False
    assert cluster.get("roleArn", "").startswith("arn:aws:iam::")
    addons = {a.get("addonName") for a in rendered(MINIMAL).of_type("aws:eks/addon:Addon")}
    assert addons == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver"}


def test_private_endpoint_with_authorised_networks() -> None:
    graph = rendered(with_spec(
        "  controlPlane: {endpoint: private, authorizedNetworks: [10.200.0.0/16, 192.168.10.0/24]}\n"
        "  network: {serviceCidr: 10.100.0.0/16}\n"
    ))
    vpc = graph.one(CLUSTER).get("vpcConfig")
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    rules = graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.get("cidrIpv4") for r in rules) == ["10.200.0.0/16", "192.168.10.0/24"]
    assert all(r.get("fromPort") == 443 == r.get("toPort") and r.get("securityGroupId", "").startswith("sg-")
               for r in rules)
    assert graph.one(CLUSTER).get("kubernetesNetworkConfig.serviceIpv4Cidr") == "10.100.0.0/16"


def test_public_endpoint_limits_public_access_cidrs() -> None:
    graph = rendered(with_spec("  controlPlane: {endpoint: public, authorizedNetworks: [203.0.113.0/24]}\n"))
    vpc = graph.one(CLUSTER).get("vpcConfig")
    assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert not graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")


# ---- node groups ----


def test_gpu_spot_autoscaled_pool_with_taints() -> None:
    graph = rendered(with_spec("", pools=GPU_POOLS))
    gpu = by_name(graph, NODEGROUP, "mini-gpu")
    system = by_name(graph, NODEGROUP, "mini-system")
    assert gpu.get("instanceTypes") == ["g6.2xlarge"]  # the pin, through ctx.instance(pool)
    assert gpu.get("amiType") == "AL2023_x86_64_NVIDIA"
    assert system.get("amiType") == "AL2023_x86_64_STANDARD"
    # the test resolver's choice, passed through untouched (product code uses kubefleet.resolve.matching)
    assert system.get("instanceTypes") == [shape_resolver("eks")(_spec(with_spec("", pools=GPU_POOLS)).spec.node_pools[0]).name]
    assert gpu.get("capacityType") == "SPOT" and system.get("capacityType") == "ON_DEMAND"
    assert gpu.get("scalingConfig") == {"minSize": 1, "maxSize": 8, "desiredSize": 1}
    assert system.get("scalingConfig") == {"minSize": 2, "maxSize": 2, "desiredSize": 2}
    # The label NVIDIA's chart accepts in place of NFD's PCI-vendor label ("We allow a GPU deployment to be
    # forced by setting the following label to true"): NVIDIA/k8s-device-plugin@v0.20.0
    # (1b826acc6af3079d8923bac395c3124b8861a9a6) deployments/helm/nvidia-device-plugin/values.yaml:81-85.
    assert gpu.get("labels") == {"accelerator": "nvidia-l4", "nvidia.com/gpu.present": "true"}
    assert system.get("labels") in ({}, None)
    assert gpu.get("taints") == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"},
        {"key": "dedicated", "value": "ml", "effect": "PREFER_NO_SCHEDULE"},
        {"key": "evict", "effect": "NO_EXECUTE"},
    ]
    assert gpu.get("updateConfig") == {"maxUnavailable": 1, "updateStrategy": "DEFAULT"}
    templates = {t.name: t for t in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    ebs = templates["mini-gpu-lt"].get("blockDeviceMappings.0.ebs")
    assert ebs["volumeType"] == "io2" and ebs["volumeSize"] == 200 and ebs["iops"] == 6000
    assert templates["mini-system-lt"].get("blockDeviceMappings.0.ebs.volumeType") == "gp3"
    assert gpu.get("launchTemplate.id") == "mini-gpu-lt-id"


def test_gpu_pools_get_the_nvidia_device_plugin() -> None:
    # AWS: "When using the EKS-optimized AL2023 AMIs with NVIDIA GPUs, you must install the NVIDIA Kubernetes
    # device plugin" (awsdocs/amazon-eks-user-guide@4cd40a7530c003d18599e4ab19ecdf1078841793:
    # latest/ug/ml/ml-eks-k8s-device-plugin.adoc). Chart name/version/repo: NVIDIA/k8s-device-plugin tag v0.20.0,
    # deployments/helm/nvidia-device-plugin/Chart.yaml (name nvidia-device-plugin, version "0.20.0").
    graph = rendered(with_spec("", pools=GPU_POOLS))
    plugin = by_name(graph, RELEASE, "mini-nvidia-device-plugin")
    assert (plugin.get("chart"), plugin.get("version")) == ("nvidia-device-plugin", "0.20.0")
    assert plugin.get("repositoryOpts.repo") == "https://nvidia.github.io/k8s-device-plugin"
    tolerations = plugin.get("values.tolerations")
    # the chart's own defaults (values.yaml:86-93) stay; the pool's other taints are tolerated too
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations
    assert {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "PreferNoSchedule"} in tolerations
    assert {"key": "evict", "operator": "Exists", "effect": "NoExecute"} in tolerations
    assert plugin.get("namespace") == "kube-system"
    assert not rendered(MINIMAL).of_type(RELEASE)  # no GPU pool, no plugin


def test_arm_ami_type_comes_from_the_catalogs_arch_and_an_unlisted_type_is_refused() -> None:
    """m7g.xlarge is arch arm64 in the catalog (AL2023_ARM_64_STANDARD, a member of botocore's AMITypes); inf2.xlarge
    is not in the catalog, so its architecture is unknown and it is refused instead of guessed from its name."""
    import botocore.session

    enum = botocore.session.get_session().get_service_model("eks").shape_for("AMITypes").enum
    arm = """\
  nodePools:
    - name: arm
      machine: {vcpus: 4, memoryGiB: 16}
      instanceTypes: {eks: m7g.xlarge}
      count: 1
"""
    graph = rendered(with_spec("", pools=arm))
    assert by_name(graph, NODEGROUP, "mini-arm").get("amiType") == "AL2023_ARM_64_STANDARD"
    assert "AL2023_ARM_64_STANDARD" in enum
    with pytest.raises(CatalogError, match=r"inf2\.xlarge is not in the EKS catalog"):
        rendered(with_spec("", pools=arm.replace("m7g.xlarge", "inf2.xlarge")))


def test_surge_settings_map_to_update_config() -> None:
    graph = rendered(with_spec("  upgrades: {strategy: surge, maxSurge: 0, maxUnavailable: 2}\n"))
    assert graph.one(NODEGROUP).get("updateConfig") == {"maxUnavailable": 2, "updateStrategy": "MINIMAL"}


def test_blue_green_renames_the_node_group_on_upgrade_surge_does_not() -> None:
    def group_name(strategy: str, version: str) -> str:
        text = with_spec(f"  upgrades: {{strategy: {strategy}}}\n").replace('"1.33"', f'"{version}"')
        return str(rendered(text).one(NODEGROUP).get("nodeGroupName"))

    assert group_name("blue-green", "1.33") != group_name("blue-green", "1.34")
    assert group_name("surge", "1.33") == group_name("surge", "1.34")
    support = get_adapter("eks").field_support(resolved(_spec(with_spec("  upgrades: {strategy: blue-green}\n")), "eks"))
    assert support["spec.upgrades.strategy"].status == "emulated"


def test_ubuntu_is_reported_unsupported() -> None:
    text = with_spec("").replace("      count: 3", "      count: 3\n      os: ubuntu")
    support = get_adapter("eks").field_support(resolved(_spec(text), "eks"))["spec.nodePools[].os"]
    assert support.status == "unsupported" and "Ubuntu" in support.detail
    assert rendered(text).one(NODEGROUP).get("amiType") == "AL2023_x86_64_STANDARD"


# ---- network ----


def test_created_vpc_spans_distinct_zones_with_nat_per_zone() -> None:
    graph = rendered(with_spec("  network: {nodeCidr: 10.10.0.0/16, privateNodes: true}\n", name="net"))
    assert graph.one("aws:ec2/vpc:Vpc").get("cidrBlock") == "10.10.0.0/16"
    subnets = graph.of_type("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if "kubernetes.io/role/internal-elb" in s.inputs["tags"]]
    public = [s for s in subnets if "kubernetes.io/role/elb" in s.inputs["tags"]]
    assert len(private) == len(public) == 3
    zones = [s.get("availabilityZoneId") for s in private]
    # an account's zone ids are known only at `up`: offline each subnet says which zone of the lookup it takes
    assert zones == [f"us-east-1-zone-{n}-resolved-at-up" for n in (1, 2, 3)]
    assert [s.get("cidrBlock") for s in private] == ["10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"]
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(graph.of_type("aws:ec2/eip:Eip")) == 3
    assert graph.one("aws:ec2/internetGateway:InternetGateway")
    private_ids = {f"{s.name}-id" for s in private}
    assert set(graph.one(NODEGROUP).get("subnetIds")) == private_ids
    assert set(graph.one(CLUSTER).get("vpcConfig.subnetIds")) == private_ids
    routes = [rt.get("routes.0") for rt in graph.of_type("aws:ec2/routeTable:RouteTable")]
    assert sum(1 for r in routes if r.get("natGatewayId")) == 3
    assert sum(1 for r in routes if r.get("gatewayId")) == 1


def test_zonal_cluster_has_one_nat_and_nodes_in_one_zone() -> None:
    graph = rendered(with_spec("  controlPlane: {availability: zonal, replicas: 1}\n  network: {privateNodes: true}\n"))
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len({s.get("availabilityZoneId") for s in graph.of_type("aws:ec2/subnet:Subnet")}) == 2
    assert len(graph.one(NODEGROUP).get("subnetIds")) == 1
    assert len(graph.one(CLUSTER).get("vpcConfig.subnetIds")) == 2


def test_public_nodes_need_no_nat() -> None:
    graph = rendered(MINIMAL)
    assert not graph.of_type("aws:ec2/natGateway:NatGateway")
    node_subnets = set(graph.one(NODEGROUP).get("subnetIds"))
    public = {f"{s.name}-id" for s in graph.of_type("aws:ec2/subnet:Subnet") if s.get("mapPublicIpOnLaunch")}
    assert node_subnets == public and len(public) == 3


def test_existing_vpc_creates_no_network() -> None:
    graph = rendered(with_spec(
        "  providers:\n    eks: {vpcId: vpc-0abc, subnetIds: [subnet-1, subnet-2, subnet-3]}\n"
    ))
    assert not graph.of_type(*VPC_TYPES)
    assert graph.one(CLUSTER).get("vpcConfig.subnetIds") == ["subnet-1", "subnet-2", "subnet-3"]
    assert graph.one(NODEGROUP).get("subnetIds") == ["subnet-1", "subnet-2", "subnet-3"]


# ---- IAM, tenancy ----


def test_iam_policy_attachments() -> None:
    graph = rendered(with_spec("  tenancy: {isolation: sandboxed}\n"))
    roles = {r.name: r for r in graph.of_type("aws:iam/role:Role")}
    attached: dict[str, set[str]] = {}
    for a in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        attached.setdefault(str(a.parent_name), set()).add(a.get("policyArn").rsplit("/", 1)[-1])
    assert attached == {
        "mini-cluster-role": {"AmazonEKSClusterPolicy"},
        "mini-node-role": {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"},
        "mini-fargate-role": {"AmazonEKSFargatePodExecutionRolePolicy"},
        "mini-ebs-csi-role": {"AmazonEBSCSIDriverPolicy"},
    }
    trust = json.loads(roles["mini-node-role"].get("assumeRolePolicy"))
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert graph.one(NODEGROUP).get("nodeRoleArn").endswith("/" + roles["mini-node-role"].get("name"))


EXISTING_VPC = """\
  tenancy: {isolation: sandboxed}
  providers:
    eks: {vpcId: vpc-0abc, subnetIds: [subnet-pub1, subnet-pub2], privateSubnetIds: [subnet-prv1, subnet-prv2]}
"""


def test_fargate_in_an_existing_vpc_uses_the_private_subnets() -> None:
    # botocore eks CreateFargateProfileRequest.subnets: "only private subnets (with no direct route to an
    # Internet Gateway) are accepted for this parameter".
    graph = rendered(with_spec(EXISTING_VPC))
    assert graph.one(FARGATE).get("subnetIds") == ["subnet-prv1", "subnet-prv2"]
    assert graph.one(NODEGROUP).get("subnetIds") == ["subnet-pub1", "subnet-pub2"]
    parity = {n.field: n for n in graph.parity}
    assert parity["spec.providers.eks.privateSubnetIds"].status == "native"
    # without them the spec is refused (tests/test_day2_eks.py): Fargate never lands on guessed subnets


def test_admins_get_access_entries_with_the_cluster_admin_policy() -> None:
    arns = ["arn:aws:iam::111122223333:role/platform-admins", "arn:aws:iam::111122223333:user/jane"]
    graph = rendered(with_spec(f"  providers:\n    eks: {{admins: [{arns[0]}, {arns[1]}]}}\n"))
    entries = graph.of_type("aws:eks/accessEntry:AccessEntry")
    # the listed ARNs plus the deployer (offline: the documentation account's role behind the session)
    assert sorted(e.get("principalArn") for e in entries) == sorted([*arns, MOCK_DEPLOYER_ROLE])
    assert {e.get("type") for e in entries} == {"STANDARD"}
    policies = graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    # the AWS-managed policy terraform-aws-eks associates for cluster admins (terraform-aws-modules/
    # terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:main.tf:261-264), cluster scope
    assert {p.get("policyArn") for p in policies} == {
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
    assert {p.get("accessScope.type") for p in policies} == {"cluster"}
    assert graph.one(CLUSTER).get("accessConfig.authenticationMode") in ("API", "API_AND_CONFIG_MAP")
    assert [e.get("principalArn") for e in rendered(MINIMAL).of_type("aws:eks/accessEntry:AccessEntry")] == [
        MOCK_DEPLOYER_ROLE]


def test_admins_must_be_iam_principal_arns() -> None:
    from kubefleet.errors import SpecError

    with pytest.raises(SpecError, match="admins"):
        _spec(with_spec("  providers:\n    eks: {admins: [jane@example.com]}\n"))


def test_addon_versions_follow_the_cluster_and_vpc_cni_enforces_network_policy() -> None:
    from kubefleet.providers.eks.mocks import ADDON_VERSION_OFFLINE

    graph = rendered(MINIMAL)
    addons = {a.get("addonName"): a for a in graph.of_type("aws:eks/addon:Addon")}
    # looked up at apply time (aws.eks.get_addon_version, most recent for the cluster's version): offline the
    # lookup answers with a placeholder, never a frozen version
    assert {a.get("addonVersion") for a in addons.values()} == {ADDON_VERSION_OFFLINE}
    # awsdocs/amazon-eks-user-guide@d9a9cba5f72775824492cfad11b145ebc1367ceb:
    # latest/ug/networking/cni-network-policy-configure.adoc: configuration value {"enableNetworkPolicy": "true"}
    assert json.loads(addons["vpc-cni"].get("configurationValues")) == {"enableNetworkPolicy": "true"}
    assert addons["coredns"].get("configurationValues") is None


def test_addon_versions_and_zones_are_looked_up_not_guessed() -> None:
    from kubefleet.providers.eks.mocks import GET_ADDON_VERSION, GET_AVAILABILITY_ZONES

    seen: list[dict[str, object]] = []
    adapter = get_adapter("eks")
    original = adapter.mock_call

    def spy(token: str, args: dict[str, object]) -> dict[str, object] | None:
        seen.append({"token": token, **args})
        return original(token, args)

    adapter.mock_call = spy  # type: ignore[method-assign]
    try:
        render(_spec(MINIMAL), "eks", resolver=shape_resolver("eks"))
    finally:
        del adapter.mock_call
    addons = [s for s in seen if s["token"] == GET_ADDON_VERSION]
    assert {s["addonName"] for s in addons} == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent",
                                                "aws-ebs-csi-driver"}
    assert all(s["kubernetesVersion"] == "1.33" and s["mostRecent"] is True for s in addons)
    # zones are looked up too, with the ids EKS rejects excluded (EKS user guide, "Subnet requirements")
    zones = [s for s in seen if s["token"] == GET_AVAILABILITY_ZONES]
    assert len(zones) == 1 and set(zones[0]["excludeZoneIds"]) >= {"use1-az3"}  # type: ignore[arg-type]
    assert zones[0]["state"] == "available" and zones[0]["region"] == "us-east-1"


def test_stack_aws_config_reaches_the_provider_and_the_kubeconfig() -> None:
    import pulumi

    role = "arn:aws:iam::111122223333:role/deployer"
    pulumi.runtime.set_config("aws:profile", "platform-dev")
    pulumi.runtime.set_config("aws:assumeRoles", json.dumps([{"roleArn": role, "sessionName": "kubefleet"}]))
    try:
        graph = render(_spec(MINIMAL), "eks", resolver=shape_resolver("eks"))
        doc = _kubeconfig_document(_spec(MINIMAL))
    finally:
        from pulumi.runtime import config as runtime_config

        runtime_config.CONFIG.get().pop("aws:profile", None)
        runtime_config.CONFIG.get().pop("aws:assumeRoles", None)
    provider = graph.one("pulumi:providers:aws")
    assert provider.get("profile") == "platform-dev"
    assert "deployer" in json.dumps(provider.inputs)
    args = doc["users"][0]["user"]["exec"]["args"]
    # pulumi-eks passes the profile and the role to `aws eks get-token` the same way (pulumi/pulumi-eks@
    # 7bf0c1b179932ce51cb02dfc4f9bd0d7550cb0cd:nodejs/eks/cluster/cluster.ts:228-237)
    assert args[args.index("--profile") + 1] == "platform-dev"
    assert args[args.index("--role-arn") + 1] == role
    plain = _kubeconfig_document(_spec(MINIMAL))["users"][0]["user"]["exec"]["args"]
    assert "--profile" not in plain and "--role-arn" not in plain


def test_sandboxed_tenancy_adds_fargate_profile_on_private_subnets() -> None:
    graph = rendered(with_spec("  tenancy: {isolation: sandboxed}\n"))
    profile = graph.one(FARGATE)
    assert profile.get("selectors") == [{"namespace": "*", "labels": {"kubefleet.dev/sandboxed": "true"}}]
    private = {f"{s.name}-id" for s in graph.of_type("aws:ec2/subnet:Subnet") if not s.get("mapPublicIpOnLaunch")}
    assert set(profile.get("subnetIds")) == private
    assert graph.of_type("aws:ec2/natGateway:NatGateway")  # Fargate pods egress through NAT
    assert not rendered(MINIMAL).of_type(FARGATE)


# ---- Istio ----


def test_istio_managed_is_helm_installed_and_emulated() -> None:
    text = with_spec("  addons:\n    istio: {mode: managed, dataPlane: sidecar, expectedPods: 300}\n")
    graph = rendered(text)
    releases = graph.of_type(RELEASE)
    assert sorted(r.get("chart") for r in releases) == ["base", "istiod"]
    # Kubernetes 1.33 on the compatibility data's date (2026-11-29): Istio 1.31 (supported on Kubernetes 1.32 to
    # 1.36, istio/istio.io@b65812cb3cc7969b7b84be381d8b109b8aff544f:content/en/news/releases/1.31.x/
    # announcing-1.31/_index.md), newest patch 1.31.1 (news/releases/1.31.x/announcing-1.31.1).
    assert all(r.get("version") == "1.31.1" and r.get("repositoryOpts.repo") == ISTIO_CHART_REPO
               for r in releases)
    assert releases[1].get("values.global.proxy.resources.requests") == {"cpu": "100m", "memory": "128Mi"}
    provider = graph.one(K8S_PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET and provider.secret_paths == ("kubeconfig",)
    parity = {n.field: n for n in graph.parity}
    assert parity["spec.addons.istio.mode"].status == "emulated"
    assert not rendered(MINIMAL).of_type(RELEASE, K8S_PROVIDER)


def test_istio_ambient_adds_cni_and_ztunnel() -> None:
    graph = rendered(with_spec("  addons:\n    istio: {mode: self-managed, dataPlane: ambient}\n"))
    releases = graph.of_type(RELEASE)
    assert sorted(r.get("chart") for r in releases) == ["base", "cni", "istiod", "ztunnel"]
    assert releases[1].get("values.profile") == "ambient" and releases[2].get("values.profile") == "ambient"
    assert {n.field: n.status for n in graph.parity}["spec.addons.istio.mode"] == "native"


# ---- secrets, names, contract ----


def test_kubeconfig_is_secret_and_never_leaks() -> None:
    text = with_spec("  addons:\n    istio: {mode: self-managed}\n")
    graph = rendered(text)
    ca = mock_ca(graph.outputs["clusterName"])
    assert base64.b64decode(ca).startswith(b"-----BEGIN CERTIFICATE-----\nkubefleet-mock-ca:")
    dumped = json.dumps(graph.as_json())
    assert "kubefleet-mock-ca" not in dumped and ca not in dumped
    assert "get-token" not in dumped  # the kubeconfig document appears nowhere in plain text
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.one(K8S_PROVIDER).inputs["kubeconfig"] == SECRET


def test_kubeconfig_uses_exec_plugin_built_from_cluster_outputs() -> None:
    spec = _spec(MINIMAL)
    graph = rendered(MINIMAL)
    doc = _kubeconfig_document(spec)
    assert doc["clusters"][0]["cluster"]["server"] == graph.outputs["endpoint"]
    assert doc["clusters"][0]["cluster"]["certificate-authority-data"] == mock_ca(graph.outputs["clusterName"])
    user = doc["users"][0]["user"]
    assert "token" not in user
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", graph.outputs["clusterName"]]
    assert "us-east-1" in user["exec"]["args"]


def _kubeconfig_document(spec: ClusterSpec) -> dict:  # type: ignore[type-arg]
    """The kubeconfig's plain value, read through the same mock monitor (tests only)."""
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from kubefleet.render.offline import _LOCK, _make_mocks_and_monitor

    adapter = get_adapter("eks")
    ctx = resolved(spec, "eks")
    captured: dict[str, pulumi.Output[str]] = {}
    with _LOCK:
        the_mocks, monitor, _ = _make_mocks_and_monitor(adapter)
        settings.ROOT.set(None)
        mocks.set_mocks(the_mocks, project="kubefleet", stack="kc-test", preview=False, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()

        def program() -> None:
            captured["kc"] = pulumi.Output.from_input(adapter.build(ctx).kubeconfig)

        _sync_await(run_pulumi_func(program))
        assert _sync_await(captured["kc"].is_secret())
        text = _sync_await(captured["kc"].future())
    return json.loads(text)  # type: ignore[no-any-return]


def test_names_are_deterministic_and_within_limits() -> None:
    long_name = "a" * 40
    text = with_spec("", name=long_name).replace("name: general", "name: " + "p" * 30)
    first, second = render(_spec(text), "eks", resolver=shape_resolver("eks")), rendered(text)
    names = lambda g: sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in g)  # noqa: E731
    assert names(first) == names(second)
    assert len(first.one(CLUSTER).get("name")) <= 100
    role_names = [r.get("name") for r in first.of_type("aws:iam/role:Role")]
    assert role_names and all(len(n) <= 64 for n in role_names)
    group = first.one(NODEGROUP).get("nodeGroupName")
    assert len(group) <= 63 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", group)
    # two clusters whose names share a long prefix still get distinct cloud names
    other = rendered(with_spec("", name="a" * 39 + "b"))
    assert other.one(CLUSTER).get("name") != first.one(CLUSTER).get("name")


def test_field_support_covers_every_path() -> None:
    adapter = get_adapter("eks")
    for loaded in example_specs():
        table = adapter.field_support(resolved(loaded.spec, "eks"))
        for path in spec_field_paths("eks"):
            assert path in table, path
            assert table[path].status in ("native", "emulated", "unsupported") and table[path].detail
        assert len(adapter.parity(resolved(loaded.spec, "eks"))) == len(spec_field_paths("eks"))


def test_field_support_is_spec_sensitive() -> None:
    adapter = get_adapter("eks")
    plain = adapter.field_support(resolved(_spec(MINIMAL), "eks"))
    window = adapter.field_support(resolved(_spec(with_spec(
        '  upgrades: {maintenanceWindow: {day: sun, start: "03:00", hours: 4}}\n'
    )), "eks"))
    assert plain["spec.upgrades.maintenanceWindow.day"].status == "native"
    assert window["spec.upgrades.maintenanceWindow.day"].status == "unsupported"
    assert plain["spec.network.podCidr"].status == "unsupported"
    free = adapter.field_support(resolved(_spec(with_spec("  controlPlane: {tier: free}\n")), "eks"))
    assert free["spec.controlPlane.tier"].status == "unsupported"


def test_misspelt_argument_to_sdk_args_fails_the_render(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_aws as aws

    real = aws.eks.NodeGroupScalingConfigArgs

    def misspelt(**kwargs: object) -> object:
        kwargs["desired_sise"] = kwargs.pop("desired_size")
        return real(**kwargs)

    monkeypatch.setattr(aws.eks, "NodeGroupScalingConfigArgs", misspelt)
    with pytest.raises(RenderError, match="desired_sise"):
        render(_spec(MINIMAL), "eks", resolver=shape_resolver("eks"))


def test_load_spec_fixture_spec_renders(load_spec: Callable[[str], ClusterSpec]) -> None:
    graph = render(load_spec(MINIMAL), "eks", resolver=shape_resolver("eks"))
    assert graph.one(CLUSTER).get("tags")["kubefleet.dev/cluster"] == "mini"


# ---- dated compatibility data (kubefleet/catalog/data/compat-eks.yaml), pinned to its sources ----

# Transcribed from the release calendar of awsdocs/amazon-eks-user-guide@013856044148d6eeed4723027a45aa2180536bcb
# latest/ug/versioning/kubernetes-versions.adoc (1.29-1.34) and @8596db85c9ea47d3c692d8c7c0498f616187d44d (1.27,
# 1.28): (minor, Amazon EKS release, end of standard support, end of extended support).
EKS_CALENDAR = [
    ("1.27", "2023-05-24", "2024-07-24", "2025-07-24"),
    ("1.28", "2023-09-26", "2024-11-26", "2025-11-26"),
    ("1.29", "2024-01-23", "2025-03-23", "2026-03-23"),
    ("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
    ("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
    ("1.32", "2025-01-23", "2026-03-23", "2027-03-23"),
    ("1.33", "2025-05-29", "2026-07-29", "2027-07-29"),
    ("1.34", "2025-10-02", "2026-12-02", "2027-12-02"),
    # endoflife.date/amazon-eks (mirrors AWS's calendar; the AWS user guide says 1.35 is available)
    ("1.35", "2026-01-28", "2027-03-27", "2028-03-27"),
]


@pytest.mark.parametrize(("minor", "released", "std_end", "ext_end"), EKS_CALENDAR, ids=[r[0] for r in EKS_CALENDAR])
def test_eks_versions_match_the_aws_calendar(minor: str, released: str, std_end: str, ext_end: str) -> None:
    from datetime import date

    from kubefleet.lifecycle.compat import load_compat

    compat = load_compat()
    for channel, end in (("stable", std_end), ("rapid", std_end), ("regular", std_end), ("none", std_end),
                         ("extended", ext_end)):
        found = compat.channel("eks", channel)
        assert found is not None
        row = next(r for r in found.minors if r.minor == minor)
        assert (row.start, row.end) == (date.fromisoformat(released), date.fromisoformat(end)), (channel, minor)
        assert row.source.url.startswith("https://")


def test_eks_standard_policy_rejects_a_minor_past_standard_support() -> None:
    """Upgrade policy STANDARD (spec channels other than `extended`) offers a minor only until its end of
    standard support; EXTENDED until the end of extended support (AWS: 14 + 12 months)."""
    from datetime import date

    from kubefleet.lifecycle.compat import load_compat

    compat = load_compat()
    on = date(2026, 11, 29)
    assert "1.33" not in (compat.offered_minors("eks", "stable", on) or [])
    assert "1.33" in (compat.offered_minors("eks", "extended", on) or [])
    assert "1.31" not in (compat.offered_minors("eks", "extended", on) or [])  # extended support ended 2026-11-26


def test_too_few_zones_fail_with_a_clear_message() -> None:
    from kubefleet.providers.eks.network import _nth_zone

    with pytest.raises(ValueError, match="us-west-1 offers 2 availability zone"):
        _nth_zone(["usw1-az1", "usw1-az3"], 2, 3, "us-west-1")
    assert _nth_zone(["usw1-az3", "usw1-az1"], 0, 2, "us-west-1") == "usw1-az1"


@pytest.mark.parametrize("bounds, now, expect", [
    ((2, 6), None, (2, True)),   # a new node group starts at the minimum; the autoscaler owns it after
    ((2, 6), 3, (3, True)),      # inside the bounds: the autoscaler's value stands
    ((4, 6), 3, (4, False)),     # the minimum rose past what runs: EKS needs desired >= min, so declare it
    ((1, 2), 5, (2, False)),     # the maximum fell below what runs
])
def test_autoscaled_desired_size_follows_the_bounds_eks_enforces(
    bounds: tuple[int, int], now: int | None, expect: tuple[int, bool]
) -> None:
    from kubefleet.providers.eks.nodepool import scaling
    from kubefleet.spec.model import NodePool

    pool = NodePool.model_validate({"name": "p", "machine": {"vcpus": 2, "memoryGiB": 8},
                                    "autoscaling": {"min": bounds[0], "max": bounds[1]}})
    assert scaling(pool, now) == expect


def test_a_fixed_pool_declares_its_count_and_is_not_left_to_an_autoscaler() -> None:
    from kubefleet.providers.eks.nodepool import scaling
    from kubefleet.spec.model import NodePool

    pool = NodePool.model_validate({"name": "p", "machine": {"vcpus": 2, "memoryGiB": 8}, "count": 3})
    assert scaling(pool, 7) == (3, False)

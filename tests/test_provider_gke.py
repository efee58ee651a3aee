"""The GKE adapter, exercised for real under the Pulumi SDK's mock monitor (kubefleet.render.offline)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from kubefleet.errors import RenderError
from kubefleet.graph import SECRET, RenderedResource, ResourceGraph
from kubefleet.providers import get_adapter
from kubefleet.providers.base import spec_field_paths
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec
from tests.conftest import MINIMAL, example_specs, resolved, shape_resolver

COMPONENT = "kubefleet:gke:Cluster"
CLUSTER = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
ROUTER = "gcp:compute/router:Router"
NAT = "gcp:compute/routerNat:RouterNat"
MEMBERSHIP = "gcp:gkehub/membership:Membership"
FEATURE = "gcp:gkehub/feature:Feature"
FEATURE_MEMBERSHIP = "gcp:gkehub/featureMembership:FeatureMembership"
HELM = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"

Load = Callable[[str], ClusterSpec]


def gke(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "gke", resolver=shape_resolver("gke"))


def with_spec(extra: str, base: str = MINIMAL) -> str:
    """MINIMAL with more lines appended under ``spec:`` (two-space indented YAML)."""
    return base + extra


def pool_named(graph: ResourceGraph, pool: str) -> RenderedResource:
    return next(r for r in graph.of_type(POOL) if r.name == f"{graph.cluster}-{pool}")


# ---- every example ----------------------------------------------------------------------------


EXAMPLES = example_specs()


@pytest.mark.parametrize("loaded", EXAMPLES, ids=[f"{s.file.rsplit('/', 1)[-1]}:{s.spec.name}" for s in EXAMPLES])
def test_every_example_renders_under_one_component(loaded: Any) -> None:
    spec: ClusterSpec = loaded.spec
    graph = gke(spec)
    component = graph.one(COMPONENT)
    assert component.name == spec.name and component.parent is None
    assert component.protect == (spec.metadata.env == "prod")
    by_urn = {r.urn: r for r in graph}
    for res in graph:
        if res is component:
            continue
        node, seen = res, 0
        while node.parent is not None and node.parent != component.urn and seen < 10:
            node, seen = by_urn[node.parent], seen + 1
        assert node.parent == component.urn, f"{res.type} {res.name} is not under the component"
    cluster = graph.one(CLUSTER)
    assert cluster.get("resourceLabels")["kubefleet-dev-cluster"] == spec.name
    for pool in graph.of_type(POOL):
        labels = pool.get("nodeConfig.resourceLabels")
        assert labels["kubefleet-dev-cluster"] == spec.name
        assert labels["cost-center"] == spec.metadata.cost_center
    assert {p.name for p in graph.of_type(POOL)} >= {f"{spec.name}-{p.name}" for p in spec.spec.node_pools}
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.outputs["provider"] == "gke"


def test_sweet_spot_renders_the_same_graph_twice(load_spec: Load) -> None:
    """Deterministic rendering; speed is measured in benchmarks/ (a wall-clock bound here flakes under load)."""
    spec = next(s.spec for s in EXAMPLES if s.spec.name == "sweet-spot")
    first = gke(spec)
    graph = gke(spec)
    assert graph.as_json() == first.as_json()
    assert len(graph.of_type(POOL)) == 1


# ---- cluster translations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected", "auto_upgrade"),
    # "none" is emulated inside STABLE: Google no longer lets new customers create "No channel" clusters and
    # moves the rest to Stable on 2027-06-14 (docs.cloud.google.com/kubernetes-engine/docs/release-notes-nochannel)
    [("rapid", "RAPID", True), ("regular", "REGULAR", True), ("stable", "STABLE", True),
     ("extended", "EXTENDED", True), ("none", "STABLE", True)],
)
def test_channel_becomes_release_channel(load_spec: Load, channel: str, expected: str, auto_upgrade: bool) -> None:
    text = MINIMAL.replace('kubernetes: {version: "1.33"}', f'kubernetes: {{version: "1.32.4", channel: {channel}}}')
    graph = gke(load_spec(text))
    cluster = graph.one(CLUSTER)
    assert cluster.get("releaseChannel.channel") == expected
    assert cluster.get("minMasterVersion") == "1.32.4"
    assert graph.one(POOL).get("management.autoUpgrade") is auto_upgrade
    assert graph.one(POOL).get("management.autoRepair") is True
    assert graph.outputs["kubernetesVersion"].startswith("1.32.4")


def test_regional_and_zonal_location(load_spec: Load) -> None:
    regional = gke(load_spec(MINIMAL)).one(CLUSTER)
    assert regional.get("location") == "us-east4"
    assert regional.get("nodeLocations") == ["us-east4-a", "us-east4-b", "us-east4-c"]

    zonal_text = MINIMAL.replace("  region: us-east\n", "  region: us-east\n  controlPlane: {availability: zonal}\n")
    zonal = gke(load_spec(zonal_text)).one(CLUSTER)
    assert zonal.get("location") == "us-east4-a"
    assert zonal.get("nodeLocations") is None

    pinned = with_spec(
        "  controlPlane: {availability: zonal}\n"
        "  providers: {gke: {region: us-east1, zones: [us-east1-c, us-east1-d]}}\n"
    )
    graph = gke(load_spec(pinned))
    assert graph.one(CLUSTER).get("location") == "us-east1-c"
    assert graph.one(CLUSTER).get("nodeLocations") == ["us-east1-d"]  # the cluster's own zone is omitted
    assert graph.one(POOL).get("nodeCount") == 2  # 3 nodes over 2 zones -> 2 per zone, rounded up

    regional_zones = with_spec("  providers: {gke: {zones: [us-east4-b, us-east4-c]}}\n")
    assert gke(load_spec(regional_zones)).one(CLUSTER).get("nodeLocations") == ["us-east4-b", "us-east4-c"]


def test_private_endpoint_private_nodes_and_nat(load_spec: Load) -> None:
    public = gke(load_spec(MINIMAL))
    assert public.one(CLUSTER).get("privateClusterConfig") is None
    assert public.one(CLUSTER).get("masterAuthorizedNetworksConfig") is None
    assert not public.of_type(ROUTER, NAT)

    nodes_only = gke(load_spec(with_spec("  network: {privateNodes: true}\n")))
    cfg = nodes_only.one(CLUSTER).get("privateClusterConfig")
    assert cfg["enablePrivateNodes"] is True and cfg["enablePrivateEndpoint"] is False
    nat = nodes_only.one(NAT)
    assert nat.get("router") == nodes_only.one(ROUTER).get("name")
    assert nat.get("subnetworks.0.name").endswith("/subnetworks/" + nodes_only.one(SUBNET).get("name"))

    private = gke(load_spec(with_spec("  controlPlane: {endpoint: private}\n")))
    cfg = private.one(CLUSTER).get("privateClusterConfig")
    assert cfg["enablePrivateEndpoint"] is True
    assert cfg["enablePrivateNodes"] is True  # GKE needs private nodes behind a private endpoint ...
    support = get_adapter("gke").field_support(resolved(private.spec, "gke"))
    assert support["spec.network.privateNodes"].status == "emulated"  # ... and the parity report says so
    assert private.one(CLUSTER).get("masterAuthorizedNetworksConfig") == {
        "cidrBlocks": [], "gcpPublicCidrsAccessEnabled": False
    }
    assert private.outputs["endpoint"] == "172.16.0.2"


def test_authorized_networks(load_spec: Load) -> None:
    text = with_spec("  controlPlane: {authorizedNetworks: [203.0.113.0/24, 198.51.100.0/25]}\n")
    cfg = gke(load_spec(text)).one(CLUSTER).get("masterAuthorizedNetworksConfig")
    assert [b["cidrBlock"] for b in cfg["cidrBlocks"]] == ["203.0.113.0/24", "198.51.100.0/25"]


def test_cluster_defaults_that_matter(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL.replace("env: dev", "env: prod")))
    cluster = graph.one(CLUSTER)
    assert cluster.get("removeDefaultNodePool") is True and cluster.get("initialNodeCount") == 1
    assert cluster.get("datapathProvider") == "ADVANCED_DATAPATH"
    assert cluster.get("deletionProtection") is True
    assert cluster.get("networkingMode") == "VPC_NATIVE"
    assert cluster.get("ipAllocationPolicy") == {
        "clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services", "stackType": "IPV4"
    }
    subnet = graph.one(SUBNET)
    assert subnet.get("ipCidrRange") == "10.0.0.0/16"
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.get("secondaryIpRanges")} == {
        "pods": "10.64.0.0/14", "services": "10.96.0.0/16"
    }
    assert cluster.get("network") == graph.one(SUBNET).get("network")
    assert cluster.get("network").endswith("/global/networks/" + graph.one(NETWORK).get("name"))
    assert graph.one(NETWORK).get("autoCreateSubnetworks") is False
    assert gke(load_spec(MINIMAL)).one(CLUSTER).get("deletionProtection") is False  # env dev


def test_workload_identity_pool_from_project(load_spec: Load, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    given = gke(load_spec(with_spec("  providers: {gke: {project: acme-dev}}\n")))
    assert given.one(CLUSTER).get("workloadIdentityConfig.workloadPool") == "acme-dev.svc.id.goog"
    # every GCP resource (pulumi:index:Stash, which keeps the picked zones in the state, is Pulumi's own)
    assert {r.get("project") for r in given.custom() if r.type.startswith("gcp:")} == {"acme-dev"}
    assert given.one(POOL).get("nodeConfig.workloadMetadataConfig.mode") == "GKE_METADATA"

    monkeypatch.setenv("GOOGLE_PROJECT", "from-env")
    assert gke(load_spec(MINIMAL)).one(CLUSTER).get("workloadIdentityConfig.workloadPool") == "from-env.svc.id.goog"
    monkeypatch.delenv("GOOGLE_PROJECT")
    placeholder = gke(load_spec(MINIMAL)).one(CLUSTER).get("project")
    assert placeholder == "set-providers-gke-project"


def test_existing_network_is_used_not_created(load_spec: Load) -> None:
    text = with_spec("  network: {privateNodes: true}\n  providers: {gke: {network: shared-vpc, subnetwork: gke-sub}}\n")
    graph = gke(load_spec(text))
    assert not graph.of_type(NETWORK, SUBNET, ROUTER, NAT)
    cluster = graph.one(CLUSTER)
    assert (cluster.get("network"), cluster.get("subnetwork")) == ("shared-vpc", "gke-sub")
    assert cluster.get("ipAllocationPolicy.clusterIpv4CidrBlock") == "10.64.0.0/14"
    assert cluster.get("ipAllocationPolicy.servicesIpv4CidrBlock") == "10.96.0.0/16"
    assert get_adapter("gke").field_support(resolved(graph.spec, "gke"))["spec.network.nodeCidr"].status == "unsupported"


def test_maintenance_window_rrule(load_spec: Load) -> None:
    text = with_spec("  upgrades: {maintenanceWindow: {day: sun, start: \"03:00\", hours: 12}}\n")
    window = gke(load_spec(text)).one(CLUSTER).get("maintenancePolicy.recurringWindow")
    assert window == {
        "recurrence": "FREQ=WEEKLY;BYDAY=SU", "startTime": "2024-01-07T03:00:00Z", "endTime": "2024-01-07T15:00:00Z"
    }
    short = load_spec(with_spec("  upgrades: {maintenanceWindow: {day: wed, start: \"22:30\", hours: 4}}\n"))
    window = gke(short).one(CLUSTER).get("maintenancePolicy.recurringWindow")
    # GKE needs 48h of availability per 32 days: a weekly 4h window is widened to 12h, and reported
    assert window["recurrence"] == "FREQ=WEEKLY;BYDAY=WE"
    assert (window["startTime"], window["endTime"]) == ("2024-01-03T22:30:00Z", "2024-01-04T10:30:00Z")
    hours = get_adapter("gke").field_support(resolved(short, "gke"))["spec.upgrades.maintenanceWindow.hours"]
    assert hours.status == "emulated" and "12h" in hours.detail
    assert gke(load_spec(MINIMAL)).one(CLUSTER).get("maintenancePolicy") is None


# ---- node pools ----------------------------------------------------------------------------------


POOLS = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: pools
  labels: {team: ml, owner: sam, cost-center: cc-7, env: staging}
spec:
  kubernetes: {version: "1.33"}
  region: us-west
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      autoscaling: {min: 2, max: 11}
      disk: {sizeGiB: 60, type: ssd}
      os: ubuntu
      labels: {tier: web}
      taints:
        - {key: dedicated, value: web, effect: NoExecute}
        - {key: soft, effect: PreferNoSchedule}
    - name: fixed
      machine: {vcpus: 2, memoryGiB: 8}
      count: 7
      disk: {type: standard}
    - name: t4
      machine: {vcpus: 8, memoryGiB: 32, gpu: {kind: nvidia-t4, count: 2}}
      count: 3
      spot: true
    - name: l4
      machine: {vcpus: 8, memoryGiB: 32, gpu: {kind: nvidia-l4}}
      instanceTypes: {gke: g2-standard-8}
      autoscaling: {min: 0, max: 4}
"""


@pytest.fixture
def pools_graph(load_spec: Load) -> ResourceGraph:
    return gke(load_spec(POOLS))


def test_autoscaling_bounds_are_totals(pools_graph: ResourceGraph) -> None:
    general = pool_named(pools_graph, "general")
    assert general.get("autoscaling") == {
        "totalMinNodeCount": 2, "totalMaxNodeCount": 11, "locationPolicy": "BALANCED"
    }
    assert general.get("autoscaling.minNodeCount") is None  # never the per-zone fields
    assert general.get("initialNodeCount") == 1 and general.get("nodeCount") is None
    assert pool_named(pools_graph, "l4").get("autoscaling.totalMinNodeCount") == 0


def test_fixed_count_is_divided_per_zone_honestly(pools_graph: ResourceGraph) -> None:
    assert pool_named(pools_graph, "fixed").get("nodeCount") == 3  # 7 over 3 zones -> 3 per zone (9)
    assert pool_named(pools_graph, "t4").get("nodeCount") == 1  # 3 over 3 zones, exact
    assert pool_named(pools_graph, "fixed").get("autoscaling") is None
    count = get_adapter("gke").field_support(resolved(pools_graph.spec, "gke"))["spec.nodePools[].count"]
    assert count.status == "emulated" and "fixed: 7 -> 3/zone = 9" in count.detail


def test_pool_machine_disk_image_labels_taints(pools_graph: ResourceGraph) -> None:
    general = pool_named(pools_graph, "general")
    cfg = general.get("nodeConfig")
    assert cfg["machineType"] == "n2-standard-4"
    assert (cfg["diskSizeGb"], cfg["diskType"], cfg["imageType"]) == (60, "pd-ssd", "UBUNTU_CONTAINERD")
    assert cfg["labels"] == {"tier": "web"}
    assert cfg["taints"] == [
        {"key": "dedicated", "value": "web", "effect": "NO_EXECUTE"},
        {"key": "soft", "value": "", "effect": "PREFER_NO_SCHEDULE"},
    ]
    assert cfg["resourceLabels"]["team"] == "ml" and cfg["resourceLabels"]["kubefleet-dev-pool"] == "general"
    fixed = pool_named(pools_graph, "fixed").get("nodeConfig")
    assert (fixed["diskType"], fixed["imageType"], fixed["diskSizeGb"]) == ("pd-standard", "COS_CONTAINERD", 100)
    assert fixed.get("sandboxConfig") is None


def test_spot_and_gpu_accelerators(pools_graph: ResourceGraph) -> None:
    t4 = pool_named(pools_graph, "t4").get("nodeConfig")
    assert t4["spot"] is True
    assert t4["guestAccelerators"] == [
        {"type": "nvidia-tesla-t4", "count": 2, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}
    ]
    l4 = pool_named(pools_graph, "l4").get("nodeConfig")
    assert l4["machineType"] == "g2-standard-8"  # the pin wins; G2 carries its L4 built in
    assert l4["spot"] is False and not l4.get("guestAccelerators")


def test_surge_and_blue_green_upgrades(load_spec: Load) -> None:
    surge = gke(load_spec(with_spec("  upgrades: {strategy: surge, maxSurge: 2, maxUnavailable: 1}\n")))
    assert surge.one(POOL).get("upgradeSettings") == {"strategy": "SURGE", "maxSurge": 2, "maxUnavailable": 1}
    blue_green = gke(load_spec(with_spec("  upgrades: {strategy: blue-green}\n")))
    settings = blue_green.one(POOL).get("upgradeSettings")
    assert settings["strategy"] == "BLUE_GREEN"
    assert "maxSurge" not in settings
    assert settings["blueGreenSettings"]["standardRolloutPolicy"]["batchPercentage"] == 0.25
    assert settings["blueGreenSettings"]["nodePoolSoakDuration"] == "1800s"


def test_sandboxed_pools_run_gvisor_beside_a_system_pool(load_spec: Load) -> None:
    text = with_spec("  tenancy: {isolation: sandboxed}\n").replace(
        "      count: 3\n", "      count: 3\n      os: ubuntu\n"
    )
    graph = gke(load_spec(text))
    general = pool_named(graph, "general").get("nodeConfig")
    # expected value from the API model (container_v1.SandboxConfig.Type), not from our code; the provider
    # checks it case-sensitively (terraform-provider-google@e03b762:google/services/container/node_config.go:755)
    from google.cloud import container_v1

    assert general["sandboxConfig"] == {"type": container_v1.SandboxConfig.Type.GVISOR.name}
    assert general["imageType"] == "COS_CONTAINERD"  # gVisor needs COS ...
    support = get_adapter("gke").field_support(resolved(graph.spec, "gke"))
    assert support["spec.nodePools[].os"].status == "unsupported"  # ... which is reported
    system = pool_named(graph, "gvisor-system")
    assert system.get("nodeConfig.sandboxConfig") is None
    assert system.get("nodeConfig.machineType") == "n2-standard-2"  # from the resolver, not a table
    assert system.get("nodeCount") == 1
    assert "gvisor-system" in support["spec.tenancy.isolation"].detail


# ---- mesh ----------------------------------------------------------------------------------------


def test_managed_istio_is_cloud_service_mesh(load_spec: Load) -> None:
    graph = gke(load_spec(with_spec("  addons: {istio: {mode: managed}}\n  providers: {gke: {project: acme}}\n")))
    membership = graph.one(MEMBERSHIP)
    cluster = graph.one(CLUSTER)
    assert membership.get("location") == "global"
    assert membership.get("endpoint.gkeCluster.resourceLink") == (
        f"//container.googleapis.com/projects/acme/locations/us-east4/clusters/{cluster.get('name')}"
    )
    assert membership.get("labels")["kubefleet-dev-cluster"] == "mini"
    assert not graph.of_type(FEATURE)  # once per project: in the scope stack (tests/test_day2_gke.py)
    fm = graph.one(FEATURE_MEMBERSHIP)
    assert fm.get("mesh") == {"management": "MANAGEMENT_AUTOMATIC"}
    assert (fm.get("feature"), fm.get("membership")) == ("servicemesh", membership.get("membershipId"))
    assert not graph.of_type(HELM)
    assert get_adapter("gke").field_support(resolved(graph.spec, "gke"))["spec.addons.istio.mode"].status == "native"


def test_self_managed_istio_uses_shared_helm_install(load_spec: Load) -> None:
    graph = gke(load_spec(with_spec("  addons: {istio: {mode: self-managed, dataPlane: ambient}}\n")))
    assert not graph.of_type(MEMBERSHIP, FEATURE, FEATURE_MEMBERSHIP)
    releases = {r.get("name"): r for r in graph.of_type(HELM)}
    assert set(releases) == {"istio-base", "istiod", "istio-cni", "ztunnel"}
    assert releases["istio-cni"].get("values.global.platform") == "gke"
    for provider in graph.of_type(K8S_PROVIDER):
        assert provider.get("kubeconfig") == SECRET and "kubeconfig" in provider.secret_paths
    # GKE admits system-node-critical pods (istio-cni, ztunnel) only where a ResourceQuota names that class;
    # expected object from Istio's platform prerequisites (istio.io/latest/docs/ambient/install/
    # platform-prerequisites/#google-kubernetes-engine-gke)
    quota = graph.one("kubernetes:core/v1:ResourceQuota")
    assert quota.get("metadata.namespace") == "istio-system"
    assert quota.get("spec.scopeSelector.matchExpressions") == [
        {"operator": "In", "scopeName": "PriorityClass", "values": ["system-node-critical"]}
    ]
    support = get_adapter("gke").field_support(resolved(graph.spec, "gke"))
    assert support["spec.addons.istio.mode"].status == "emulated"
    assert support["spec.addons.istio.dataPlane"].status == "emulated"
    managed_ambient = load_spec(with_spec("  addons: {istio: {mode: managed, dataPlane: ambient}}\n"))
    assert get_adapter("gke").field_support(resolved(managed_ambient, "gke"))["spec.addons.istio.dataPlane"].status == "unsupported"


# ---- secrets, names, kubeconfig -------------------------------------------------------------------


def test_kubeconfig_is_secret_and_built_from_cluster_outputs(
    load_spec: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubefleet.providers.gke import kubeconfig as kubeconfig_mod
    from kubefleet.providers.gke import offline

    seeded = "SEEDED-CA-7f3a9c"
    monkeypatch.setattr(offline, "_fake_ca", lambda seed: base64.b64encode(seeded.encode()).decode())
    seen: list[str] = []
    real_render = kubeconfig_mod.render

    def recording(*args: str) -> str:
        text = real_render(*args)
        seen.append(text)
        return text

    monkeypatch.setattr(kubeconfig_mod, "render", recording)
    spec = load_spec(with_spec("  addons: {istio: {mode: self-managed}}\n  providers: {gke: {project: p1}}\n"))
    graph = gke(spec)
    assert graph.outputs["kubeconfig"] == SECRET
    dumped = json.dumps(graph.as_json())
    assert seeded not in dumped and base64.b64encode(seeded.encode()).decode() not in dumped

    config = json.loads(seen[-1])
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == f"https://{graph.outputs['endpoint']}"
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == seeded
    user = config["users"][0]["user"]
    assert set(user) == {"exec"} and user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in seen[-1].lower()  # the plugin fetches tokens; none is written down
    assert config["current-context"] == f"gke_p1_us-east4_{graph.outputs['clusterName']}"


def test_names_are_deterministic_and_within_limits(load_spec: Load) -> None:
    long_name = "a-very-long-cluster-name-that-is-forty-c"
    assert len(long_name) == 40
    text = MINIMAL.replace("name: mini", f"name: {long_name}").replace(
        "- name: general", "- name: a-pool-name-that-is-thirty-chr"
    ) + "  network: {privateNodes: true}\n  addons: {istio: {mode: managed}}\n"
    first, second = gke(load_spec(text)), gke(load_spec(text))
    names = [r.get("name") for r in first.custom()]
    assert names == [r.get("name") for r in second.custom()]
    rfc1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    for res in first.custom():
        name = res.get("membershipId") or res.get("accountId") or res.get("name")
        if res.type in (FEATURE, FEATURE_MEMBERSHIP, "gcp:projects/iAMMember:IAMMember", "pulumi:index:Stash"):
            continue
        assert rfc1035.match(name), name
        limit = 40 if res.type in (CLUSTER, POOL) else 63
        assert len(name) <= limit, (res.type, name)
    assert first.one(CLUSTER).get("name") != gke(load_spec(MINIMAL)).one(CLUSTER).get("name")


def test_misspelt_argument_fails_under_render(load_spec: Load, monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_gcp as gcp

    real = gcp.container.NodePoolNodeConfigArgs

    def misspelt(**kwargs: Any) -> Any:
        kwargs["machine_typ"] = kwargs.pop("machine_type")
        return real(**kwargs)

    monkeypatch.setattr(gcp.container, "NodePoolNodeConfigArgs", misspelt)
    with pytest.raises(RenderError, match="machine_typ"):
        gke(load_spec(MINIMAL))


# ---- parity and offline hooks ---------------------------------------------------------------------


@pytest.mark.parametrize("loaded", EXAMPLES, ids=[s.spec.name for s in EXAMPLES])
def test_field_support_covers_every_path(loaded: Any) -> None:
    support = get_adapter("gke").field_support(resolved(loaded.spec, "gke"))
    paths = spec_field_paths("gke")
    assert set(paths) <= set(support)
    assert all(s.status in ("native", "emulated", "unsupported") and s.detail for s in support.values())
    notes = get_adapter("gke").parity(resolved(loaded.spec, "gke"))
    assert [n.field for n in notes] == paths


def test_control_plane_tier_is_reported_honestly(load_spec: Load) -> None:
    adapter = get_adapter("gke")

    def tier(extra: str) -> Any:
        return adapter.field_support(resolved(load_spec(with_spec(extra)), "gke"))["spec.controlPlane.tier"]

    assert tier("  controlPlane: {tier: standard}\n").status == "native"
    free_zonal = tier("  controlPlane: {tier: free, availability: zonal}\n")
    assert free_zonal.status == "emulated" and "zonal" in free_zonal.detail
    assert tier("  controlPlane: {tier: free}\n").status == "unsupported"  # regional: never credited
    premium = tier("  controlPlane: {tier: premium}\n")
    assert premium.status == "unsupported" and "Enterprise" in premium.detail
    replicas = adapter.field_support(resolved(load_spec(with_spec("  controlPlane: {replicas: 5}\n")), "gke"))
    assert replicas["spec.controlPlane.replicas"].status == "unsupported"


def test_mock_hooks_are_deterministic() -> None:
    adapter = get_adapter("gke")
    inputs = {"name": "c1", "project": "p", "location": "us-east4", "minMasterVersion": "1.33"}
    out = adapter.mock_outputs(CLUSTER, "c1", inputs)
    assert out == adapter.mock_outputs(CLUSTER, "c1", dict(inputs))
    assert re.match(r"^34\.\d+\.\d+\.\d+$", out["endpoint"])
    assert out["masterVersion"] == "1.33.0-gke.100"
    assert base64.b64decode(out["masterAuth"]["clusterCaCertificate"]).startswith(b"-----BEGIN CERTIFICATE-----")
    zones = adapter.mock_call("gcp:compute/getZones:getZones", {"region": "europe-west4"})
    assert zones is not None and zones["names"] == ["europe-west4-a", "europe-west4-b", "europe-west4-c"]
    assert adapter.mock_call("gcp:compute/getNetwork:getNetwork", {}) is None


T4_POOL = MINIMAL.replace(
    "      machine: {vcpus: 4, memoryGiB: 16}\n      count: 3\n",
    "      machine: {vcpus: 4, memoryGiB: 16, gpu: {kind: nvidia-t4, count: 1}}\n      count: 3\n",
)


def test_t4_shape_renders_n1_with_a_guest_accelerator(load_spec: Load) -> None:
    # real shape matching (the shipped catalog), not the test resolver
    graph = render(load_spec(T4_POOL), "gke")
    cfg = pool_named(graph, "general").get("nodeConfig")
    assert cfg["machineType"] == "n1-standard-8"
    assert cfg["guestAccelerators"] == [
        {"type": "nvidia-tesla-t4", "count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}
    ]
    support = get_adapter("gke").field_support(resolved(graph.spec, "gke"))
    assert all("nvidia-t4 is not offered" not in s.detail for s in support.values())

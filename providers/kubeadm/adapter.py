"""kubeadm on vSphere: VMs cloned from a cloud-init template, bootstrapped into a kubeadm cluster."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.providers.base import ClusterAdapter, ClusterOutputs, Support
from kubefleet.providers.kubeadm import infra, nodes, support
from kubefleet.providers.kubeadm.bootstrap_token import bootstrap_token_secret, operators_binding
from kubefleet.providers.kubeadm.kubeadm_config import control_plane_endpoint
from kubefleet.providers.kubeadm.kubeconfig import kubeconfig
from kubefleet.providers.kubeadm.readiness import ApiReady, readyz_url
from kubefleet.providers.kubeadm.secrets import cluster_secrets
from kubefleet.providers.kubeadm.topology import DRAINED_CONFIG, guard_removals
from kubefleet.resolve.model import ResolvedCluster

_ALPHANUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _digest(*parts: str, size: int = 32) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256("\x1f".join(("kubefleet-offline", str(counter), *parts)).encode()).digest()
        counter += 1
    return out[:size]


class KubeadmAdapter(ClusterAdapter):
    name: ClassVar[str] = "kubeadm"
    display_name: ClassVar[str] = "kubeadm on vSphere"
    component_type: ClassVar[str] = "kubefleet:kubeadm:Cluster"

    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        spec = ctx.spec
        component = pulumi.ComponentResource(
            self.component_type, spec.name, None, opts=pulumi.ResourceOptions(protect=ctx.protect)
        )
        inv = infra.lookup(spec, component)
        tags = infra.label_tags(spec, ctx.labels, component, inv.provider)
        names = nodes.node_names(spec)
        secrets = cluster_secrets(spec.name, names, component, ctx.now)
        drained = [n.strip() for n in (pulumi.Config().get(DRAINED_CONFIG) or "").split(",") if n.strip()]
        stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        previous_nodes = guard_removals(stack, names, drained)

        masters = nodes.control_plane(spec, inv, secrets, tags, ctx.labels, component)
        all_vms: list[pulumi.Resource] = list(masters)
        if spec.spec.control_plane.availability == "regional" and len(masters) > 1:
            nodes.anti_affinity(spec, masters, inv, component)
        for pool in spec.spec.node_pools:
            all_vms += nodes.workers(
                spec, pool, ctx.instance(pool), inv, secrets, tags, ctx.labels, component, masters[0]
            )

        endpoint = f"https://{control_plane_endpoint(spec)}"
        config = kubeconfig(spec.name, endpoint, secrets.pki)  # daily, revocable (kubeconfig.py)
        break_glass = kubeconfig(spec.name, endpoint, secrets.pki, break_glass=True)
        pulumi.export("breakGlassKubeconfig", break_glass)
        # Everything that talks to the cluster waits for /readyz through the VIP, not just for the VMs.
        ready = ApiReady(
            f"{spec.name}-api-ready",
            readyz_url(endpoint),
            secrets.pki.apply(lambda p: p.ca_cert_pem),
            opts=pulumi.ResourceOptions(parent=component, depends_on=all_vms),
        )
        k8s_provider = k8s.Provider(
            f"{spec.name}-kubeadm-k8s",
            kubeconfig=break_glass,
            opts=pulumi.ResourceOptions(parent=component, depends_on=[ready]),
        )
        bootstrap_token_secret(spec.name, secrets.token, secrets.now, k8s_provider, component, [ready])
        operators_binding(spec.name, k8s_provider, component)
        if spec.spec.addons.istio.mode != "none":
            from kubefleet.providers.mesh import install_istio

            install_istio(spec, break_glass, component, [ready], version=ctx.helm_istio().version)

        version = spec.spec.kubernetes.version
        # previousNodes is awaited here, so a refused removal fails the program before anything is deleted
        component.register_outputs(
            {"endpoint": endpoint, "kubeconfig": config, "version": version, "previousNodes": previous_nodes}
        )
        return ClusterOutputs(name=spec.name, endpoint=endpoint, kubeconfig=config, version=version)

    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        return support.field_support(ctx)

    # ---- offline render ----

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if type_ == "pulumi:pulumi:StackReference":
            return {"outputs": {}, "secretOutputNames": []}  # offline: no previous deployment
        if type_ == "random:index/randomString:RandomString":
            length = int(inputs.get("length", 16))
            raw = _digest(type_, name, size=length)
            return {"result": "".join(_ALPHANUM[b % len(_ALPHANUM)] for b in raw)}
        if type_ == "random:index/randomId:RandomId":
            raw = _digest(type_, name, size=int(inputs.get("byteLength", 32)))
            return {
                "hex": raw.hex(),
                "dec": str(int.from_bytes(raw, "big")),
                "b64Std": base64.b64encode(raw).decode(),
                "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            }
        if type_ == "vsphere:index/virtualMachine:VirtualMachine":
            raw = _digest(type_, name, size=16)
            extra = inputs.get("extraConfig") or {}
            net = ipaddress.IPv4Network(extra.get(nodes.NODE_CIDR_KEY, "10.0.0.0/16"))
            # a DHCP lease above the VIP's .10: deterministic, inside the node network
            ip = str(net.network_address + 20 + int.from_bytes(raw[:2], "big") % max(net.num_addresses - 40, 1))
            return {
                "moid": f"vm-{int.from_bytes(raw[:3], 'big') % 100000}",
                "uuid": f"{raw[:4].hex()}-{raw[4:6].hex()}-{raw[6:8].hex()}-{raw[8:10].hex()}-{raw[10:16].hex()}",
                "defaultIpAddress": ip,
                "guestIpAddresses": [ip],
                "powerState": "on",
                "vmwareToolsStatus": "guestToolsRunning",
            }
        return {}

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        name = str(args.get("name", ""))
        h = hashlib.sha256(f"{token}\x1f{name}".encode()).hexdigest()
        if token == "vsphere:index/getDatacenter:getDatacenter":
            return {"id": f"datacenter-{int(h[:6], 16) % 1000}", "name": name}
        if token == "vsphere:index/getComputeCluster:getComputeCluster":
            return {
                "id": f"domain-c{int(h[:6], 16) % 1000}",
                "name": name,
                "datacenterId": args.get("datacenterId"),
                "resourcePoolId": f"resgroup-{int(h[6:12], 16) % 1000}",
            }
        if token == "vsphere:index/getDatastore:getDatastore":
            return {"id": f"datastore-{int(h[:6], 16) % 1000}", "name": name, "datacenterId": args.get("datacenterId")}
        if token == "vsphere:index/getNetwork:getNetwork":
            return {"id": f"network-{int(h[:6], 16) % 1000}", "name": name, "type": "Network"}
        if token == "vsphere:index/getVirtualMachine:getVirtualMachine":
            uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
            return {
                "id": uuid,
                "uuid": uuid,
                "name": name,
                "moid": f"vm-{int(h[32:38], 16) % 100000}",
                "datacenterId": args.get("datacenterId"),
                "guestId": "ubuntu64Guest",
                "firmware": "efi",
                "scsiType": "pvscsi",
                "networkInterfaceTypes": ["vmxnet3"],
                "disks": [{"label": "Hard disk 1", "size": 10, "eagerlyScrub": False, "thinProvisioned": True, "unitNumber": 0}],
            }
        return None

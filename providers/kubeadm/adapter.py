"""kubeadm on vSphere through Cluster API: the objects of :mod:`capi` created in a management cluster.

kubefleet declares the Cluster API objects (ClusterClass, templates, the topology Cluster, the vCenter
identity and its Secret, the CPI/CSI ClusterResourceSet) through pulumi-kubernetes on an explicit provider
built from the management cluster's kubeconfig. Everything that happens to machines afterwards - creating
the VMs, ``kubeadm init``/``join`` one control-plane machine at a time, tokens, the PKI, certificate renewal,
rolling replacement, scale-down with etcd membership, remediation - is done by Cluster API's controllers
(KCP, CABPK, CAPV, MachineHealthCheck, topology), not by this program.

Where the management cluster comes from (``management_kubeconfig``):

- ``spec.providers.kubeadm.managementCluster``: another kubefleet stack in the same backend (e.g.
  ``mgmt-eks``); its ``kubeconfig`` output is read through a StackReference (a secret stays a secret);
- otherwise the stack config secret ``kubefleet:managementKubeconfig``, which ``kubefleet up``/``preview``
  set from the file named by ``KUBEFLEET_MANAGEMENT_KUBECONFIG`` (kubefleet.engine.management).

The workload cluster's kubeconfig is the ``<cluster>-kubeconfig`` Secret KCP writes once the control plane
is initialised; the program waits for the Cluster's ``ControlPlaneInitialized`` condition
(pulumi-kubernetes' ``pulumi.com/waitFor`` annotation) and reads that Secret back as the secret
``kubeconfig`` output, which ``kubefleet kubeconfig`` writes to a 0600 file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.providers.base import ClusterAdapter, ClusterOutputs, Support
from kubefleet.providers.kubeadm import capi, support
from kubefleet.resolve.model import ResolvedCluster

#: stack config (namespace ``kubefleet``): the management cluster's kubeconfig (secret), the vCenter
#: account CAPV uses (user, secret password), its TLS thumbprint and CAPV's namespace
MANAGEMENT_KUBECONFIG: Final = "managementKubeconfig"
VSPHERE_USER: Final = "vsphereUser"
VSPHERE_PASSWORD: Final = "vspherePassword"
VSPHERE_SERVER: Final = "vsphereServer"
VSPHERE_THUMBPRINT: Final = "vsphereThumbprint"
CAPV_NAMESPACE: Final = "capvNamespace"
#: pulumi-kubernetes (4.18+) waits on a custom resource until this holds (await logic for any kind);
#: the Cluster condition is cluster-api@v1.13.6:api/core/v1beta2/cluster_types.go:183
WAIT_FOR: Final = "pulumi.com/waitFor"
CONTROL_PLANE_INITIALIZED: Final = "condition=ControlPlaneInitialized"
WAIT_TIMEOUT: Final = "pulumi.com/timeoutSeconds"
#: KCP brings up the first control-plane machine (clone, boot, kubeadm init) within this; CAPI's own
#: MachineHealthCheck gives a control-plane machine 20 minutes to join (capi._health_check)
WAIT_SECONDS: Final = 45 * 60
#: when no management cluster is configured the provider points at a name that never resolves (RFC 6761
#: ``.invalid``) instead of falling back to the ambient ~/.kube/config; `kubefleet up` refuses earlier
UNSET_KUBECONFIG: Final = """\
apiVersion: v1
kind: Config
clusters: [{name: unset, cluster: {server: "https://management-cluster-not-configured.invalid:6443"}}]
users: [{name: unset, user: {}}]
contexts: [{name: unset, context: {cluster: unset, user: unset}}]
current-context: unset
"""


def kubeconfig_secret_name(cluster: str) -> str:
    """The Secret Cluster API writes the workload cluster's admin kubeconfig to (key ``value``)."""
    return f"{cluster}-kubeconfig"


def management_kubeconfig(ctx: ResolvedCluster, parent: pulumi.Resource) -> pulumi.Output[str]:
    opts = ctx.spec.spec.providers.kubeadm
    if opts is not None and opts.management_cluster:
        stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{opts.management_cluster}"
        ref = pulumi.StackReference(f"{ctx.spec.name}-management", stack_name=stack,
                                    opts=pulumi.ResourceOptions(parent=parent))
        got = ref.get_output("kubeconfig")
        return pulumi.Output.secret(got.apply(lambda v: v if isinstance(v, str) and v else UNSET_KUBECONFIG))
    configured = pulumi.Config("kubefleet").get_secret(MANAGEMENT_KUBECONFIG)
    if configured is None:
        return pulumi.Output.secret(UNSET_KUBECONFIG)
    return pulumi.Output.secret(configured)


def _logical(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']}:{where}{meta['name']}"


def _declare(obj: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One object as a pulumi-kubernetes resource: core kinds typed, Cluster API's as CustomResource."""
    name = _logical(obj)
    if obj["kind"] == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=obj["metadata"], opts=opts)
    if obj["kind"] == "ConfigMap":
        return k8s.core.v1.ConfigMap(name, metadata=obj["metadata"], data=obj.get("data"), opts=opts)
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    return k8s.apiextensions.CustomResource(name, api_version=obj["apiVersion"], kind=obj["kind"],
                                            metadata=obj["metadata"], opts=opts, **body)


class KubeadmAdapter(ClusterAdapter):
    name: ClassVar[str] = "kubeadm"
    display_name: ClassVar[str] = "kubeadm on vSphere"
    component_type: ClassVar[str] = "kubefleet:kubeadm:Cluster"

    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        spec = ctx.spec
        component = pulumi.ComponentResource(
            self.component_type, spec.name, None, opts=pulumi.ResourceOptions(protect=ctx.protect)
        )
        config = pulumi.Config("kubefleet")
        provider = k8s.Provider(
            f"{spec.name}-management", kubeconfig=management_kubeconfig(ctx, component),
            enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=component),
        )
        vs = capi.vsphere_options(spec)
        server = vs.server or config.get(VSPHERE_SERVER) or "vcenter.invalid"
        inputs = capi.inputs_for(ctx, server=server, thumbprint=config.get(VSPHERE_THUMBPRINT),
                                 capv_namespace=config.get(CAPV_NAMESPACE) or capi.CAPV_NAMESPACE)
        opts = pulumi.ResourceOptions(parent=component, provider=provider)

        objects = capi.render(inputs)
        made: dict[str, pulumi.CustomResource] = {}
        namespace = None
        templates: list[pulumi.Resource] = []
        for obj in objects:
            kind = obj["kind"]
            depends: list[pulumi.Resource] = [namespace] if namespace is not None else []
            if kind == "ClusterClass":
                depends += templates
            elif kind == "Cluster":
                # the class, the identity, its Secret and the IP pool exist first, and (reverse order) the
                # Cluster is deleted - Cluster API deleting its machines - before any of them goes
                depends += [made[k] for k in made if k.split(":")[0] in (
                    "ClusterClass", "VSphereClusterIdentity", "InClusterIPPool", "Secret")]
                obj = {**obj, "metadata": {**obj["metadata"], "annotations": {
                    WAIT_FOR: CONTROL_PLANE_INITIALIZED, WAIT_TIMEOUT: str(WAIT_SECONDS)}}}
            resource = _declare(obj, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)))
            made[_logical(obj)] = resource
            if kind == "Namespace":
                namespace = resource
                # the credentials next: the identity and the ClusterResourceSet reference them
                for secret in self._credential_secrets(inputs, config, opts, resource):
                    made[f"Secret:{secret[0]}"] = secret[1]
            elif kind.endswith("Template"):
                templates.append(resource)
        cluster = made[f"Cluster:{capi.namespace(spec)}/{spec.name}"]

        secret_id = f"{capi.namespace(spec)}/{kubeconfig_secret_name(spec.name)}"
        # read once the Cluster exists (its id known): a first preview, before the Cluster is created, cannot
        # read what KCP has not written yet and shows the kubeconfig as unknown instead
        written = k8s.core.v1.Secret.get(
            f"{spec.name}-workload-kubeconfig", cluster.id.apply(lambda _: secret_id),
            opts=pulumi.ResourceOptions(parent=component, provider=provider, depends_on=[cluster]),
        )
        kubeconfig = pulumi.Output.secret(written.data.apply(_decode_value))
        endpoint = f"https://{capi.control_plane_vip(spec)}:{capi.API_PORT}"
        version = spec.spec.kubernetes.version
        if spec.spec.addons.istio.mode != "none":
            from kubefleet.providers.mesh import install_istio

            install_istio(spec, kubeconfig, component, [written], version=ctx.helm_istio().version)
        component.register_outputs({"endpoint": endpoint, "kubeconfig": kubeconfig, "version": version})
        return ClusterOutputs(name=spec.name, endpoint=endpoint, kubeconfig=kubeconfig, version=version)

    @staticmethod
    def _credential_secrets(inputs: capi.Inputs, config: pulumi.Config, opts: pulumi.ResourceOptions,
                            namespace: pulumi.Resource) -> list[tuple[str, pulumi.CustomResource]]:
        """The vCenter credential Secrets (capi.credential_secrets), their values secret end to end: the
        user from ``kubefleet:vsphereUser``, the password from the secret ``kubefleet:vspherePassword``."""
        user = config.get(VSPHERE_USER) or ""
        password = config.get_secret(VSPHERE_PASSWORD) or pulumi.Output.secret("")
        shapes = capi.credential_secrets(inputs, "", "")  # names and order do not depend on the values
        def fill(values: list[Any]) -> list[dict[str, Any]]:
            return capi.credential_secrets(inputs, str(values[0]), str(values[1]))

        filled: pulumi.Output[list[dict[str, Any]]] = pulumi.Output.all(user, password).apply(fill)
        out = []
        for i, shape in enumerate(shapes):
            meta = shape["metadata"]
            where = f"{meta['namespace']}/{meta['name']}"
            secret = k8s.core.v1.Secret(
                f"Secret:{where}", metadata=meta, type=shape.get("type"),
                string_data=filled.apply(functools.partial(_string_data, i)),  # secret: the password is
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
            )
            out.append((where, secret))
        return out

    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        return support.field_support(ctx)

    # ---- offline render ----

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if type_ == "pulumi:pulumi:StackReference":
            return {"outputs": {}, "secretOutputNames": []}  # offline: no management stack deployed
        if type_ == "kubernetes:core/v1:Secret" and name.endswith("-workload-kubeconfig"):
            cluster = name.removesuffix("-workload-kubeconfig")
            return {"data": {"value": base64.b64encode(offline_kubeconfig(cluster).encode()).decode()},
                    "type": "cluster.x-k8s.io/secret"}
        return {}


def _string_data(index: int, docs: list[dict[str, Any]]) -> dict[str, str]:
    return dict(docs[index]["stringData"])


def _decode_value(data: Any) -> str:
    value = (data or {}).get("value") if isinstance(data, Mapping) else None
    return base64.b64decode(value).decode() if value else ""


def offline_kubeconfig(cluster: str) -> str:
    """What an offline render shows for the Secret KCP writes: the shape, no credentials (the real one is
    read from the management cluster at ``up``)."""
    digest = hashlib.sha256(cluster.encode()).hexdigest()[:8]
    return (f"apiVersion: v1\nkind: Config\nclusters: [{{name: {cluster}, cluster: {{server: "
            f"\"https://offline-{digest}.invalid:6443\"}}}}]\nusers: [{{name: {cluster}-admin, user: {{}}}}]\n"
            f"contexts: [{{name: {cluster}, context: {{cluster: {cluster}, user: {cluster}-admin}}}}]\n"
            f"current-context: {cluster}\n")

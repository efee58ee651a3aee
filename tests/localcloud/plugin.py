"""The local cloud as a Pulumi resource-provider plugin (``pulumirpc.ResourceProvider`` over gRPC).

The engine starts ``pulumi-resource-<package>`` (see :mod:`tests.localcloud.install`), which runs
``python -m tests.localcloud.plugin <package>``; like every plugin it prints its port on stdout
(pulumi/pulumi@v3.274.0 pkg/resource/plugin/plugin.go reads the first line as the port).

Protocol as in pulumi/pulumi@v3.274.0 proto/pulumi/provider.proto (the Python SDK's generated stubs
``pulumi.runtime.proto.provider_pb2[_grpc]``): CheckConfig / DiffConfig / Configure / Check / Diff /
Create / Read / Update / Delete / Invoke. ``Configure`` answers ``acceptSecrets: false``, so the
engine strips secrets before calling us and marks outputs of secret inputs secret again itself.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import time
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from tests.localcloud import cloud, kube_forward, managed_api, versions

PropertyDiff = provider_pb2.PropertyDiff


def to_dict(value: struct_pb2.Struct | None) -> dict[str, Any]:
    if value is None:
        return {}
    data: dict[str, Any] = json_format.MessageToDict(value)
    return {k: _ints(v) for k, v in data.items()}


def _ints(value: Any) -> Any:
    """protobuf carries every number as a double; whole numbers read back as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(json.loads(json.dumps(data)))
    return out


def _name(request: Any) -> str:
    name = getattr(request, "name", "") or ""
    return name or str(request.urn).rsplit("::", 1)[-1]


def _type(request: Any) -> str:
    type_ = getattr(request, "type", "") or ""
    return type_ or str(request.urn).split("::")[-2].rsplit("$", 1)[-1]


def _has_unknown(value: Any) -> bool:
    if value == cloud.UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _deep_merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        before = out.get(key)
        out[key] = _deep_merge(before, value) if isinstance(before, Mapping) and isinstance(value, Mapping) else value
    return out


def _names_fixed(type_: str, inputs: Mapping[str, Any]) -> bool:
    from kubefleet.changes.replace import names_fixed

    return names_fixed(type_, inputs)


def _replace_paths(type_: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """Which changed inputs force a replacement: the replace table generated from the real providers'
    schemas (kubefleet.changes.replace, the same rules `kubefleet diff` applies); for pulumi-random every
    argument forces a new value (terraform-provider-random: all resource attributes are RequiresReplace)."""
    from kubefleet.changes.diff import diff_inputs
    from kubefleet.changes.replace import forcing_paths

    if cloud.package_of(type_) == "random":
        return tuple(path for path, _, _ in diff_inputs(old, new))
    return forcing_paths(type_, old, new)


class LocalCloudProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str) -> None:
        self.package = package
        module = "pulumi_" + package.replace("-", "_")
        try:
            self.version = importlib.metadata.version(module)
        except importlib.metadata.PackageNotFoundError:
            self.version = "0.0.1"
        #: kubeadm e2e: this kubernetes provider instance talks to a real kube-apiserver (kube_forward)
        self.forward: kube_forward.Forward | None = None
        #: aws: the provider's region (where its regional resources live; cloud.already_exists)
        self.region: str | None = None

    # -------------------------------------------------------------- plugin and provider config

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=self.version)

    def GetSchema(self, request: Any, context: Any) -> Any:
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": self.package, "version": self.version}))

    def CheckConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        old, new = to_dict(request.olds), to_dict(request.news)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k != "version")
        kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(changes=kind, diffs=changed)

    def Configure(self, request: Any, context: Any) -> Any:
        if self.package == "kubernetes":
            kubeconfig = to_dict(request.args).get("kubeconfig") if request.HasField("args") else None
            kubeconfig = kubeconfig or dict(request.variables).get("kubernetes:config:kubeconfig")
            if isinstance(kubeconfig, dict):  # a secret arrives in its envelope: {<sig>: <secret sig>, "value": ...}
                kubeconfig = kubeconfig.get("value")
            if kube_forward.Forward.wanted(kubeconfig):
                self.forward = kube_forward.Forward(str(kubeconfig))
        if self.package == "aws":
            args = to_dict(request.args) if request.HasField("args") else {}
            self.region = str(args.get("region") or dict(request.variables).get("aws:config:region") or "") or None
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True, acceptResources=False,
                                              acceptOutputs=False)

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    # -------------------------------------------------------------- resources

    def Check(self, request: Any, context: Any) -> Any:
        news = to_dict(request.news)
        failures = []
        type_ = _type(request)
        length = news.get("length")
        if type_.startswith("random:") and length is not None and not _has_unknown(length) and int(length) < 1:
            failures.append(provider_pb2.CheckFailure(property="length", reason="length must be at least 1"))
        return provider_pb2.CheckResponse(inputs=request.news, failures=failures)

    def Diff(self, request: Any, context: Any) -> Any:
        from kubefleet.changes.diff import diff_inputs

        type_ = _type(request)
        old = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        new = to_dict(request.news)
        ignore = tuple(request.ignoreChanges)
        changes = [(p, o, n) for p, o, n in diff_inputs(old, new)
                   if not any(p == i or p.startswith(i + ".") for i in ignore)]
        if not changes:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE, hasDetailedDiff=True)
        forcing = _replace_paths(type_, old, new)
        detailed: dict[str, Any] = {}
        for path, before, after in changes:
            replace = any(path == f or path.startswith(f + ".") or path.startswith(f + "[") or f.startswith(path + ".")
                          for f in forcing)
            if before is None:
                kind = PropertyDiff.ADD_REPLACE if replace else PropertyDiff.ADD
            elif after is None:
                kind = PropertyDiff.DELETE_REPLACE if replace else PropertyDiff.DELETE
            else:
                kind = PropertyDiff.UPDATE_REPLACE if replace else PropertyDiff.UPDATE
            detailed[path] = PropertyDiff(kind=kind, inputDiff=True)
        top = sorted({p.split(".", 1)[0].split("[", 1)[0] for p, _, _ in changes})
        replaces = sorted({f.split(".", 1)[0] for f in forcing})
        # a bridged provider deletes first when it replaces a resource whose autonamed input the program set
        # (pulumi-terraform-bridge provider.go:1275; the table's rules.deleteBeforeReplace)
        dbr = bool(replaces) and _names_fixed(type_, new)
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=top, replaces=replaces,
                                         deleteBeforeReplace=dbr, detailedDiff=detailed, hasDetailedDiff=True)

    def _fail_or_wait(self, root: Any, type_: str, op: str, inputs: Mapping[str, Any], context: Any) -> None:
        delay = cloud.delay_for(root, type_)
        if delay:
            time.sleep(delay)
        kind = cloud.take_failure(root, type_, op)
        if kind is not None:
            cloud.log(root, op=f"{op}-failed", type=type_, kind=kind)
            context.abort(grpc.StatusCode.UNKNOWN, cloud.failure_message(type_, kind, inputs))

    def Create(self, request: Any, context: Any) -> Any:
        type_, name = _type(request), _name(request)
        inputs = to_dict(request.properties)
        if request.preview:
            return provider_pb2.CreateResponse(id="", properties=request.properties)
        if self.forward is not None:
            return provider_pb2.CreateResponse(**self._forward_apply(type_, inputs, context))
        root = cloud.state_dir()
        self._fail_or_wait(root, type_, "create", inputs, context)
        refused = cloud.api_error(type_, inputs)
        with cloud.locked(root):
            refused = (refused or cloud.duplicate_error(root, type_, inputs)
                       or cloud.already_exists(root, type_, inputs, self.region))
        if refused is not None:
            cloud.log(root, op="create-failed", type=type_, reason=refused)
            context.abort(grpc.StatusCode.UNKNOWN, refused)
        id_ = cloud.new_id(type_, name, inputs)
        outputs = managed_api.endpoint(root, type_, cloud.computed_outputs(type_, name, inputs))
        with cloud.locked(root):
            cloud.put(root, {"type": type_, "urn": request.urn, "id": id_, "inputs": inputs, "outputs": outputs,
                             **({"region": self.region} if self.region else {})})
            cloud.log(root, op="create", type=type_, urn=request.urn, id=id_)
        return provider_pb2.CreateResponse(id=id_, properties=to_struct(outputs))

    def Read(self, request: Any, context: Any) -> Any:
        type_ = _type(request)
        if self.forward is not None:
            try:
                live = self.forward.read(type_, request.id)
            except kube_forward.Refused as err:
                context.abort(grpc.StatusCode.UNKNOWN, str(err))
            if live is None:
                return provider_pb2.ReadResponse(id="")
            inputs = to_dict(request.inputs)
            return provider_pb2.ReadResponse(id=request.id, properties=to_struct(kube_forward.outputs_of(live)),
                                             inputs=to_struct(inputs) if inputs else None)
        root = cloud.state_dir()
        record = cloud.get(root, type_, request.id)
        cloud.log(root, op="read", type=type_, urn=request.urn, id=request.id, found=record is not None)
        if record is None:
            return provider_pb2.ReadResponse(id="")  # gone from the cloud: the engine drops it from state
        outputs = record["outputs"]
        old_inputs = to_dict(request.inputs) or record["inputs"]
        # Like the bridged providers, inputs are re-derived from what the cloud reports, so an
        # out-of-band edit of an input shows up as a difference from the program; values the cloud computes
        # inside an input object (an identity's principalId) are outputs only, as the providers' schemas say.
        computed = _computed_only(record["inputs"], cloud.computed_outputs(type_, _name(request), record["inputs"]))
        inputs = {key: _without(outputs.get(key, value), (computed or {}).get(key))
                  for key, value in old_inputs.items()}
        return provider_pb2.ReadResponse(id=record["id"], properties=to_struct(outputs), inputs=to_struct(inputs))

    def Update(self, request: Any, context: Any) -> Any:
        type_, name = _type(request), _name(request)
        news = to_dict(request.news)
        olds = to_dict(request.olds)
        if request.preview:
            # a real provider keeps the computed values under an input object it updates (the cluster
            # identity's principalId under `identity`): merge deeply, not key by key
            return provider_pb2.UpdateResponse(properties=to_struct(_deep_merge(olds, news)))
        if self.forward is not None:
            return provider_pb2.UpdateResponse(properties=self._forward_apply(type_, news, context)["properties"])
        root = cloud.state_dir()
        self._fail_or_wait(root, type_, "update", news, context)
        refused = cloud.api_error(type_, news)
        running = cloud.get(root, type_, request.id)
        if refused is None and running is not None:  # the clouds' control-plane version rules (versions.py)
            refused = versions.refusal(type_, running["outputs"], news) or versions.injected_failure(root, type_, news)
        if refused is None and running is not None:
            refused = cloud.update_error(type_, running["outputs"], news)
        if refused is not None:
            cloud.log(root, op="update-failed", type=type_, reason=refused)
            context.abort(grpc.StatusCode.UNKNOWN, refused)
        with cloud.locked(root):
            record = cloud.get(root, type_, request.id)
            if record is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"{type_} {request.id} not found (deleted outside Pulumi?)")
            outputs = managed_api.endpoint(root, type_, cloud.computed_outputs(type_, name, news))
            versions.settle(type_, record["outputs"], news, outputs)
            old_inputs = record["inputs"]
            for key, value in record["outputs"].items():  # computed-only values stay (ids, random results)
                if key not in old_inputs and key not in outputs:
                    outputs[key] = value
            record.update(inputs=news, outputs=outputs)
            cloud.put(root, record)
            cloud.log(root, op="update", type=type_, urn=request.urn, id=request.id)
        return provider_pb2.UpdateResponse(properties=to_struct(outputs))

    def Delete(self, request: Any, context: Any) -> Any:
        type_ = _type(request)
        if self.forward is not None:
            try:
                self.forward.delete(type_, request.id)
            except kube_forward.Refused as err:
                context.abort(grpc.StatusCode.UNKNOWN, str(err))
            return empty_pb2.Empty()
        root = cloud.state_dir()
        self._fail_or_wait(root, type_, "delete", to_dict(request.properties), context)
        refused = cloud.delete_error(type_, to_dict(request.properties)) or cloud.held_delete_error(root, type_,
                                                                                                  request.id)
        if refused is not None:
            cloud.log(root, op="delete-failed", type=type_, reason=refused)
            context.abort(grpc.StatusCode.UNKNOWN, refused)
        with cloud.locked(root):
            found = cloud.delete(root, type_, request.id)
            cloud.log(root, op="delete", type=type_, urn=request.urn, id=request.id, found=found)
        return empty_pb2.Empty()

    def _forward_apply(self, type_: str, inputs: Mapping[str, Any], context: Any) -> dict[str, Any]:
        assert self.forward is not None
        try:
            id_, live = self.forward.apply(type_, inputs)
        except kube_forward.Refused as err:
            context.abort(grpc.StatusCode.UNKNOWN, str(err))
        return {"id": id_, "properties": to_struct(kube_forward.outputs_of(live))}

    # -------------------------------------------------------------- data sources

    def Invoke(self, request: Any, context: Any) -> Any:
        args = to_dict(request.args)
        root = cloud.state_dir()
        cloud.log(root, op="invoke", token=request.tok)
        try:
            result = managed_api.credentials(root, request.tok, cloud.invoke(request.tok, args, root))
        except cloud.InvokeError as err:  # the data source's error, as a provider reports it
            context.abort(grpc.StatusCode.UNKNOWN, str(err))
        if result is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the local cloud does not implement {request.tok}")
        return provider_pb2.InvokeResponse(**{"return": to_struct(result)})


def _computed_only(inputs: Any, outputs: Any) -> Any:
    """The parts of ``outputs`` the cloud computed inside input objects (a tree of dicts, True at leaves)."""
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        return None
    tree: dict[str, Any] = {}
    for key, value in outputs.items():
        if key not in inputs:
            tree[key] = True
        else:
            sub = _computed_only(inputs[key], value)
            if sub:
                tree[key] = sub
    return tree or None


def _without(value: Any, computed: Any) -> Any:
    if not isinstance(value, dict) or not isinstance(computed, dict):
        return value
    return {k: _without(v, computed.get(k)) for k, v in value.items() if computed.get(k) is not True}


def serve_plugin(register: Callable[[grpc.Server], None]) -> None:
    """Serve a plugin's gRPC service on a free local port and announce the port on stdout, as the
    engine expects of every plugin (the first line of its stdout)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


def serve(package: str) -> None:
    serve_plugin(lambda server: provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        LocalCloudProvider(package), server))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in cloud.PACKAGES:
        sys.stderr.write(f"usage: python -m tests.localcloud.plugin {{{','.join(cloud.PACKAGES)}}} [engine-address]\n")
        sys.exit(2)
    serve(sys.argv[1])

"""Offline render: run the real Pulumi program under the Pulumi SDK's own mock monitor.

The program declares resources with the real SDK classes (so a wrong argument fails here, not at apply
time); a recording monitor (a subclass of the SDK's ``MockMonitor``) captures each registration with
its type, name, parent, inputs, secrets and options. The result, a :class:`ResourceGraph`, feeds cost,
policies, plan and diff. No credentials, no Pulumi CLI, no network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from kubefleet.errors import KubefleetError, RenderError
from kubefleet.graph import SECRET, STACK_TYPE, RenderedResource, ResourceGraph
from kubefleet.providers.base import InvokeFailure
from kubefleet.resolve.model import InstanceResolver, ResolvedCluster
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.providers.scope import Scope

PROJECT: Final = "kubefleet"

_LOCK = threading.Lock()  # the Pulumi runtime keeps global settings: one render at a time per process


_PENDING = threading.local()


def _urn_type(urn: str) -> str:
    """The resource type named by a URN (``urn:pulumi:stack::project::a$b::name`` -> ``b``)."""
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


def _unwrap_secrets(value: Any, path: str, found: list[str]) -> Any:
    """Replace wrapped secrets with SECRET, recording where they were."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        found.append(path or "(value)")
        return SECRET
    if isinstance(value, Mapping):
        return {k: _unwrap_secrets(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v, f"{path}.{i}" if path else str(i), found) for i, v in enumerate(value)]
    if type(value).__name__ in ("StringAsset", "FileAsset", "RemoteAsset"):
        return {"asset": type(value).__name__}
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a double
    return value


def _plain_outputs(value: Any) -> Any:
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return _plain_outputs(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: _plain_outputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_outputs(v) for v in value]
    return value


def _make_mocks_and_monitor(adapter: Any) -> tuple[Any, Any, list[RenderedResource]]:
    """The SDK's Mocks + MockMonitor, subclassed to record registrations. Built lazily (pulumi import)."""
    from pulumi.runtime import mocks, rpc

    recorded: list[RenderedResource] = []

    class RecordingMocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            inputs = _plain_outputs(dict(args.inputs))
            state = dict(inputs)
            state.update(adapter.mock_outputs(args.typ, args.name, inputs))
            for key in getattr(_PENDING, "secret_outputs", ()):
                if key in state:
                    state[key] = rpc.wrap_rpc_secret(state[key])
            return f"{args.name}-id", state

        def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            try:
                result = adapter.mock_call(args.token, _plain_outputs(dict(args.args)))
            except InvokeFailure as failure:  # the data source's own error (e.g. not found), not a crash
                return {}, [("", str(failure))]
            if result is None:
                raise RenderError(
                    f"offline render: {type(adapter).__name__} has no offline answer for data source {args.token}"
                )
            return result, []

    class RecordingMonitor(mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                from pulumi.runtime.sync_await import _ensure_event_loop

                _ensure_event_loop()
                raw = rpc.deserialize_properties(request.object)
                secrets: list[str] = []
                inputs = _unwrap_secrets(raw, "", secrets)
                urn = self.make_urn(request.parent, request.type, request.name)
                recorded.append(
                    RenderedResource(
                        urn=urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent if _urn_type(request.parent) not in ("", STACK_TYPE) else None,
                        inputs=inputs,
                        custom=bool(request.custom),
                        protect=bool(request.protect),
                        secret_paths=tuple(secrets),
                        ignore_changes=tuple(request.ignoreChanges),
                        replace_on_changes=tuple(request.replaceOnChanges),
                        delete_before_replace=bool(request.deleteBeforeReplace),
                    )
                )
            # The engine, not the SDK, applies additionalSecretOutputs; do it here so values a real
            # provider marks secret (tokens, kubeconfigs) stay secret in the offline render too.
            _PENDING.secret_outputs = tuple(request.additionalSecretOutputs)
            try:
                return super().RegisterResource(request)
            finally:
                _PENDING.secret_outputs = ()

    the_mocks = RecordingMocks()
    return the_mocks, RecordingMonitor(the_mocks), recorded


#: Young-generation threshold of Python's cyclic collector while a program runs (the default is 700).
GC_YOUNG_THRESHOLD: Final = 100_000


@contextmanager
def _collector_paced_for_a_render() -> Iterator[None]:
    """The SDK makes ~90 ``Output`` objects (each with four futures and callbacks) per resource, nearly
    all alive until the program ends; with the default thresholds the cyclic collector keeps rescanning
    them: measured on a 1,000-node kubeadm render, 6.4 of its 12.9 CPU seconds were collections (and
    3,000 nodes took 4.5x the CPU of 1,000). During a render young collections run every 100,000
    allocations instead of 700; the threshold is restored after, so garbage is still collected, only
    less often. (``gc.freeze`` of the objects that exist before a render was tried too and dropped: the
    previous render's garbage, frozen with them, piled up over 2,000 renders.) Nothing here changes
    what is rendered."""
    import gc

    threshold = gc.get_threshold()
    if not gc.isenabled() or threshold[0] == 0:  # someone turned the collector off: leave it alone
        yield
        return
    gc.set_threshold(max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@contextmanager
def _no_source_positions() -> Iterator[None]:
    """For the duration of an offline render, the SDK records no source position per resource.

    ``pulumi.runtime.resource._get_stack_trace`` runs ``traceback.extract_stack()`` (with source lines
    from linecache) for every registration, so that the engine can point at the line that declared a
    resource in an error; the mock monitor throws the positions away and the graph has no field for them.
    It was ~11 % of a cold ``fleet``'s CPU (cProfile, 40 specs). The SDK's function is swapped for one
    returning an empty ``StackTrace`` (a value the SDK itself returns when it finds no user frame) while
    the render lock is held, and put back after — the engine path (``up``, ``preview``) never runs with
    it swapped. ``tests/test_render_aliases.py`` checks the graphs are identical with and without."""
    from pulumi.runtime import proto, resource

    original = resource._get_stack_trace
    resource._get_stack_trace = proto.source_pb2.StackTrace
    try:
        yield
    finally:
        resource._get_stack_trace = original


def _without_aliases(args: Any) -> Any:
    """A stack transformation for the offline render only: drop a resource's ``aliases``.

    Aliases tell the engine which URNs in an *existing state* are this resource under an older name; an
    offline render has no state, and the graph records no aliases (:class:`RenderedResource` has no field
    for them), so they change nothing in it. They are not free: the SDK's ``Resource`` constructor turns
    every alias into an ``Output`` URN eagerly (``pulumi/resource.py``, ``collapse_alias_to_urn``), and
    each azure-native class carries one alias per older API version (``AgentPool``: 110) — about 85 % of the CPU
    of an AKS render (0.20 → 0.03 s for ``examples/sweet-spot.yaml``). ``tests/test_render_aliases.py``
    checks the graphs are identical with and without. The engine path (``up``/``preview``) never sees this
    transformation: it is registered in :func:`_run` (the offline renders) only."""
    import pulumi

    if not args.opts.aliases:
        return None
    args.opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, args.opts)


def render(
    spec: ClusterSpec,
    provider: str,
    *,
    catalog: Catalog | None = None,
    resolver: InstanceResolver | None = None,
    as_of: date | None = None,
) -> ResourceGraph:
    """Resolve ``spec`` on ``provider`` (:func:`kubefleet.resolve.cluster.resolve`) and render it: the two
    pipeline steps in one call, for callers that hold a spec. ``as_of`` dates the dated choices."""
    from kubefleet.resolve.cluster import resolve

    return render_resolved(resolve(spec, provider, catalog=catalog, resolver=resolver, as_of=as_of))


def _run(adapter: Any, stack_name: str, program: Any, what: str, *, shortcuts: bool = True
         ) -> tuple[list[RenderedResource], dict[str, Any]]:
    """Run ``program`` under the recording mock monitor as stack ``stack_name``: the resources it declared
    (sorted) and its exported outputs. The caller holds _LOCK. ``shortcuts=False`` (tests only) runs the
    SDK's unmodified path: aliases and source positions computed as under the engine
    (:func:`_without_aliases`, :func:`_no_source_positions`)."""
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import register_stack_transformation, run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    def run_program() -> None:
        if shortcuts:
            register_stack_transformation(_without_aliases)
        program()

    the_mocks, monitor, recorded = _make_mocks_and_monitor(adapter)
    settings.ROOT.set(None)
    mocks.set_mocks(the_mocks, project=PROJECT, stack=stack_name, preview=False, monitor=monitor)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    outputs: dict[str, Any] = {}
    try:
        with _no_source_positions() if shortcuts else nullcontext():
            _sync_await(run_pulumi_func(run_program))
        stack = settings.get_root_resource()
        exported = getattr(stack, "outputs", {}) if stack is not None else {}
        for key, value in dict(exported).items():
            out = pulumi.Output.from_input(value)
            is_secret = _sync_await(out.is_secret())
            outputs[key] = SECRET if is_secret else _sync_await(out.future())
    except KubefleetError:
        raise
    except Exception as err:  # the SDK raises plain exceptions for bad arguments; make them ours
        raise RenderError(
            f"{what} failed: {type(err).__name__}: {err}",
            hint="this is a kubefleet bug if the spec validated; please report it with the spec",
        ) from err
    # Registrations reach the monitor from the SDK's thread pool, in no fixed order; sort so that the
    # same spec always gives the same graph (roots first, then by URN, which nests children by type).
    return sorted(recorded, key=lambda r: (r.parent is not None, r.urn)), outputs


@dataclass(frozen=True)
class ScopeGraph:
    """What a scope stack declares (providers/scope.py), rendered once per scope, and the clusters using it."""

    scope: Scope
    clusters: tuple[str, ...]
    resources: list[RenderedResource]
    outputs: dict[str, Any]

    @property
    def stack(self) -> str:
        return self.scope.stack_name


def render_scope(scope: Scope, clusters: tuple[str, ...] = ()) -> ScopeGraph:
    """Run a scope stack's program (providers/scope.py) under the mock monitor: the resources that exist once
    per project/account, declared once whatever the number of ``clusters`` using it."""
    from kubefleet.providers import get_adapter
    from kubefleet.render.program import scope_program

    adapter = get_adapter(scope.provider)
    with _LOCK, _collector_paced_for_a_render():
        ordered, outputs = _run(adapter, scope.stack_name, lambda: scope_program(scope),
                                f"rendering scope stack {scope.stack_name}")
    return ScopeGraph(scope=scope, clusters=clusters, resources=ordered, outputs=outputs)


def scope_graphs(clusters: Sequence[ResolvedCluster]) -> list[ScopeGraph]:
    """One render per distinct scope of ``clusters`` (the union of their needs), in stack-name order."""
    from kubefleet.providers import get_adapter
    from kubefleet.providers.scope import group

    pairs = []
    for ctx in clusters:
        scope = get_adapter(ctx.provider).scope(ctx.spec)
        if scope is not None:
            pairs.append((ctx.spec.name, scope))
    return [render_scope(scope, tuple(names)) for _, (scope, names) in sorted(group(pairs).items())]


def render_resolved(ctx: ResolvedCluster, *, shortcuts: bool = True) -> ResourceGraph:
    """Run the program for a resolved cluster under the mock monitor and return what it declares
    (``shortcuts``: see :func:`_run`)."""
    from kubefleet.providers import get_adapter
    from kubefleet.render.program import cluster_program

    spec, provider = ctx.spec, ctx.provider
    adapter = get_adapter(provider)
    instances = {pool.name: ctx.instance(pool) for pool in spec.spec.node_pools}
    with _LOCK, _collector_paced_for_a_render():
        ordered, outputs = _run(adapter, f"{spec.name}-{provider}", lambda: cluster_program(spec, provider, ctx),
                                f"rendering {spec.name!r} for {provider}", shortcuts=shortcuts)
        parity = adapter.parity(ctx)  # its notes name the same dated choices
    return ResourceGraph(
        cluster=spec.name,
        provider=provider,
        region=ctx.region,
        resources=ordered,
        outputs=outputs,
        parity=parity,
        instances=instances,
        spec=spec,
    )

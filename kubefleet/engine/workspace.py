"""Stacks through Pulumi's Automation API: the one program as an inline program, provider config from
the spec, provider plugins, and up / preview / refresh / destroy / outputs / stacks.

``pulumi`` is imported inside the functions that need it; callers check for the CLI first
(:func:`kubefleet.engine.preflight.require_pulumi_cli`) and wrap calls in
:func:`kubefleet.engine.errors.engine_errors`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kubefleet.engine.backend import Backend
from kubefleet.errors import UsageError
from kubefleet.resolve.cluster import ProtectionRule
from kubefleet.safeio import kubefleet_home
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from pulumi.automation import (
        DestroyResult,
        EngineEvent,
        LocalWorkspaceOptions,
        OutputMap,
        PreviewResult,
        RefreshResult,
        Stack,
        StackSummary,
        UpResult,
    )

PROJECT: Final = "kubefleet"

#: provider -> its main Pulumi resource plugin
PLUGINS: Final[dict[str, str]] = {"gke": "gcp", "eks": "aws", "aks": "azure-native", "kubeadm": "kubernetes"}

#: Python SDK distributions that are not resource plugins
NOT_PLUGINS: Final = frozenset({"pulumi", "pulumi_policy"})

_STACK_NAME = re.compile(r"^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]{1,100}$")

OnEvent = Callable[["EngineEvent"], None]

# Common engine-call arguments: the CLI draws progress from typed events, never from Pulumi's text.
_QUIET: Final[dict[str, Any]] = {"color": "never", "suppress_outputs": True, "suppress_progress": True}


@dataclass(frozen=True)
class StackTarget:
    """One cluster on one provider, as a stack in a backend."""

    spec: ClusterSpec
    provider: str
    stack_name: str
    backend: Backend
    protection: ProtectionRule | None = None  # which clusters are production (default: the built-in rule)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.backend.secret_values()


def default_stack_name(spec: ClusterSpec, provider: str) -> str:
    """``<cluster>-<provider>``."""
    return f"{spec.name}-{provider}"


def check_stack_name(name: str) -> str:
    if not _STACK_NAME.match(name):
        raise UsageError(f"{name!r} is not a valid stack name",
                         hint="use letters, digits, '-', '_' and '.', optionally as org/project/stack")
    return name


def stack_target(spec: ClusterSpec, provider: str, backend: Backend, stack: str | None = None) -> StackTarget:
    name = check_stack_name(stack) if stack else default_stack_name(spec, provider)
    return StackTarget(spec=spec, provider=provider, stack_name=name, backend=backend)


def provider_config(spec: ClusterSpec, provider: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Stack config for the provider plugin, from the spec. Credentials stay in the environment."""
    env = os.environ if environ is None else environ
    region = spec.region_for(provider)
    config: dict[str, str] = {}
    opts = spec.spec.provider_options(provider)
    if provider == "gke":
        project = (opts.project if opts is not None else None) or env.get("GOOGLE_PROJECT") or env.get(
            "GOOGLE_CLOUD_PROJECT")
        if project:
            config["gcp:project"] = project
        config["gcp:region"] = region
    elif provider == "eks":
        config["aws:region"] = region
    elif provider == "aks":
        config["azure-native:location"] = region
        if opts is not None and opts.subscription_id:
            config["azure-native:subscriptionId"] = opts.subscription_id
    elif provider == "kubeadm":
        server = (opts.vsphere.server if opts is not None else None) or env.get("VSPHERE_SERVER")
        if not server:
            raise UsageError(
                f"cluster {spec.name!r} on kubeadm needs a vCenter server",
                hint="set spec.providers.kubeadm.vsphere.server or the VSPHERE_SERVER environment variable",
            )
        from kubefleet.engine.management import CONFIG_SERVER, stack_config

        config[CONFIG_SERVER] = server
        config.update(stack_config(spec, env))
    return config


def _plugin_for(module: str) -> str:
    return module.removeprefix("pulumi_").replace("_", "-")


def required_plugins(provider: str) -> list[tuple[str, str]]:
    """(plugin, version) pairs to install: the provider's main plugin first, then every other Pulumi
    provider SDK its adapter imports, each at the version of the installed ``pulumi_<x>`` package."""
    from kubefleet.providers import get_adapter

    get_adapter(provider)  # imports the adapter and the SDKs it declares resources with
    main = PLUGINS[provider]
    loaded = {_plugin_for(name): name for name in sys.modules
              if name.startswith("pulumi_") and "." not in name and name not in NOT_PLUGINS}
    loaded.setdefault(main, "pulumi_" + main.replace("-", "_"))
    out: list[tuple[str, str]] = []
    for plugin in [main, *sorted(p for p in loaded if p != main)]:
        version = importlib.metadata.version(loaded[plugin])
        out.append((plugin, f"v{version}"))
    return out


def work_dir(backend: Backend) -> Path:
    """A stable, private workspace directory per backend (holds Pulumi.yaml and stack config files)."""
    digest = hashlib.sha256(backend.url.encode()).hexdigest()[:12]
    path = kubefleet_home() / "workspaces" / digest
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def workspace_options(backend: Backend, extra_env: Mapping[str, str] | None = None) -> LocalWorkspaceOptions:
    from pulumi.automation import LocalWorkspaceOptions, ProjectBackend, ProjectSettings

    directory = work_dir(backend)
    settings = ProjectSettings(name=PROJECT, runtime="python", main=str(directory),
                               backend=ProjectBackend(url=backend.url),
                               description="kubefleet clusters (Automation API inline program)")
    env = {**dict(extra_env or {}), **dict(backend.env)}
    return LocalWorkspaceOptions(work_dir=str(directory), env_vars=env, project_settings=settings)


def open_stack(target: StackTarget, *, create: bool = True, install_plugins: bool = True,
               extra_config: Mapping[str, str] | None = None, extra_env: Mapping[str, str] | None = None) -> Stack:
    """Create or select the stack (``create=False``: it must exist), set its provider config (plus
    ``extra_config``, e.g. the keys a policy pack reads) and install the provider plugins. ``extra_env``
    goes to the CLI's environment, which the engine hands on to plugins and policy packs."""
    from pulumi import automation as auto

    from kubefleet.cost.sources.cache import active_catalog
    from kubefleet.render.program import inline_program

    # the catalog the CLI priced and previewed with (refreshed prices included): shape matching picks the
    # cheapest fitting type, so another catalog could deploy another instance type than the one shown
    program = inline_program(target.spec, target.provider, active_catalog(), protection=target.protection)
    opts = workspace_options(target.backend, extra_env)
    if create:
        stack = auto.create_or_select_stack(stack_name=target.stack_name, project_name=PROJECT, program=program,
                                            opts=opts)
    else:
        stack = auto.select_stack(stack_name=target.stack_name, project_name=PROJECT, program=program, opts=opts)
    config = {**provider_config(target.spec, target.provider), **dict(extra_config or {})}
    from kubefleet.engine.management import SECRET_CONFIG

    stack.set_all_config({key: auto.ConfigValue(value=value, secret=key in SECRET_CONFIG)
                          for key, value in sorted(config.items())})
    if install_plugins:
        for plugin, version in required_plugins(target.provider):
            stack.workspace.install_plugin(plugin, version)
    return stack


_URN_TARGET = re.compile(r"^urn:pulumi:[^\s]+$")


def check_targets(targets: Sequence[str]) -> list[str]:
    """``--target`` values: Pulumi resource URNs (``urn:pulumi:<stack>::<project>::<type>::<name>``; the engine
    also takes ``*``/``**`` globs in them). Anything else is a usage error before the engine starts."""
    bad = [t for t in targets if not _URN_TARGET.match(t)]
    if bad:
        raise UsageError(f"--target {bad[0]!r} is not a resource URN",
                         hint="targets are URNs as `pulumi stack --show-urns` lists them: urn:pulumi:<stack>::kubefleet::…")
    return list(dict.fromkeys(targets))


@dataclass(frozen=True)
class RunOptions:
    """What the user chose for one engine run, as `pulumi` flags: ``targets`` (``--target``, repeatable: only
    these resources are touched) and ``debug`` (``--debug``: the engine's debug diagnostics as events)."""

    targets: tuple[str, ...] = ()
    debug: bool = False

    def kwargs(self) -> dict[str, Any]:
        return {"target": list(self.targets) or None, "debug": True if self.debug else None}


_DEFAULT_RUN: Final = RunOptions()


def run_up(stack: Stack, on_event: OnEvent, *, policy_packs: Sequence[str] = (),
           policy_pack_configs: Sequence[str] = (), options: RunOptions = _DEFAULT_RUN) -> UpResult:
    # refresh=True (`pulumi up --refresh`): read the cloud first, so drift (a pool resized in a console)
    # is put back. Without it the engine diffs the program against its last recorded state only, and
    # `up` after a drift report changed nothing (found with the real CLI, tests/test_e2e_engine.py).
    return stack.up(on_event=on_event, show_secrets=False, refresh=True, policy_packs=list(policy_packs) or None,
                    policy_pack_configs=list(policy_pack_configs) or None, **options.kwargs(), **_QUIET)


def run_preview(stack: Stack, on_event: OnEvent, *, refresh: bool = False, policy_packs: Sequence[str] = (),
                policy_pack_configs: Sequence[str] = (), options: RunOptions = _DEFAULT_RUN) -> PreviewResult:
    return stack.preview(on_event=on_event, refresh=refresh or None, policy_packs=list(policy_packs) or None,
                         policy_pack_configs=list(policy_pack_configs) or None, **options.kwargs(), **_QUIET)


def run_refresh(stack: Stack, on_event: OnEvent, *, options: RunOptions = _DEFAULT_RUN) -> RefreshResult:
    return stack.refresh(on_event=on_event, show_secrets=False, **options.kwargs(), **_QUIET)


def run_destroy(stack: Stack, on_event: OnEvent, *, options: RunOptions = _DEFAULT_RUN) -> DestroyResult:
    # remove=True: like `pulumi destroy --remove`, the emptied stack and its config go too, so `kubefleet
    # stacks` no longer lists a cluster that is gone (the generated config is rebuilt by the next `up`).
    # A targeted destroy leaves the rest of the stack, so the stack stays.
    return stack.destroy(on_event=on_event, show_secrets=False, remove=not options.targets or None,
                         **options.kwargs(), **_QUIET)


def stack_outputs(stack: Stack) -> OutputMap:
    return stack.outputs()


#: Deletion guards that live only in the stack's state: the provider refuses to delete while the state says true,
#: and nothing in the cloud holds them, so clearing them in the state is what lifts them. pulumi_gcp 10.2.0
#: container.Cluster ``deletion_protection``: "Deleting this cluster via `terraform destroy` or `pulumi up` will
#: only succeed if this field is `false` in the Terraform state" (the provider's check:
#: hashicorp/terraform-provider-google-beta@3dc173a:google-beta/services/container/resource_container_cluster.go:
#: 5886-5887). EKS's deletionProtection is not one of them: the EKS API holds it (UpdateClusterConfig).
STATE_GUARDS: Final[dict[str, str]] = {"gcp:container/cluster:Cluster": "deletionProtection"}


def _guarded(resource: Mapping[str, Any]) -> bool:
    key = STATE_GUARDS.get(str(resource.get("type", "")))
    return key is not None and any((resource.get(part) or {}).get(key) is True for part in ("inputs", "outputs"))


def protected_resources(stack: Stack) -> list[str]:
    """URNs of the stack's protected resources (from its exported state): Pulumi's ``protect``, a provider's
    state-only deletion guard (:data:`STATE_GUARDS`) or a cloud-held one (:data:`CLOUD_GUARDS`)."""
    state = stack.export_stack()
    resources = (state.deployment or {}).get("resources") or []
    return sorted(str(r.get("urn", "")) for r in resources if r.get("protect") or _guarded(r) or _cloud_guarded(r))


_TEMP_LOCK = threading.Lock()


@contextlib.contextmanager
def _private_tempdir() -> Any:
    """Point ``tempfile`` at a fresh 0700 directory under the kubefleet home, removed afterwards.

    ``Workspace.import_stack`` writes the (decrypted) state to a temporary file and deletes it only on
    success; this keeps that file private and guarantees it is gone even when the import fails."""
    with _TEMP_LOCK:
        base = kubefleet_home() / "tmp"
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory = tempfile.mkdtemp(dir=base)
        previous = tempfile.tempdir
        tempfile.tempdir = directory
        try:
            yield directory
        finally:
            tempfile.tempdir = previous
            shutil.rmtree(directory, ignore_errors=True)


#: Deletion guards the cloud holds: the API refuses the delete while the cloud says true, so no state edit lifts
#: them; only an update through that API does. EKS: UpdateClusterConfig ``deletionProtection`` "When enabled
#: (true), the cluster cannot be deleted until deletion protection is explicitly disabled" (botocore 1.44.18
#: data/eks/2017-11-01/service-2.json, UpdateClusterConfigRequest.deletionProtection); DeleteCluster on an active
#: protected cluster fails with InvalidRequestException (https://docs.aws.amazon.com/eks/latest/userguide/
#: deletion-protection.html). The bridged provider's delete calls DeleteCluster as is (terraform-provider-aws
#: internal/service/eks/cluster.go resourceClusterDelete), so ``destroy`` alone cannot get past it.
CLOUD_GUARDS: Final[dict[str, str]] = {"aws:eks/cluster:Cluster": "deletionProtection"}

#: The stack config switch the EKS program reads (providers/eks/cluster.py): while ``true`` it renders the
#: cluster with ``deletion_protection=False``. Set only for the targeted update :func:`release_cloud_guards` runs.
CONFIG_RELEASE_GUARDS: Final = "kubefleet:releaseDeletionProtection"


def _cloud_guarded(resource: Mapping[str, Any]) -> bool:
    key = CLOUD_GUARDS.get(str(resource.get("type", "")))
    return key is not None and any((resource.get(part) or {}).get(key) is True for part in ("inputs", "outputs"))


def _urn_type(urn: str) -> str:
    """The resource type of a URN (``urn:pulumi:<stack>::<project>::<parent types$>type::<name>``)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) > 3 else ""


def cloud_guarded_resources(stack: Stack) -> list[str]:
    """URNs of the stack's resources whose deletion guard the cloud holds (:data:`CLOUD_GUARDS`), as the last
    update recorded them."""
    state = stack.export_stack()
    resources = (state.deployment or {}).get("resources") or []
    return sorted(str(r.get("urn", "")) for r in resources if _cloud_guarded(r))


def release_cloud_guards(stack: Stack, on_event: OnEvent, urns: Sequence[str]) -> None:
    """Turn the cloud-held deletion guards of ``urns`` off through the cloud's API: a targeted ``up`` (only those
    resources) of the program with :data:`CONFIG_RELEASE_GUARDS` on, which the provider sends as an update
    (EKS: UpdateClusterConfig). A targeted preview runs first: when the update would change anything else on
    those resources (the spec or the cloud moved since the last ``up``), :class:`~kubefleet.errors.UsageError` and
    nothing is changed. The switch is removed again whatever happens, so the next ``up`` puts the guard back.
    Raises :class:`~kubefleet.errors.EngineError` when the engine reports success but a guard is still on."""
    from pulumi.automation import ConfigValue

    from kubefleet.errors import EngineError

    wanted = set(urns)
    planned: dict[str, tuple[str, list[str]]] = {}

    def watch(event: EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.urn in wanted:
            planned[pre.metadata.urn] = (str(pre.metadata.op.value), sorted(pre.metadata.diffs or []))

    stack.set_config(CONFIG_RELEASE_GUARDS, ConfigValue(value="true"))
    try:
        # a targeted update applies every pending change of the resource, not only the guard: preview it first
        # and go on only when the guard is all that changes (no version bump or replace slipped in before a delete)
        run_preview(stack, watch, refresh=True, options=RunOptions(targets=tuple(urns)))
        for urn in sorted(wanted):
            op, diffs = planned.get(urn, ("same", []))
            others = [d for d in diffs if d != CLOUD_GUARDS.get(_urn_type(urn))]
            if op not in ("update", "same") or others:
                raise UsageError(
                    f"refusing to turn deletion protection off on {urn}: that update would also "
                    + (f"change {', '.join(others)}" if others else f"{op} the resource")
                    + " (the spec or the cloud differs from what the stack's last `up` deployed)",
                    hint="nothing was changed or deleted; `kubefleet up` this spec first (or destroy with the spec "
                    "the cluster was deployed from), then rerun `kubefleet destroy --force`")
        run_up(stack, on_event, options=RunOptions(targets=tuple(urns)))
    finally:
        stack.remove_config(CONFIG_RELEASE_GUARDS)
    still = sorted(set(urns) & set(cloud_guarded_resources(stack)))
    if still:
        raise EngineError(f"deletion protection is still on for {', '.join(still)} after the update that turns it off",
                          hint="nothing was deleted; report this as a kubefleet bug")


def unprotect_all(stack: Stack) -> int:
    """Clear ``protect`` and the state-only deletion guards (:data:`STATE_GUARDS`) on every resource of the stack
    (export, edit, import). Returns how many resources were unprotected."""
    from pulumi.automation import Deployment

    state = stack.export_stack()
    deployment = dict(state.deployment or {})
    resources = [dict(r) for r in deployment.get("resources") or []]
    count = 0
    for resource in resources:
        guarded = _guarded(resource)
        if resource.get("protect") or guarded:
            resource["protect"] = False
            count += 1
        if guarded:
            key = STATE_GUARDS[str(resource["type"])]
            for part in ("inputs", "outputs"):
                if isinstance(resource.get(part), dict) and key in resource[part]:
                    resource[part] = {**resource[part], key: False}
    if not count:
        return 0
    deployment["resources"] = resources
    with _private_tempdir():
        stack.import_stack(Deployment(version=state.version, deployment=deployment))
    return count


def list_stacks(backend: Backend) -> list[StackSummary]:
    """The kubefleet stacks in a backend."""
    from pulumi.automation import LocalWorkspace

    opts = workspace_options(backend)
    workspace = LocalWorkspace(work_dir=opts.work_dir, env_vars=opts.env_vars, project_settings=opts.project_settings)
    return sorted(workspace.list_stacks(), key=lambda s: s.name)


def live_region(target: StackTarget) -> str | None:
    """The ``region`` output of the cluster's stack as the backend holds it (exported since the first program,
    render/program.py), or None when there is no such stack or no such output. Only that one output is read:
    ``pulumi stack output region --json`` without --show-secrets (the stack's outputs include the kubeconfig
    secret), and the stack is selected, never created."""
    import json

    from pulumi import automation as auto

    try:
        stack = auto.select_stack(stack_name=target.stack_name, project_name=PROJECT, program=lambda: None,
                                  opts=workspace_options(target.backend))
    except auto.errors.StackNotFoundError:
        return None
    ws = stack.workspace
    assert isinstance(ws, auto.LocalWorkspace)
    env = {**({"PULUMI_HOME": ws.pulumi_home} if ws.pulumi_home else {}), **ws.env_vars}
    try:
        result = ws.pulumi_command.run(["stack", "output", "region", "--json", "--stack", target.stack_name],
                                       ws.work_dir, env)
    except auto.errors.CommandError:  # no `region` output (e.g. an emptied stack)
        return None
    value = json.loads(result.stdout or "null")
    return value if isinstance(value, str) and value else None

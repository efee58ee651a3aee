"""Scope stacks through the Automation API: the shared stack per project/account (providers/scope.py) that
cluster stacks reference — opened (created or selected) with what it already holds plus what this cluster
needs, previewed and applied before the cluster, and destroyed only when no cluster stack uses it.

Which cluster stacks use a scope is read from the engine's own record, not from a list kubefleet keeps: every
cluster program declares a ``pulumi:pulumi:StackReference`` to its scope stack, so a stack's exported state
names the scope it uses (and ``destroy`` of that cluster removes the reference with the cluster).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from kubefleet.engine.backend import Backend
from kubefleet.errors import UsageError
from kubefleet.providers.scope import NEEDS_CONFIG, Scope, format_needs, is_scope_stack, parse_needs

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from kubefleet.engine.workspace import StackTarget

STACK_REFERENCE: Final = "pulumi:pulumi:StackReference"

#: the provider config key that names the scope, per cloud
SCOPE_CONFIG: Final[dict[str, str]] = {"gcp": "gcp:project"}
KEY_ENV: Final[dict[str, tuple[str, ...]]] = {
    "gcp": ("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")}


@dataclass(frozen=True)
class ScopeTarget:
    """A scope stack in a backend."""

    scope: Scope
    backend: Backend

    @property
    def stack_name(self) -> str:
        return self.scope.stack_name

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.backend.secret_values()


def scope_target(target: StackTarget, environ: Mapping[str, str] | None = None) -> ScopeTarget | None:
    """The scope stack the cluster of ``target`` uses (None: its provider has no once-per-scope resources).
    The key is the one the cluster's stack config names (``gcp:project`` from the spec or the environment),
    so the scope stack and the cluster program's reference agree; without one this is a usage error."""
    from kubefleet.engine.workspace import provider_config
    from kubefleet.providers import get_adapter

    adapter = get_adapter(target.provider)
    config = provider_config(target.spec, target.provider, environ)
    probe = adapter.scope(target.spec)
    if probe is None:
        return None
    env = os.environ if environ is None else environ
    # the stack config's key, else the environment variables the provider itself reads (pulumi-gcp's
    # config.project: GOOGLE_PROJECT, GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, CLOUDSDK_CORE_PROJECT)
    key = config.get(SCOPE_CONFIG.get(probe.cloud, "")) or next(
        (env[v] for v in KEY_ENV.get(probe.cloud, ()) if env.get(v)), None)
    scope = adapter.scope(target.spec, key)
    assert scope is not None
    if not scope.known:
        raise UsageError(
            f"cluster {target.spec.name!r} on {target.provider} names no project, and its project-wide resources "
            "(API enablement, fleet features) live in one shared stack per project",
            hint="set spec.providers.gke.project, or GOOGLE_PROJECT in the environment",
        )
    return ScopeTarget(scope=scope, backend=target.backend)


def _noop() -> None:
    return None


def open_scope_stack(target: ScopeTarget, *, create: bool = True, install_plugins: bool = True) -> Stack:
    """Create or select the scope stack; its config records the union of what it held and what this
    cluster needs (what a scope holds only grows: another cluster of the scope may use it)."""
    return _open(target, create=create, install_plugins=install_plugins)[0]


def scope_is_current(target: ScopeTarget) -> tuple[Stack, bool]:
    """The scope stack (created or selected) and whether it is already applied with everything this cluster
    needs (its config holds the needs and its last update exported them), so a cluster's `up` need not preview
    it again; plugins are installed only when it is not."""
    stack, changed = _open(target, create=True, install_plugins=False)
    current = not changed and bool(stack.outputs().get("scope"))
    if not current:
        plugin, version = _main_plugin(target)
        stack.workspace.install_plugin(plugin, version)
    return stack, current


def _main_plugin(target: ScopeTarget) -> tuple[str, str]:
    from kubefleet.engine.workspace import required_plugins

    return required_plugins(target.scope.provider)[0]


def _open(target: ScopeTarget, *, create: bool, install_plugins: bool) -> tuple[Stack, bool]:
    from pulumi import automation as auto

    from kubefleet.engine.workspace import PROJECT, workspace_options
    from kubefleet.render.program import inline_scope_program

    opts = workspace_options(target.backend)
    program = inline_scope_program(target.scope)
    if create:
        stack = auto.create_or_select_stack(stack_name=target.stack_name, project_name=PROJECT, program=program,
                                            opts=opts)
    else:
        stack = auto.select_stack(stack_name=target.stack_name, project_name=PROJECT, program=program, opts=opts)
    held = {k: v.value for k, v in stack.get_all_config().items()}
    needs = target.scope.needs | parse_needs(held.get(NEEDS_CONFIG))
    config = {NEEDS_CONFIG: format_needs(needs)}
    key = SCOPE_CONFIG.get(target.scope.cloud)
    if key:
        config[key] = target.scope.key
    changed = any(held.get(k) != v for k, v in config.items())
    if changed:
        stack.set_all_config({k: auto.ConfigValue(value=v) for k, v in sorted(config.items())})
    if install_plugins:
        plugin, version = _main_plugin(target)
        stack.workspace.install_plugin(plugin, version)
    return stack, changed


def _references(state: Mapping[str, Any]) -> list[str]:
    """The stack names a stack's exported state references (StackReference resources)."""
    out = []
    for resource in (state.get("resources") or []):
        if resource.get("type") != STACK_REFERENCE:
            continue
        name = (resource.get("inputs") or {}).get("name") or (resource.get("outputs") or {}).get("name")
        if name:
            out.append(str(name).rsplit("/", 1)[-1])
    return out


def scope_users(target: ScopeTarget) -> list[str]:
    """The cluster stacks in the backend whose state references this scope stack."""
    from pulumi import automation as auto

    from kubefleet.engine.workspace import PROJECT, list_stacks, workspace_options

    users = []
    opts = workspace_options(target.backend)
    for summary in list_stacks(target.backend):
        if is_scope_stack(summary.name):
            continue
        stack = auto.select_stack(stack_name=summary.name, project_name=PROJECT, program=_noop, opts=opts)
        state = stack.export_stack().deployment or {}
        if target.stack_name in _references(state):
            users.append(summary.name)
    return sorted(users)


def scope_exists(target: ScopeTarget) -> bool:
    from kubefleet.engine.workspace import list_stacks

    return any(s.name.rsplit("/", 1)[-1] == target.stack_name for s in list_stacks(target.backend))


def apply_scope(target: StackTarget, on_event: Any) -> bool:
    """Bring the cluster's scope stack up to what the cluster needs (create, adopt or extend it), as
    ``kubefleet up`` does before the cluster; nothing when it is already current. True when it ran an update."""
    from kubefleet.engine.workspace import run_up

    scope = scope_target(target)
    if scope is None:
        return False
    stack, current = scope_is_current(scope)
    if current:
        return False
    run_up(stack, on_event)
    return True

"""up, preview, refresh, destroy, outputs, stacks, kubeconfig: the engine path (Pulumi Automation API).

Every command checks for the Pulumi CLI before importing anything heavy, raises kubefleet errors
(cli/main.py maps them to exit codes) and never prints a secret: outputs are masked unless
--show-secrets, the kubeconfig only goes to a 0600 file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import DiffFormat, TableOrJson
from kubefleet.errors import EngineError, KubefleetError, ProblemFound, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.changes.drift import DriftReport
    from kubefleet.changes.model import ClusterChanges
    from kubefleet.engine.backend import Backend
    from kubefleet.engine.progress import Diagnostic, EventRouter, StepProgress
    from kubefleet.engine.workspace import RunOptions, StackTarget
    from kubefleet.graph import ResourceGraph
    from kubefleet.spec.loader import LoadedSpec

FILE_ARG = typer.Argument(..., help="Spec file (one cluster, or choose one with --cluster).")
PROVIDER_OPT = typer.Option(None, "--provider", "-p", help="gke | eks | aks | kubeadm (default: spec.provider).")
CLUSTER_OPT = typer.Option(None, "--cluster", help="The cluster to use when FILE holds several.")
STACK_OPT = typer.Option(None, "--stack", "-s", help="Stack name (default: <cluster>-<provider>), as `pulumi -s`.")
BACKEND_OPT = typer.Option(
    None, "--backend",
    help="State backend: https://api.pulumi.com, s3://…, gs://…, azblob://…, file://… "
    "(default: PULUMI_BACKEND_URL, else kubefleet's local backend under ~/.kubefleet/state).",
)
YES_OPT = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (required when not interactive).")
TARGET_OPT = typer.Option(
    None, "--target", "-t", metavar="URN",
    help="Only this resource, as `pulumi --target` (repeatable): its URN, urn:pulumi:<stack>::kubefleet::<type>::<name> "
    "(`pulumi stack --show-urns` lists them).")
DEBUG_OPT = typer.Option(False, "--debug", help="Show the engine's debug diagnostics (secrets still masked).")


def _run_options(targets: list[str] | None, debug: bool) -> RunOptions:
    from kubefleet.engine.workspace import RunOptions, check_targets

    return RunOptions(targets=tuple(check_targets(targets or [])), debug=debug)


# ------------------------------------------------------------------ shared steps


def _pick(file: Path, cluster: str | None) -> LoadedSpec:
    from kubefleet.cli.common import load_specs

    specs = load_specs(file, cluster)
    if len(specs) > 1:
        names = ", ".join(s.spec.name for s in specs)
        raise UsageError(f"{file} holds {len(specs)} clusters; the engine commands act on one",
                         hint=f"choose one with --cluster: {names}")
    return specs[0]


def _target(file: Path, provider: str | None, cluster: str | None, stack: str | None,
            backend: str | None, *, creates: bool = False) -> StackTarget:
    """Spec, provider and stack; then the CLI check; then the backend (which may create the local one).

    ``creates`` (up, preview): the dated compatibility data must offer the spec's Kubernetes minor (and a
    mesh revision for it) today, before anything is touched; destroy, refresh and outputs must still work
    on a cluster whose version has since left its channel."""
    from kubefleet.cli.common import provider_for, today
    from kubefleet.lifecycle.check import enforce

    loaded = _pick(file, cluster)
    chosen = provider_for(loaded, provider)
    if creates:
        enforce([loaded], {loaded.spec.name: chosen}, today())
    return _with_backend(loaded, chosen, stack, backend)


def _with_backend(loaded: LoadedSpec, provider: str, stack: str | None, backend: str | None) -> StackTarget:
    from kubefleet.engine.backend import check_backend_url
    from kubefleet.engine.preflight import require_pulumi_cli
    from kubefleet.engine.workspace import check_stack_name

    if stack:
        check_stack_name(stack)
    if backend:
        check_backend_url(backend)
    require_pulumi_cli()
    from kubefleet.cli.common import protection_rule
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.workspace import stack_target

    target = stack_target(loaded.spec, provider, resolve_backend(backend), stack)
    return dataclasses.replace(target, protection=protection_rule())


def _interactive() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return sys.stdin.isatty() and not ci


def _plain_progress() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return ci or not sys.stderr.isatty()


def _require_confirmation(yes: bool, question: str, *, type_to_confirm: str | None = None) -> bool:
    """True to go ahead. Non-interactive runs need --yes."""
    if yes:
        return True
    if not _interactive():
        raise UsageError("refusing to apply without --yes in a non-interactive run",
                         hint="review the plan, then rerun with --yes")
    if type_to_confirm is not None:
        answer = typer.prompt(f"{question}\nType the stack name ({type_to_confirm}) to confirm", default="",
                              show_default=False)
        return bool(answer.strip() == type_to_confirm)
    return typer.confirm(question, default=False)


def _plan_and_cost(target: StackTarget) -> tuple[ResourceGraph, Decimal, str | None]:
    """The offline graph of what `up` would declare (rendered once, through the render cache), its
    monthly estimate as of today, and a caveat when part of it is unpriced."""
    from kubefleet.cli.common import today
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.cost.pricer import price_graph
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    catalog = active_catalog()
    graph = cached_render(resolve(target.spec, target.provider, catalog=catalog))
    breakdown = price_graph(graph, catalog, as_of=today())
    caveat = (f"{len(breakdown.unpriced)} item(s) unpriced: a lower bound (kubefleet cost for details)"
              if breakdown.unpriced else None)
    return graph, breakdown.monthly_total, caveat


@contextmanager
def _progress(console: Console, *, total: int | None, live: bool) -> Iterator[
        tuple[Callable[[StepProgress], None], Callable[[Diagnostic], None]]]:
    """Step and diagnostic callbacks: a rich progress bar in a terminal, plain lines otherwise."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    def diagnostic(diag: Diagnostic) -> None:
        style = "red" if diag.severity == "error" else "yellow"
        console.print(f"[{style}]{diag.severity}:[/] ", end="")
        console.print(diag.message, markup=False, highlight=False)

    if not live or _plain_progress():
        def plain(step: StepProgress) -> None:
            if step.planning or (not step.changes_anything and step.op != "refresh"):
                return
            console.print(f"  {step.line()}", markup=False, highlight=False)

        yield plain, diagnostic
        return

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("starting the engine", total=total)

        def rich_step(step: StepProgress) -> None:
            if step.phase == "start":
                bar.update(task, description=step.line())
            else:
                bar.advance(task)
                if step.changes_anything or step.phase == "failed":
                    console.print(f"  {step.line()}", markup=False, highlight=False)

        yield rich_step, diagnostic


def _router(on_step: Callable[[StepProgress], None] | None, on_diag: Callable[[Diagnostic], None] | None,
            target: StackTarget, listeners: list[Any] | None = None, *, debug: bool = False) -> EventRouter:
    from kubefleet.engine.progress import EventRouter

    return EventRouter(on_step=on_step, on_diagnostic=on_diag, listeners=listeners or [], secrets=target.secrets,
                       debug=debug)


def _context(action: str, target: StackTarget) -> Any:
    from kubefleet.engine.backend import mask_url
    from kubefleet.engine.errors import EngineContext

    return EngineContext(action=action, stack=target.stack_name, provider=target.provider,
                         backend=mask_url(target.backend.url), secrets=list(target.secrets))


def _header(target: StackTarget, console: Console) -> None:
    from kubefleet.providers import DISPLAY_NAMES

    console.print(f"[bold]{target.spec.name}[/] on {DISPLAY_NAMES[target.provider]} "
                  f"({target.spec.region_for(target.provider)}) · stack [bold]{target.stack_name}[/]")
    console.print(f"  backend: {target.backend.describe()}", markup=False, highlight=False)


def _print_outputs(values: dict[str, Any], console: Console) -> None:
    import json

    from rich.table import Table
    from rich.text import Text

    table = Table(title="outputs", title_justify="left")
    table.add_column("name")
    table.add_column("value", overflow="fold")
    for name, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        table.add_row(Text(name), Text(text))  # Text: "[secret]" is not rich markup
    console.print(table)


def print_changes_table(changes: ClusterChanges, console: Console) -> None:
    """The table view of a preview (secrets are already masked in the change model)."""
    import json

    from rich.table import Table
    from rich.text import Text

    from kubefleet.report.pr_markdown import summary_line

    table = Table(title=Text(f"{changes.cluster} · {summary_line(changes)}"), title_justify="left")
    for col in ("op", "type", "name", "changes"):
        table.add_column(col, overflow="fold")
    for change in changes.sorted():
        if change.op == "same" and not change.drift:
            continue
        lines = [f"{i.path}: {json.dumps(i.old, sort_keys=True)} → {json.dumps(i.new, sort_keys=True)}"
                 for i in change.inputs]
        op = change.op + (" (drift)" if change.drift else "")
        style = "red" if change.destructive else None
        table.add_row(op, Text(change.type), Text(change.name), Text("\n".join(lines)), style=style)
    console.print(table)
    unchanged = sum(1 for c in changes.changes if c.op == "same" and not c.drift)
    if unchanged:
        console.print(f"{unchanged} resources unchanged", highlight=False)


# ------------------------------------------------------------------ commands



POLICY_PACK_OPT = typer.Option(
    None, "--policy-pack", help="A CrossGuard policy pack enforced by the engine: `kubefleet` (kubefleet's own rules) "
    "or a pack directory.")
POLICY_CONFIG_OPT = typer.Option(
    None, "--policy-config", help="kubefleet policy config (levels, parameters) for the pack and the offline check.")


def _kubeadm_preflight(target: Any, file: Path, cluster: str | None) -> None:
    """kubeadm (Cluster API): a management cluster and the vCenter account are given, and the management
    cluster serves every Cluster API kind kubefleet creates (exit 2 with the `clusterctl init` line if not);
    a pod/service CIDR or VIP that differs from the Cluster already there is refused at its spec field (exit 2);
    what it found but does not stop for (masters CAPV will not keep apart) is printed as a warning."""
    if target.provider != "kubeadm":
        return
    from kubefleet.cli.console import stderr
    from kubefleet.engine import management

    management.require_setup(target.spec)
    for line in management.check_installed(target.spec, management.kubeconfig_text(target), _pick(file, cluster)):
        stderr().print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)


def _location_preflight(target: StackTarget, file: Path, cluster: str | None) -> None:
    """GKE/EKS/AKS: a spec that moves an existing cluster to another region stops here (exit 2, at the spec
    field), before any engine preview or update — the refusal ``diff`` and ``validate/plan --base`` show
    (kubefleet.changes.diff.location_refusals), with the live stack's ``region`` output as the old side and the
    region the program would export (``spec.region_for``, what resolve puts in ``context.region``) as the new.
    A stack that does not exist yet, or has no ``region`` output, passes."""
    if target.provider not in ("gke", "eks", "aks"):
        return
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.workspace import live_region

    with engine_errors(_context("preview", target)):  # a backend the CLI cannot open: the engine's message
        live = live_region(target)
    if live is None or live == target.spec.region_for(target.provider):
        return
    from kubefleet.changes.diff import location_refusals, move_field
    from kubefleet.errors import SpecError
    from kubefleet.spec.model import ClusterSpec

    loaded = _pick(file, cluster)
    # the "old" spec: the same spec with the provider's region override set to where the live cluster is
    data = loaded.spec.to_data()
    options = data["spec"].setdefault("providers", {}).setdefault(target.provider, None) or {}
    options["location" if target.provider == "aks" else "region"] = live
    data["spec"]["providers"][target.provider] = options
    old = ClusterSpec.model_validate(data)
    notes = location_refusals(old, loaded.spec, target.provider)  # region only: the old side keeps the project
    if notes:
        raise SpecError([loaded.issue(move_field(loaded.spec, target.provider, n), n.text, "rule: " + n.rule)
                         for n in notes])


def _policy_env(policy_stack_config: dict[str, str] | None, pack_env: dict[str, str] | None = None) -> dict[str, str]:
    """The policy pack's settings again as environment variables (KUBEFLEET_POLICY_SPEC, ...).

    The engine sends a pack the stack config only in its ConfigureStack call (pulumi/pulumi@v3.274.0
    pkg/resource/plugin/analyzer_plugin.go:164-183) and pulumi_policy 1.21's Python server ignores
    that config (pulumi_policy/policy.py ``ConfigureStack`` keeps only the tags), so ``pulumi.Config``
    in the pack is empty under the real engine. The environment does reach it: the CLI's environment
    is the plugin's (pkg/resource/plugin/plugin.go:503)."""
    names = {"kubefleet:spec": "KUBEFLEET_POLICY_SPEC", "kubefleet:provider": "KUBEFLEET_POLICY_PROVIDER",
             "kubefleet:cluster": "KUBEFLEET_POLICY_CLUSTER", "kubefleet:policyConfig": "KUBEFLEET_POLICY_CONFIG"}
    return {**{names[k]: v for k, v in (policy_stack_config or {}).items() if k in names}, **(pack_env or {})}


def _policy_setup(file: Path, target: Any, pack: Path | None, config: Path | None,
                  *, offline_check: bool) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Policy packs for the engine, the stack config the pack reads (the same spec and provider), the
    environment the pack needs, and, before `up`, the same rules offline: a mandatory violation stops before
    anything is touched."""
    from kubefleet.engine import policy_pack

    if pack is None:
        if config is not None:
            raise UsageError("--policy-config needs --policy-pack", hint="e.g. --policy-pack kubefleet")
        return [], {}, {}
    if not policy_pack.is_own(pack) and not (pack / "PulumiPolicy.yaml").is_file():
        raise UsageError(f"{pack} is not a policy pack (no PulumiPolicy.yaml)",
                         hint="`--policy-pack kubefleet` runs kubefleet's own rules")
    if config is not None and not config.is_file():
        raise UsageError(f"policy config {config} does not exist")
    extra = {"kubefleet:spec": str(file.resolve()), "kubefleet:provider": target.provider,
             "kubefleet:cluster": target.spec.name}
    if config is not None:
        extra["kubefleet:policyConfig"] = str(config.resolve())
    if offline_check:
        from kubefleet.cli.common import today
        from kubefleet.policies.config import load_policy_config
        from kubefleet.policies.engine import check

        result = check([target.spec], as_of=today(), providers=[target.provider], config=load_policy_config(config))
        if result.failed:
            lines = "\n".join(f"  {f.rule}: {f.message}" for f in result.mandatory)
            raise ProblemFound(f"{len(result.mandatory)} mandatory policy violation(s); nothing was applied:\n{lines}",
                               hint=f"kubefleet policy check {file} --provider {target.provider} for details")
    directory, pack_env = policy_pack.prepare(pack)
    return [str(directory)], extra, pack_env


@contextmanager
def _policy_verdict(router_box: list[EventRouter], action: str, stack_name: str) -> Iterator[None]:
    """An engine failure caused by mandatory policy violations is a problem found (exit 1), listed by
    policy, not an opaque "preview failed"."""
    from kubefleet.errors import EngineError

    try:
        yield
    except EngineError:
        mandatory = [v for r in router_box for v in r.violations if v.mandatory]
        if not mandatory:
            raise
        lines = "\n".join(f"  {v.line()}" for v in mandatory)
        raise ProblemFound(f"{len(mandatory)} mandatory policy violation(s) stopped {action} of {stack_name}:\n{lines}",
                           hint="fix the spec (or the policy config), then rerun") from None


def _engine_preview(target: StackTarget, err: Console, *, refresh: bool = False, live: bool = True,
                    packs: list[str] | None = None, extra_config: dict[str, str] | None = None,
                    pack_env: dict[str, str] | None = None,
                    monthly_after: Decimal | None = None,
                    options: RunOptions | None = None) -> tuple[Any, ClusterChanges]:
    """An engine preview against the stack (created if new): the stack and its change set."""
    from kubefleet.changes.model import ChangeCollector
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.workspace import RunOptions, open_stack, run_preview

    options = options or RunOptions()
    collector = ChangeCollector()
    routers: list[EventRouter] = []
    with _policy_verdict(routers, "the preview", target.stack_name), engine_errors(_context("preview", target)), \
            _progress(err, total=None, live=live) as (on_step, on_diag):
        router = _router(on_step, on_diag, target, [collector], debug=options.debug)
        routers.append(router)
        the_stack = open_stack(target, extra_config=extra_config, extra_env=_policy_env(extra_config, pack_env))
        run_preview(the_stack, router, refresh=refresh, policy_packs=packs or (), options=options)
    return the_stack, collector.result(target.spec.name, target.provider, monthly_before=None,
                                       monthly_after=monthly_after)


def _scope_context(scope: Any, action: str, provider: str) -> Any:
    from kubefleet.engine.backend import mask_url
    from kubefleet.engine.errors import EngineContext

    return EngineContext(action=action, stack=scope.stack_name, provider=provider,
                         backend=mask_url(scope.backend.url), secrets=list(scope.secrets))


def _scope_preview(target: StackTarget, err: Console, *, live: bool) -> tuple[Any, Any, ClusterChanges] | None:
    """The cluster's shared scope stack (providers/scope.py), created or selected with what it needs, and the
    engine's preview of it; None when the provider has no once-per-scope resources, or when the scope stack
    is already applied with everything this cluster needs (then nothing is previewed: it changes nothing)."""
    from kubefleet.changes.model import ChangeCollector
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.scope import scope_is_current, scope_target
    from kubefleet.engine.workspace import run_preview

    scope = scope_target(target)
    if scope is None:
        return None
    collector = ChangeCollector()
    with engine_errors(_scope_context(scope, "preview", target.provider)), \
            _progress(err, total=None, live=live) as (on_step, on_diag):
        from kubefleet.engine.progress import EventRouter

        stack, current = scope_is_current(scope)
        if current:
            return None
        router = EventRouter(on_step=on_step, on_diagnostic=on_diag, listeners=[collector], secrets=scope.secrets)
        run_preview(stack, router)
    return scope, stack, collector.result(scope.stack_name, target.provider)


def _scope_apply(target: StackTarget, out: Console, err: Console) -> None:
    """`up --yes`: bring the project's shared stack up to what the cluster needs now (nothing when it is
    current), printing the changes it applied."""
    from kubefleet.changes.model import ChangeCollector
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.scope import scope_is_current, scope_target
    from kubefleet.engine.workspace import run_up

    scope = scope_target(target)
    if scope is None:
        return
    collector = ChangeCollector()
    with engine_errors(_scope_context(scope, "up", target.provider)), \
            _progress(err, total=None, live=True) as (on_step, on_diag):
        stack, current = scope_is_current(scope)
        if current:
            return
        run_up(stack, EventRouter(on_step=on_step, on_diagnostic=on_diag, listeners=[collector],
                                  secrets=scope.secrets))
    out.print(f"shared by every cluster of the project: stack {scope.stack_name}", highlight=False)
    print_changes_table(collector.result(scope.stack_name, target.provider), out)
    out.print(f"[green]✓[/] {scope.stack_name} is up", highlight=False)


def _print_destructive(changes: ClusterChanges, console: Console) -> None:
    """Replacements and deletions named one by one, in red, before the question (as `pulumi up` does)."""
    from rich.text import Text

    for change in changes.destructive:
        verb = "REPLACE" if change.op == "replace" else "DELETE"
        forced = [i.path for i in change.inputs]
        why = f" (because of {', '.join(forced)})" if change.op == "replace" and forced else ""
        console.print(Text(f"  {verb} {change.type} {change.name}{why}", style="bold red"))


def up(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    yes: bool = YES_OPT,
    policy_pack: Path | None = POLICY_PACK_OPT,
    policy_config: Path | None = POLICY_CONFIG_OPT,
    targets: list[str] | None = TARGET_OPT,
    debug: bool = DEBUG_OPT,
) -> None:
    """Create or update the cluster for real (Pulumi engine): the engine's preview of what changes
    (replacements and deletions highlighted) and the cost, a confirmation, then live progress.
    With --yes the same preview is printed, then applied without a question (as `pulumi up --yes`)."""
    from kubefleet.cli.console import stderr, stdout
    from kubefleet.report.pr_markdown import fmt_money

    options = _run_options(targets, debug)
    target = _target(file, provider, cluster, stack, backend, creates=True)
    if policy_config is not None:  # its production rule decides `protect`, as it does for the pack
        from kubefleet.cli.common import protection_rule

        target = dataclasses.replace(target, protection=protection_rule(policy_config))
    packs, policy_stack_config, pack_env = _policy_setup(file, target, policy_pack, policy_config, offline_check=True)
    _kubeadm_preflight(target, file, cluster)
    _location_preflight(target, file, cluster)
    if not yes and not _interactive():  # before any engine work: the question could not be asked
        _require_confirmation(yes, "")
    out = stdout()
    err = stderr()
    _header(target, out)
    graph, monthly, caveat = _plan_and_cost(target)
    cost_line = f"estimated cost: {fmt_money(monthly)}/month" + (f" ({caveat})" if caveat else "")

    # the project's shared stack first (created or adopted): the cluster stack references it. With --yes it is
    # applied at once (its changes printed as applied: one engine run less); otherwise previewed, then applied
    # after the question together with the cluster
    shared = _scope_preview(target, err, live=True) if not options.targets and not yes else None
    scope_changes = shared[2] if shared is not None and shared[2].has_changes else None
    if scope_changes is not None:
        out.print(f"shared by every cluster of the project: stack {scope_changes.cluster}", highlight=False)
        print_changes_table(scope_changes, out)
    if yes and not options.targets:
        _scope_apply(target, out, err)
    # the change set it applies, shown with --yes too (as `pulumi up --yes` previews before it updates)
    _, changes = _engine_preview(target, err, refresh=True, packs=packs, extra_config=policy_stack_config,
                                 pack_env=pack_env, monthly_after=monthly, options=options)
    print_changes_table(changes, out)
    out.print(cost_line, markup=False, highlight=False)
    if not changes.has_changes and scope_changes is None:
        out.print(f"[green]✓[/] {target.stack_name} is up to date: nothing to apply", highlight=False)
        return
    _print_destructive(changes, out)
    if not _require_confirmation(yes, f"Apply these changes to stack {target.stack_name}?"):
        out.print("nothing applied")
        return
    if shared is not None and scope_changes is not None:
        from kubefleet.engine.errors import engine_errors as _errors
        from kubefleet.engine.progress import EventRouter
        from kubefleet.engine.workspace import run_up as _run_up

        scope, scope_stack, _ = shared
        with _errors(_scope_context(scope, "up", target.provider)), \
                _progress(err, total=len(scope_changes.changes) + 1, live=True) as (on_step, on_diag):
            _run_up(scope_stack, EventRouter(on_step=on_step, on_diagnostic=on_diag, secrets=scope.secrets))
        out.print(f"[green]✓[/] {scope.stack_name} is up", highlight=False)
        if not changes.has_changes:
            return

    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.outputs import display_outputs, secret_output_values
    from kubefleet.engine.workspace import open_stack, run_up

    ctx = _context("up", target)
    routers: list[EventRouter] = []
    with _policy_verdict(routers, "the update", target.stack_name), engine_errors(ctx), \
            _progress(err, total=len(graph.resources) + 1, live=True) as (on_step, on_diag):
        router = _router(on_step, on_diag, target, debug=debug)
        routers.append(router)
        the_stack = open_stack(target, extra_config=policy_stack_config,
                               extra_env=_policy_env(policy_stack_config, pack_env))
        result = run_up(the_stack, router, policy_packs=packs, options=options)
    ctx.add_secrets(secret_output_values(result.outputs))
    _print_outputs(display_outputs(result.outputs), out)
    done = ", ".join(f"{n} {op}" for op, n in sorted((router.summary or {}).items()) if n)
    out.print(f"[green]✓[/] {target.stack_name} is up" + (f" ({done})" if done else ""), highlight=False)
    out.print(f"  next: kubefleet kubeconfig {file} --provider {target.provider}"
              + (f" --stack {target.stack_name}" if stack else ""), markup=False, highlight=False)


def preview(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    refresh: bool = typer.Option(False, "--refresh", help="Read the cloud first: show drift (exit 1 if any)."),
    output: DiffFormat = typer.Option(DiffFormat.table, "--output", "-o", help="table, json or markdown (PR comment)."),
    title: str | None = typer.Option(None, "--title", help="Heading of the markdown comment."),
    policy_pack: Path | None = POLICY_PACK_OPT,
    policy_config: Path | None = POLICY_CONFIG_OPT,
    targets: list[str] | None = TARGET_OPT,
    debug: bool = DEBUG_OPT,
) -> None:
    """Show what `up` would change (Pulumi engine preview); with --refresh, drift too."""
    from kubefleet.changes.diff import ClusterNotes
    from kubefleet.changes.model import changes_json
    from kubefleet.cli.console import stderr, stdout, write
    from kubefleet.report.pr_markdown import render_pr_markdown

    options = _run_options(targets, debug)
    target = _target(file, provider, cluster, stack, backend, creates=True)
    if policy_config is not None:
        from kubefleet.cli.common import protection_rule

        target = dataclasses.replace(target, protection=protection_rule(policy_config))
    packs, policy_stack_config, pack_env = _policy_setup(file, target, policy_pack, policy_config, offline_check=False)
    _kubeadm_preflight(target, file, cluster)
    _location_preflight(target, file, cluster)
    graph: ResourceGraph | None = None
    try:
        graph, monthly_after, _ = _plan_and_cost(target)
        monthly: Decimal | None = monthly_after
    except KubefleetError:
        monthly = None  # e.g. no price data for this region: the preview stands without a cost line
    shared = _scope_preview(target, stderr(), live=output is DiffFormat.table) if not options.targets else None
    scope_changes = shared[2] if shared is not None and shared[2].has_changes else None
    _, changes = _engine_preview(target, stderr(), refresh=refresh, live=output is DiffFormat.table, packs=packs,
                                 extra_config=policy_stack_config, pack_env=pack_env, monthly_after=monthly,
                                 options=options)
    drift = _explain_drift(graph, monthly, changes)
    if drift is not None and drift.monthly_cloud is not None and all(
            c.drift for c in changes.changes if c.op != "same"):
        # nothing but drift changes: what runs now is the declared graph with the cloud's values, so the
        # update's cost effect is known (otherwise the deployed spec's cost is not, and "before" stays unknown)
        changes = dataclasses.replace(changes, monthly_before=drift.monthly_cloud)
    if output is DiffFormat.json:
        from kubefleet.report.contract import document, dumps

        # the scope stack's changes (if any) after the cluster's: clusters[0] stays the cluster
        data = json.loads(changes_json([changes, *([scope_changes] if scope_changes is not None else [])]))
        if drift is not None:  # the same document, with the drift in spec terms added to its one cluster
            data["clusters"][0]["driftExplained"] = drift.as_json()
        # a Preview: diff's per-cluster change shape under "clusters" (schemas/preview.schema.json)
        write(dumps(document("Preview", {"stack": target.stack_name, **data}), ensure_ascii=False))
    elif output is DiffFormat.markdown:
        notes = {(changes.cluster, changes.provider): ClusterNotes(drift=drift)}
        write(render_pr_markdown([changes, *([scope_changes] if scope_changes is not None else [])],
                                 title or f"kubefleet preview: {target.stack_name}", notes=notes))
    else:
        out = stdout()
        if scope_changes is not None:
            out.print(f"shared by every cluster of the project: stack {scope_changes.cluster}", highlight=False)
            print_changes_table(scope_changes, out)
        print_changes_table(changes, out)
        if drift is not None:
            _print_drift(drift, out)
    if refresh and changes.drifted:
        raise ProblemFound(f"{len(changes.drifted)} resource(s) of {target.stack_name} drifted: changed in the "
                           "cloud outside the code",
                           hint="`kubefleet up` puts them back; `kubefleet refresh` accepts the cloud's state")


def _explain_drift(graph: ResourceGraph | None, monthly: Decimal | None,
                   changes: ClusterChanges) -> DriftReport | None:
    """The drift in spec terms and its monthly cost (None without drift or without an offline graph);
    ``monthly``: the declared graph's total, already priced by _plan_and_cost."""
    if graph is None or not changes.drifted:
        return None
    from kubefleet.changes.drift import explain
    from kubefleet.cli.common import today
    from kubefleet.cli.cost_cmds import active_catalog

    return explain(graph, changes, active_catalog(), today(), spec_total=monthly)


def _print_drift(drift: DriftReport, console: Console) -> None:
    from kubefleet.report.pr_markdown import fmt_money

    console.print("drift (changed in the cloud outside the code; `kubefleet up` puts it back):", highlight=False)
    for term in drift.terms:
        console.print(f"  {term.line()}", markup=False, highlight=False)
    delta = drift.monthly_delta
    if delta is not None and drift.monthly_cloud is not None:
        console.print(f"  monthly cost of the drift: {fmt_money(delta, sign=True)}/month "
                      f"(the cloud as it runs now {fmt_money(drift.monthly_cloud)}/month)", markup=False, highlight=False)
    else:
        console.print("  monthly cost of the drift: not priced", markup=False, highlight=False)


def refresh(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    targets: list[str] | None = TARGET_OPT,
    debug: bool = DEBUG_OPT,
) -> None:
    """Read the real resources into the stack's state and report what drifted."""
    from kubefleet.changes.model import ChangeCollector
    from kubefleet.cli.console import stderr, stdout
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.workspace import open_stack, run_refresh

    options = _run_options(targets, debug)
    target = _target(file, provider, cluster, stack, backend)
    collector = ChangeCollector()
    with engine_errors(_context("refresh", target)), _progress(stderr(), total=None, live=True) as (on_step, on_diag):
        router = _router(on_step, on_diag, target, [collector], debug=debug)
        the_stack = open_stack(target, create=False)
        run_refresh(the_stack, router, options=options)
    changes = collector.result(target.spec.name, target.provider)
    out = stdout()
    if changes.drifted:
        print_changes_table(changes, out)
        try:
            graph, monthly, _ = _plan_and_cost(target)
            drift = _explain_drift(graph, monthly, changes)
        except KubefleetError:
            drift = None  # no price data for the region: the table stands alone
        if drift is not None:
            _print_drift(drift, out)
        out.print(f"{len(changes.drifted)} resource(s) drifted; the state of {target.stack_name} now records them",
                  highlight=False)
    else:
        out.print(f"[green]✓[/] {target.stack_name}: no drift", highlight=False)


def destroy(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    force: bool = typer.Option(False, "--force", help="Also destroy production (the policy config's production "
                               "rule; default env/environment/stage: prod…, production…, prd…, live…) or "
                               "protected clusters."),
    yes: bool = YES_OPT,
    targets: list[str] | None = TARGET_OPT,
    debug: bool = DEBUG_OPT,
    scope: bool = typer.Option(
        False, "--scope",
        help="Destroy the cluster's shared per-project stack (scope-gcp-<project>: API enablement, the fleet's "
        "servicemesh Feature) instead of the cluster; refused (exit 1) while any cluster stack still uses it."),
) -> None:
    """Delete every resource of the cluster's stack (with --target only those). Production and protected
    clusters need --force. A cluster's destroy never touches the shared per-project stack; --scope removes
    that one once no cluster uses it."""
    from kubefleet.cli.common import protection_rule, provider_for
    from kubefleet.cli.console import stderr, stdout
    from kubefleet.resolve.cluster import protection_reason

    options = _run_options(targets, debug)
    loaded = _pick(file, cluster)
    chosen = provider_for(loaded, provider)
    if scope:
        if targets:
            raise UsageError("--scope destroys the whole shared stack; it takes no --target")
        _destroy_scope(_with_backend(loaded, chosen, stack, backend), yes=yes, debug=debug)
        return
    reason = protection_reason(loaded.spec, protection_rule())
    prod = reason is not None
    if prod and not force:
        raise UsageError(
            f"refusing to destroy {loaded.spec.name!r}: {reason} and its resources are protected",
            hint="pass --force to unprotect and destroy it (you will be asked to type the stack name)",
        )
    target = _with_backend(loaded, chosen, stack, backend)

    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.workspace import (
        cloud_guarded_resources,
        open_stack,
        protected_resources,
        release_cloud_guards,
        run_destroy,
        unprotect_all,
    )

    out = stdout()
    _header(target, out)
    ctx = _context("destroy", target)
    with engine_errors(ctx):
        the_stack = open_stack(target, create=False)
        protected = protected_resources(the_stack)
    if target.provider == "kubeadm" and not options.targets:
        from kubefleet.engine import management

        stored = the_stack.get_all_config().get(management.CONFIG_KUBECONFIG)
        kubeconfig = stored.value if stored is not None and management.management_stack(target.spec) is None \
            else management.kubeconfig_text(target)
        management.refuse_while_deleting(target.spec, kubeconfig)
    if protected and not force:
        raise UsageError(
            f"refusing to destroy stack {target.stack_name!r}: {len(protected)} of its resources are protected",
            hint="pass --force to unprotect them and destroy the stack",
        )
    what = (f"{len(options.targets)} targeted resource(s) of stack" if options.targets
            else "every resource of stack")
    question = f"Destroy {what} {target.stack_name}? This cannot be undone."
    if not _require_confirmation(yes, question, type_to_confirm=target.stack_name if prod or protected else None):
        out.print("nothing destroyed")
        return
    with _progress(stderr(), total=None, live=True) as (on_step, on_diag):
        router = _router(on_step, on_diag, target, debug=debug)
        with engine_errors(ctx):
            guarded = cloud_guarded_resources(the_stack)
        if options.targets:  # a targeted destroy lifts only the guards of what it deletes
            guarded = [urn for urn in guarded if urn in options.targets]
        if guarded:
            # the cloud holds these guards (EKS deletionProtection): an update through its API turns them off
            # before anything is deleted, else the destroy deletes the node groups and stops at the cluster
            try:
                with engine_errors(_context("destroy --force (turning deletion protection off first; nothing was "
                                            "deleted)", target)):
                    release_cloud_guards(the_stack, router, guarded)
            except EngineError as err:  # the engine or the cloud failed; a refusal (UsageError) keeps its hint
                # EKS needs both UpdateClusterConfig and DeleteCluster permissions to delete a protected cluster
                # (https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html)
                err.hint = ("nothing was deleted and the cluster is still protected; fix the cause above (turning "
                            "the protection off needs eks:UpdateClusterConfig as well as eks:DeleteCluster) and "
                            "rerun the same `kubefleet destroy --force`")
                raise
            out.print(f"turned deletion protection off on {len(guarded)} resource(s) through the cloud's API",
                      highlight=False)
        with engine_errors(ctx):
            if protected:
                count = unprotect_all(the_stack)
                out.print(f"unprotected {count} resource(s)", highlight=False)
            run_destroy(the_stack, router, options=options)
    out.print(f"[green]✓[/] {target.stack_name} destroyed"
              + (f" ({len(options.targets)} targeted resource(s); the rest stays)" if options.targets else ""),
              highlight=False)


def _destroy_scope(target: StackTarget, *, yes: bool, debug: bool) -> None:
    """`destroy --scope`: the shared stack of the cluster's project, only when no cluster stack references it."""
    from kubefleet.cli.console import stderr, stdout
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.scope import open_scope_stack, scope_exists, scope_target, scope_users
    from kubefleet.engine.workspace import run_destroy

    scope = scope_target(target)
    if scope is None:
        raise UsageError(f"{target.provider} clusters have no shared per-project stack",
                         hint="only GKE keeps project-wide resources (APIs, fleet features) in a scope stack")
    out = stdout()
    ctx = _scope_context(scope, "destroy", target.provider)
    with engine_errors(ctx):
        if not scope_exists(scope):
            raise UsageError(f"there is no scope stack {scope.stack_name!r} in {target.backend.describe()}",
                             hint="`kubefleet stacks` lists the stacks")
        users = scope_users(scope)
    if users:
        raise ProblemFound(f"refusing to destroy {scope.stack_name}: still used by {len(users)} cluster stack(s): "
                           + ", ".join(users),
                           hint="destroy those clusters first (`kubefleet destroy FILE`), then rerun with --scope")
    if not _require_confirmation(yes, f"Destroy the shared stack {scope.stack_name}? No cluster stack uses it."):
        out.print("nothing destroyed")
        return
    with engine_errors(ctx), _progress(stderr(), total=None, live=True) as (on_step, on_diag):
        the_stack = open_scope_stack(scope, create=False)
        run_destroy(the_stack, EventRouter(on_step=on_step, on_diagnostic=on_diag, secrets=scope.secrets,
                                           debug=debug))
    out.print(f"[green]✓[/] {scope.stack_name} destroyed (APIs stay enabled; an adopted Feature is kept)",
              highlight=False)


def outputs(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Show secret outputs (the kubeconfig) in clear."),
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
) -> None:
    """Show the stack's outputs; secrets (the kubeconfig) are [secret] unless --show-secrets."""

    from kubefleet.cli.console import stdout, write
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.outputs import display_outputs
    from kubefleet.engine.workspace import open_stack, stack_outputs

    target = _target(file, provider, cluster, stack, backend)
    with engine_errors(_context("outputs", target)):
        values = display_outputs(stack_outputs(open_stack(target, create=False, install_plugins=False)),
                                 show_secrets=show_secrets)
    if output is TableOrJson.json:
        from kubefleet.report.contract import document, dumps

        write(dumps(document("StackOutputs", {"stack": target.stack_name, "outputs": values})))
    else:
        _print_outputs(values, stdout())


def stacks(
    backend: str | None = BACKEND_OPT,
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
) -> None:
    """List the kubefleet stacks in the backend."""

    from rich.table import Table

    from kubefleet.cli.console import stdout, write
    from kubefleet.engine.backend import check_backend_url
    from kubefleet.engine.preflight import require_pulumi_cli

    if backend:
        check_backend_url(backend)
    require_pulumi_cli()
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.errors import EngineContext, engine_errors
    from kubefleet.engine.workspace import list_stacks
    from kubefleet.redact import mask_url

    chosen: Backend = resolve_backend(backend)
    with engine_errors(EngineContext(action="stacks", backend=chosen.url, secrets=list(chosen.secret_values()))):
        found = list_stacks(chosen)
    rows: list[dict[str, Any]] = [{"name": s.name, "last_update": s.last_update.isoformat() if s.last_update else None,
             "resources": s.resource_count, "update_in_progress": bool(s.update_in_progress),
             "url": mask_url(s.url) if s.url else s.url}
            for s in found]
    if output is TableOrJson.json:
        from kubefleet.report.contract import dumps, list_document

        write(dumps(list_document("StackList", rows, backend=mask_url(chosen.url))))
        return
    table = Table(title=f"stacks in {chosen.describe()}", title_justify="left")
    for col in ("name", "last update", "resources", "updating"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["name"], row["last_update"] or "never", str(row["resources"] or 0),
                      "yes" if row["update_in_progress"] else "")
    stdout().print(table)


def kubeconfig(
    file: Path = FILE_ARG,
    provider: str | None = PROVIDER_OPT,
    cluster: str | None = CLUSTER_OPT,
    stack: str | None = STACK_OPT,
    backend: str | None = BACKEND_OPT,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write it (default ~/.kubefleet/kubeconfig/<stack>.yaml); mode 0600."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write the cluster's kubeconfig to a private (0600) file and print only its path."""
    from kubefleet.cli.console import stdout
    from kubefleet.engine.errors import EngineContext, engine_errors
    from kubefleet.engine.files import write_private_file
    from kubefleet.engine.outputs import kubeconfig_text
    from kubefleet.engine.workspace import open_stack, stack_outputs
    from kubefleet.safeio import kubefleet_home

    target = _target(file, provider, cluster, stack, backend)
    ctx: EngineContext = _context("kubeconfig", target)
    with engine_errors(ctx):
        values = stack_outputs(open_stack(target, create=False, install_plugins=False))
    text = kubeconfig_text(values)
    if text is None:
        raise UsageError(f"stack {target.stack_name!r} has no kubeconfig output yet",
                         hint=f"create the cluster first: kubefleet up {file} --provider {target.provider}")
    path = output or kubefleet_home() / "kubeconfig" / f"{target.stack_name.replace('/', '_')}.yaml"
    if output is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = write_private_file(path, text, force=force)
    stdout().print(str(written), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    for command in (up, preview, refresh, destroy, outputs, stacks, kubeconfig):
        app.command()(command)

"""kubefleet upgrade apply: a Kubernetes minor upgrade through the engine, one control-plane minor per
update, each gated (engine success, API server and nodes ready through the stack's kubeconfig, a soak),
resumable. The chain itself is kubefleet/engine/upgrade.py; this module parses, confirms and reports."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import TableOrJson
from kubefleet.cli.engine_cmds import BACKEND_OPT, CLUSTER_OPT, FILE_ARG, YES_OPT
from kubefleet.errors import ProblemFound, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.engine.upgrade import ApplyOptions
    from kubefleet.engine.workspace import OnEvent, StackTarget
    from kubefleet.spec.loader import LoadedSpec

_MINOR = re.compile(r"^\d+\.\d+$")


class _Printer:
    """:class:`kubefleet.engine.upgrade.Reporter` for a terminal or a CI log (plain lines)."""

    def __init__(self, console: Console, target: StackTarget) -> None:
        self.console = console
        self.target = target

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def plan(self, current: str, hops: list[str], skipped: list[str]) -> None:
        if skipped:
            self._line(f"  already done (the stack runs {current}): {', '.join(skipped)}")
        if hops:
            self._line(f"upgrade from {current}: {len(hops)} hop(s), {', '.join(hops)}; one engine update each")

    def hop_start(self, index: int, total: int, previous: str, minor: str) -> None:
        what = f"{previous} → {minor}" if previous != minor else f"{minor} (updated before; checking it again)"
        self._line(f"hop {index}/{total}: {what}")

    def engine_events(self) -> OnEvent:
        from kubefleet.engine.progress import EventRouter

        def step(progress: Any) -> None:  # what the update changes (not what it reads or leaves alone)
            if progress.planning or not progress.changes_anything or progress.op == "refresh":
                return
            self._line(f"  {progress.line()}")

        def diagnostic(diag: Any) -> None:
            if diag.severity == "error":
                self._line(f"  {diag.severity}: {diag.message}")

        return EventRouter(on_step=step, on_diagnostic=diagnostic, secrets=self.target.secrets)

    def engine_done(self, minor: str, reported: str) -> None:
        self._line(f"  ✓ engine update done: the stack reports Kubernetes {reported}")

    def ready(self, minor: str) -> None:
        self._line(f"  ✓ API server ready on {minor}, every node Ready (through the stack's kubeconfig)")

    def soaking(self, minor: str, seconds: float) -> None:
        self._line(f"  soaking {seconds:g} s on {minor}, then checking again")

    def hop_done(self, minor: str) -> None:
        self._line(f"  ✓ hop to {minor} done")


def _check_options(loaded: LoadedSpec, provider: str, to: str) -> None:
    if not _MINOR.match(to):
        raise UsageError(f"--to {to!r} is not a Kubernetes minor", hint='write it as MAJOR.MINOR, e.g. --to 1.36')
    if provider == "kubeadm":
        raise UsageError("`upgrade apply` drives GKE, EKS and AKS control planes",
                         hint="kubeadm clusters are upgraded through their Cluster API path "
                         "(`kubefleet upgrade plan` shows the chain)")
    if provider == "aks":
        from kubefleet.providers.aks.translate import auto_upgrades

        if auto_upgrades(loaded.spec):
            raise UsageError(
                f"cluster {loaded.spec.name!r} is on AKS's {loaded.spec.spec.kubernetes.channel!r} auto-upgrade "
                "channel: AKS moves its version itself and the program leaves kubernetesVersion to it",
                hint="set spec.kubernetes.channel: none (and `kubefleet up`) to upgrade with kubefleet, or let the "
                "channel do it")


def _check_offered(loaded: LoadedSpec, provider: str, hops: list[str]) -> None:
    """Each hop's minor must be offered on the provider's channel today (the dated compatibility data)."""
    from kubefleet.cli.common import today
    from kubefleet.engine.upgrade import hop_spec
    from kubefleet.lifecycle.check import enforce

    for minor in hops:
        enforce([dataclasses.replace(loaded, spec=hop_spec(loaded.spec, minor))], {loaded.spec.name: provider}, today())


def _rerun(file: Path, provider: str, to: str, stack: str | None, backend: str | None, soak: str) -> str:
    words = ["kubefleet", "upgrade", "apply", str(file), "--provider", provider, "--to", to]
    if stack:
        words += ["--stack", stack]
    if backend:
        from kubefleet.engine.backend import mask_url

        words += ["--backend", mask_url(backend)]
    if soak not in ("0", "0s"):
        words += ["--soak", soak]
    return shlex.join([*words, "--yes"])


def _print_dry_run(target: StackTarget, options: ApplyOptions, current: str, console: Console) -> None:
    from kubefleet.cli.engine_cmds import print_changes_table
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.upgrade import preview_chain

    previews = preview_chain(target, options, lambda: EventRouter(secrets=target.secrets), current=current)
    if not previews:
        console.print(f"{target.stack_name} already runs {current}: nothing to do", highlight=False)
        return
    console.print(f"dry run: {len(previews)} hop(s) from {current} to {options.target}, nothing is changed",
                  highlight=False)
    for hop in previews:
        how = ("engine preview against the deployed stack" if hop.source == "engine"
               else f"the {hop.previous} program against the {hop.minor} program, rendered offline "
               "(the engine previews only against what is deployed)")
        console.print(f"hop {hop.index}/{len(previews)}: {hop.previous} → {hop.minor} · {how}",
                      markup=False, highlight=False)
        print_changes_table(hop.changes, console)


def apply(
    file: Path = FILE_ARG,
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke | eks | aks (default: spec.provider)."),
    to: str = typer.Option(..., "--to", help="The Kubernetes minor to end on, e.g. 1.36."),
    soak: str = typer.Option("0s", "--soak", help="Wait this long after each hop (30s, 10m, 1h; at most 12h), then "
                             "check the cluster again before the next hop."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show each hop's preview; change nothing."),
    stack: str | None = typer.Option(None, "--stack", "-s", help="Stack name (default: <cluster>-<provider>)."),
    cluster: str | None = CLUSTER_OPT,
    backend: str | None = BACKEND_OPT,
    ready_timeout: str = typer.Option("15m", "--ready-timeout",
                                      help="How long each hop may take to show a ready API server and nodes."),
    yes: bool = YES_OPT,
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o",
                                       help="table (progress lines) or json (the run's record, "
                                       "schemas/upgrade-run.schema.json; progress goes to stderr)."),
) -> None:
    """Upgrade a deployed cluster to --to one control-plane minor per engine update (GKE, EKS and AKS
    refuse skipping minors). Each hop must succeed in the engine, show the API server and every node
    ready through the stack's kubeconfig, and survive --soak before the next starts. A stopped run
    says what to do; rerunning the same command resumes where it stopped."""
    from kubefleet.cli.common import provider_for
    from kubefleet.cli.console import stderr, stdout, write
    from kubefleet.cli.engine_cmds import _header, _interactive, _pick, _require_confirmation, _with_backend
    from kubefleet.engine.upgrade import (
        ApplyOptions,
        apply_chain,
        current_version,
        load_run,
        parse_duration,
        real_engine,
        state_path,
    )

    loaded = _pick(file, cluster)
    chosen = provider_for(loaded, provider)
    _check_options(loaded, chosen, to)
    if dry_run and output is TableOrJson.json:
        raise UsageError("--dry-run prints each hop's change table; --output json is the record of a run",
                         hint="drop one of them")
    soak_s = parse_duration(soak)
    timeout_s = parse_duration(ready_timeout, option="--ready-timeout")
    target = _with_backend(loaded, chosen, stack, backend)  # the Pulumi CLI is there, the backend is valid
    if not dry_run and not yes and not _interactive():  # before any engine work: the question could not be asked
        _require_confirmation(yes, "")
    out = stdout() if output is TableOrJson.table else stderr()
    _header(target, out)
    options = ApplyOptions(target=to, soak_s=soak_s, ready_timeout_s=timeout_s,
                           rerun=_rerun(file, chosen, to, stack, backend, soak))
    from kubefleet.lifecycle.skew import control_plane_hops

    ops = real_engine()
    deployed = current_version(target, ops)
    current = deployed[0]
    hops = control_plane_hops(current, to)
    _check_offered(loaded, chosen, hops)
    if dry_run:
        _print_dry_run(target, options, current, out)
        return
    if hops and not _require_confirmation(
            yes, f"Upgrade stack {target.stack_name} from {current} to {to} ({len(hops)} engine update(s))?"):
        out.print("nothing applied")
        return
    try:
        run = apply_chain(target, options, _Printer(out, target), ops=ops, deployed=deployed)
    except ProblemFound:
        if output is TableOrJson.json:  # the stopped run's record, then the problem on stderr
            stopped = load_run(state_path(target.backend.url, target.stack_name))
            if stopped is not None:
                write(json.dumps(stopped.as_json(), indent=2, sort_keys=True))
        raise
    if output is TableOrJson.json:
        write(json.dumps(run.as_json(), indent=2, sort_keys=True))
    done = [h.minor for h in run.hops if h.done]
    out.print(f"[green]✓[/] {target.stack_name} runs Kubernetes {to}"
              + (f" ({len(done)} hop(s): {', '.join(done)})" if done else ""), highlight=False)
    if loaded.spec.spec.kubernetes.minor != to:
        out.print(f"  next: set spec.kubernetes.version to \"{to}\" in {file}: the next `kubefleet up` with "
                  f"\"{loaded.spec.spec.kubernetes.version}\" would ask the cloud for a downgrade",
                  markup=False, highlight=False, soft_wrap=True)


def register(group: typer.Typer) -> None:
    """Add `apply` to the `upgrade` group (cli/upgrade_cmds.py)."""
    group.command("apply")(apply)

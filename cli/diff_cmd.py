"""kubefleet diff: offline drift and cost preview of a spec change, for pull requests.

Renders OLD (a file, or ``GIT_REF:path`` read with ``git show``) and NEW under the mock monitor and
shows, per cluster × provider, what would be created, updated, replaced or deleted and what it does to
the monthly bill. No credentials, no Pulumi CLI, no network.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import DiffFormat
from kubefleet.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.catalog import Catalog
    from kubefleet.changes.diff import ClusterDiff, Priced
    from kubefleet.graph import ResourceGraph
    from kubefleet.report.pr_markdown import PolicySplit
    from kubefleet.spec.model import ClusterSpec


def read_base(base: str) -> tuple[str, str]:
    """(text, label) of ``--base``: an existing file, else ``GIT_REF:path`` from the current git repo."""
    from kubefleet.spec.loader import read_spec_file

    as_path = Path(base)
    if as_path.exists() or as_path.is_symlink():  # any file system object, read (or refused) as a spec file
        return read_spec_file(as_path), base
    ref, sep, path = base.partition(":")
    if not sep or not ref or not path:
        raise UsageError(f"--base {base!r}: no such file",
                         hint="give a spec file, or GIT_REF:path (e.g. origin/main:clusters/payments.yaml)")
    return _git_blob(base, ref, path), base


# A ref as `git check-ref-format` allows it (plus HEAD~2 / sha^ forms), never starting with '-': git would
# read `--output=x` as an option (`git show --output=injected:y` writes a file). Checked here, then
# resolved with `rev-parse --verify --end-of-options`, and only the resulting object id reaches `git show`.
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@{}~^+-]{0,254}")
_GIT_TIMEOUT_S = 60


def _git(base: str, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, timeout=_GIT_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise UsageError(f"--base {base!r}: git is not installed",
                         hint="install git, or pass the old spec as a file") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--base {base!r}: `git {args[0]}` did not answer within {_GIT_TIMEOUT_S} s") from None


def _git_failed(base: str, done: subprocess.CompletedProcess[bytes]) -> UsageError:
    why = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"])[-1]
    return UsageError(f"--base {base!r}: {why.removeprefix('fatal: ')[:300]}",
                      hint="the ref must exist here (in CI: checkout with fetch-depth: 0) and the path is "
                           "relative to the repository root")


def _object_id(base: str, revision: str, missing: str, hint: str) -> str:
    """``git rev-parse --verify --end-of-options REVISION`` as a full object id, or a UsageError."""
    done = _git(base, ["rev-parse", "--verify", "--quiet", "--end-of-options", revision])
    object_id = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", object_id):
        raise UsageError(f"--base {base!r}: {missing}", hint=hint)
    return object_id


def _git_blob(base: str, ref: str, path: str) -> str:
    """The text of ``path`` at ``ref``: the ref is validated, resolved to an object id, and the blob is
    read by id with ``cat-file`` (size checked first), so nothing from --base can become a git option."""
    from kubefleet.spec.loader import MAX_FILE_BYTES

    if not _REF.fullmatch(ref) or ".." in ref or ("@{" in ref and not ref.endswith("}")):
        raise UsageError(f"--base {base[:200]!r}: {ref[:100]!r} is not a git ref",
                         hint="write GIT_REF:path with a branch, tag or commit, e.g. origin/main:clusters/x.yaml")
    if path.startswith("-") or "\0" in path or len(path) > 4096:
        raise UsageError(f"--base {base[:200]!r}: {path[:100]!r} is not a path in the repository")
    commit = _object_id(base, f"{ref}^{{commit}}", f"{ref!r} is not a commit in this repository",
                        "the ref must exist here (in CI: checkout with fetch-depth: 0)")
    blob = _object_id(base, f"{commit}:{path}", f"{path!r} is not a file in {ref}",
                      "the path is relative to the repository root")
    size = _git(base, ["cat-file", "-s", blob])
    if size.returncode != 0:
        raise _git_failed(base, size)
    if int(size.stdout.strip() or 0) > MAX_FILE_BYTES:
        raise UsageError(f"--base {base!r}: the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB; "
                         "is it really a spec?")
    done = _git(base, ["cat-file", "blob", blob])
    if done.returncode != 0:
        raise _git_failed(base, done)
    try:
        return done.stdout.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(f"--base {base!r}: not UTF-8 text (byte {err.start})") from None


BASE_HELP = ("The previous version to check Kubernetes version moves against (a minor skip or a downgrade the "
             "provider refuses): a git ref (each spec file as it is at that ref, e.g. origin/main), or one spec "
             "file / GIT_REF:path whose clusters are matched by name.")


def read_bases(base: str, files: list[Path]) -> list[ClusterSpec]:
    """The base clusters for ``validate --base`` / ``plan --base``: a spec file or ``GIT_REF:path`` (as
    ``diff --base`` reads it), or a bare git ref: each of ``files`` read at that ref from its path in the
    repository (a file that is new since the ref has no base)."""
    if Path(base).exists() or Path(base).is_symlink() or ":" in base:
        text, label = read_base(base)
        return load_side(text, label)
    if not _REF.fullmatch(base) or ".." in base:
        raise UsageError(f"--base {base[:200]!r}: no such file, and not a git ref",
                         hint="give a git ref (e.g. origin/main), a spec file, or GIT_REF:path")
    commit = _object_id(base, f"{base}^{{commit}}", f"{base!r} is neither a file nor a commit in this repository",
                        "give a spec file, or a git ref that exists here (in CI: checkout with fetch-depth: 0)")
    top = _git(base, ["rev-parse", "--show-toplevel"])
    if top.returncode != 0:
        raise _git_failed(base, top)
    root = Path(top.stdout.decode("utf-8", "replace").strip()).resolve()
    out: list[ClusterSpec] = []
    for file in files:
        try:
            inside = file.resolve().relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"--base {base!r}: {file} is not inside the git repository at {root}",
                             hint="run kubefleet from the repository that holds the specs") from None
        found = _git(base, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{commit}:{inside}"])
        if found.returncode != 0:
            continue  # the file is new since the ref: nothing to compare against
        out += load_side(_git_blob(base, commit, inside), f"{base}:{inside}")
    return out


def load_side(text: str, label: str) -> list[ClusterSpec]:
    """The clusters in one side; an empty file is a side with no clusters (a spec file added or deleted)."""
    from kubefleet.spec.loader import load_text

    if not text.strip():
        return []
    return [loaded.spec for loaded in load_text(text, label)]


def run_diff(
    old: list[ClusterSpec],
    new: list[ClusterSpec],
    *,
    catalog: Catalog,
    as_of: date,
    providers: list[str] | None,
    horizon_days: int = 90,
) -> list[ClusterDiff]:
    from kubefleet.changes.diff import diff_specs
    from kubefleet.changes.upgrades import checker
    from kubefleet.cost.pricer import price_graph
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    def render(spec: ClusterSpec, provider: str) -> ResourceGraph:
        return cached_render(resolve(spec, provider, catalog=catalog))

    def price(graph: ResourceGraph) -> Priced:
        from kubefleet.changes.diff import Priced

        breakdown = price_graph(graph, catalog, as_of=as_of)
        per_resource: dict[str, Decimal] = {}
        for line in breakdown.components:
            per_resource[line.resource] = per_resource.get(line.resource, Decimal(0)) + line.monthly
        return Priced(breakdown.monthly_total, len(breakdown.unpriced), breakdown.by_category(), per_resource)

    from kubefleet.changes.scope import scope_diffs

    clusters = diff_specs(old, new, render=render, price=price, providers=providers,
                          upgrades=checker(catalog, as_of=as_of, horizon_days=horizon_days))
    # the shared per-project stacks the change creates or extends, once per project (kubefleet/changes/scope.py)
    return clusters + scope_diffs(old, new, providers)


def policy_split(
    old: list[ClusterSpec], new: list[ClusterSpec], *, catalog: Catalog, as_of: date, providers: list[str] | None
) -> tuple[PolicySplit | None, int]:
    """Policy findings of NEW split into new in this change / already on OLD (matched by rule, cluster,
    provider and resource: a finding whose wording changed with a figure is still the same finding), and
    the count of NEW mandatory findings. (None, 0) when the policy package is not installed."""
    try:
        from kubefleet.policies import check, findings_markdown
    except ImportError:
        return None, 0
    from kubefleet.render.cache import cached_render
    from kubefleet.report.pr_markdown import PolicySplit
    from kubefleet.resolve.cluster import resolve

    def render(spec: ClusterSpec, provider: str) -> ResourceGraph:
        return cached_render(resolve(spec, provider, catalog=catalog))

    def run(specs: list[ClusterSpec]) -> list[Any]:
        if not specs:
            return []
        return list(check(specs, as_of=as_of, providers=providers, catalog=catalog, renderer=render).findings)

    def key(f: Any) -> tuple[str, str, str | None, str | None]:
        return (f.rule, f.cluster, f.provider, f.resource)

    head, base = run(new), run(old)
    on_base = {key(f) for f in base}
    fresh = [f for f in head if key(f) not in on_base]
    kept = [f for f in head if key(f) in on_base]

    def table(findings: list[Any]) -> str:
        text = findings_markdown(findings) if findings else ""
        # the table only: the heading and the summary line are the comment's own
        return "\n".join(line for line in text.splitlines() if line.startswith("|"))

    mandatory = sum(1 for f in fresh if f.mandatory)
    return PolicySplit(table(fresh), table(kept), len(fresh), len(kept), mandatory), mandatory


FAIL_ON_HELP = ("Exit 1 when the change has one of: mandatory (a new mandatory policy finding), replace, delete, "
                "delta>AMOUNT (monthly increase above AMOUNT dollars). Comma-separated or repeated.")


def parse_fail_on(values: list[str]) -> list[tuple[str, Decimal | None]]:
    """``mandatory``, ``replace``, ``delete``, ``delta>250`` -> [(kind, amount)]; anything else is exit 2."""
    from decimal import InvalidOperation

    out: list[tuple[str, Decimal | None]] = []
    for raw in (v.strip() for value in values for v in value.split(",")):
        if not raw:
            continue
        if raw in ("mandatory", "replace", "delete"):
            out.append((raw, None))
            continue
        kind, sep, amount = raw.partition(">")
        try:
            limit = Decimal(amount.strip().lstrip("$").replace(",", "")) if sep else None
        except InvalidOperation:
            limit = None
        if kind.strip() != "delta" or limit is None or not limit.is_finite():
            raise UsageError(f"--fail-on {raw!r}: not a condition",
                             hint="use mandatory, replace, delete or delta>AMOUNT (e.g. delta>500)")
        out.append(("delta", limit))
    return out


def rule_text(kind: str, limit: Decimal | None) -> str:
    """A parsed --fail-on condition as the user writes it (``delta>500``)."""
    return f"delta>{limit}" if kind == "delta" else kind


def _where(items: list[ClusterDiff], op: str) -> str:
    """Which resources an operation hits, for the reason of a tripped condition (at most five named)."""
    hit = [f"{c.changes.cluster} on {c.changes.provider}: {r.name} ({r.type})"
           for c in items for r in c.changes.sorted() if r.op == op]
    return "; ".join(hit[:5]) + (f"; and {len(hit) - 5} more" if len(hit) > 5 else "")


def failed_conditions(items: list[ClusterDiff], rules: list[tuple[str, Decimal | None]],
                      new_mandatory: int) -> list[tuple[str, str]]:
    """The --fail-on conditions this change meets: (condition, why with the numbers)."""
    from kubefleet.changes.model import cents

    hits = []
    replaced = sum(c.changes.counts["replace"] for c in items)
    deleted = sum(c.changes.counts["delete"] for c in items)
    before = sum((cents(c.changes.monthly_before or Decimal(0)) for c in items), Decimal(0))
    after = sum((cents(c.changes.monthly_after or Decimal(0)) for c in items), Decimal(0))
    delta = sum((cents(c.changes.delta or Decimal(0)) for c in items), Decimal(0))
    for kind, limit in rules:
        rule = rule_text(kind, limit)
        if kind == "mandatory" and new_mandatory:
            hits.append((rule, f"{new_mandatory} new mandatory policy finding(s) (see Policy)"))
        elif kind == "replace" and replaced:
            hits.append((rule, f"{replaced} resource(s) replaced: {_where(items, 'replace')}"))
        elif kind == "delete" and deleted:
            hits.append((rule, f"{deleted} resource(s) deleted: {_where(items, 'delete')}"))
        elif kind == "delta" and limit is not None and delta > limit:
            hits.append((rule, f"monthly cost +${delta:,.2f} (${before:,.2f} → ${after:,.2f}) is above the "
                               f"limit of ${limit:,.2f}"))
    return hits


def _link_url(option: str, url: str | None) -> str | None:
    """``--run-url``/``--report-url``: an http(s) URL (masked in the comment), else exit 2."""
    if url is None or not url.strip():
        return None
    if not re.fullmatch(r"https?://[^\s]+", url.strip()) or len(url) > 2048:
        from kubefleet.redact import mask_url

        raise UsageError(f"{option} {mask_url(url)[:200]!r}: not an http(s) URL",
                         hint="e.g. $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID")
    return url.strip()


def _write_html_report(path: Path, specs: list[ClusterSpec], providers: list[str] | None, *, catalog: Catalog,
                       as_of: date) -> None:
    """``--html-report``: the new side's clusters on the providers the diff covers (their renders are the
    diff's, from the render cache), every line with its source, as compare's self-contained HTML page."""
    from kubefleet.changes.diff import default_providers
    from kubefleet.compare import compare
    from kubefleet.report.compare_out import to_html

    if not specs:
        return  # every cluster removed: nothing to report
    pages = [compare(spec, list(providers) if providers else default_providers(spec), as_of=as_of, catalog=catalog)
             for spec in specs]
    if path.is_dir():
        raise UsageError(f"--html-report {path} is a directory", hint="name a file, e.g. kubefleet-report.html")
    path.write_text(to_html(pages), encoding="utf-8")


def print_table(items: list[ClusterDiff], out: Console) -> None:
    import json

    from rich.table import Table
    from rich.text import Text

    from kubefleet.changes.diff import refusals_of
    from kubefleet.report.pr_markdown import fmt_money, summary_line

    for item in sorted(items, key=lambda d: (d.changes.cluster, d.changes.provider)):
        c = item.changes
        cloud = any(not n.inputs for n in item.refused)  # a version move the cloud refuses; else kubefleet's own
        title = f"{c.cluster} ({item.status}) · {summary_line(c)}" + (
            " · VERSION CHANGE REFUSED" if cloud else " · CHANGE REFUSED" if item.refused else "")
        table = Table(title=Text(title), title_justify="left")
        for col in ("op", "type", "name", "changes"):
            table.add_column(col, overflow="fold")
        for change in c.sorted():
            if change.op == "same":
                continue
            lines = []
            for i in change.inputs:
                if i.uncertain:
                    lines.append(f"{i.path}: [secret] (may have changed)")
                else:
                    lines.append(f"{i.path}: {json.dumps(i.old, sort_keys=True)} → {json.dumps(i.new, sort_keys=True)}")
            forced = item.forced_by.get(f"{change.type}::{change.name}")
            if forced:
                lines.append("replaced because: " + ", ".join(forced))
            rolls = item.rolls_nodes(change)
            if rolls:
                lines.append("rolls every node" + ("" if rolls == ("replace",) else ": " + ", ".join(rolls)))
            protected = item.protected.get(f"{change.type}::{change.name}")
            if protected:
                lines.append(f"deletion protection on ({protected.replace('`', '')}): the delete will fail")
            refused = bool(refusals_of(item.refused, [i.path for i in change.inputs]))  # rejected (see below)
            table.add_row(f"{change.op} REFUSED" if refused else change.op, Text(change.type), Text(change.name),
                          Text("\n".join(lines)), style="red" if change.destructive or refused else None)
        from kubefleet.cli.console import print_table as print_fitted

        print_fitted(out, table, drop=("type",))
        unchanged = c.counts["same"]
        before = fmt_money(c.monthly_before) if c.monthly_before is not None else "unknown"
        after = fmt_money(c.monthly_after) if c.monthly_after is not None else "unknown"
        delta = f" ({fmt_money(c.delta, sign=True)})" if c.delta is not None else ""
        out.print(f"{unchanged} resources unchanged · monthly {before} → {after}{delta}", highlight=False,
                  markup=False)
        if item.unpriced_after:
            out.print(f"{item.unpriced_after} item(s) not priced after the change (`kubefleet cost` lists them)",
                      highlight=False, markup=False)
        for n in item.upgrades:
            head = "REFUSED" if n.kind == "refused" else "upgrades"
            out.print(Text(f"{head}: {n.text} (rule: {n.rule})", style="bold red" if n.kind == "refused" else ""),
                      highlight=False)


def diff(
    file: Path = typer.Argument(..., help="The new spec file (an empty file: every cluster is removed)."),
    base: str = typer.Option(..., "--base", help="The old spec: a file, or GIT_REF:path (read with git show)."),
    providers: str | None = typer.Option(
        None, "--providers", help="Comma-separated, e.g. gke,eks (default: each cluster's spec.provider, else all)."),
    output: DiffFormat = typer.Option(DiffFormat.table, "--output", "-o", help="table, markdown (PR comment) or json."),
    as_of: str | None = typer.Option(None, "--as-of", help="Price as of this date (YYYY-MM-DD; default today)."),
    title: str | None = typer.Option(None, "--title", help="Heading of the markdown comment."),
    fail_on: list[str] = typer.Option([], "--fail-on", help=FAIL_ON_HELP),
    note: str | None = typer.Option(None, "--note", help="Markdown: a line under the headline (CI: the spec files)."),
    commit: str | None = typer.Option(None, "--commit", help="Commit named in the markdown footer (CI: the PR head SHA)."),
    max_chars: int | None = typer.Option(
        None, "--max-chars", min=1000,
        help="Markdown: leave out per-cluster details until the comment fits (GitHub's limit is 65536)."),
    horizon: int = typer.Option(
        90, "--horizon", min=0, max=3650,
        help="Days ahead to warn of a pinned minor leaving standard (or extended) support, with its monthly "
             "cost (default 90)."),
    run_url: str | None = typer.Option(
        None, "--run-url", help="Markdown: link the CI run (GitHub: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/"
                                "$GITHUB_RUN_ID)."),
    report_url: str | None = typer.Option(
        None, "--report-url", help="Markdown: link the HTML report (e.g. actions/upload-artifact's artifact-url)."),
    html_report: Path | None = typer.Option(
        None, "--html-report", metavar="FILE",
        help="Also write the new side's clusters, priced on the diffed providers, as one self-contained HTML page "
             "(as compare --output html; the report the PR workflow uploads and links)."),
) -> None:
    """Offline preview of a spec change: resources added, changed, replaced, removed, and the cost delta.

    A Kubernetes version move the provider would refuse (a skipped minor such as 1.32 → 1.34, or a downgrade)
    is shown as refused, with the chain to use instead and the provider's rule, in every output format, and
    exits 1 (after the output is written). Pinned minors leaving support within --horizon days are listed
    with what the provider then does and, where it bills extended support, the monthly cost."""
    from kubefleet.changes.diff import diff_document
    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import stdout, write
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.providers import parse_providers
    from kubefleet.spec.loader import read_spec_file

    chosen = parse_providers(providers) if providers else None
    rules = parse_fail_on(fail_on)
    run_link, report_link = _link_url("--run-url", run_url), _link_url("--report-url", report_url)
    when = parse_date(as_of) or today()
    old_text, base_label = read_base(base)
    old = load_side(old_text, base_label)
    new = load_side(read_spec_file(file), str(file))
    catalog = active_catalog()
    items = run_diff(old, new, catalog=catalog, as_of=when, providers=chosen, horizon_days=horizon)
    if html_report is not None:
        _write_html_report(html_report, new, chosen, catalog=catalog, as_of=when)
    new_mandatory = 0
    if output is DiffFormat.json:
        from kubefleet.report.contract import document, dumps

        write(dumps(document("SpecDiff", diff_document(items, base=base_label, head=str(file), as_of=when)),
                    ensure_ascii=False))
    elif output is DiffFormat.markdown:
        from kubefleet.report.pr_markdown import FailOn, Link, render_pr_markdown

        split, new_mandatory = policy_split(old, new, catalog=catalog, as_of=when, providers=chosen)
        heading = title or f"kubefleet diff: {file} (prices as of {when})"
        notes = {(d.changes.cluster, d.changes.provider): d.notes() for d in items}
        gate = FailOn(tuple(rule_text(k, v) for k, v in rules),
                      tuple(failed_conditions(items, rules, new_mandatory))) if rules else None
        links = [Link(label, url) for label, url in (("workflow run", run_link), ("HTML report", report_link)) if url]
        write(render_pr_markdown([d.changes for d in items], heading, notes=notes, policy=split, commit=commit,
                                 max_chars=max_chars, note=note,
                                 upgrades=[n for d in items for n in d.upgrades], horizon_days=horizon,
                                 fail_on=gate, links=links))
    else:
        out = stdout()
        if not items:
            out.print("no clusters on either side")
        print_table(items, out)
    problems: list[str] = []
    hint = None
    refused = [n for d in items for n in d.refused]
    if refused:  # the cloud would reject the change: the job found a problem (exit 1), whatever --fail-on says
        problems += [f"{n.cluster} on {n.provider}: {n.text}" for n in refused]
        hint = "rule(s): " + "; ".join(sorted({n.rule for n in refused}))
    if rules:
        if any(kind == "mandatory" for kind, _ in rules) and output is not DiffFormat.markdown:
            _, new_mandatory = policy_split(old, new, catalog=catalog, as_of=when, providers=chosen)
        hits = failed_conditions(items, rules, new_mandatory)
        if hits:
            problems.append("--fail-on: " + "; ".join(f"{rule}: {why}" for rule, why in hits))
    if problems:
        from kubefleet.errors import ProblemFound

        raise ProblemFound("\n".join(problems), hint=hint)


def register(app: typer.Typer) -> None:
    app.command()(diff)

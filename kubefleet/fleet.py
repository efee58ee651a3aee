"""The fleet view: every cluster under some paths, what it costs on its provider, who owns it, and what
looks wrong (findings).

Pricing goes through the same path as ``kubefleet compare`` (render under the mock monitor, then
``price_graph``), so what is priced is what the program declares. Two things keep a fleet of thousands
fast without pricing anything else:

* **price twins** — the cost of a cluster does not depend on its name or on its ownership labels
  (they only name and tag resources), so each spec is priced through its *price twin*: the same spec
  with a fixed name, only the ``env`` label kept (it decides deletion protection) and no
  ``spec.provider``. Clusters built from the same template share one render per provider, and the
  render cache hits across runs even when clusters are renamed. ``tests/test_fleet.py`` checks that a
  twin prices exactly like the original on every provider.
* **worker processes** — twins that need rendering are spread over worker processes (``forkserver`` or
  ``spawn``); each worker sends back only a small price summary, never a graph, so memory stays flat.

Nothing here reads the clock or prints: the CLI passes ``as_of`` and renders the report.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from kubefleet.cost.model import CATEGORIES, Assumptions, money
from kubefleet.errors import CatalogError, RenderError, SpecError, SpecIssue
from kubefleet.redact import mask_url
from kubefleet.spec.files import cluster_files
from kubefleet.spec.loader import LoadedSpec, load_file
from kubefleet.spec.model import ClusterSpec
from kubefleet.spec.regions import PROVIDERS

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.catalog.fx import FxRate
    from kubefleet.engine.backend import Backend

#: a plain label naming the provider, read when ``spec.provider`` is absent (label keys cannot hold '/')
PROVIDER_LABEL: Final = "provider"
#: environments where fewer than MIN_WORKERS workers is fine
DEV_ENVS: Final = frozenset({"dev", "test", "sandbox"})
MIN_WORKERS: Final = 3
#: the control plane may be at most this share of a cluster's monthly cost
CONTROL_PLANE_SHARE: Final = Decimal("0.25")
#: days before the end of standard support that a version is flagged
SUPPORT_WARNING_DAYS: Final = 60
#: a cheaper provider is reported when it saves at least this share of the cluster's monthly cost
MIN_SAVING_SHARE: Final = Decimal("0.05")
TWIN_NAME: Final = "fleet-price-twin"

GroupBy = Literal["team", "env", "provider", "region", "cost-center"]
GROUP_KEYS: Final[tuple[GroupBy, ...]] = ("team", "env", "provider", "region", "cost-center")
Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: Final[tuple[Severity, ...]] = ("high", "medium", "low", "info")
NONE_KEY: Final = "(none)"


# ----------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class LoadFailure:
    """A spec file that could not be loaded, with every problem in it (file:line:col)."""

    file: str
    issues: tuple[SpecIssue, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "issues": [
            {"line": i.line, "column": i.column, "message": i.message, "hint": i.hint} for i in self.issues]}


def discover(paths: Iterable[str | Path]) -> tuple[list[LoadedSpec], list[LoadFailure]]:
    """Every spec under the files and directories (recursively, multi-document files included).
    A file that fails to load is recorded and the rest are still read."""
    loaded: list[LoadedSpec] = []
    failures: list[LoadFailure] = []
    for raw in paths:
        path = Path(raw)
        found = cluster_files([path])  # manifests beside the specs are skipped (counted by the CLI)
        files = found.files
        if path.is_dir() and not files and not found.skipped:
            failures.append(LoadFailure(str(path), (SpecIssue(str(path), 1, 1, "no *.yaml or *.yml files in this directory"),)))
        for file in files:
            try:
                loaded.extend(load_file(file))
            except SpecError as err:
                failures.append(LoadFailure(str(file), tuple(err.issues)))
    return loaded, failures


def choose_provider(spec: ClusterSpec) -> tuple[str | None, str, str | None]:
    """(provider, where it came from, problem). Order: ``spec.provider``; the ``provider`` label;
    the only provider configured under ``spec.providers``; else none."""
    if spec.spec.provider:
        return spec.spec.provider, "spec.provider", None
    labelled = spec.metadata.labels.get(PROVIDER_LABEL)
    if labelled is not None:
        if labelled in PROVIDERS:
            return labelled, "label", None
        return None, "none", f"label {PROVIDER_LABEL}={labelled!r} is not a provider ({', '.join(PROVIDERS)})"
    configured = [p for p in PROVIDERS if spec.spec.provider_options(p) is not None]
    if len(configured) == 1:
        return configured[0], "spec.providers", None
    return None, "none", None


def price_twin(spec: ClusterSpec) -> ClusterSpec:
    """The spec as far as cost goes: fixed name, only the ``env`` label, no ``spec.provider``."""
    env = spec.metadata.env
    metadata = spec.metadata.model_copy(update={"name": TWIN_NAME, "labels": {"env": env} if env else {}})
    body = spec.spec.model_copy(update={"provider": None})
    return spec.model_copy(update={"metadata": metadata, "spec": body})


def twin_key(spec: ClusterSpec) -> str:
    import hashlib
    import json

    data = price_twin(spec).model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def usage_key(assumptions: Assumptions) -> str:
    """A short digest of the usage assumptions a cluster is priced with (its twin key's suffix)."""
    import hashlib
    import json

    data = {k: v for k, v in assumptions.as_dict().items() if k != "origins"}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]


# ----------------------------------------------------------------------------- pricing


@dataclass(frozen=True)
class ProviderPrice:
    """What one price twin costs on one provider: the summary kept from a breakdown (no graph)."""

    provider: str
    region: str | None = None
    monthly: Decimal | None = None
    monthly_max: Decimal | None = None
    by_category: Mapping[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0
    unsupported: tuple[str, ...] = ()  # spec fields the provider cannot honour (parity)
    error: str | None = None
    #: the per-billing-account credit included in ``monthly`` (negative, control-plane), e.g. GKE's free tier
    account_credit: Decimal = Decimal(0)
    #: every line is an estimate (kubeadm's on-prem rates): never ranked against list prices
    estimate_only: bool = False

    def without_credit(self) -> ProviderPrice:
        """The same price with its per-account credit taken out (another cluster of the account got it)."""
        if not self.account_credit:
            return self
        cats = dict(self.by_category)
        cats["control-plane"] = cats.get("control-plane", Decimal(0)) - self.account_credit
        return replace(self, monthly=None if self.monthly is None else self.monthly - self.account_credit,
                       monthly_max=None if self.monthly_max is None else self.monthly_max - self.account_credit,
                       by_category=cats, account_credit=Decimal(0))

    @property
    def priced(self) -> bool:
        return self.monthly is not None

    @property
    def complete(self) -> bool:
        return self.monthly is not None and self.unpriced == 0

    @property
    def control_plane(self) -> Decimal:
        return self.by_category.get("control-plane", Decimal(0))


def price_one(spec: ClusterSpec, providers: Sequence[str], *, as_of: date, catalog: Catalog,
              assumptions: Assumptions, fx: FxRate | None = None) -> dict[str, ProviderPrice]:
    """Price one twin on each provider through :func:`kubefleet.compare.compare` (converted per line at
    ``fx`` when given, so every fleet sum is a sum of converted lines)."""
    from kubefleet.compare import compare, in_currency
    from kubefleet.cost.pricer import FREE_TIER_CREDIT

    cmp = in_currency(compare(spec, list(providers), as_of=as_of, catalog=catalog, assumptions=assumptions), fx)
    out: dict[str, ProviderPrice] = {}
    for p, r in cmp.results.items():
        b = r.breakdown
        if b is None:
            out[p] = ProviderPrice(p, error=(r.error or "not priced").split("\n")[0])
            continue
        credit = sum((c.monthly for c in b.components if c.name == FREE_TIER_CREDIT), Decimal(0))
        out[p] = ProviderPrice(
            p, region=b.region, monthly=b.monthly_total, monthly_max=b.monthly_max, by_category=b.by_category(),
            unpriced=len(b.unpriced), unsupported=tuple(n.field for n in r.parity if n.status == "unsupported"),
            account_credit=credit, estimate_only=b.estimate_only)
    return out


_WORKER: dict[str, Any] = {}


def _init_worker(catalog: Catalog, as_of: date, assumptions: Assumptions, home: str | None,
                 fx: FxRate | None = None) -> None:
    if home is not None:
        os.environ["KUBEFLEET_HOME"] = home
    _WORKER.update(catalog=catalog, as_of=as_of, assumptions=assumptions, fx=fx)


def _price_task(task: tuple[str, ClusterSpec, tuple[str, ...], Assumptions | None]) -> tuple[str, dict[str, ProviderPrice]]:
    key, spec, providers, own = task
    return key, _price_guarded(spec, providers, _WORKER["catalog"], _WORKER["as_of"], own or _WORKER["assumptions"],
                               _WORKER.get("fx"))


def _price_guarded(spec: ClusterSpec, providers: Sequence[str], catalog: Catalog, as_of: date,
                   assumptions: Assumptions, fx: FxRate | None = None) -> dict[str, ProviderPrice]:
    try:
        return price_one(spec, providers, as_of=as_of, catalog=catalog, assumptions=assumptions, fx=fx)
    except (CatalogError, RenderError) as err:
        return {p: ProviderPrice(p, error=err.render().split("\n")[0]) for p in providers}


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["kubefleet.fleet", "kubefleet.compare", "kubefleet.cost.pricer"])
    return ctx


def auto_jobs(tasks: int) -> int:
    """Worker processes for ``tasks`` price twins: in-process for small fleets (a worker costs ~1 s
    of imports), else one per CPU (at most 8)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if tasks < 24 or cpus < 2 else min(cpus, 8)


def price_twins(
    twins: Mapping[str, tuple[ClusterSpec, tuple[str, ...]]],
    *,
    as_of: date,
    catalog: Catalog,
    assumptions: Assumptions,
    jobs: int | None = None,
    progress: Progress | None = None,
    fx: FxRate | None = None,
    twin_assumptions: Mapping[str, Assumptions] | None = None,
) -> dict[str, dict[str, ProviderPrice]]:
    """Price every twin (key -> (spec, providers)); in worker processes when ``jobs`` > 1. ``progress``
    is called with (twins done, twins, workers) before the first and after each twin. ``twin_assumptions``:
    a twin's own usage assumptions (a usage file's per-cluster entry), else ``assumptions``."""
    own = twin_assumptions or {}
    workers = auto_jobs(len(twins)) if jobs is None else max(1, jobs)
    tick = progress or (lambda done, total, workers: None)
    total = len(twins)
    out: dict[str, dict[str, ProviderPrice]] = {}
    if workers <= 1 or len(twins) < 2:
        tick(0, total, 1)
        for key, (spec, provs) in twins.items():
            out[key] = _price_guarded(spec, provs, catalog, as_of, own.get(key, assumptions), fx)
            tick(len(out), total, 1)
        return out
    tasks = [(key, spec, provs, own.get(key)) for key, (spec, provs) in twins.items()]
    chunk = max(1, min(16, len(tasks) // (workers * 6)))
    tick(0, total, workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                             initargs=(catalog, as_of, assumptions, os.environ.get("KUBEFLEET_HOME"), fx)) as pool:
        for key, priced in pool.map(_price_task, tasks, chunksize=chunk):
            out[key] = priced
            tick(len(out), total, workers)
    return out


#: (twins priced so far, twins in all, worker processes)
Progress = Callable[[int, int, int], None]


# ----------------------------------------------------------------------------- inventory


@dataclass(frozen=True)
class ClusterRow:
    name: str
    file: str
    line: int
    team: str | None
    owner: str | None
    cost_center: str | None
    env: str | None
    provider: str | None
    provider_source: str
    region: str  # neutral region
    provider_region: str | None
    version: str
    minor: str
    channel: str
    control_plane_nodes: int  # VMs you run for the control plane (kubeadm); 0 on managed services
    workers_min: int
    workers_max: int
    price: ProviderPrice | None  # on the chosen provider
    alternatives: Mapping[str, ProviderPrice] = field(default_factory=dict)  # every provider compared
    provider_problem: str | None = None
    billing_account: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def nodes_min(self) -> int:
        return self.control_plane_nodes + self.workers_min

    @property
    def nodes_max(self) -> int:
        return self.control_plane_nodes + self.workers_max

    @property
    def monthly(self) -> Decimal | None:
        return self.price.monthly if self.price is not None else None

    def key(self, by: GroupBy) -> str:
        value = {"team": self.team, "env": self.env, "provider": self.provider, "region": self.region,
                 "cost-center": self.cost_center}[by]
        return value or NONE_KEY

    def as_dict(self) -> dict[str, Any]:
        p = self.price
        return {
            "name": self.name, "file": self.file, "line": self.line, "team": self.team, "owner": self.owner,
            "cost_center": self.cost_center, "env": self.env, "provider": self.provider,
            "provider_source": self.provider_source, "region": self.region, "provider_region": self.provider_region,
            "version": self.version, "channel": self.channel,
            "nodes": {"control_plane": self.control_plane_nodes, "workers_min": self.workers_min,
                      "workers_max": self.workers_max, "min": self.nodes_min, "max": self.nodes_max},
            "monthly": str(p.monthly) if p is not None and p.monthly is not None else None,
            "monthly_max": str(p.monthly_max) if p is not None and p.monthly_max is not None else None,
            "by_category": {k: str(v) for k, v in p.by_category.items()} if p is not None else {},
            "unpriced_items": p.unpriced if p is not None else 0,
            "billing_account": self.billing_account,
            "account_credit": str(p.account_credit) if p is not None and p.account_credit else None,
            "error": p.error if p is not None else None,
            "alternatives": {k: str(v.monthly) if v.monthly is not None else None
                             for k, v in sorted(self.alternatives.items())},
        }


def make_row(loaded: LoadedSpec, provider: str | None, source: str, problem: str | None,
             prices: Mapping[str, ProviderPrice]) -> ClusterRow:
    spec = loaded.spec
    pools = spec.spec.node_pools
    price = prices.get(provider) if provider else None
    region = None
    if provider:
        region = price.region if price is not None and price.region else spec.region_for(provider)
    return ClusterRow(
        name=spec.name, file=loaded.file, line=loaded.line, team=spec.metadata.team, owner=spec.metadata.owner,
        cost_center=spec.metadata.cost_center, env=spec.metadata.env, provider=provider, provider_source=source,
        region=spec.spec.region, provider_region=region, version=spec.spec.kubernetes.version,
        minor=spec.spec.kubernetes.minor, channel=spec.spec.kubernetes.channel,
        control_plane_nodes=spec.spec.control_plane.replicas if provider == "kubeadm" else 0,
        workers_min=sum(p.min_nodes for p in pools), workers_max=sum(p.max_nodes for p in pools),
        price=price, alternatives=dict(prices), provider_problem=problem,
        billing_account=spec.metadata.billing_account,
    )


NO_ACCOUNT: Final = "(no billing-account label)"


def allocate_account_credits(rows: Sequence[ClusterRow]) -> tuple[list[ClusterRow], dict[str, str]]:
    """Give each per-billing-account credit (GKE's free tier) to ONE cluster per account.

    Each cluster is priced alone, as if it were its account's only cluster, so every eligible cluster
    carries the credit. Here the first eligible cluster per account (by name, file, line) on that provider
    keeps it and the others lose it. For a cluster's alternatives on another provider (the
    cheaper-provider finding), the credit is kept only while no cluster of the account uses it there.
    Clusters without a ``billing-account`` label are taken to share one account (the conservative
    reading). Returns the rows and ``{"<provider>:<account>": cluster that got the credit}``."""
    ordered = sorted(rows, key=lambda r: (r.name, r.file, r.line))
    holders: dict[str, str] = {}
    for row in ordered:
        own = row.alternatives.get(row.provider) if row.provider else None
        key = f"{row.provider}:{row.billing_account or NO_ACCOUNT}"
        if own is not None and own.account_credit and key not in holders:
            holders[key] = row.name
    out: list[ClusterRow] = []
    for row in ordered:
        account = row.billing_account or NO_ACCOUNT
        alts = dict(row.alternatives)
        price = row.price
        for provider, alt in row.alternatives.items():
            key = f"{provider}:{account}"
            if not alt.account_credit or holders.get(key, row.name) == row.name:
                continue  # this cluster holds the credit, or nobody of its account uses it there
            alts[provider] = alt.without_credit()
            if row.provider == provider:
                price = alts[provider]
        out.append(replace(row, price=price, alternatives=alts))
    return out, {k: v for k, v in holders.items()}


# ----------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    cluster: str
    where: str
    message: str
    saving: Decimal | None = None  # monthly, for cheaper-provider

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "severity": self.severity, "cluster": self.cluster,
                               "where": self.where, "message": self.message}
        if self.saving is not None:
            out["monthly_saving"] = str(self.saving)
        return out


def _version_findings(row: ClusterRow, catalog: Catalog, as_of: date) -> list[Finding]:
    if row.provider is None:
        return []
    support = catalog.versions(row.provider).get(row.minor)
    if support is None or support.standard_end is None:
        return [Finding("version-support-unknown", "info", row.name, row.where,
                        f"no support dates for {row.provider} {row.minor} in the catalog; check the provider's calendar")]
    end = support.standard_end
    days = (end - as_of).days
    if days < 0:
        ext = support.extended_end
        if ext is not None and ext >= as_of:
            return [Finding("version-out-of-standard-support", "medium", row.name, row.where,
                            f"{row.provider} {row.minor} left standard support on {end}; it runs on paid extended "
                            f"support until {ext} — upgrade")]
        tail = f" and extended support on {ext}" if ext is not None else ""
        return [Finding("version-out-of-standard-support", "high", row.name, row.where,
                        f"{row.provider} {row.minor} left standard support on {end}{tail} — upgrade")]
    if days <= SUPPORT_WARNING_DAYS:
        return [Finding("version-support-ending", "medium", row.name, row.where,
                        f"{row.provider} {row.minor} leaves standard support on {end} (in {days} days)")]
    return []


def _small_findings(row: ClusterRow) -> list[Finding]:
    reasons: list[str] = []
    if row.env not in DEV_ENVS and row.workers_min < MIN_WORKERS:
        reasons.append(f"{row.workers_min} worker(s) at minimum outside dev (want at least {MIN_WORKERS})")
    p = row.price
    if p is not None and p.monthly:
        share = p.control_plane / p.monthly
        if share > CONTROL_PLANE_SHARE:
            reasons.append(f"the control plane is {share:.0%} of its monthly cost "
                           f"(more than {CONTROL_PLANE_SHARE:.0%})")
    if not reasons:
        return []
    return [Finding("small-cluster", "medium", row.name, row.where,
                    "too small to justify its control plane: " + "; ".join(reasons)
                    + " — consolidate into a bigger shared cluster or grow it")]


def cheapest_equivalent(row: ClusterRow) -> ProviderPrice | None:
    """The cheapest provider that prices the cluster completely from list prices (not estimate-only rates)
    and supports every field it uses."""
    pool = [p for p in row.alternatives.values() if p.complete and not p.unsupported and not p.estimate_only]
    return min(pool, key=lambda p: (p.monthly, p.provider)) if pool else None


def _cheaper_finding(row: ClusterRow) -> list[Finding]:
    p = row.price
    best = cheapest_equivalent(row)
    if p is None or p.monthly is None or best is None or best.provider == row.provider or best.monthly is None:
        return []
    saving = money(p.monthly - best.monthly)
    if saving <= 0 or saving < p.monthly * MIN_SAVING_SHARE:
        return []
    bound = "at least " if p.unpriced else ""
    return [Finding("cheaper-provider", "info", row.name, row.where,
                    f"{best.provider} runs the same spec for ${best.monthly:,.2f}/month: {bound}${saving:,.2f}/month "
                    f"({saving / p.monthly:.0%}) less than {row.provider}", saving=saving)]


def findings(rows: Sequence[ClusterRow], catalog: Catalog, as_of: date) -> list[Finding]:
    """Every finding over the inventory, sorted by severity, then cluster."""
    out: list[Finding] = []
    for row in rows:
        if not row.owner:
            out.append(Finding("missing-owner", "medium", row.name, row.where, "no `owner` label: nobody to ask"))
        if not row.cost_center:
            out.append(Finding("missing-cost-center", "medium", row.name, row.where,
                               "no `cost-center` label: its cost cannot be charged back"))
        if row.provider is None:
            why = row.provider_problem or "no spec.provider, no `provider` label, no single spec.providers entry"
            out.append(Finding("no-provider", "high", row.name, row.where, f"no provider: {why}; not priced"))
        elif row.price is None or row.price.monthly is None:
            why = row.price.error if row.price is not None and row.price.error else "not priced"
            out.append(Finding("not-priced", "high", row.name, row.where, f"{row.provider}: {why}"))
        elif row.price.unpriced:
            out.append(Finding("unpriced-items", "low", row.name, row.where,
                               f"{row.price.unpriced} item(s) on {row.provider} are not priced: the cost is a lower bound"))
        out.extend(_version_findings(row, catalog, as_of))
        out.extend(_small_findings(row))
        out.extend(_cheaper_finding(row))
    by_name: dict[str, list[ClusterRow]] = {}
    dupes: dict[tuple[str, str, str], list[ClusterRow]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
        if row.team and row.env:
            dupes.setdefault((row.team, row.env, row.region), []).append(row)
    for name, same in by_name.items():
        if len(same) > 1:
            for row in same:
                others = ", ".join(r.where for r in same if r is not row)
                out.append(Finding("name-clash", "medium", name, row.where,
                                   f"the cluster name is also used at {others}: stack names (<cluster>-<provider>) collide"))
    for (team, env, region), same in dupes.items():
        if len(same) > 1:
            for row in same:
                others = ", ".join(r.name for r in same if r is not row)
                out.append(Finding("likely-duplicate", "low", row.name, row.where,
                                   f"same team ({team}), env ({env}) and region ({region}) as {others}: merge them?"))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: (rank[f.severity], f.cluster, f.where, f.code))


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True)
class GroupTotal:
    key: str
    clusters: int
    priced: int
    monthly: Decimal
    monthly_max: Decimal
    by_category: Mapping[str, Decimal]
    incomplete: int  # priced, but with unpriced items (the total is a lower bound)

    @property
    def not_priced(self) -> int:
        return self.clusters - self.priced

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "clusters": self.clusters, "priced": self.priced, "not_priced": self.not_priced,
                "incomplete": self.incomplete, "monthly": str(self.monthly), "monthly_max": str(self.monthly_max),
                "by_category": {k: str(v) for k, v in self.by_category.items()}}


def total_of(key: str, rows: Sequence[ClusterRow]) -> GroupTotal:
    priced = [r.price for r in rows if r.price is not None and r.price.monthly is not None]
    cats: dict[str, Decimal] = {c: money(sum((p.by_category.get(c, Decimal(0)) for p in priced), Decimal(0))) for c in CATEGORIES}
    return GroupTotal(
        key=key, clusters=len(rows), priced=len(priced),
        monthly=money(sum((p.monthly for p in priced if p.monthly is not None), Decimal(0))),
        monthly_max=money(sum((p.monthly_max for p in priced if p.monthly_max is not None), Decimal(0))),
        by_category=cats, incomplete=sum(1 for p in priced if p.unpriced))


def group_totals(rows: Sequence[ClusterRow], by: GroupBy) -> list[GroupTotal]:
    """Totals per group, largest monthly cost first (then by key)."""
    groups: dict[str, list[ClusterRow]] = {}
    for row in rows:
        groups.setdefault(row.key(by), []).append(row)
    totals = [total_of(k, v) for k, v in groups.items()]
    return sorted(totals, key=lambda t: (-t.monthly, t.key))


@dataclass
class FleetReport:
    as_of: date
    group_by: GroupBy
    assumptions: Assumptions
    rows: list[ClusterRow]
    failures: list[LoadFailure]
    findings: list[Finding]
    compared: bool  # every provider priced (cheaper-provider findings)
    price_twins: int
    #: "<provider>:<billing account>" -> the one cluster that got the account's credit
    account_credits: Mapping[str, str] = field(default_factory=dict)
    #: ``--currency``: the rate every cluster's lines were converted at (None: USD)
    fx: FxRate | None = None

    @property
    def currency(self) -> str:
        return "USD" if self.fx is None else self.fx.currency

    def groups(self, by: GroupBy | None = None) -> list[GroupTotal]:
        return group_totals(self.rows, by or self.group_by)

    @property
    def total(self) -> GroupTotal:
        return total_of("total", self.rows)

    def as_json(self) -> dict[str, Any]:
        """The stable ``fleet --output json`` contract; money as decimal strings."""
        return {
            "as_of": self.as_of.isoformat(), "currency": self.currency,
            **({"exchange_rate": self.fx.as_dict()} if self.fx is not None else {}), "group_by": self.group_by,
            "assumptions": self.assumptions.as_dict(), "compared_providers": self.compared,
            "price_twins": self.price_twins,
            "account_credits": dict(sorted(self.account_credits.items())),
            "clusters": [r.as_dict() for r in self.rows],
            "groups": [g.as_dict() for g in self.groups()],
            "total": self.total.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
            "errors": [f.as_dict() for f in self.failures],
        }


def build_report(
    loaded: Sequence[LoadedSpec],
    failures: Sequence[LoadFailure],
    *,
    as_of: date,
    catalog: Catalog,
    group_by: GroupBy = "team",
    assumptions: Assumptions | None = None,
    compare_providers: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    fx: FxRate | None = None,
    assumptions_for: Callable[[str], Assumptions] | None = None,
) -> FleetReport:
    """Price every cluster on its provider (and, with ``compare_providers``, on every provider for the
    cheaper-provider finding) and collect the findings. ``assumptions_for``: a cluster's own usage
    assumptions by name (``fleet --usage``: the usage file's entry for the cluster, then its type default,
    over the flags), else ``assumptions`` for every cluster."""
    from kubefleet.cost.management import management_peers, undercount_warning

    chosen = [(item, *choose_provider(item.spec)) for item in loaded]
    # kubeadm clusters of the fleet that name the same management cluster share it (kubefleet/cost/management.py)
    peers = management_peers(item.spec for item, provider, _s, _p in chosen if provider == "kubeadm")
    assume = replace(assumptions or Assumptions(), management_peers=peers)
    twins: dict[str, tuple[ClusterSpec, set[str]]] = {}
    own: dict[str, Assumptions] = {}
    keys: list[str] = []
    for item, provider, _source, _problem in chosen:
        key = twin_key(item.spec)
        mine = (replace(assumptions_for(item.spec.name), management_peers=peers) if assumptions_for is not None
                else assume)
        if mine != assume:  # twins share a price only when their usage is the same too
            key += "-" + usage_key(mine)
            own[key] = mine
        keys.append(key)
        wanted = set(PROVIDERS) if compare_providers else ({provider} if provider else set())
        _twin, provs = twins.setdefault(key, (price_twin(item.spec), set()))
        provs.update(wanted)
    work = {k: (spec, tuple(p for p in PROVIDERS if p in provs)) for k, (spec, provs) in twins.items() if provs}
    prices = price_twins(work, as_of=as_of, catalog=catalog, assumptions=assume, jobs=jobs, progress=progress,
                         fx=fx, twin_assumptions=own)
    rows = [make_row(item, provider, source, problem, prices.get(key, {}))
            for (item, provider, source, problem), key in zip(chosen, keys, strict=True)]
    rows, credits = allocate_account_credits(rows)
    found = findings(rows, catalog, as_of)
    for (item, provider, _source, _problem), row in zip(chosen, rows, strict=True):
        warning = undercount_warning(item.spec, assume) if provider == "kubeadm" else None
        if warning is not None:
            found.append(Finding("management-share-undercounted", "low", row.name, row.where, warning))
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    found.sort(key=lambda f: (rank[f.severity], f.cluster, f.where, f.code))
    return FleetReport(as_of=as_of, group_by=group_by, assumptions=assume, rows=rows,
                       failures=sorted(failures, key=lambda f: f.file), findings=found,
                       compared=compare_providers, price_twins=len(work), account_credits=credits, fx=fx)


# ----------------------------------------------------------------------------- deployed stacks


@dataclass(frozen=True)
class StackInfo:
    """A deployed stack as the backend lists it (outputs already masked)."""

    name: str
    last_update: datetime | None = None
    resource_count: int | None = None
    url: str | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]


StackStatus = Literal["deployed", "provider-differs", "no-stack", "no-spec", "shared-scope"]


@dataclass(frozen=True)
class StackMatch:
    status: StackStatus
    cluster: str | None = None
    where: str | None = None
    provider: str | None = None  # the spec's provider
    expected_stack: str | None = None
    stack: StackInfo | None = None

    def as_dict(self) -> dict[str, Any]:
        s = self.stack
        return {
            "status": self.status, "cluster": self.cluster, "where": self.where, "provider": self.provider,
            "expected_stack": self.expected_stack, "stack": s.name if s else None,
            "last_update": s.last_update.isoformat() if s and s.last_update else None,
            "resources": s.resource_count if s else None, "url": mask_url(s.url) if s and s.url else None,
            "outputs": dict(s.outputs) if s else {},
        }


def match_stacks(specs: Sequence[LoadedSpec], stacks: Sequence[StackInfo]) -> list[StackMatch]:
    """Specs against deployed stacks, by the default stack name ``<cluster>-<provider>``.

    A spec whose stack exists is ``deployed``; one whose cluster is deployed under another provider's
    stack name is ``provider-differs``; otherwise ``no-stack``. A project's shared stack (``scope-<cloud>-<key>``,
    providers/scope.py: APIs and fleet features the project's clusters share) is ``shared-scope``, listed once,
    never a stack without a spec. Stacks left over are ``no-spec``."""
    by_name: dict[str, StackInfo] = {}
    for st in stacks:
        by_name.setdefault(st.short_name, st)
    used: set[str] = set()
    out: list[StackMatch] = []
    for item in specs:
        provider, _source, _problem = choose_provider(item.spec)
        expected = f"{item.spec.name}-{provider}" if provider else None
        base: dict[str, Any] = {"cluster": item.spec.name, "where": item.where, "provider": provider,
                                "expected_stack": expected}
        if expected is not None and expected in by_name and expected not in used:
            used.add(expected)
            out.append(StackMatch("deployed", stack=by_name[expected], **base))
            continue
        other = next((f"{item.spec.name}-{p}" for p in PROVIDERS
                      if f"{item.spec.name}-{p}" in by_name and f"{item.spec.name}-{p}" not in used), None)
        if other is not None:
            used.add(other)
            out.append(StackMatch("provider-differs", stack=by_name[other], **base))
        else:
            out.append(StackMatch("no-stack", **base))
    from kubefleet.providers.scope import is_scope_stack

    for st in sorted(stacks, key=lambda s: s.name):
        if st.short_name not in used:
            out.append(StackMatch("shared-scope" if is_scope_stack(st.short_name) else "no-spec", stack=st))
    return out


def read_stacks(backend: Backend) -> list[StackInfo]:
    """The stacks in ``backend`` with masked outputs (engine package; needs the Pulumi CLI — callers run
    :func:`kubefleet.engine.preflight.require_pulumi_cli` first and wrap this in ``engine_errors``)."""
    from pulumi.automation import LocalWorkspace

    from kubefleet.engine.outputs import display_outputs
    from kubefleet.engine.workspace import list_stacks, workspace_options

    summaries = list_stacks(backend)
    opts = workspace_options(backend)
    workspace = LocalWorkspace(work_dir=opts.work_dir, env_vars=opts.env_vars, project_settings=opts.project_settings)
    out: list[StackInfo] = []
    for s in summaries:
        outputs = display_outputs(workspace.stack_outputs(s.name))
        out.append(StackInfo(name=s.name, last_update=s.last_update, resource_count=s.resource_count, url=s.url,
                             outputs=outputs))
    return out


__all__ = [
    "GROUP_KEYS",
    "ClusterRow",
    "Finding",
    "FleetReport",
    "GroupTotal",
    "LoadFailure",
    "ProviderPrice",
    "StackInfo",
    "StackMatch",
    "build_report",
    "choose_provider",
    "discover",
    "findings",
    "match_stacks",
    "price_twin",
]

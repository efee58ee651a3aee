"""Typed cost records: what the pricer produces and every report consumes.

Money is ``Decimal``; every component carries its source URL and the date the figure was read.

Rounding happens once, per line: a line's monthly amount is quantity × unit price rounded to the cent
(half up, as invoices round), and every total — per category, per provider, per fleet group — is the sum
of those rounded lines, so the lines, the categories and the totals always reconcile to the cent.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from kubefleet.catalog.fx import FxRate

Category = Literal["control-plane", "nodes", "storage", "network", "logging", "mesh", "support"]
CATEGORIES: Final[tuple[Category, ...]] = ("control-plane", "nodes", "storage", "network", "logging", "mesh",
                                           "support")

CENT: Final = Decimal("0.01")
HOURS_PER_MONTH: Final = Decimal("730")
MONTHS_PER_YEAR: Final = Decimal("12")


#: the currency amounts are shown in (set by ``--currency`` for one command's output; USD otherwise)
DISPLAY_CURRENCY: ContextVar[str] = ContextVar("kubefleet_display_currency", default="USD")
SYMBOLS: Final = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def currency_prefix(code: str | None = None) -> str:
    """``$`` for USD, ``€``/``£``/``¥`` where the symbol is unambiguous, else the ISO code and a space."""
    code = code or DISPLAY_CURRENCY.get()
    return SYMBOLS.get(code, f"{code} ")


def money(value: Decimal) -> Decimal:
    """Round to cents, half up (how invoices round)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value: Decimal, *, sign: bool = False) -> str:
    """``$1,234.50``; with ``sign``: ``+$12.00`` / ``-$3.10``."""
    v = money(value)
    text = f"{currency_prefix()}{abs(v):,.2f}"
    if sign:
        return ("-" if v < 0 else "+") + text
    return ("-" if v < 0 else "") + text


def fmt_qty(value: Decimal) -> str:
    """A quantity as a plain number with thousands separators and no trailing zeros (``5,110``, ``0.5``)."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


#: a pool's own purchase option as its line names it (``nodePools[].pricing`` in the spec)
POOL_PRICING_NAMES: Final[dict[str | None, str]] = {
    "on-demand": "on-demand", "1y": "1-year commitment", "3y": "3-year commitment", "spot": "spot",
}

PRICING_LABELS: Final[dict[str | None, str]] = {
    None: "list on-demand prices",
    "on-demand": "on-demand with automatic discounts (GKE sustained use)",
    "1y": "1-year commitments",
    "3y": "3-year commitments",
    "spot": "every pool on spot",
}


@dataclass(frozen=True)
class Assumptions:
    """Usage assumptions, explicit inputs with documented defaults."""

    hours_per_month: Decimal = HOURS_PER_MONTH
    #: NAT-processed egress per cluster per month, in GB (network category)
    egress_gb_month: Decimal = Decimal("100")
    #: price autoscaling pools at their minimum (the maximum is shown as a range)
    at_min: bool = True
    #: log volume ingested per cluster per month, in GiB (GKE Cloud Logging, EKS control-plane logs to
    #: CloudWatch); None: not given, the log lines stay unpriced with no upper bound
    log_gb_month: Decimal | None = None
    #: where a usage value came from (field name -> "--log-gb", "usage file f.yml:4:30 (key)"); a field
    #: not named here is the documented default
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    #: ``--pricing``: None list on-demand prices (no automatic discount); "on-demand" with the automatic
    #: discounts the provider gives (GKE sustained use); "1y"/"3y" committed rates; "spot" every pool on spot
    pricing: Literal["on-demand", "1y", "3y", "spot"] | None = None
    #: spec pools that name their own purchase option (``nodePools[].pricing``, winning over ``pricing``):
    #: (pool, option) pairs in spec order; set from the spec by ``compare``
    pool_pricing: tuple[tuple[str, str], ...] = ()
    #: kubeadm: how many of the clusters priced together (``fleet``, ``compare``/``cost`` over several specs) run
    #: on kubeadm and name each management cluster (spec.providers.kubeadm.managementCluster -> count); the
    #: management-cluster share divides by it when the spec's costs.managedClusters is unset
    #: (kubefleet/cost/management.py). Empty: one cluster priced alone
    management_peers: tuple[tuple[str, int], ...] = ()

    def origin(self, name: str) -> str:
        return self.origins.get(name, "the default")

    @property
    def pricing_label(self) -> str:
        """The purchase option the node lines are priced at, for titles in every format."""
        if not self.pool_pricing:
            return PRICING_LABELS[self.pricing]
        own = ", ".join(f"{pool} at {POOL_PRICING_NAMES[option]}" for pool, option in self.pool_pricing)
        return f"{PRICING_LABELS[self.pricing]}; the spec's own pool pricing: {own}"

    @property
    def pricing_suffix(self) -> str:
        """``", 1-year commitments"`` for a title; empty for the default list prices (titles unchanged)."""
        return "" if self.pricing is None and not self.pool_pricing else ", " + self.pricing_label

    def as_dict(self) -> dict[str, Any]:
        return {
            "hours_per_month": str(self.hours_per_month),
            "egress_gb_month": str(self.egress_gb_month),
            "autoscaling_priced_at": "min" if self.at_min else "max",
            **({"log_gb_month": str(self.log_gb_month)} if self.log_gb_month is not None else {}),
            **({"pricing": self.pricing} if self.pricing is not None else {}),
            **({"pricing_by_pool": dict(self.pool_pricing)} if self.pool_pricing else {}),
            **({"origins": dict(self.origins)} if self.origins else {}),
            **({"management_cluster_peers": dict(self.management_peers)} if self.management_peers else {}),
        }


@dataclass(frozen=True)
class CostComponent:
    """One priced line: name, category, unit, quantity × unit price = monthly, with its source."""

    name: str
    category: Category
    unit: str  # e.g. "cluster-hour", "node-hour", "GB-month"
    quantity: Decimal  # units per month
    unit_price: Decimal  # USD per unit
    source_url: str
    as_of: date
    resource: str  # the rendered resource it prices (type::name)
    note: str | None = None
    estimate: bool = False  # spot prices, on-prem rates: an estimate, not a list price
    quantity_max: Decimal | None = None  # autoscaling: units per month at the pool's max
    #: "upper": the real charge is at most this figure (spot priced at on-demand or at the least published
    #: discount); None: a list price (or an estimate without a direction)
    bound: Literal["upper"] | None = None
    #: when the unit price itself depends on the pool size (Cloud NAT bills per VM up to a cap)
    unit_price_max: Decimal | None = None
    #: the interval the real monthly charge lies in (at the autoscaling minimum) when it is not exactly
    #: ``monthly``: a spot line lies between the deepest and the least published discount, a credit that
    #: may go to another cluster between −credit and 0. None: ``monthly`` exactly.
    low: Decimal | None = None
    high: Decimal | None = None
    #: the date the source published/generated the figure (None: the source states none)
    data_as_of: date | None = None
    #: ``--currency``: units of the display currency per USD. The line's USD amount (rounded to the cent)
    #: converts at this rate and is rounded to the cent once more (kubefleet.catalog.fx.ROUNDING_RULE)
    fx_rate: Decimal | None = None

    def _fx(self, usd: Decimal) -> Decimal:
        return usd if self.fx_rate is None else money(usd * self.fx_rate)

    @property
    def monthly_usd(self) -> Decimal:
        """Quantity × unit price, rounded to the cent: the one place a USD line is rounded."""
        return money(self.quantity * self.unit_price)

    @property
    def monthly(self) -> Decimal:
        """The line in the display currency: the USD line, converted (and rounded) once when converting."""
        return self._fx(self.monthly_usd)

    @property
    def unit_price_shown(self) -> Decimal:
        """The unit price in the display currency, to 6 decimal places (informational: the line converts
        from its USD amount, see ``monthly``)."""
        if self.fx_rate is None:
            return self.unit_price
        return (self.unit_price * self.fx_rate).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    @property
    def monthly_max(self) -> Decimal:
        qty = self.quantity_max if self.quantity_max is not None else self.quantity
        price = self.unit_price_max if self.unit_price_max is not None else self.unit_price
        return self._fx(money(qty * price))

    @property
    def monthly_low(self) -> Decimal:
        return self.monthly if self.low is None else self._fx(money(self.low))

    @property
    def monthly_high(self) -> Decimal:
        return self.monthly if self.high is None else self._fx(money(self.high))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "category": self.category,
            "unit": self.unit,
            "quantity": str(self.quantity),
            "unit_price": str(self.unit_price_shown),
            "monthly": str(self.monthly),
            **({"monthly_usd": str(self.monthly_usd), "unit_price_usd": str(self.unit_price)}
               if self.fx_rate is not None else {}),
            "source": self.source_url,
            "as_of": self.as_of.isoformat(),
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "resource": self.resource,
        }
        if self.quantity_max is not None or self.unit_price_max is not None:
            out["monthly_max"] = str(self.monthly_max)
        if self.note:
            out["note"] = self.note
        if self.estimate:
            out["estimate"] = True
        if self.bound is not None:
            out["bound"] = self.bound
        if self.low is not None or self.high is not None:
            out["range"] = {"low": str(self.monthly_low), "high": str(self.monthly_high)}
        return out


@dataclass(frozen=True)
class Unpriced:
    """A declared resource the catalog cannot price: reported, never counted as zero silently.

    ``low``/``high`` bound its monthly charge where a rule gives a bound (``high`` None: no upper bound —
    usage-priced items such as log ingestion); ``how`` says what would price it (a usage input, a catalog
    entry)."""

    resource: str
    reason: str
    low: Decimal = Decimal("0.00")
    high: Decimal | None = None
    how: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": self.resource, "reason": self.reason,
                               "bounds": {"low": str(money(self.low)),
                                          "high": None if self.high is None else str(money(self.high))}}
        if self.how:
            out["how_to_price"] = self.how
        return out


@dataclass
class CostBreakdown:
    """Everything one cluster costs on one provider per month."""

    cluster: str
    provider: str
    region: str
    as_of: date  # the date the estimate is for (pricing input)
    catalog_as_of: date  # the oldest "read" date among the figures used
    assumptions: Assumptions
    components: list[CostComponent] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    free: list[str] = field(default_factory=list)  # declared resources that cost nothing by themselves
    #: the oldest published/generated date among the sources used (None: no source used states one)
    data_as_of: date | None = None
    #: sources used that state no data date (their age is unknown)
    undated_sources: list[str] = field(default_factory=list)
    #: worker nodes the provider runs for the spec's pools (after its own count semantics, e.g. GKE's
    #: per-zone counts rounded up), at the autoscaling minimum and maximum; None: not known
    nodes_min: int | None = None
    nodes_max: int | None = None
    #: the same per spec pool (pools the provider adds are not in it): what a like-for-like ranking checks
    pool_nodes: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the currency every amount is in; ``fx`` the rate it was converted at from USD (None: USD list prices)
    currency: str = "USD"
    fx: FxRate | None = None

    @property
    def monthly_total(self) -> Decimal:
        return sum((c.monthly for c in self.components), Decimal("0.00"))

    @property
    def monthly_max(self) -> Decimal:
        return sum((c.monthly_max for c in self.components), Decimal("0.00"))

    @property
    def monthly_low(self) -> Decimal:
        """The least the cluster can cost per month (autoscaling minimum): every line at the low end of its
        range plus every unpriced item's lower bound."""
        return (sum((c.monthly_low for c in self.components), Decimal("0.00"))
                + sum((money(u.low) for u in self.unpriced), Decimal("0.00")))

    @property
    def monthly_high(self) -> Decimal | None:
        """The most it can cost per month (autoscaling minimum); None when an unpriced item has no upper
        bound (usage-priced, or no rule bounds it)."""
        if any(u.high is None for u in self.unpriced):
            return None
        return (sum((c.monthly_high for c in self.components), Decimal("0.00"))
                + sum((money(u.high) for u in self.unpriced if u.high is not None), Decimal("0.00")))

    @property
    def unbounded_items(self) -> list[Unpriced]:
        return [u for u in self.unpriced if u.high is None]

    @property
    def upper_bound_items(self) -> list[CostComponent]:
        """Lines priced at an upper bound (spot): the real total may be lower by their share."""
        return [c for c in self.components if c.bound == "upper"]

    @property
    def estimate_only(self) -> bool:
        """Every priced line is an estimate (on-prem rates), none a provider's list price."""
        return bool(self.components) and all(c.estimate for c in self.components)

    @property
    def yearly_total(self) -> Decimal:
        return money(self.monthly_total * MONTHS_PER_YEAR)

    def by_category(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {c: Decimal("0.00") for c in CATEGORIES}
        for comp in self.components:
            out[comp.category] += comp.monthly
        return out

    def bounds_dict(self) -> dict[str, str | None]:
        high = self.monthly_high
        return {"monthly_low": str(self.monthly_low), "monthly_high": None if high is None else str(high)}

    def sources(self) -> list[str]:
        return sorted({c.source_url for c in self.components})

    def as_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "region": self.region,
            "currency": self.currency,
            **({"exchange_rate": self.fx.as_dict()} if self.fx is not None else {}),
            "monthly_total": str(self.monthly_total),
            "monthly_max": str(self.monthly_max),
            **self.bounds_dict(),
            "yearly_total": str(self.yearly_total),
            "by_category": {k: str(v) for k, v in self.by_category().items()},
            "components": [c.as_dict() for c in self.components],
            "unpriced": [u.as_dict() for u in self.unpriced],
            "free": sorted(self.free),
            "catalog_as_of": self.catalog_as_of.isoformat(),
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "undated_sources": list(self.undated_sources),
            "upper_bound_items": len(self.upper_bound_items),
            "estimate_only": self.estimate_only,
            "nodes": {"min": self.nodes_min, "max": self.nodes_max},
        }

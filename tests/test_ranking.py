"""Ranking with bounds: "cheapest" is named only when no completion of the unpriced items can change it.

The oracle is the definition, checked by enumeration: a completion puts every priced line anywhere in its
range (spot between the deepest and the least published discount, a credit that may go elsewhere) and every
unpriced item anywhere within its bounds (any amount at all when it has no upper bound). Whenever a provider
is marked cheapest, every such completion must keep its total below every other ranked provider's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubefleet.catalog import load_catalog
from kubefleet.compare import compare, rank
from kubefleet.cost.model import Assumptions, CostBreakdown, CostComponent, Unpriced
from kubefleet.spec.loader import load_file, load_text
from kubefleet.spec.model import ClusterSpec

from .strategies import specs

ROOT = Path(__file__).resolve().parent.parent
CAT = load_catalog()
AS_OF = date(2026, 11, 27)
PROVIDERS = ["gke", "eks", "aks", "kubeadm"]
HUGE = Decimal("1000000")  # what "no upper bound" may stand for in a completion


def completion(b: CostBreakdown, fractions: list[Decimal]) -> Decimal:
    """One completion of ``b``: each ranged line and each unpriced item placed at a fraction of its range
    (an unbounded item anywhere up to ``HUGE`` above its floor)."""
    it = iter(fractions * (1 + (len(b.components) + len(b.unpriced)) // max(1, len(fractions))))
    total = Decimal(0)
    for c in b.components:
        total += c.monthly_low + next(it, Decimal(0)) * (c.monthly_high - c.monthly_low)
    for u in b.unpriced:
        top = u.high if u.high is not None else u.low + HUGE
        total += u.low + next(it, Decimal(0)) * (top - u.low)
    return total


def assert_sound(priced: dict[str, CostBreakdown], cheapest: str | None, ranked: set[str],
                 fractions: list[Decimal]) -> None:
    if cheapest is None:
        return
    assert cheapest in ranked
    # the cheapest at its dearest completion, every other at its cheapest one, then random completions
    worst = completion(priced[cheapest], [Decimal(1)])
    for q in ranked - {cheapest}:
        assert worst < completion(priced[q], [Decimal(0)]), (cheapest, q)
        assert completion(priced[cheapest], fractions) < completion(priced[q], fractions[::-1] or [Decimal(0)])


# ----------------------------------------------------------------------------- synthetic breakdowns

money = st.decimals(min_value=0, max_value=5000, places=2)
fraction = st.decimals(min_value=0, max_value=1, places=3)


@st.composite
def lines(draw: st.DrawFn) -> CostComponent:
    monthly = draw(money)
    kind = draw(st.sampled_from(["exact", "spot", "credit"]))
    low = high = None
    if kind == "spot":
        low = (monthly * draw(fraction)).quantize(Decimal("0.01"))
    elif kind == "credit":
        monthly, high = -min(monthly, Decimal("74.40")), Decimal(0)
    return CostComponent(name=kind, category="nodes", unit="month", quantity=Decimal(1), unit_price=monthly,
                         source_url="test", as_of=AS_OF, resource="r", low=low, high=high)


@st.composite
def gaps(draw: st.DrawFn) -> Unpriced:
    low = draw(money)
    high = None if draw(st.booleans()) else low + draw(money)
    return Unpriced("r", "gap", low=low, high=high)


@st.composite
def breakdowns(draw: st.DrawFn, provider: str) -> CostBreakdown:
    return CostBreakdown(cluster="c", provider=provider, region="r", as_of=AS_OF, catalog_as_of=AS_OF,
                         assumptions=Assumptions(), components=draw(st.lists(lines(), max_size=4)),
                         unpriced=draw(st.lists(gaps(), max_size=2)))


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({p: breakdowns(p) for p in ("gke", "eks", "aks")}), st.lists(fraction, min_size=1, max_size=8))
def test_a_named_cheapest_survives_every_completion(priced: dict[str, CostBreakdown], fractions: list[Decimal]) -> None:
    ranking = rank(priced)
    assert_sound(priced, ranking.cheapest, set(ranking.intervals), fractions)
    if ranking.cheapest is None and len(ranking.intervals) > 1:
        assert ranking.blockers  # it says why no provider can be named


def test_intervals_that_do_not_overlap_are_ranked_and_bounded_gaps_count() -> None:
    def b(p: str, known: str, gap: tuple[str, str | None] | None = None) -> CostBreakdown:
        comp = CostComponent("n", "nodes", "month", Decimal(1), Decimal(known), "t", AS_OF, "r")
        un = [Unpriced("r", "gap", low=Decimal(gap[0]), high=None if gap[1] is None else Decimal(gap[1]),
                       how="price it")] if gap else []
        return CostBreakdown("c", p, "r", AS_OF, AS_OF, Assumptions(), [comp], un)

    assert rank({"gke": b("gke", "100", ("0", "50")), "eks": b("eks", "151")}).cheapest == "gke"
    tie = rank({"gke": b("gke", "100", ("0", "51")), "eks": b("eks", "151")})
    assert tie.cheapest is None and any("price it" in x for x in tie.blockers)
    # an unbounded item on the cheaper-looking provider prevents a ranking; the dearer one's does not
    assert rank({"gke": b("gke", "100", ("0", None)), "eks": b("eks", "500")}).cheapest is None
    assert rank({"gke": b("gke", "100"), "eks": b("eks", "500", ("0", None))}).cheapest == "gke"


# ----------------------------------------------------------------------------- real specs through the pricer


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.sampled_from([None, Decimal("0"), Decimal("80")]), st.lists(fraction, min_size=1, max_size=6))
def test_real_specs_cheapest_is_sound(spec: ClusterSpec, log_gb: Decimal | None, fractions: list[Decimal]) -> None:
    cmp = compare(spec, ["gke", "eks", "aks"], as_of=AS_OF, catalog=CAT, assumptions=Assumptions(log_gb_month=log_gb))
    ranking = cmp.ranking
    assert_sound(cmp.priced, ranking.cheapest, set(ranking.intervals), fractions)
    for p in set(cmp.priced) - set(ranking.intervals):
        assert p in ranking.not_ranked  # every provider left out says why


# ----------------------------------------------------------------------------- the inversions of issue #24


def _starter() -> ClusterSpec:
    text = resources.files("kubefleet.templates").joinpath("starter.yaml").read_text()
    text = (text.replace("__NAME__", "starter").replace("__FILE__", "starter.yaml").replace("__PROVIDER__", "gke")
            .replace("__VERSION__", "1.33").replace("__SCHEMA__", "./cluster.schema.json"))
    return load_text(text, "starter.yaml")[0].spec


def test_init_spec_no_longer_crowns_the_dearer_provider() -> None:
    """Was: GKE ✓ cheapest at $596.03 over EKS at $528.43 (EKS carried the only unpriced item)."""
    cmp = compare(_starter(), PROVIDERS, as_of=AS_OF, catalog=CAT)
    assert cmp.cheapest is None
    text = cmp.ranking_basis
    assert "CloudWatch" in text and "--log-gb" in text  # which items prevent a ranking, and how to price them
    gke = cmp.priced["gke"]
    assert any("Cloud Logging" in u.reason and u.high is None for u in gke.unpriced)  # mentioned like CloudWatch
    priced = compare(_starter(), PROVIDERS, as_of=AS_OF, catalog=CAT, assumptions=Assumptions(log_gb_month=Decimal(10)))
    assert priced.cheapest == "eks"
    assert priced.priced["eks"].monthly_total < priced.priced["gke"].monthly_total


def test_orders_staging_says_the_free_credit_decides() -> None:
    """Was: GKE ✓ cheapest at $356.49 over EKS at $318.19. GKE now gets the zonal free-tier credit whatever the
    tier (as GKE applies it), but only one cluster per billing account does: the interval spans both."""
    spec = next(s.spec for s in load_file(ROOT / "examples" / "fleet.yaml") if s.spec.name == "orders-staging")
    cmp = compare(spec, PROVIDERS, as_of=AS_OF, catalog=CAT, assumptions=Assumptions(log_gb_month=Decimal(10)))
    lo, hi = cmp.ranking.intervals["gke"]
    assert hi is not None and hi - lo == Decimal("73.00")
    assert cmp.cheapest is None and any("free-tier credit" in x for x in cmp.ranking.blockers)


def test_single_gpu_regional_gke_pool_is_not_ranked_against_one_node() -> None:
    """A fixed count of 1 on a regional GKE pool runs 1 per zone × 3 zones: not like for like."""
    text = (ROOT / "tests" / "data" / "ranking" / "gpu1.yaml").read_text()
    spec = load_text(text, "gpu1.yaml")[0].spec
    cmp = compare(spec, PROVIDERS, as_of=AS_OF, catalog=CAT, assumptions=Assumptions(log_gb_month=Decimal(10)))
    assert "gke" in cmp.ranking.not_ranked and "per zone" in cmp.ranking.not_ranked["gke"]
    assert "3 node(s) in pool gpu where the spec asks 1" in cmp.ranking.not_ranked["gke"]
    assert cmp.cheapest == "eks"

"""``--currency``: a priced breakdown shown in another currency at the catalog's dated exchange rate.

Pricing stays in USD (every list price is in USD); conversion is a view over the priced lines. Each line's
USD amount, already rounded to the cent, is multiplied by the rate and rounded half up to the cent once;
every total, category and interval is the sum of converted lines, so they reconcile to the cent exactly as
the USD figures do (kubefleet.catalog.fx.ROUNDING_RULE).
"""

from __future__ import annotations

import dataclasses

from kubefleet.catalog.fx import FxRate
from kubefleet.cost.model import CostBreakdown, money


def convert_breakdown(b: CostBreakdown, rate: FxRate | None) -> CostBreakdown:
    """``b`` with every line, unpriced bound and total in ``rate.currency``; ``b`` itself when None (USD)."""
    if rate is None:
        return b
    if b.fx is not None:
        raise ValueError(f"{b.cluster}/{b.provider} is already converted to {b.currency}")
    r = rate.per_usd
    components = [dataclasses.replace(c, fx_rate=r) for c in b.components]
    unpriced = [dataclasses.replace(u, low=money(money(u.low) * r),
                                    high=None if u.high is None else money(money(u.high) * r))
                for u in b.unpriced]
    return dataclasses.replace(b, components=components, unpriced=unpriced, currency=rate.currency, fx=rate)

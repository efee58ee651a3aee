"""The dated exchange-rate table (data/fx.yaml): the ECB's euro reference rates for one day.

Costs are priced in USD. A figure converts to another currency at the cross rate
``(currency per EUR) / (USD per EUR)`` of the table's day; EUR itself is ``1 / (USD per EUR)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from importlib import resources
from pathlib import Path
from typing import Any

from kubefleet.catalog.loader import _Ctx, _date, _decimal, _mapping, _source, _sources, read_yaml
from kubefleet.catalog.models import Source
from kubefleet.errors import UsageError

FX_FILE = "fx.yaml"
#: the USD cross rate ((X per EUR) / (USD per EUR)) is kept to 10 decimal places, half up
RATE_PLACES = Decimal("1E-10")


@dataclass(frozen=True)
class FxRate:
    """How many units of ``currency`` one USD buys on ``day`` (the rate's date), and where it is from."""

    currency: str
    per_usd: Decimal
    day: date
    source: Source
    base: str = "EUR"

    def as_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "per_usd": str(self.per_usd), "rate_date": self.day.isoformat(),
                "source": self.source.url, "read": self.source.read.isoformat(),
                "rule": ROUNDING_RULE}

    def describe(self) -> str:
        return (f"converted from USD at 1 USD = {self.per_usd:f} {self.currency} (ECB euro reference "
                f"rates of {self.day}, read {self.source.read}: {self.source.url}); {ROUNDING_RULE}")


#: the one conversion rounding rule, stated in every format that converts
ROUNDING_RULE = ("cross rate (X per EUR) / (USD per EUR) to 10 decimal places; each line's USD amount (already rounded to the cent) × the rate, rounded half up to the "
                 "cent once; totals are sums of converted lines")


@dataclass(frozen=True)
class FxTable:
    day: date
    base: str
    source: Source
    per_eur: dict[str, Decimal]

    @property
    def currencies(self) -> list[str]:
        return sorted({"USD", self.base, *self.per_eur})

    def rate(self, currency: str) -> FxRate | None:
        """USD → ``currency``; None for USD itself (no conversion)."""
        code = currency.strip().upper()
        if code == "USD":
            return None
        usd = self.per_eur["USD"]
        if code == self.base:
            target = Decimal(1)
        elif code in self.per_eur:
            target = self.per_eur[code]
        else:
            raise UsageError(f"--currency {currency!r}: no exchange rate in the catalog",
                             hint="known currencies: " + ", ".join(self.currencies))
        with localcontext() as ctx:
            ctx.prec = 28
            per_usd = (target / usd).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        return FxRate(code, per_usd, self.day, self.source, self.base)


def parse_fx(data: Any, file: str) -> FxTable:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    source = _source(data, sources, ctx)
    day = _date(data.get("date"), ctx.at("date"))
    if source.published is not None and source.published != day:
        raise ctx.at("date").error(f"the rates' date {day} differs from the source's published date {source.published}")
    raw = _mapping(data.get("rates"), ctx.at("rates"))
    rates: dict[str, Decimal] = {}
    for code, value in raw.items():
        amount = _decimal(value, ctx.at("rates", code))
        if amount <= 0:
            raise ctx.at("rates", code).error(f"rate {amount} must be positive")
        rates[str(code).upper()] = amount
    if "USD" not in rates:
        raise ctx.at("rates").error("the USD rate is required (every price is in USD)")
    return FxTable(day=day, base=str(data.get("base", "EUR")), source=source, per_eur=rates)


@functools.lru_cache(maxsize=4)
def fx_table(overlay_dir: Path | None = None) -> FxTable:
    """The shipped table, or ``overlay_dir/fx.yaml`` (what ``kubefleet prices refresh -p fx`` writes) when
    that file exists; a refreshed file that does not parse is an error naming it (never a silent fallback)."""
    if overlay_dir is not None and (overlay_dir / FX_FILE).is_file():
        from kubefleet.catalog.loader import MAX_OVERLAY_BYTES, read_user_yaml
        from kubefleet.errors import CatalogError
        from kubefleet.safeio import FileProblem, read_text

        path = overlay_dir / FX_FILE
        try:
            return parse_fx(read_user_yaml(read_text(path, MAX_OVERLAY_BYTES), str(path)), str(path))
        except (CatalogError, FileProblem) as err:
            raise CatalogError(f"{path}: the refreshed exchange-rate table does not load: {err}",
                               hint=f"run `kubefleet prices refresh -p fx` again, or delete {path} to use the "
                               "shipped table") from None
    text = (resources.files("kubefleet.catalog") / "data" / FX_FILE).read_text(encoding="utf-8")
    return parse_fx(read_yaml(text, FX_FILE), FX_FILE)

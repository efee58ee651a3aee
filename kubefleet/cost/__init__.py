"""Cost: turn a rendered resource graph into priced components, and keep the price data current.

Owns the cost model's value types (:mod:`.model`: components, breakdowns, assumptions, money as
``Decimal``), the pricer that walks a graph and prices every resource or says why it is unpriced
(:mod:`.pricer`), and the price sources ``prices refresh`` reads from the clouds' list-price APIs into the
catalog overlay (:mod:`.sources`). Prices are read from :mod:`kubefleet.catalog`; every figure carries its
source and date, and nothing here reads the clock: ``as_of`` is always passed in. It may import the graph,
the catalog, the spec and the resolve step (``prices refresh`` prices what specs would run); never the
render's internals, the adapters or anything above it.
"""

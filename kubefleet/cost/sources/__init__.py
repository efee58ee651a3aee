"""Price sources: fetch current list prices from the providers' public price APIs into catalog files.

* :mod:`.cache` — ``cache_dir()`` (``$KUBEFLEET_HOME/prices``) and ``active_catalog()``, the catalog the
  pricing commands use (shipped files, replaced whole by refreshed ones);
* :mod:`.refresh` — ``refresh_provider()``: plan, fetch, build, write atomically after a coverage check;
* :mod:`.azure`, :mod:`.aws`, :mod:`.gcp` — one fetcher + parsers per API; :mod:`.transport` — urllib;
* :mod:`.show` — ``summarize()`` for ``kubefleet prices show``.

No typer/rich here; the CLI lives in ``cli/prices_cmds.py``.
"""

from __future__ import annotations

from kubefleet.cost.sources.cache import active_catalog, cache_dir, cached_file
from kubefleet.cost.sources.refresh import RefreshResult, refresh_provider
from kubefleet.cost.sources.show import STALE_AFTER_DAYS, ProviderInfo, summarize

__all__ = [
    "STALE_AFTER_DAYS",
    "ProviderInfo",
    "RefreshResult",
    "active_catalog",
    "cache_dir",
    "cached_file",
    "refresh_provider",
    "summarize",
]

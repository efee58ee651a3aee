"""Where refreshed catalog files live, and the catalog every pricing command should use.

``cache_dir()`` is ``$KUBEFLEET_HOME/prices`` (``~/.kubefleet/prices``). A file there (``aks.yaml``...)
replaces the shipped file of the same name whole (see :func:`kubefleet.catalog.load_catalog`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kubefleet.catalog import Catalog, load_catalog
from kubefleet.safeio import kubefleet_home


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$KUBEFLEET_HOME/prices`` (default ``~/.kubefleet/prices``); not created here."""
    return kubefleet_home(environ) / "prices"


def cached_file(provider: str, environ: Mapping[str, str] | None = None) -> Path:
    return cache_dir(environ) / f"{provider}.yaml"


def active_catalog(environ: Mapping[str, str] | None = None) -> Catalog:
    """The catalog the pricing commands use: the shipped one with any refreshed files from the cache (a
    cached file that does not load is left out, with a warning in ``catalog.warnings``)."""
    directory = cache_dir(environ)
    return load_catalog(directory if directory.is_dir() else None, strict=False)

"""The price & feature catalog: provider list prices (USD, ``Decimal``) and facts, each with its source.

``load_catalog()`` returns the shipped catalog (parsed once per process); ``load_catalog(overlay_dir)``
lets files of the same names in ``overlay_dir`` replace shipped files whole. Nothing here reads the
clock: ``as_of`` is the oldest ``read`` date among a provider's sources. Anything the catalog lacks
returns ``None`` (or is listed in ``gaps``), so the pricer can report it as unpriced, never as zero.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubefleet.catalog.loader import (
    CLOUD_PROVIDERS,
    ProviderData,
    overlay_parsed,
    parse_features,
    parse_istio,
    parse_kubeadm,
    parse_provider,
    shipped_parsed,
)
from kubefleet.catalog.models import (
    Accelerator,
    DiskTier,
    Feature,
    FeatureValue,
    Gap,
    InstanceType,
    NotPublished,
    Price,
    ResourceRequest,
    Source,
    VersionSupport,
)
from kubefleet.errors import CatalogError

if TYPE_CHECKING:
    from kubefleet.catalog.commitments import ProviderCommitments

__all__ = [
    "Accelerator",
    "Catalog",
    "DiskTier",
    "Feature",
    "FeatureValue",
    "Gap",
    "InstanceType",
    "NotPublished",
    "Price",
    "ResourceRequest",
    "Source",
    "VersionSupport",
    "load_catalog",
]


class Catalog:
    """Read-only view over the validated catalog files."""

    #: problems with refreshed (overlay) files that were left out; the CLI prints them as warnings
    warnings: list[str] = []  # replaced per instance, never mutated

    def __init__(self, files: dict[str, Any], origin: dict[str, str]) -> None:
        self._providers: dict[str, ProviderData] = {}
        for provider in CLOUD_PROVIDERS:
            name = f"{provider}.yaml"
            self._providers[provider] = parse_provider(files[name], origin[name], provider)
        self._kubeadm_sources, self._onprem = parse_kubeadm(files["kubeadm.yaml"], origin["kubeadm.yaml"])
        self._onprem_gpu = self._onprem.pop("gpu_hour", None)
        self._istio_sources, self._istio = parse_istio(files["istio.yaml"], origin["istio.yaml"])
        self._feature_sources, self._features, self._versions = parse_features(
            files["features.yaml"], origin["features.yaml"]
        )
        from kubefleet.catalog.commitments import parse_commitments

        self._commitments = parse_commitments(files["commitments.yaml"], origin["commitments.yaml"])

    # -- provenance ----------------------------------------------------------------------------------
    def sources(self, provider: str | None = None) -> list[Source]:
        """Every source (of one provider, or of the whole catalog), sorted by key."""
        found: dict[tuple[str, str], Source] = {}
        groups: list[tuple[str, dict[str, Source]]] = [(p, d.sources) for p, d in self._providers.items()]
        groups += [("kubeadm", self._kubeadm_sources), ("istio", self._istio_sources),
                   ("features", self._feature_sources)]
        for owner, table in groups:
            if provider is None or owner == provider:
                for key, src in table.items():
                    found[(owner, key)] = src
        return [found[k] for k in sorted(found)]

    def as_of(self, provider: str | None = None) -> date:
        """The oldest ``read`` date among the (provider's) sources: the honest "prices as of"."""
        srcs = self.sources(provider)
        if not srcs:
            raise CatalogError(f"no catalog sources for provider {provider!r}")
        return min(s.read for s in srcs)

    def data_as_of(self, provider: str | None = None) -> date | None:
        """The oldest published/generated date among the (provider's) dated sources, or ``None`` if none
        states one. Staleness is measured from this date, not from when the figures were read."""
        dated = [s.published for s in self.sources(provider) if s.published is not None]
        return min(dated) if dated else None

    # -- prices --------------------------------------------------------------------------------------
    def _provider(self, provider: str) -> ProviderData:
        try:
            return self._providers[provider]
        except KeyError:
            raise CatalogError(
                f"the catalog has no price data for provider {provider!r}",
                hint=f"known: {', '.join(self._providers)}; kubeadm is priced from onprem() rates",
            ) from None

    def regions(self, provider: str) -> list[str]:
        """Regions with at least one priced instance type."""
        return sorted(r for r, t in self._provider(provider).instances.items() if t)

    def instances(self, provider: str, region: str) -> list[InstanceType]:
        table = self._provider(provider).instances.get(region, {})
        return sorted(table.values(), key=lambda i: i.name)

    def instance(self, provider: str, region: str, name: str) -> InstanceType | None:
        return self._provider(provider).instances.get(region, {}).get(name)

    def fee(self, provider: str, key: str) -> Price | NotPublished | None:
        """A fee by dotted key, e.g. ``control_plane.standard``; ``None`` if the catalog lacks it."""
        return self._provider(provider).fees.get(key)

    def fees(self, provider: str) -> dict[str, Price | NotPublished]:
        return dict(self._provider(provider).fees)

    def storage(self, provider: str, region: str, disk_type: str) -> Price | None:
        return self._provider(provider).storage.get(region, {}).get(disk_type)

    def network(self, provider: str, region: str, item: str) -> Price | None:
        return self._provider(provider).network.get(region, {}).get(item)

    def disk_tier(self, provider: str, family: str, size_gib: Decimal) -> DiskTier | None:
        """The smallest size tier of ``family`` holding ``size_gib`` (disks billed per tier), or ``None``
        when the catalog has no tier ladder for the family or the disk is larger than its largest tier."""
        for tier in self._provider(provider).disk_tiers.get(family, []):
            if size_gib <= tier.max_gib:
                return tier
        return None

    def accelerator(self, provider: str, region: str, gpu_kind: str) -> Accelerator | None:
        """A GPU sold separately and attached to a VM (GKE T4 on N1), or ``None``."""
        return self._provider(provider).accelerators.get(region, {}).get(gpu_kind)

    def spot_factor(self, provider: str) -> Price | None:
        return self._provider(provider).spot

    def spot_floor(self, provider: str) -> Price | None:
        """The deepest published spot discount as a share of on-demand (None: none published)."""
        return self._provider(provider).spot_floor

    def gaps(self, provider: str | None = None) -> list[Gap]:
        """What the catalog knows it lacks, per provider."""
        out: list[Gap] = []
        for p, data in self._providers.items():
            if provider is None or p == provider:
                out.extend(data.gaps)
        return out

    def onprem(self) -> dict[str, Price | NotPublished]:
        """kubeadm cost-model defaults: vcpu_hour, gib_hour, disk_gb_month, vm_license_month."""
        return dict(self._onprem)

    def onprem_gpu(self) -> Price | NotPublished | None:
        """The on-prem GPU rate per GPU-hour (kubeadm.yaml costs.gpu_hour), or None if the catalog lacks it."""
        return self._onprem_gpu

    # -- facts ---------------------------------------------------------------------------------------
    def istio(self) -> dict[str, ResourceRequest]:
        """Istio chart-default requests: ``sidecar`` (per pod), ``istiod`` (per replica), ``ztunnel`` (per node)."""
        return dict(self._istio)

    def features(self) -> dict[str, Feature]:
        return dict(self._features)

    def commitments(self, provider: str) -> ProviderCommitments | None:
        """Purchase-option rates (commitments.yaml, or the refreshed one in the overlay dir)."""
        return self._commitments.get(provider)

    def versions(self, provider: str) -> dict[str, VersionSupport]:
        return dict(self._versions.get(provider, {}))


@functools.lru_cache(maxsize=1)
def _shipped_catalog() -> Catalog:
    files = shipped_parsed()
    return Catalog(files, {name: name for name in files})




def _read_overlay(overlay_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """The overlay files that can be read and parsed, and a warning for each that cannot (not UTF-8,
    unreadable, a FIFO, too large, not YAML)."""
    from kubefleet.catalog.loader import MAX_OVERLAY_BYTES, OTHER_FILES, PROVIDER_FILES, read_user_yaml
    from kubefleet.safeio import FileProblem, read_regular

    out: dict[str, Any] = {}
    warnings: list[str] = []
    for name in PROVIDER_FILES + OTHER_FILES:
        path = overlay_dir / name
        if not (path.exists() or path.is_symlink()):
            continue
        try:
            out[name] = read_user_yaml(read_regular(path, MAX_OVERLAY_BYTES).decode("utf-8"), str(path))
        except FileProblem as problem:
            warnings.append(f"{path}: {problem.message}")
        except UnicodeDecodeError as err:
            warnings.append(f"{path}: not UTF-8 text (byte {err.start})")
        except CatalogError as err:
            warnings.append(err.message[:300])
        except (RecursionError, ValueError, TypeError) as err:
            warnings.append(f"{path}: cannot be read ({type(err).__name__})")
    return out, warnings


def load_catalog(overlay_dir: Path | None = None, *, strict: bool = True) -> Catalog:
    """The shipped catalog, or the shipped catalog with files from ``overlay_dir`` replacing theirs.

    ``strict``: a bad overlay file raises CatalogError. Otherwise (the user's refreshed prices) it is
    left out, the shipped file of that name is used, and ``catalog.warnings`` says so: a bad refresh must
    never make every later command fail."""
    if overlay_dir is None:
        return _shipped_catalog()
    if strict:
        overlay = overlay_parsed(Path(overlay_dir))
        if not overlay:
            return _shipped_catalog()
        files = dict(shipped_parsed())
        origin = {name: name for name in files}
        for name, data in overlay.items():
            files[name] = data
            origin[name] = str(Path(overlay_dir) / name)
        return Catalog(files, origin)
    overlay, warnings = _read_overlay(Path(overlay_dir))
    if not overlay and not warnings:
        return _shipped_catalog()
    files = dict(shipped_parsed())
    origin = {name: name for name in files}
    for name, data in overlay.items():
        trial_files, trial_origin = dict(files), dict(origin)
        trial_files[name], trial_origin[name] = data, str(Path(overlay_dir) / name)
        try:
            Catalog(trial_files, trial_origin)
        except (CatalogError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as err:
            text = err.message if isinstance(err, CatalogError) else f"{type(err).__name__}: {err}"
            warnings.append(f"{Path(overlay_dir) / name}: {text[:300]}")
            continue
        files, origin = trial_files, trial_origin
    catalog = Catalog(files, origin) if any(o != n for n, o in origin.items()) else _shipped_catalog()
    if warnings:
        catalog = copy.copy(catalog)
        catalog.warnings = [*warnings, "the shipped catalog is used in their place; run `kubefleet prices "
                            "refresh` again or delete the files"]
    return catalog

"""Azure VM size features that decide where AKS Pod Sandboxing (Kata) can run (data/vm-features.yaml).

AKS runs ``workloadRuntime: KataVmIsolation`` only on "a generation 2 VM [size that] supports nested
virtualization" with the Azure Linux OS SKU (MicrosoftDocs/azure-aks-docs@fb060ab
articles/aks/use-pod-sandboxing.md:64-65). Each size series in the file carries the "Feature support" row of
Microsoft's size page at a pinned commit, with its source. Sizes the file does not list are unknown (None).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kubefleet.catalog.loader import _Ctx, _mapping, _source, _sources, _str, read_yaml
from kubefleet.catalog.models import Source

VM_FEATURES_FILE = "vm-features.yaml"


@dataclass(frozen=True)
class VmFeatures:
    """One size's Pod Sandboxing prerequisites, as its series' size page states them."""

    size: str
    series: str
    generation2: bool
    nested_virtualization: bool
    source: Source

    @property
    def runs_kata(self) -> bool:
        """Whether AKS Pod Sandboxing can run on the size (generation 2 and nested virtualization)."""
        return self.generation2 and self.nested_virtualization

    def missing(self) -> list[str]:
        return [what for what, ok in (("generation 2 VMs", self.generation2),
                                      ("nested virtualization", self.nested_virtualization)) if not ok]


def _bool(value: Any, ctx: _Ctx) -> bool:
    if not isinstance(value, bool):
        raise ctx.error("expected true or false")
    return value


def parse_vm_features(data: Any, file: str) -> dict[str, VmFeatures]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    out: dict[str, VmFeatures] = {}
    for series, entry in _mapping(data.get("series"), ctx.at("series")).items():
        c = ctx.at("series", series)
        entry = _mapping(entry, c)
        src = _source(entry, sources, c)
        gen2 = _bool(entry.get("generation2"), c.at("generation2"))
        nested = _bool(entry.get("nested_virtualization"), c.at("nested_virtualization"))
        sizes = entry.get("sizes")
        if not isinstance(sizes, list) or not sizes:
            raise c.at("sizes").error("expected a non-empty list of VM sizes")
        for size in sizes:
            name = _str(size, c.at("sizes"))
            if name in out:
                raise c.at("sizes").error(f"{name} is listed twice")
            out[name] = VmFeatures(name, str(series), gen2, nested, src)
    return out


@functools.lru_cache(maxsize=1)
def vm_features() -> dict[str, VmFeatures]:
    """Every size the file lists, by name."""
    text = (resources.files("kubefleet.catalog") / "data" / VM_FEATURES_FILE).read_text(encoding="utf-8")
    return parse_vm_features(read_yaml(text, VM_FEATURES_FILE), VM_FEATURES_FILE)


def features_of(size: str) -> VmFeatures | None:
    return vm_features().get(size)

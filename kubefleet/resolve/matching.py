"""Shape matching: a neutral ``Machine`` (vCPUs, GiB, GPUs) to one provider's instance type.

Rule: a pinned type wins. Otherwise the cheapest current-generation x86_64 type in the region that
has at least the requested vCPUs and memory and, for GPU shapes, at least the requested count of the
requested GPU kind - either built into the type (g6, NC A100 v4) or attached to a VM and priced with
it (GKE N1 + T4, when the catalog lists the accelerator). The VMs an accelerator entry names in
``attach_to`` are candidates for it even when they are not current-generation (GCE attaches a T4 only
to first-generation N1); they never serve CPU-only shapes. If the provider does not offer the GPU kind
in that region, the nearest better kind is used and ``gpu_note`` says so (reported as "emulated").
Ties break on price, then vCPUs, memory and name, so the result is deterministic.

kubeadm has no instance catalog: its VMs are exactly the shape, so ``match_instance`` returns a Match
with ``instance=None`` and the synthetic name ``vsphere-<n>vcpu-<m>gib``; the pricer prices it from
``Catalog.onprem()`` rates (or the spec's overrides).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kubefleet.catalog import Accelerator, Catalog, InstanceType
from kubefleet.errors import CatalogError
from kubefleet.spec.model import Machine

# Ordered from least to most capable; a fallback only ever moves right.
GPU_ORDER: tuple[str, ...] = ("nvidia-t4", "nvidia-l4", "nvidia-a100", "nvidia-h100")


@dataclass(frozen=True)
class Match:
    provider: str
    region: str
    instance: InstanceType | None
    reason: str
    pinned: bool = False
    pinned_name: str | None = None
    gpu_note: str | None = None
    accelerator: Accelerator | None = None
    accelerator_count: int = 0

    @property
    def name(self) -> str:
        if self.instance is not None:
            return self.instance.name
        assert self.pinned_name is not None
        return self.pinned_name

    @property
    def priced(self) -> bool:
        return self.instance is not None

    @property
    def hourly_price(self) -> Decimal | None:
        """VM price plus attached accelerators, per node-hour; ``None`` when unpriced."""
        if self.instance is None:
            return None
        total = self.instance.price.amount
        if self.accelerator is not None:
            total += self.accelerator.price.amount * self.accelerator_count
        return total

    @property
    def emulated(self) -> bool:
        return self.gpu_note is not None


def kubeadm_vm_name(machine: Machine) -> str:
    return f"vsphere-{machine.vcpus}vcpu-{machine.memory_gib}gib"


@dataclass(frozen=True)
class _Candidate:
    instance: InstanceType
    accelerator: Accelerator | None
    accelerator_count: int

    @property
    def price(self) -> Decimal:
        extra = self.accelerator.price.amount * self.accelerator_count if self.accelerator else Decimal(0)
        return self.instance.price.amount + extra

    def key(self) -> tuple[Decimal, int, Decimal, str]:
        return (self.price, self.instance.vcpus, self.instance.memory_gib, self.instance.name)


def _fits(inst: InstanceType, machine: Machine) -> bool:
    return inst.vcpus >= machine.vcpus and inst.memory_gib >= machine.memory_gib


def _eligible(inst: InstanceType) -> bool:
    return inst.current and inst.arch == "x86_64"


def _cpu_candidates(types: list[InstanceType], machine: Machine) -> list[_Candidate]:
    return [_Candidate(i, None, 0) for i in types if _eligible(i) and i.gpu_kind is None and _fits(i, machine)]


def _gpu_candidates(catalog: Catalog, provider: str, region: str, types: list[InstanceType],
                    machine: Machine, kind: str, count: int) -> list[_Candidate]:
    out = [
        _Candidate(i, None, 0)
        for i in types
        if _eligible(i) and i.gpu_kind == kind and i.gpu_count >= count and _fits(i, machine)
    ]
    acc = catalog.accelerator(provider, region, kind)
    if acc is not None:
        by_name = {i.name: i for i in types}
        for vm_name in acc.attach_to:
            vm = by_name.get(vm_name)
            # attach_to names the host VMs explicitly, so a previous-generation host (N1) is allowed here
            if vm is not None and vm.arch == "x86_64" and vm.gpu_kind is None and _fits(vm, machine):
                out.append(_Candidate(vm, acc, count))
    return out


def _describe(machine: Machine) -> str:
    text = f"≥{machine.vcpus} vCPU and ≥{machine.memory_gib} GiB"
    if machine.gpu is not None:
        text += f" with {machine.gpu.count}× {machine.gpu.kind}"
    return text


def match_instance(catalog: Catalog, provider: str, region: str, machine: Machine, pinned: str | None) -> Match:
    """The instance type for ``machine`` on ``provider`` in ``region`` (see the module docstring)."""
    if provider == "kubeadm":
        name = kubeadm_vm_name(machine)
        return Match(provider, region, None, f"kubeadm VMs are sized exactly to the shape: {name}",
                     pinned=False, pinned_name=name)

    if pinned:
        inst = catalog.instance(provider, region, pinned)
        if inst is None:
            return Match(provider, region, None,
                         f"pinned type {pinned} is not in the {provider} catalog for {region}; it is unpriced",
                         pinned=True, pinned_name=pinned)
        note = None
        if machine.gpu is not None and (inst.gpu_kind != machine.gpu.kind or inst.gpu_count < machine.gpu.count):
            note = (f"pinned type {pinned} has {inst.gpu_count}× {inst.gpu_kind or 'no GPU'}, "
                    f"not the requested {machine.gpu.count}× {machine.gpu.kind}")
        return Match(provider, region, inst, f"pinned type {pinned} at ${inst.price.amount}/h",
                     pinned=True, pinned_name=pinned, gpu_note=note)

    types = catalog.instances(provider, region)
    if not types:
        raise CatalogError(
            f"the {provider} catalog has no instance prices for region {region}",
            hint=f"regions with prices: {', '.join(catalog.regions(provider)) or 'none'}; "
            "pin an instance type to build anyway (it will be reported as unpriced)",
        )

    gpu_note: str | None = None
    if machine.gpu is None:
        candidates = _cpu_candidates(types, machine)
    else:
        wanted, count = machine.gpu.kind, machine.gpu.count
        candidates = _gpu_candidates(catalog, provider, region, types, machine, wanted, count)
        if not candidates:
            for better in GPU_ORDER[GPU_ORDER.index(wanted) + 1 :]:
                candidates = _gpu_candidates(catalog, provider, region, types, machine, better, count)
                if candidates:
                    gpu_note = (f"{wanted} is not offered by {provider} in {region}; "
                                f"using {better}, the nearest better GPU (emulated parity)")
                    break

    if not candidates:
        biggest = max(types, key=lambda i: (i.vcpus, i.memory_gib))
        raise CatalogError(
            f"no current-generation {provider} instance type in {region} has {_describe(machine)}",
            hint=f"largest listed: {biggest.name} ({biggest.vcpus} vCPU, {biggest.memory_gib} GiB); "
            "shrink the shape, split the pool, or pin a type",
        )

    best = min(candidates, key=_Candidate.key)
    what = "type" if machine.gpu is None else "GPU type"
    label = best.instance.name
    if best.accelerator is not None:
        label += f" + {best.accelerator_count}× {best.accelerator.gpu_kind}"
    kind = f"current-generation {what}" if best.accelerator is None else "VM + attached GPU"
    reason = f"cheapest {kind} with {_describe(machine)} in {region}: {label} at ${best.price}/h"
    return Match(provider, region, best.instance, reason, gpu_note=gpu_note,
                 accelerator=best.accelerator, accelerator_count=best.accelerator_count)

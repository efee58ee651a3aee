"""EKS: the AMI type of each managed node group, chosen from the catalog's facts about its instance type.

A managed node group runs one of the AMI types EKS publishes (the ``AMITypes`` enum of the EKS API model,
botocore ``eks`` ``AMITypes``); which one fits depends on the instance type's CPU architecture and
accelerator, not on its name. The catalog lists both for every EC2 type it knows (``arch``, ``gpu_kind`` in
kubefleet/catalog/data/eks.yaml, from the EC2 instance-type pages), so the choice is made here, before
the program runs, and the adapter only writes ``InstanceChoice.node_image`` into ``amiType``:

=========  ===========  ==========================
arch       accelerator  AMI type (Amazon Linux 2023)
=========  ===========  ==========================
x86_64     none         AL2023_x86_64_STANDARD
arm64      none         AL2023_ARM_64_STANDARD
x86_64     NVIDIA GPU   AL2023_x86_64_NVIDIA
arm64      NVIDIA GPU   AL2023_ARM_64_NVIDIA
x86_64     AWS Neuron   AL2023_x86_64_NEURON
=========  ===========  ==========================

A type the catalog does not list (a pin) has no known architecture: it is refused with the reason
instead of guessed from its name (an x86 AMI on a Graviton type, or a standard AMI on a GPU type, fails only
when the node group's instances do not join, long after ``up`` started).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from kubefleet.errors import CatalogError
from kubefleet.resolve.model import InstanceChoice

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog

#: (arch, accelerator vendor) -> AMI type; every value is a member of botocore's eks AMITypes enum
AMI_TYPES: Final[Mapping[tuple[str, str | None], str]] = {
    ("x86_64", None): "AL2023_x86_64_STANDARD",
    ("arm64", None): "AL2023_ARM_64_STANDARD",
    ("x86_64", "nvidia"): "AL2023_x86_64_NVIDIA",
    ("arm64", "nvidia"): "AL2023_ARM_64_NVIDIA",
    ("x86_64", "neuron"): "AL2023_x86_64_NEURON",
}


def accelerator_vendor(gpu_kind: str | None) -> str | None:
    """nvidia-* GPUs need the NVIDIA AMI; AWS Inferentia/Trainium (aws-inferentia*, aws-trainium*) the Neuron AMI."""
    if gpu_kind is None:
        return None
    if gpu_kind.startswith("nvidia-"):
        return "nvidia"
    if gpu_kind.startswith(("aws-inferentia", "aws-trainium")):
        return "neuron"
    return gpu_kind


def _catalog_arch(catalog: Catalog, region: str, name: str) -> tuple[str, str | None] | None:
    """(arch, gpu_kind) the catalog lists for ``name``: this region's entry, else any region's (the facts of
    an EC2 type do not change between regions; only its price and presence do)."""
    regions = [region, *sorted(r for r in catalog.regions("eks") if r != region)]
    for r in regions:
        inst = catalog.instance("eks", r, name)
        if inst is not None:
            return inst.arch, inst.gpu_kind
    return None


def ami_type(pool: str, choice: InstanceChoice, catalog: Catalog, region: str) -> str:
    facts = (choice.arch, choice.gpu_kind) if choice.arch is not None else _catalog_arch(catalog, region, choice.name)
    if facts is None:
        raise CatalogError(
            f"node pool {pool!r}: instance type {choice.name} is not in the EKS catalog, so its CPU architecture "
            "and accelerator are unknown and the node group's AMI type (x86_64 / ARM_64, STANDARD / NVIDIA / "
            "NEURON) cannot be chosen",
            hint="pin an instance type the catalog lists (`kubefleet prices show -p eks`), or add the type with "
                 "its arch and gpu_kind to kubefleet/catalog/data/eks.yaml")
    arch, gpu_kind = facts
    found = AMI_TYPES.get((arch, accelerator_vendor(gpu_kind)))
    if found is None:
        raise CatalogError(
            f"node pool {pool!r}: EKS publishes no Amazon Linux 2023 AMI type for {arch} with {gpu_kind} "
            f"({choice.name})", hint="choose another instance type")
    return found


def with_ami_types(instances: Mapping[str, InstanceChoice], catalog: Catalog, region: str) -> dict[str, InstanceChoice]:
    """Every pool's choice with its architecture and AMI type filled in."""
    out = {}
    for pool, choice in instances.items():
        facts = _catalog_arch(catalog, region, choice.name) if choice.arch is None else None
        arch = choice.arch if choice.arch is not None else (facts[0] if facts else None)
        out[pool] = replace(choice, arch=arch, node_image=ami_type(pool, choice, catalog, region))
    return out

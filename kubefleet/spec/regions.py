"""Neutral region names and what each provider calls them.

A spec names a neutral region (``us-east``); each adapter asks this table for its own region, unless
the spec overrides it under ``spec.providers.<name>``. The pairs are chosen to be geographically close
(same metro or country where the clouds allow), so "identical" clusters are also comparable in latency.
"""

from __future__ import annotations

from typing import Final

PROVIDERS: Final = ("gke", "eks", "aks", "kubeadm")

# neutral name -> provider -> provider's region (kubeadm: an on-prem site label, informational only)
REGIONS: Final[dict[str, dict[str, str]]] = {
    # Northern Virginia on all three clouds.
    "us-east": {"gke": "us-east4", "eks": "us-east-1", "aks": "eastus", "kubeadm": "us-east"},
    # Oregon (GCP, AWS) and Washington state (Azure West US 2).
    "us-west": {"gke": "us-west1", "eks": "us-west-2", "aks": "westus2", "kubeadm": "us-west"},
    # Netherlands (GCP europe-west4, Azure West Europe) and Ireland (AWS eu-west-1).
    "europe-west": {"gke": "europe-west4", "eks": "eu-west-1", "aks": "westeurope", "kubeadm": "europe-west"},
    # Singapore on all three clouds.
    "asia-southeast": {
        "gke": "asia-southeast1",
        "eks": "ap-southeast-1",
        "aks": "southeastasia",
        "kubeadm": "asia-southeast",
    },
}


def provider_region(neutral: str, provider: str) -> str:
    """The provider's own region name for a neutral region (KeyError if unknown)."""
    return REGIONS[neutral][provider]

#: what people type for a provider -> the Kubernetes service kubefleet names (did-you-mean hints)
PROVIDER_ALIASES: Final[dict[str, str]] = {
    "gcp": "gke", "google": "gke", "gce": "gke", "google-cloud": "gke",
    "aws": "eks", "amazon": "eks", "ec2": "eks",
    "azure": "aks", "microsoft": "aks",
    "vsphere": "kubeadm", "vmware": "kubeadm", "onprem": "kubeadm", "on-prem": "kubeadm",
}


def provider_alias(name: str) -> str | None:
    """``gcp`` -> ``gke``, ``aws`` -> ``eks``, ``azure`` -> ``aks``; None if ``name`` is no known alias."""
    return PROVIDER_ALIASES.get(name.strip().lower())


def region_hint(value: str) -> str | None:
    """A did-you-mean for a provider-native region written where a neutral one belongs:
    ``us-east-1`` -> "did you mean 'us-east'? ('us-east-1' is EKS's name for it ...)"."""
    key = value.strip().lower()
    for neutral, names in REGIONS.items():
        for provider, native in names.items():
            if provider != "kubeadm" and native.lower() == key:
                return (f"did you mean {neutral!r}? ({value!r} is {provider.upper()}'s name for it; a provider's "
                        f"own region goes under `providers: {{{provider}: {{{_REGION_KEY[provider]}: {native}}}}}`)")
    return None


_REGION_KEY: Final[dict[str, str]] = {"gke": "region", "eks": "region", "aks": "location"}

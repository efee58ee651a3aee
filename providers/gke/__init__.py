"""GKE adapter: Google Kubernetes Engine (Standard edition) through pulumi_gcp."""

from kubefleet.providers.gke.adapter import GkeAdapter

__all__ = ["GkeAdapter"]

"""kubefleet: one provider-neutral Kubernetes cluster spec, four targets, costs side by side."""

__version__ = "0.1.0"

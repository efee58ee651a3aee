#!/usr/bin/env bash
# Calico (tigera-operator) with the spec's pod CIDR: Cluster API leaves the CNI to the user, and the
# operator manifest is larger than a ClusterResourceSet ConfigMap may be (1 MiB), so each control-plane
# machine applies it after `kubeadm init|join` (KubeadmControlPlane postKubeadmCommands). Server-side
# apply makes the second and third masters' runs no-ops. Usage: kubefleet-calico.sh VERSION POD_CIDR
set -euo pipefail

VERSION=$1
POD_CIDR=$2
export KUBECONFIG=/etc/kubernetes/admin.conf

retry() {
  local attempts=$1 pause=$2 n=1
  shift 2
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      return 1
    fi
    n=$((n + 1))
    sleep "$pause"
  done
}

curl -fsSL --retry 5 "https://raw.githubusercontent.com/projectcalico/calico/${VERSION}/manifests/tigera-operator.yaml" \
  -o /run/kubefleet-tigera-operator.yaml
retry 30 10 kubectl apply --server-side --force-conflicts -f /run/kubefleet-tigera-operator.yaml
kubectl wait --for=condition=Established --timeout=300s crd/installations.operator.tigera.io
cat > /run/kubefleet-calico-installation.yaml <<YAML
apiVersion: operator.tigera.io/v1
kind: Installation
metadata:
  name: default
spec:
  calicoNetwork:
    ipPools:
      - cidr: ${POD_CIDR}
        encapsulation: VXLANCrossSubnet
        natOutgoing: Enabled
        nodeSelector: all()
YAML
retry 30 10 kubectl apply --server-side -f /run/kubefleet-calico-installation.yaml

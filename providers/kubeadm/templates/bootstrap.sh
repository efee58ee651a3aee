#!/bin/bash
# kubefleet node bootstrap (cloud-init runcmd). Static script: every per-node value comes from
# /etc/kubefleet/bootstrap.env and every secret from the kubeadm config files next to it (mode 0600).
# ROLE: init (first control-plane node) | control-plane (further masters) | worker.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/kubefleet/bootstrap.env

: "${ROLE:?}" "${K8S_MINOR:?}" "${CONTROL_PLANE_VIP:?}" "${KUBE_VIP_VERSION:?}" "${CALICO_VERSION:?}"
K8S_PACKAGE_VERSION="${K8S_PACKAGE_VERSION:-}"
SANDBOX="${SANDBOX:-false}"

log() { printf '%s kubefleet: %s\n' "$(date -u +%FT%TZ)" "$*"; }

prepare_host() {
  log "preparing host (swap, kernel modules, sysctl)"
  swapoff -a
  sed -i '/\sswap\s/ s/^/#/' /etc/fstab
  printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/kubernetes.conf
  modprobe overlay
  modprobe br_netfilter
  cat > /etc/sysctl.d/99-kubernetes.conf <<'SYSCTL'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
SYSCTL
  sysctl --system >/dev/null
}

install_containerd() {
  log "installing containerd"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q apt-transport-https ca-certificates curl gpg containerd
  mkdir -p /etc/containerd
  containerd config default > /etc/containerd/config.toml
  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
  systemctl restart containerd
  systemctl enable containerd
}

install_gvisor() {
  log "installing gVisor (runsc) as the containerd runtime handler 'runsc'"
  curl -fsSL https://gvisor.dev/archive.key | gpg --dearmor --yes -o /usr/share/keyrings/gvisor-archive-keyring.gpg
  echo "deb [signed-by=/usr/share/keyrings/gvisor-archive-keyring.gpg] https://storage.googleapis.com/gvisor/releases release main" \
    > /etc/apt/sources.list.d/gvisor.list
  apt-get update -q
  apt-get install -y -q runsc
  cat >> /etc/containerd/config.toml <<'TOML'

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML
  systemctl restart containerd
}

install_kubernetes() {
  log "installing kubelet, kubeadm and kubectl ${K8S_PACKAGE_VERSION:-latest of v${K8S_MINOR}} from pkgs.k8s.io"
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/Release.key" \
    | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/ /" \
    > /etc/apt/sources.list.d/kubernetes.list
  apt-get update -q
  local pkgs=(kubelet kubeadm kubectl)
  if [ -n "${K8S_PACKAGE_VERSION}" ]; then
    pkgs=("kubelet=${K8S_PACKAGE_VERSION}" "kubeadm=${K8S_PACKAGE_VERSION}" "kubectl=${K8S_PACKAGE_VERSION}")
  fi
  apt-get install -y -q "${pkgs[@]}"
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
}

write_kube_vip() {
  # $1: the kubeconfig kube-vip uses. During `kubeadm init` only super-admin.conf is authorised
  # (kubeadm >= 1.29 creates admin.conf's RBAC binding late), so the first node switches afterwards.
  local kubeconfig="$1" iface
  iface="$(ip -o route get 1.1.1.1 | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}')"
  log "kube-vip announces ${CONTROL_PLANE_VIP} on ${iface} (ARP, leader election)"
  mkdir -p /etc/kubernetes/manifests
  cat > /etc/kubernetes/manifests/kube-vip.yaml <<MANIFEST
apiVersion: v1
kind: Pod
metadata:
  name: kube-vip
  namespace: kube-system
spec:
  hostNetwork: true
  hostAliases:
    - hostnames: [kubernetes]
      ip: 127.0.0.1
  containers:
    - name: kube-vip
      image: ghcr.io/kube-vip/kube-vip:${KUBE_VIP_VERSION}
      args: [manager]
      env:
        - {name: vip_arp, value: "true"}
        - {name: port, value: "6443"}
        - {name: vip_interface, value: "${iface}"}
        - {name: vip_cidr, value: "32"}
        - {name: cp_enable, value: "true"}
        - {name: cp_namespace, value: kube-system}
        - {name: vip_leaderelection, value: "true"}
        - {name: vip_leasename, value: plndr-cp-lock}
        - {name: vip_leaseduration, value: "5"}
        - {name: vip_renewdeadline, value: "3"}
        - {name: vip_retryperiod, value: "1"}
        - {name: address, value: "${CONTROL_PLANE_VIP}"}
      securityContext:
        capabilities:
          add: [NET_ADMIN, NET_RAW]
      volumeMounts:
        - {mountPath: /etc/kubernetes/admin.conf, name: kubeconfig}
  volumes:
    - name: kubeconfig
      hostPath: {path: ${kubeconfig}}
MANIFEST
}

kubeadm_init() {
  write_kube_vip /etc/kubernetes/super-admin.conf
  log "kubeadm init (control-plane endpoint ${CONTROL_PLANE_VIP}:6443)"
  kubeadm init --config /etc/kubefleet/kubeadm.yaml --upload-certs
  sed -i 's#path: /etc/kubernetes/super-admin.conf#path: /etc/kubernetes/admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml
  export KUBECONFIG=/etc/kubernetes/admin.conf
  log "installing Calico ${CALICO_VERSION} (tigera-operator) with the pod CIDR from the spec"
  kubectl create -f "https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/tigera-operator.yaml"
  until kubectl get crd installations.operator.tigera.io >/dev/null 2>&1; do sleep 5; done
  kubectl wait --for=condition=Established --timeout=300s crd/installations.operator.tigera.io
  kubectl apply -f /etc/kubefleet/calico-installation.yaml
  if [ -f /etc/kubefleet/runtimeclass.yaml ]; then
    kubectl apply -f /etc/kubefleet/runtimeclass.yaml
  fi
}

kubeadm_join() {
  local attempt=0
  until kubeadm join --config /etc/kubefleet/kubeadm-join.yaml; do
    attempt=$((attempt + 1))
    if [ "${attempt}" -ge 60 ]; then
      log "giving up after ${attempt} join attempts"
      return 1
    fi
    log "join attempt ${attempt} failed (first control-plane node not ready yet?); retrying in 20s"
    kubeadm reset --force
    sleep 20
  done
}

main() {
  prepare_host
  install_containerd
  if [ "${SANDBOX}" = "true" ]; then
    install_gvisor
  fi
  install_kubernetes
  case "${ROLE}" in
    init) kubeadm_init ;;
    control-plane)
      # The first master already serves the VIP; a joining master adds its kube-vip afterwards (join's
      # preflight wants an empty manifests directory) and takes part in the leader election.
      kubeadm_join
      write_kube_vip /etc/kubernetes/admin.conf
      ;;
    worker) kubeadm_join ;;
    *)
      log "unknown role ${ROLE}"
      exit 2
      ;;
  esac
  log "bootstrap finished (${ROLE})"
}

main "$@"

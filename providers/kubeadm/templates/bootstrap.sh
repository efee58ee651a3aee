#!/bin/bash
# kubefleet node bootstrap, run by kubefleet-bootstrap.service (enabled by cloud-init's runcmd) until it
# succeeds: systemd restarts it on failure and after a reboot; finished steps leave a marker under
# /var/lib/kubefleet and are skipped on the next run. Every network step is retried a bounded number of
# times and every wait is bounded. Static script: every per-node value comes from
# /etc/kubefleet/bootstrap.env and every secret from the files next to it (mode 0600).
# ROLE: init (first master, on the run that creates the cluster) | control-plane | worker.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/kubefleet/bootstrap.env

: "${ROLE:?}" "${K8S_MINOR:?}" "${CONTROL_PLANE_VIP:?}" "${KUBE_VIP_VERSION:?}" "${CALICO_VERSION:?}"
K8S_PACKAGE_VERSION="${K8S_PACKAGE_VERSION:-}"
SANDBOX="${SANDBOX:-false}"

STATE_DIR=/var/lib/kubefleet
mkdir -p "${STATE_DIR}"

log() { printf '%s kubefleet: %s\n' "$(date -u +%FT%TZ)" "$*"; }

# retry ATTEMPTS DELAY_SECONDS COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  local attempts="$1" delay="$2" n=1
  shift 2
  until "$@"; do
    if [ "${n}" -ge "${attempts}" ]; then
      log "giving up after ${n} attempts: $*"
      return 1
    fi
    log "attempt ${n}/${attempts} failed: $*; retrying in ${delay}s"
    n=$((n + 1))
    sleep "${delay}"
  done
}

# step NAME FUNCTION: run FUNCTION once; a marker makes a re-run after a reboot skip it.
step() {
  local name="$1"
  shift
  if [ -e "${STATE_DIR}/${name}.done" ]; then
    log "step ${name}: already done"
    return 0
  fi
  "$@"
  touch "${STATE_DIR}/${name}.done"
}

apt_install() {
  retry 10 15 apt-get update -q
  retry 5 15 apt-get install -y -q "$@"
}

fetch() {
  # fetch URL OUTPUT: bounded download (connect timeout, total timeout, curl's own retries)
  curl -fsSL --connect-timeout 10 --max-time 300 --retry 5 --retry-delay 10 --retry-all-errors -o "$2" "$1"
}

# The API server answers /readyz through the VIP: the cluster already exists.
api_answers() {
  curl -fsS --connect-timeout 5 --max-time 10 --cacert /etc/kubernetes/pki/ca.crt \
    "https://${CONTROL_PLANE_VIP}:6443/readyz" >/dev/null 2>&1
}

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

# containerd's CRI runtime table moved in containerd 2.x (config version 3):
#   1.x: [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<name>]
#   2.x: [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.<name>]
# (containerd/containerd docs/cri/config.md, "Version 3" vs "Version 2" sections). Both versions' default
# config carries `SystemdCgroup = false` under runc's options; the kubelet uses the systemd cgroup driver
# (kubeadm's default since 1.22), so every runtime - runc and runsc - must say SystemdCgroup = true.
cri_runtimes_table() {
  if grep -q '"io.containerd.cri.v1.runtime"' "${CONTAINERD_CONFIG:-/etc/containerd/config.toml}"; then
    echo 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'
  else
    echo 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
  fi
}

install_containerd() {
  log "installing containerd"
  export DEBIAN_FRONTEND=noninteractive
  apt_install apt-transport-https ca-certificates curl gpg containerd
  mkdir -p /etc/containerd
  containerd config default > /etc/containerd/config.toml
  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
  systemctl restart containerd
  systemctl enable containerd
}

install_gvisor() {
  log "installing gVisor (runsc) as the containerd runtime handler 'runsc'"
  fetch https://gvisor.dev/archive.key /tmp/gvisor.key
  gpg --dearmor --yes -o /usr/share/keyrings/gvisor-archive-keyring.gpg /tmp/gvisor.key
  echo "deb [signed-by=/usr/share/keyrings/gvisor-archive-keyring.gpg] https://storage.googleapis.com/gvisor/releases release main" \
    > /etc/apt/sources.list.d/gvisor.list
  apt_install runsc
  local table
  table="$(cri_runtimes_table)"
  if ! grep -qF "[${table}.runsc]" /etc/containerd/config.toml; then
    # The runsc shim takes its runsc flags from ConfigPath's [runsc_config]; systemd-cgroup there is the
    # runsc counterpart of runc's SystemdCgroup (google/gvisor@e662c3381dd1c2cb8e4915275d4c1c256581e8b4:
    # g3doc/user_guide/containerd/configuration.md).
    cat >> /etc/containerd/config.toml <<TOML

[${table}.runsc]
  runtime_type = "io.containerd.runsc.v1"
[${table}.runsc.options]
  TypeUrl = "io.containerd.runsc.v1.options"
  ConfigPath = "/etc/containerd/runsc.toml"
TOML
  fi
  cat > /etc/containerd/runsc.toml <<'TOML'
[runsc_config]
  systemd-cgroup = "true"
TOML
  systemctl restart containerd
}

install_kubernetes() {
  log "installing kubelet, kubeadm and kubectl ${K8S_PACKAGE_VERSION:-latest of v${K8S_MINOR}} from pkgs.k8s.io"
  install -d -m 0755 /etc/apt/keyrings
  fetch "https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/Release.key" /tmp/kubernetes-release.key
  gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /tmp/kubernetes-release.key
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/ /" \
    > /etc/apt/sources.list.d/kubernetes.list
  local pkgs=(kubelet kubeadm kubectl)
  if [ -n "${K8S_PACKAGE_VERSION}" ]; then
    pkgs=("kubelet=${K8S_PACKAGE_VERSION}" "kubeadm=${K8S_PACKAGE_VERSION}" "kubectl=${K8S_PACKAGE_VERSION}")
  fi
  apt_install "${pkgs[@]}"
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
  # The token and the CA keys stay out of the console and cloud-init's output log: kubeadm prints the
  # join command with the token unless told not to (kubeadm init --skip-token-print; there is no
  # certificate key to print, as kubefleet does not use --upload-certs). `--skip-*` flags may be mixed
  # with --config (kubernetes/kubernetes@76179d26cd1f015764305b61d05937143afea55c:
  # cmd/kubeadm/app/apis/kubeadm/validation/validation.go isAllowedFlag).
  kubeadm init --config /etc/kubefleet/kubeadm.yaml --skip-token-print
  sed -i 's#path: /etc/kubernetes/super-admin.conf#path: /etc/kubernetes/admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml
}

install_addons() {
  export KUBECONFIG=/etc/kubernetes/admin.conf
  log "installing Calico ${CALICO_VERSION} (tigera-operator) with the pod CIDR from the spec"
  fetch "https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/tigera-operator.yaml" /etc/kubefleet/tigera-operator.yaml
  retry 30 10 kubectl apply --server-side -f /etc/kubefleet/tigera-operator.yaml
  retry 30 10 kubectl get crd installations.operator.tigera.io
  kubectl wait --for=condition=Established --timeout=300s crd/installations.operator.tigera.io
  retry 30 10 kubectl apply -f /etc/kubefleet/calico-installation.yaml
  if [ -f /etc/kubefleet/runtimeclass.yaml ]; then
    retry 30 10 kubectl apply -f /etc/kubefleet/runtimeclass.yaml
  fi
}

join_once() {
  if kubeadm join --config /etc/kubefleet/kubeadm-join.yaml; then
    return 0
  fi
  kubeadm reset --force >/dev/null 2>&1 || true
  return 1
}

kubeadm_join() {
  # bounded: 60 attempts 20 s apart, well inside the token's lifetime
  retry 60 20 join_once
}

# The first master on the run that creates the cluster: if the VIP already answers, a cluster exists
# (this VM replaces the first master, or a previous run got as far as `kubeadm init`), so it joins
# instead of creating a second cluster on the same VIP.
init_or_join() {
  local n
  for n in 1 2 3 4 5 6; do
    if api_answers; then
      log "the API server already answers on ${CONTROL_PLANE_VIP}: joining instead of kubeadm init"
      kubeadm_join
      write_kube_vip /etc/kubernetes/admin.conf
      return 0
    fi
    log "no API server on ${CONTROL_PLANE_VIP} yet (probe ${n}/6)"
    sleep 10
  done
  kubeadm_init
  step addons install_addons
}

# Secrets that only the bootstrap needs: the join token lives on in nothing once the node has joined.
forget_bootstrap_secrets() {
  rm -f /etc/kubefleet/kubeadm.yaml /etc/kubefleet/kubeadm-join.yaml
}

join_control_plane() {
  # The first master already serves the VIP; a joining master adds its kube-vip afterwards (join's
  # preflight wants an empty manifests directory) and takes part in the leader election.
  kubeadm_join
  write_kube_vip /etc/kubernetes/admin.conf
}

main() {
  step host prepare_host
  step containerd install_containerd
  if [ "${SANDBOX}" = "true" ]; then
    step gvisor install_gvisor
  fi
  step kubernetes install_kubernetes
  case "${ROLE}" in
    init) step cluster init_or_join ;;
    control-plane) step cluster join_control_plane ;;
    worker) step cluster kubeadm_join ;;
    *)
      log "unknown role ${ROLE}"
      exit 2
      ;;
  esac
  forget_bootstrap_secrets
  touch "${STATE_DIR}/bootstrap.done"
  log "bootstrap finished (${ROLE})"
}

main "$@"

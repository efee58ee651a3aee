#!/usr/bin/env bash
# gVisor (runsc) as the containerd runtime handler `runsc`, for the RuntimeClass `gvisor` (sandboxed
# tenancy). Written by kubefleet into a KubeadmConfigTemplate's files and run by preKubeadmCommands, i.e.
# before the kubelet starts. Idempotent: a rerun rewrites the same files.
#
# containerd's CRI runtime table depends on the config file's schema, not on a string in it:
#   version = 2 (containerd 1.x):  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<name>]
#   version = 3 (containerd 2.x):  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.<name>]
# (containerd/containerd docs/cri/config.md, "Config version 3" / "Config version 2"). image-builder's
# images ship either, depending on the Kubernetes minor they were built for.
set -euo pipefail

CONFIG=${CONTAINERD_CONFIG:-/etc/containerd/config.toml}

config_version() {
  local v
  v=$(sed -n 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*\([0-9]\+\).*/\1/p' "$CONFIG" | head -n 1)
  if [ -z "$v" ]; then
    # no version key: containerd reads the file as version 1 (1.x) - the 1.x table applies
    v=1
  fi
  echo "$v"
}

runtime_table() {
  if [ "$(config_version)" -ge 3 ]; then
    echo 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'
  else
    echo 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
  fi
}

install_runsc() {
  if command -v runsc >/dev/null 2>&1; then
    return 0
  fi
  curl -fsSL --retry 5 https://gvisor.dev/archive.key -o /tmp/gvisor.key
  gpg --dearmor --yes -o /usr/share/keyrings/gvisor-archive-keyring.gpg /tmp/gvisor.key
  echo "deb [signed-by=/usr/share/keyrings/gvisor-archive-keyring.gpg] https://storage.googleapis.com/gvisor/releases release main" \
    > /etc/apt/sources.list.d/gvisor.list
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc
}

configure() {
  local table
  table=$(runtime_table)
  if ! grep -qF "[${table}.runsc]" "$CONFIG"; then
    cat >> "$CONFIG" <<TOML

[${table}.runsc]
  runtime_type = "io.containerd.runsc.v1"
[${table}.runsc.options]
  TypeUrl = "io.containerd.runsc.v1.options"
  ConfigPath = "/etc/containerd/runsc.toml"
TOML
  fi
  # systemd-cgroup is runsc's counterpart of runc's SystemdCgroup (google/gvisor g3doc/user_guide/containerd/configuration.md)
  cat > /etc/containerd/runsc.toml <<'TOML'
[runsc_config]
  systemd-cgroup = "true"
TOML
}

case "${1:-all}" in
  table) runtime_table ;;
  all)
    install_runsc
    configure
    systemctl restart containerd
    ;;
  *) echo "usage: $0 [table|all]" >&2; exit 2 ;;
esac

#!/bin/sh
# kubefleet etcd backup, second step (POSIX sh: debian-base has dash, not bash). The init container has just
# written a complete snapshot to DIR/incoming.db (etcdctl writes incoming.db.part and renames it only when
# the snapshot is whole). Give it a UTC timestamp name and keep the newest KEEP snapshots.
# Usage: kubefleet-etcd-rotate.sh DIR KEEP
set -eu

dir="$1"
keep="$2"
case "$keep" in
  '' | *[!0-9]*) echo "kubefleet-etcd-backup: KEEP must be a positive number, got '$keep'" >&2; exit 2 ;;
esac
if [ "$keep" -lt 1 ]; then
  echo "kubefleet-etcd-backup: KEEP must be at least 1" >&2
  exit 2
fi
cd "$dir"
if [ ! -s incoming.db ]; then
  echo "kubefleet-etcd-backup: no snapshot at $dir/incoming.db" >&2
  exit 1
fi
name="etcd-$(date -u +%Y%m%dT%H%M%SZ).db"
mv -f incoming.db "$name"
echo "kubefleet-etcd-backup: snapshot $dir/$name ($(wc -c < "$name") bytes)"

# the names sort by time (UTC, fixed width); a glob expands sorted, oldest first
set -- etcd-*.db
excess=$(($# - keep))
while [ "$excess" -gt 0 ]; do
  rm -f -- "$1"
  echo "kubefleet-etcd-backup: removed $dir/$1 (keeping the newest $keep)"
  shift
  excess=$((excess - 1))
done

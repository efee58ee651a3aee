"""The local cloud's "console": change resources behind Pulumi's back, make operations fail.

    python -m tests.localcloud.console [--state DIR] list
    python -m tests.localcloud.console [--state DIR] set TYPE NAME PATH=JSON [PATH=JSON ...]
    python -m tests.localcloud.console [--state DIR] delete TYPE NAME
    python -m tests.localcloud.console [--state DIR] fail TYPE quota|permission [--op create] [--times 1]
    python -m tests.localcloud.console [--state DIR] slow TYPE SECONDS

``--state`` defaults to ``$KUBEFLEET_LOCALCLOUD_DIR``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.localcloud import cloud


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud-console")
    parser.add_argument("--state", type=Path)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    set_p = sub.add_parser("set")
    set_p.add_argument("type")
    set_p.add_argument("name")
    set_p.add_argument("changes", nargs="+", metavar="PATH=JSON")
    del_p = sub.add_parser("delete")
    del_p.add_argument("type")
    del_p.add_argument("name")
    fail_p = sub.add_parser("fail")
    fail_p.add_argument("type")
    fail_p.add_argument("kind", choices=["quota", "permission"])
    fail_p.add_argument("--op", default="create", choices=["create", "update", "delete"])
    fail_p.add_argument("--times", type=int, default=1)
    slow_p = sub.add_parser("slow")
    slow_p.add_argument("type")
    slow_p.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    root = args.state or cloud.state_dir()
    root.mkdir(parents=True, exist_ok=True)
    if args.command == "list":
        for record in cloud.all_resources(root):
            print(f"{record['type']}\t{record['urn'].rsplit('::', 1)[-1]}\t{record['id']}")
    elif args.command == "set":
        changes = {}
        for item in args.changes:
            path, _, raw = item.partition("=")
            changes[path] = json.loads(raw)
        cloud.edit(root, args.type, args.name, changes)
    elif args.command == "delete":
        cloud.remove(root, args.type, args.name)
    elif args.command == "fail":
        cloud.fail_next(root, args.type, args.kind, op=args.op, times=args.times)
    elif args.command == "slow":
        cloud.slow_down(root, args.type, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

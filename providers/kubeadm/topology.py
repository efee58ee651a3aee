"""Scale-down safety: refuse to delete masters or workers that were never taken out of the cluster.

Deleting a master VM leaves its etcd member in the member list (quorum is then computed over a dead
member; two such deletions in a three-master cluster lose quorum), and deleting a worker VM kills its pods
without a drain. kubefleet has no agent inside the cluster to do either before Pulumi deletes the VM, so it
refuses the change instead, with the steps to do it by hand.

How the previous node set is known: the program exports it (``NODES_OUTPUT``) and reads the last
deployment's value back through a stack reference to its own stack, which the engine serves from the
backend's last checkpoint (pulumi/pulumi@ef316af51869a4772a3463e1c7b3c4f8e4cc6853:
pkg/resource/deploy/builtins.go ``readStackReference`` -> ``backendClient.GetStackOutputs``). Raising
inside the check fails the update before the engine deletes anything: Pulumi deletes resources the
program no longer declares only after the program has finished successfully.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import pulumi

from kubefleet.errors import RenderError

NODES_OUTPUT: Final = "kubeadmNodes"
#: Pulumi config key (``pulumi config set kubefleet:kubeadmDrainedNodes 'name1,name2'``) naming the nodes
#: an operator has drained / removed from etcd, which may then be deleted.
DRAINED_CONFIG: Final = "kubeadmDrainedNodes"
#: nodes.control_plane_name: ``<cluster>-cp<i>-<hash>``
_MASTER = re.compile(r"-cp\d+-[0-9a-f]{6}$")


def removal_error(previous: Sequence[str], current: Sequence[str], drained: Sequence[str]) -> RenderError | None:
    """The refusal for nodes that disappear from the spec without being declared drained, if any."""
    gone = sorted(set(previous) - set(current) - set(drained))
    if not gone:
        return None
    gone_masters = [n for n in gone if _MASTER.search(n)]
    steps = []
    if gone_masters:
        steps.append(
            "for each master: `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data`, then on that "
            "master `kubeadm reset` (it removes the node's etcd member), then `kubectl delete node <node>`"
        )
    if len(gone_masters) != len(gone):
        steps.append("for each worker: `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data`")
    return RenderError(
        f"refusing to delete {len(gone)} node(s) that are still cluster members: {', '.join(gone)}",
        hint="; ".join(steps)
        + f"; then run the update again with `kubefleet up ... --drained {','.join(gone)}` (plain Pulumi: "
        f"`pulumi config set kubefleet:{DRAINED_CONFIG} {','.join(gone)}`)",
    )


def guard_removals(stack_name: str, current: list[str], drained: list[str]) -> pulumi.Output[Any]:
    """Export the node set and fail the update when nodes would be deleted undrained."""
    pulumi.export(NODES_OUTPUT, current)
    ref = pulumi.StackReference(f"{stack_name}-previous-nodes", stack_name=stack_name)
    previous = ref.get_output(NODES_OUTPUT)

    def check(value: Any) -> list[str]:
        names = [str(v) for v in value] if isinstance(value, list) else []
        error = removal_error(names, current, drained)
        if error is not None:
            from kubefleet.errors import program_error

            raise program_error(error)  # its hint reaches the operator through the engine (engine/errors.py)
        return names

    return previous.apply(check)

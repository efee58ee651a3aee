"""Python tracebacks inside engine text, reduced to the exception they end with.

A Pulumi dynamic provider (``pulumi.dynamic``; kubefleet ships none since kubeadm moved to Cluster API) runs in the engine's
``pulumi-resource-pulumi-python`` process; when it raises, the engine reports the whole traceback as the
resource's error (pulumi/pulumi@v3.274.0 sdk/python/lib/pulumi/dynamic/__main__.py formats it with
``traceback.format_exc()``). An operator needs the last line ("TimeoutError: https://…/readyz did not
answer ok within 2700 s"), not our stack frames, and kubefleet never prints a traceback.
"""

from __future__ import annotations

import re
from typing import Final

_HEADER: Final = re.compile(r"^(?P<indent>\s*)(?P<prefix>.*?)Traceback \(most recent call last\):\s*$")
_CHAIN: Final = ("During handling of the above exception", "The above exception was the direct cause")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def condense_tracebacks(text: str) -> str:
    """Every ``Traceback (most recent call last):`` block replaced by its final exception line, kept at the
    header's place and prefix (``error: TimeoutError: …``); other lines are unchanged."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _HEADER.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        depth = len(match["indent"])
        last = ""
        i += 1
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if not stripped or _indent(line) > depth:
                i += 1  # a frame or its source line
            elif stripped.startswith(_CHAIN) or _HEADER.match(line):
                i += 1  # a chained traceback: keep going to the exception it ends with
            elif not last:
                last = stripped  # the exception; a chained traceback may follow
                i += 1
                if i < len(lines) and lines[i].strip() == "" and i + 1 < len(lines) \
                        and lines[i + 1].strip().startswith(_CHAIN):
                    last = ""
            else:
                break
        out.append(f"{match['indent']}{match['prefix']}{last or 'an internal error (traceback omitted)'}")
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")

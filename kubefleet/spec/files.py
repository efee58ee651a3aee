"""Which YAML files under a directory are kubefleet specs: Kubernetes manifests live beside them.

A file named on the command line is always read (a mistake in it must be reported). A file found by
walking a directory is read when one of its documents is a kubefleet ``Cluster`` (``kind: Cluster``
with no ``apiVersion`` or a ``kubefleet.dev/`` one) or has no ``kind`` at all (an unfinished spec,
reported by the loader); files whose documents are all other kinds (a Deployment, a Cluster API
``cluster.x-k8s.io`` Cluster, a Helm values file with a ``kind:`` key at the top) are skipped and
counted. A cheap line scan, no YAML parse: the loader parses what is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kubefleet.spec.loader import iter_spec_files

_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_KIND = re.compile(r"""^kind:[ \t]*["']?([^"'\s#]+)""", re.MULTILINE)
_API = re.compile(r"""^apiVersion:[ \t]*["']?([^"'\s#]+)""", re.MULTILINE)
_PEEK_BYTES = 1 << 20  # the loader enforces its own size limit on what is kept


@dataclass
class SpecFiles:
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, the kinds it holds)

    def skipped_note(self) -> str | None:
        """``skipped 2 YAML files whose kind is not Cluster (k8s/app.yaml: Deployment, ...)``, or None."""
        if not self.skipped:
            return None
        shown = ", ".join(f"{p}: {kinds}" for p, kinds in self.skipped[:3])
        more = f", and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
        n = len(self.skipped)
        return f"skipped {n} YAML file{'s' if n != 1 else ''} whose kind is not Cluster ({shown}{more})"


def foreign_kinds(text: str) -> str | None:
    """The kinds of ``text``'s documents when none of them is a kubefleet spec, else None."""
    kinds = []
    for doc in _DOC_SPLIT.split(text):
        if not doc.strip():
            continue
        kind = _KIND.search(doc)
        if kind is None:
            return None  # no kind: let the loader say what is wrong
        api = _API.search(doc)
        if kind.group(1) == "Cluster" and (api is None or api.group(1).startswith("kubefleet.dev/")):
            return None
        kinds.append(kind.group(1) + (f" ({api.group(1)})" if kind.group(1) == "Cluster" and api else ""))
    return ", ".join(dict.fromkeys(kinds)) if kinds else None


def cluster_files(paths: Iterable[str | Path]) -> SpecFiles:
    """Spec files under ``paths``: named files as given, directory finds filtered by kind."""
    out = SpecFiles()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            out.files.append(path)
            continue
        for file in iter_spec_files([path]):
            try:
                with file.open("rb") as fh:
                    text = fh.read(_PEEK_BYTES).decode("utf-8", errors="replace")
            except OSError:
                out.files.append(file)  # the loader reports it properly
                continue
            kinds = foreign_kinds(text)
            if kinds is None:
                out.files.append(file)
            else:
                out.skipped.append((file, kinds))
    return out

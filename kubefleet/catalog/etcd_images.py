"""kubeadm's etcd image per Kubernetes minor (catalog/data/etcd-images.yaml): the image kubefleet's etcd backup
CronJob runs etcdctl from (providers/kubeadm/etcd_backup.py), each tag cited to kubeadm's own
SupportedEtcdVersion table of that minor."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kubefleet.catalog.loader import _Ctx, _mapping, _source, _sources, _str, read_yaml
from kubefleet.catalog.models import Source

FILE = "etcd-images.yaml"
#: registry.k8s.io/etcd tags: <etcd version>-<image revision> (kubernetes cluster/images/etcd/Makefile:40
#: IMAGE_TAG=$(LATEST_ETCD_VERSION)-$(REVISION) at v1.35.4)
_TAG = re.compile(r"^\d+\.\d+\.\d+-\d+$")


@dataclass(frozen=True)
class EtcdImage:
    minor: str
    image: str
    tag: str
    #: the Kubernetes patch whose kubeadm the tag was read from
    kubernetes: str
    source: Source

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}"


def parse_etcd_images(data: Any, file: str = FILE) -> dict[str, EtcdImage]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    image = _str(data.get("image"), ctx.at("image"))
    out: dict[str, EtcdImage] = {}
    for minor, row in _mapping(data.get("by_minor"), ctx.at("by_minor")).items():
        c = ctx.at("by_minor", minor)
        row = _mapping(row, c)
        tag = _str(row.get("tag"), c.at("tag"))
        if not _TAG.match(tag) or tag == "latest":
            raise c.at("tag").error(f"{tag!r} is not an etcd image tag like 3.6.6-0")
        kube = _str(row.get("kubernetes"), c.at("kubernetes"))
        if not kube.startswith(f"{minor}."):
            raise c.at("kubernetes").error(f"{kube} is not a {minor} patch")
        out[str(minor)] = EtcdImage(str(minor), image, tag, kube, _source(row, sources, c))
    return out


@functools.lru_cache(maxsize=1)
def etcd_images() -> dict[str, EtcdImage]:
    text = (resources.files("kubefleet.catalog") / "data" / FILE).read_text(encoding="utf-8")
    return parse_etcd_images(read_yaml(text, FILE))

"""kubefleet.providers.kubeadm.yaml_emit.MemoEmitter against the oracle it must equal: ruamel's own, unmodified pure
``Emitter`` (the one ``YAML(typ="safe", pure=True)`` uses), byte for byte, on a miss and on a hit."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kubefleet.catalog import load_catalog
from kubefleet.providers.kubeadm import yaml_emit as render_yaml
from kubefleet.providers.kubeadm.yaml_emit import MIN_LENGTH, MemoEmitter
from kubefleet.render.offline import render
from tests.conftest import example_specs


def _dump(documents: tuple[Any, ...], memo: bool, width: int | None = None) -> str:
    yaml = YAML(typ="safe", pure=True)
    if memo:
        yaml.Emitter = MemoEmitter
    yaml.default_flow_style = False
    if width is not None:
        yaml.width = width
    buf = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], buf)
    else:
        yaml.dump_all(list(documents), buf)
    return buf.getvalue()


def test_every_document_the_examples_render_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    import kubefleet.providers.kubeadm.cloudinit as cloudinit

    seen: list[tuple[Any, ...]] = []
    real = cloudinit.dump_yaml

    def recording(*documents: Any) -> str:
        seen.append(copy.deepcopy(documents))
        return real(*documents)

    monkeypatch.setattr(cloudinit, "dump_yaml", recording)
    catalog = load_catalog()
    for loaded in example_specs():
        render(loaded.spec, "kubeadm", catalog=catalog)
    assert len(seen) > 20
    long_ones = 0
    for documents in seen:
        plain = _dump(documents, memo=False)
        assert _dump(documents, memo=True) == plain
        assert _dump(documents, memo=True) == plain  # the second time from the tables
        long_ones += plain.count("\\n") > 10
    assert long_ones, "no document with a long multi-line scalar: the memo was not exercised"


def test_the_tables_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_yaml, "MAX_ENTRIES", 4)
    for i in range(20):
        text = f"{i} " + "x\"y\n" * MIN_LENGTH
        assert _dump(({"a": text},), memo=True) == _dump(({"a": text},), memo=False)
    assert len(render_yaml._QUOTED) <= 4 and len(render_yaml._ANALYSES) <= 4


_CHARS = st.sampled_from([*"ab z09:#-'\"\\\t\n{}[]&*!|>%@`,?", "é", "\u2028", "\x85", "\ufeff", "\U0001f600", "\x07",
                          "  ", "\n\n", " \n"])
_LONG = st.lists(_CHARS, min_size=MIN_LENGTH, max_size=MIN_LENGTH * 3).map("".join)


@settings(max_examples=60, deadline=None)
@given(text=_LONG, other=_LONG, key=st.sampled_from(["content", "k", "a-very-long-key-name-that-shifts-the-column"]),
       repeat=st.integers(1, 3), width=st.sampled_from([None, 40, 120]))
def test_generated_documents_are_byte_identical(text: str, other: str, key: str, repeat: int,
                                                width: int | None) -> None:
    doc = {
        "write_files": [{key: text, "owner": "root"}] * repeat + [{key: other}],
        "nested": {"deeper": {key: text, "list": [text, other]}},
        "top": text,
        "same_indent": {"k": text, "a-much-longer-key": text, key: other},  # same indent, other columns
    }
    for documents in ((doc,), (doc, {"again": [text]}), (text,)):
        plain = _dump(documents, memo=False, width=width)
        assert _dump(documents, memo=True, width=width) == plain
        assert _dump(documents, memo=True, width=width) == plain

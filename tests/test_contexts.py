"""The stored topic contexts (contexts.py): a context comes back exactly as it was stored,
under the key it was stored with, and anything else reads as missing, never as an error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from olwsite.contexts import (
    Contexts,
    decode_context,
    encode_context,
    update_contexts,
    write_contexts,
)
from olwsite.paths import Slug

CONTEXT = {"page": {"title": "Attention", "tier": 2}, "prerequisites": [{"slug": "tokens"}],
           "local_graph": "<figure>…</figure>", "before_minutes": 45}


def stored(tmp_path: Path) -> Path:
    path = tmp_path / "contexts.bin"
    write_contexts(path, {Slug("attention"): ("k1", encode_context(CONTEXT)),
                          Slug("tokens"): ("k2", encode_context({"page": {"title": "T"}}))})
    return path


def test_a_context_comes_back_under_its_key_only(tmp_path: Path) -> None:
    contexts = Contexts(stored(tmp_path))
    assert contexts.get(Slug("attention"), "k1") == CONTEXT
    assert contexts.get(Slug("attention"), "k2") is None  # stored under another key
    assert contexts.get(Slug("missing"), "k1") is None
    kept = contexts.blobs({Slug("tokens"): "k2", Slug("attention"): "old"})
    assert list(kept) == ["tokens"]
    assert decode_context(kept[Slug("tokens")][1]) == {"page": {"title": "T"}}


def test_what_json_cannot_hold_exactly_is_not_stored(tmp_path: Path) -> None:
    assert encode_context({"reviewed": dt.date(2026, 1, 2)}) == b""
    assert encode_context({"pair": (1, 2)}) == b""  # a tuple would come back a list
    assert encode_context({1: "a key that is not text"}) == b""
    path = tmp_path / "contexts.bin"
    write_contexts(path, {Slug("dated"): ("k", b"")})
    assert Contexts(path).get(Slug("dated"), "k") is None


def test_a_damaged_or_forged_file_reads_as_missing(tmp_path: Path) -> None:
    path = stored(tmp_path)
    data = path.read_bytes()
    last = max(["attention", "tokens"], key=lambda slug: Contexts(path).index[slug][1])
    key = {"attention": "k1", "tokens": "k2"}[last]
    path.write_bytes(data[:-5])  # the last context cut short
    assert Contexts(path).get(Slug(last), key) is None
    magic, _, blobs = data.split(b"\n", 2)
    for entry in ('["k1", -3, 10]', '["k1", 99999999, 10]', '["k1", 0, 1e9]', '"k1"', "{}"):
        header = f'{{"attention": {entry}}}'.encode()
        path.write_bytes(b"\n".join([magic, header, blobs]))
        assert Contexts(path).get(Slug("attention"), "k1") is None, entry
    for forged in (b"", b"not contexts\n" + data, data[:30]):
        path.write_bytes(forged)
        assert Contexts(path).get(Slug("attention"), "k1") is None
    assert Contexts(tmp_path / "absent.bin").get(Slug("attention"), "k1") is None


def test_a_decompression_bomb_is_refused() -> None:
    import zlib

    assert decode_context(zlib.compress(b" " * (17 * 1024 * 1024))) is None
    assert decode_context(zlib.compress(b"[1, 2]")) is None  # not a mapping


def test_an_update_replaces_some_contexts_and_keeps_the_rest(tmp_path: Path) -> None:
    path = stored(tmp_path)
    update_contexts(path, {Slug("attention"): ("k3", encode_context({"page": 2})),
                           Slug("tokens"): ("k4", b""),  # no longer stored
                           Slug("new"): ("k5", encode_context({"page": 3}))})
    contexts = Contexts(path)
    assert contexts.get(Slug("attention"), "k1") is None
    assert contexts.get(Slug("attention"), "k3") == {"page": 2}
    assert contexts.get(Slug("tokens"), "k2") is None
    assert contexts.get(Slug("new"), "k5") == {"page": 3}
    update_contexts(path, {Slug("new"): ("k6", encode_context({"page": 4}))})
    assert Contexts(path).get(Slug("attention"), "k3") == {"page": 2}  # kept as it was
    assert Contexts(path).get(Slug("new"), "k6") == {"page": 4}

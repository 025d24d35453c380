"""YAML with positions: every mapping key and value keeps its line and column.

Composing to nodes first (C-accelerated where available) lets diagnostics point at the key
inside the .md file, and lets alias expansion be bounded before any value is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_NODES = 20_000  # a page's front-matter has dozens; aliases can multiply this

Key = tuple[str | int, ...]


class Pos(NamedTuple):  # a tuple: tens of thousands are made per build
    line: int  # 1-based, in the file the YAML came from
    col: int  # 1-based


@dataclass(frozen=True)
class YamlError(Exception):
    line: int
    col: int
    message: str
    code: str = "E106"


@dataclass
class YamlDoc:
    value: Any
    # path of keys/indices -> position of that key (for mappings) or item (for sequences)
    key_pos: Mapping[Key, Pos]
    # path -> position of the value itself
    value_pos: Mapping[Key, Pos]

    def pos(self, *path: str | int) -> Pos:
        """Best position for a path: the key's, else the nearest known ancestor's."""
        key = tuple(path)
        while key:
            found = self.key_pos.get(key)  # one lookup: `in` then `[]` would decode twice
            if found is not None:
                return found
            key = key[:-1]
        return Pos(1, 1)

    def value_at(self, *path: str | int) -> Pos:
        return self.value_pos.get(tuple(path), self.pos(*path))


def flat_key(path: Key) -> str:
    """A path as one string ('s' + key or 'i' + index, joined by a control character that
    YAML text cannot hold): how positions are stored as JSON object keys."""
    if len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], int):
        return f"s{path[0]}\x1fi{path[1]}"  # a list item, e.g. a prerequisite: most lookups
    return "\x1f".join(["s" + p if isinstance(p, str) else f"i{p}" for p in path])


class FlatPositions(Mapping[Key, Pos]):
    """Positions as decoded from JSON ({flat_key: [line, col]}): a lookup converts one
    entry, so a page whose positions are never asked for costs no conversion. A damaged
    entry reads as missing (a position falls back to its parent's), never as an error."""

    def __init__(self, flat: dict[str, Any]) -> None:
        self.flat = flat

    def __getitem__(self, key: Key) -> Pos:
        found: Pos | None = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: Key, default: Any = None) -> Any:
        entry = self.flat.get(flat_key(key))
        if type(entry) is list and len(entry) == 2 and type(entry[0]) is int \
                and type(entry[1]) is int:
            return Pos(entry[0], entry[1])
        return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None

    def __iter__(self) -> Iterator[Key]:
        for text in self.flat:
            steps = text.split("\x1f") if text else []  # "" is the root's path, ()
            yield tuple(p[1:] if p[0] == "s" else int(p[1:]) for p in steps)

    def __len__(self) -> int:
        return len(self.flat)


_scalar_constructor = yaml.constructor.SafeConstructor()


def parse_yaml(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document; positions are shifted by ``line_offset`` lines.

    Raises YamlError for syntax errors, duplicate keys and alias bombs.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else 1 + line_offset
        col = (mark.column + 1) if mark else 1
        message = exc.problem or exc.context or "invalid YAML"
        raise YamlError(line, col, message) from None
    except yaml.YAMLError as exc:
        raise YamlError(1 + line_offset, 1, str(exc).splitlines()[0]) from None
    if node is None:
        return YamlDoc(None, {}, {})
    key_pos: dict[Key, Pos] = {}
    value_pos: dict[Key, Pos] = {}
    value = _build(node, (), (key_pos, value_pos), line_offset, [MAX_NODES])
    return YamlDoc(value, key_pos, value_pos)


def _pos(node: yaml.Node, line_offset: int) -> Pos:
    return Pos(node.start_mark.line + 1 + line_offset, node.start_mark.column + 1)


def _build(node: yaml.Node, path: Key, doc: tuple[dict[Key, Pos], dict[Key, Pos]], off: int,
           budget: list[int]) -> Any:
    """The value of ``node``; ``doc`` collects (key positions, value positions)."""
    budget[0] -= 1
    if budget[0] < 0:
        p = _pos(node, off)
        raise YamlError(p.line, p.col, f"YAML expands to more than {MAX_NODES} values", "E109")
    doc[1][path] = _pos(node, off)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                p = _pos(key_node, off)
                raise YamlError(p.line, p.col, "mapping keys must be plain values")
            key = _scalar(key_node, off)
            if isinstance(key, (int, float, bool)) or key is None:
                key = str(key_node.value)
            if key in result:
                p = _pos(key_node, off)
                raise YamlError(p.line, p.col, f"duplicate key '{key}'")
            doc[0][(*path, key)] = _pos(key_node, off)
            result[key] = _build(value_node, (*path, key), doc, off, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc[0][(*path, index)] = _pos(item, off)
            items.append(_build(item, (*path, index), doc, off, budget))
        return items
    return _scalar(node, off)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"


def _scalar(node: yaml.Node, off: int) -> Any:
    # Fast paths for the two kinds front-matter is made of; every other tag (dates,
    # floats, booleans, YAML 1.1 integer forms) goes through PyYAML's own constructor.
    if node.tag == _STR:
        return node.value
    if node.tag == _INT and node.value.isdigit():
        return int(node.value)
    try:
        return _scalar_constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        p = _pos(node, off)
        raise YamlError(p.line, p.col, f"bad value {node.value!r}: {exc}") from None

"""Transitive closures of a DAG as Python ints used as bitsets: bit j of a node's closure
is set when node j is in it. Nodes are numbered in reading order, so listing a closure in
reading order is a scan of its binary digits, not a sort."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence


def closure_bits(links: Sequence[Iterable[int]], visit: Iterable[int]) -> list[int]:
    """Each node's closure under ``links`` (its prerequisites, or its dependents),
    visiting nodes in ``visit``: an order in which a node's links come before it."""
    bits = [0] * len(links)
    for i in visit:
        found = 0
        for j in links[i]:
            found |= bits[j] | (1 << j)
        bits[i] = found
    return bits


def members(bits: int) -> Iterator[int]:
    """The set bits' indices, ascending. One pass over the binary digits: isolating the
    lowest bit of a 10,000-bit int costs a 10,000-bit operation per member."""
    digits = bin(bits)[:1:-1]  # bit i at index i
    index = digits.find("1")
    while index >= 0:
        yield index
        index = digits.find("1", index + 1)

"""Progress reporting as a protocol: stages report, the CLI decides how to show it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    def track(self, items: Iterable[T], stage: str, total: int) -> Iterator[T]: ...


class Silent:
    def track(self, items: Iterable[T], stage: str, total: int) -> Iterator[T]:
        yield from items


class Bar:
    """tqdm bars on a terminal, only for trees large enough to be worth a bar."""

    def __init__(self, minimum: int = 500) -> None:
        self.minimum = minimum

    def track(self, items: Iterable[T], stage: str, total: int) -> Iterator[T]:
        if total < self.minimum:
            yield from items
            return
        from tqdm import tqdm

        yield from tqdm(items, desc=f"{stage:<8}", total=total, unit="page", leave=False)

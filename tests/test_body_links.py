"""Finding links by regex is an optimisation only: whenever the plain-link route answers,
it finds exactly the targets markdown-it finds, and it hands every other line over."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.body import _parsed_links, _plain_links

PIECES = ["[", "]", "(", ")", "!", "a", "b c", "../x/y.md", "#z", "*", "_", "`", "\\", "<",
          ">", "&amp;", ":", "javascript:x", " ", '"t"', "é", "%20", "[a](b.md)",
          "![i](p.png)", "[t](../m/n.md#s)", "**", "[]", "()", "[x][y]", "[x]: y"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map("".join))
def test_plain_links_agree_with_markdown_it(text: str) -> None:
    fast = _plain_links(text)
    if fast is not None:
        assert fast == _parsed_links(text), text


@pytest.mark.parametrize("text", [
    "See [a](../x/a.md) and ![b](img/b.png), then [c](#sec).",
    "*[a](x.md)* and **[b](y.md)**", "[](empty.md)",
])
def test_plain_lines_take_the_fast_route(text: str) -> None:
    assert _plain_links(text) is not None
    assert _plain_links(text) == _parsed_links(text)


@pytest.mark.parametrize("text", [
    r"[a\]](x.md)", "[a](x.md \"title\")", "[a [b]](c.md)", "[a](<x y.md>)",
    "[a](caf\u00e9.md)", "[a](x.md?a=1&b=2)", "[a](javascript:alert)", "[x][y] [a](b.md)",
])
def test_anything_unusual_is_read_by_markdown_it(text: str) -> None:
    assert _plain_links(text) is None

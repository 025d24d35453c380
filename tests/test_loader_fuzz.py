"""The loader, fuzzed: any text is either a page or located diagnostics, never an
exception; and what the page memo stores reads back as exactly what parsing produced."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from olwsite.load import split_page
from olwsite.memo import PageMemo
from olwsite.paths import SrcPath

SRC = SrcPath("content/t/page.md")

yaml_scalars = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.floats(allow_nan=False, allow_infinity=False))
yaml_lines = st.lists(st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
              yaml_scalars),
    st.builds(lambda k, vs: f"{k}: [{', '.join(map(str, vs))}]",
              st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.lists(yaml_scalars, max_size=4)),
    st.text(max_size=30),  # anything at all, including broken YAML
), max_size=8)


@given(lines=yaml_lines, body=st.text(max_size=200))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_gives_a_page_or_located_diagnostics(lines: list[str], body: str) -> None:
    text = "---\n" + "\n".join(lines) + "\n---\n" + body
    page, problems = split_page(text, SRC)
    assert page is not None or problems
    for problem in problems:
        assert problem.path == SRC and problem.line >= 1 and problem.col >= 1


@given(lines=yaml_lines)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
def test_the_memo_reads_back_what_parsing_produced(tmp_path: Path, lines: list[str]) -> None:
    text = "---\n" + "\n".join(lines) + "\n---\nBody.\n"
    parsed, _ = split_page(text, SRC)
    if parsed is None:
        return
    memo = PageMemo()
    again, _ = split_page(text, SRC, memo)  # parses, and memoises the result
    assert again is not None
    memo.write(tmp_path / "pages.json")
    remembered, _ = split_page(text, SRC, PageMemo.read(tmp_path / "pages.json"))
    assert remembered is not None
    front, back = parsed.front, remembered.front
    assert back.value == front.value
    assert dict(back.key_pos) == dict(front.key_pos)
    assert dict(back.value_pos) == dict(front.value_pos)
    for path in front.key_pos:
        assert back.pos(*path) == front.pos(*path)
        assert back.value_at(*path) == front.value_at(*path)

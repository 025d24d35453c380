"""TeX math in page bodies becomes MathML that Python-Markdown passes through intact."""

from __future__ import annotations

import re

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.mathml import convert_math

# the Markdown extensions of mkdocs.yml that read raw HTML and text
EXTENSIONS = ["admonition", "attr_list", "md_in_html", "def_list", "tables",
              "pymdownx.details", "pymdownx.superfences"]


def html_of(body: str) -> str:
    text, problems = convert_math(body)
    assert problems == []
    return markdown.markdown(text, extensions=EXTENSIONS)


@pytest.mark.parametrize(("body", "expected"), [
    ("A $k$-bit code.", 'A <math><mrow><mi>k</mi></mrow></math>-bit code.'),
    ("$x$ starts the line.", '<span class="olw-math"><math><mrow><mi>x</mi></mrow></math></span>'
     " starts the line."),
    ("Mean $\\bar{x}$ here", "Mean <math><mrow><mover"),
    # a formula may cross a line break inside its paragraph
    ("so $a +\nb$ holds", "so <math><mrow><mi>a</mi><mo>&#x0002B;</mo><mi>b</mi></mrow></math>"
     " holds"),
    # Markdown specials inside math become entities: * _ [ ] | \ { }
    ("$a_{*}$", "<mo>&#x0002A;</mo>"),
    ("$[0, 1]$", '<mo stretchy="false">&#91;</mo>'),
    ("$|x|$", '<mo stretchy="false">&#x0007C;</mo>'),
    ("$\\text{a_b *c*}$", "<mtext>a&#95;b&#x000A0;&#42;c&#42;</mtext>"),
    ("cost $2 \\times$ params", "cost <math><mrow><mn>2</mn><mo>&#x000D7;</mo></mrow></math>"),
    ("$$x$$ inline display", '<span class="olw-math"><math display="block">'),
    ("named $a\\!b$", 'width="-0.167em"'),
])
def test_inline(body: str, expected: str) -> None:
    text, problems = convert_math(body)
    assert problems == []
    assert expected in text
    assert "$" not in text


@pytest.mark.parametrize("body", [
    "It costs $16 and $500 a month.",
    "Between $20,000 and $30,000.",
    "A price of $5.",
    "Pay $ 5 or $ 6 $.",
    "Escaped \\$x\\$ stays.",
    "Empty $$ and $$$ markers.",
])
def test_currency_and_loose_dollars_are_text(body: str) -> None:
    text, problems = convert_math(body)
    assert "<math" not in text
    assert problems == []


def test_escaped_dollar_becomes_a_plain_dollar() -> None:
    assert convert_math("It costs \\$5 and $x$.")[0].startswith("It costs $5 and <math>")


@pytest.mark.parametrize("body", [
    "```python\nprice = $x$\n```",
    "    ```text\n    $$\n    x\n    $$\n    ```",
    "~~~\n$a$\n~~~",
    "Use `$x$` in code.",
    "Use ``a `$x$` b`` in code.",
    "A span wins over math: $`c`$.",  # as in Python-Markdown, where code has priority
])
def test_code_is_untouched(body: str) -> None:
    assert convert_math(body) == (body, [])


def test_display_block_keeps_its_indentation_in_an_admonition() -> None:
    body = "!!! theorem \"T\"\n    Then\n\n    $$\n    y = \\frac{a}{b}\n    $$\n\n    So."
    text, problems = convert_math(body)
    assert problems == []
    lines = text.split("\n")
    assert lines[3].startswith('    <math display="block"><mrow><mi>y</mi>')
    assert len(lines) == 6  # the three display lines became one
    html = markdown.markdown(text, extensions=EXTENSIONS)
    assert re.search(r'<div class="admonition theorem">.*<math display="block">.*So\.', html,
                     re.S)


def test_display_inside_a_paragraph_stays_in_it() -> None:
    html = html_of("1. drawn from\n   $$\n   r_j = x_{*}\n   $$\n   and end\n")
    assert re.fullmatch(r'<ol>\n<li>drawn from\n\s*<span class="olw-math"><math display="block">'
                        r".*</math></span>\n\s*and end</li>\n</ol>", html, re.S)


def test_standalone_display_is_a_raw_block() -> None:
    html = html_of("Text.\n\n$$\na = b\n$$\n\nMore.")
    assert '\n<math display="block"><mrow><mi>a</mi>' in html
    assert "<p><math" not in html


def test_markdown_does_not_read_math_as_markdown() -> None:
    html = html_of("Weights $W_{*} \\cdot x_{*}$ and $[a](b)$ end.")
    assert "<em>" not in html and "<a " not in html and "<code>" not in html


def test_math_in_a_table_cell_keeps_the_table() -> None:
    html = html_of("| a | b |\n|---|---|\n| $|x|$ | 2 |\n")
    assert re.search(r"<td><math>.*</math></td>\n<td>2</td>", html)


@pytest.mark.parametrize(("body", "line", "col", "words"), [
    ("Fine $x$ then $\\frac{$ end.", 0, 14, "NoAvailableTokens"),
    ("One\ntwo $\\left( x$ three", 1, 4, "math not converted"),
    ("Fine\n\n$$\n\\unknowncommand{x}\n$$", 2, 0, "unknown command \\unknowncommand"),
    ("!!! note\n    $$\n    \\frac{\n    $$", 1, 4, "math not converted"),
])
def test_unconvertible_math_is_kept_as_code_and_reported(body: str, line: int, col: int,
                                                         words: str) -> None:
    text, problems = convert_math(body)
    assert len(problems) == 1
    assert problems[0][:2] == (line, col)
    assert words in problems[0][2]
    assert '<code class="olw-math-error' in text
    html = markdown.markdown(text, extensions=EXTENSIONS)
    assert "olw-math-error" in html


def test_display_math_followed_by_text_stays_in_its_paragraph() -> None:
    text, problems = convert_math("$$a$$ and then\nmore text $$b$$")
    assert problems == []
    assert text.count('<math display="block">') == 2
    assert text.split("\n")[1].startswith("more text <math")


def test_unclosed_display_is_left_as_text() -> None:
    body = "$$\nx = 1\n\nMore."
    assert convert_math(body) == (body, [])


def test_no_dollar_is_a_no_op() -> None:
    body = "Plain text with `code` and *emphasis*."
    assert convert_math(body) == (body, [])


@given(st.text(alphabet="$ab\\{}^_`*\n !|[]", max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_converts_without_crashing(body: str) -> None:
    text, problems = convert_math(body)
    assert len(text.split("\n")) <= len(body.split("\n"))
    for line, col, message in problems:
        assert 0 <= line < len(body.split("\n"))
        assert 0 <= col < len(body.split("\n")[line])
        assert message.startswith("math not converted")
    if "$" not in body:
        assert text == body


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    text, problems = convert_math("$" + "{" * 3000 + "x" + "}" * 3000 + "$")
    assert len(problems) <= 1
    assert text

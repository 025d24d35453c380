"""What readers see: the claims panel's records, inline numbers, number formatting."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from olwsite.verify import InlineRef
from olwsite.verify.formatting import Format, fmt_fixed, fmt_sig, parse_format

from .verify_support import verify_one

WORKED = ("params = 70B\nfp16 = params * 2 B\nfp16 == 140 GB\nlora = 2 * 64 * 8192 * 80\n"
          "lora ≈ 84M   # the LoRA count\nshare = lora / 70B\nshare ≈ 0.12%\ngpu = 80 GiB\n"
          'x, D = symbols("x D", positive=True)\nmse = integrate(x**2, (x, -D/2, D/2)) / D\n'
          "r = sqrt(2)\nt = 90 min")


def test_records_show_values_in_readable_units() -> None:
    verdict = verify_one(WORKED)
    shown = [r.shown for r in verdict.records]
    assert shown == [
        "params = 70,000,000,000",
        "fp16 = 140 GB",
        "fp16 == 140 GB  (computed 140 GB)",
        "lora = 83,886,080",
        "lora ≈ 84M  (computed 83,886,080)",
        "share = 0.00119837",
        "share ≈ 0.12%  (computed 0.119837%)",
        "gpu = 80 GiB",
        'x, D = symbols("x D", positive=True)',
        "mse = D**2/12",
        "r = sqrt(2) ≈ 1.41421",
        "t = 90 min",
    ]
    assert verdict.records[4].source == "lora ≈ 84M"  # comments are not part of the claim
    assert [r.kind for r in verdict.records[:3]] == ["binding", "binding", "assertion"]


INLINE: list[tuple[str, str, str]] = [
    ("fp16", "GB", "140 GB"),
    ("fp16", "GiB", "130 GiB"),
    ("fp16", "GiB:1", "130.4 GiB"),
    ("fp16", "", "140 GB"),
    ("fp16", "B", "140,000,000,000 B"),
    ("params", "B", "70B"),
    ("lora", "M", "83.9M"),
    ("lora", "M:0", "84M"),
    ("lora", "", "83,886,080"),
    ("share", "%", "0.12%"),
    ("share", "%:3", "0.120%"),
    ("lora / 70B", "%:2", "0.12%"),
    ("gpu", "GB", "85.9 GB"),
    ("gpu", "", "80 GiB"),
    ("mse", "", "D**2/12"),
    ("r", ":4", "1.4142"),
    ("t", "h", "1.5 h"),
]


def test_inline_numbers() -> None:
    refs = [InlineRef(100 + i, 3, e, f) for i, (e, f, _) in enumerate(INLINE)]
    verdict = verify_one(WORKED, inline=refs)
    assert verdict.problems == ()
    assert list(verdict.inline) == [want for _, _, want in INLINE]


BAD_INLINE: list[tuple[str, str, str]] = [
    ("nope", "GB", "unknown name 'nope'"),
    ("fp16", "M", "'fp16' is bytes, not a plain number"),
    ("lora", "GB", "'lora' is a plain number, so it cannot be shown in GB"),
    ("fp16", "Gb", "did you mean 'GB'?"),
    ("fp16", "GB:x", "digits after ':'"),
    ("mse", "GB", "D**2/12 is not a number"),
    ("fp16.real", "", "attribute access"),
    ("ceill(fp16)", "", "unknown function 'ceill'"),
]


def test_inline_number_errors() -> None:
    refs = [InlineRef(100 + i, 7, e, f) for i, (e, f, _) in enumerate(BAD_INLINE)]
    verdict = verify_one(WORKED, inline=refs)
    assert list(verdict.inline) == [""] * len(BAD_INLINE)
    assert [(p.code, p.line, p.col) for p in verdict.problems] == [
        ("E410", 100 + i, 7) for i in range(len(BAD_INLINE))]
    for problem, (_, _, want) in zip(verdict.problems, BAD_INLINE, strict=True):
        assert want in problem.message or (problem.hint and want in problem.hint), problem


def test_inline_of_a_failed_binding_is_empty_without_a_second_problem() -> None:
    verdict = verify_one("a = 2 B + 3 s", inline=[InlineRef(20, 1, "a", "GB")])
    assert verdict.inline == ("",)
    assert [p.code for p in verdict.problems] == ["E402"]


@pytest.mark.parametrize(("value", "sig", "want"), [
    (Fraction(83886080), 6, "83,886,080"),
    (Fraction(262144, 3125), 3, "83.9"),
    (Fraction(1198373, 10**7), 3, "0.12"),
    (Fraction(1234567, 1000), 3, "1,235"),
    (Fraction(-1, 3), 6, "-0.333333"),
    (Fraction(6 * 10**23), 6, "6e23"),
    (Fraction(1, 10**12), 3, "1e-12"),
    (Decimal("1.41421356237309504880"), 6, "1.41421"),
    (Fraction(0), 3, "0"),
])
def test_fmt_sig(value: Fraction | Decimal, sig: int, want: str) -> None:
    assert fmt_sig(value, sig) == want


def test_fmt_fixed_rounds_half_away_from_zero() -> None:
    assert fmt_fixed(Fraction(1, 8), 2) == "0.13"
    assert fmt_fixed(Fraction(-1, 1000), 2) == "0.00"
    assert fmt_fixed(Fraction(1234567, 2), 0) == "617,284"


def test_parse_format() -> None:
    assert parse_format("") == Format("", None)
    assert parse_format(" %:2 ") == Format("%", 2)
    assert parse_format("GiB") == Format("GiB", None)
    assert isinstance(parse_format("G"), str)
    assert isinstance(parse_format("M:13"), str)


def test_language_reference_lists_the_real_tables() -> None:
    from olwsite.verify import language_reference
    from olwsite.verify.ir import FUNCTIONS
    from olwsite.verify.units import UNITS

    text = language_reference()
    assert all(f"`{f}(" in text or f"{f}(" in text for f in FUNCTIONS)
    assert all(f"| `{u}` |" in text for u in UNITS)
    assert "| `GiB` | bytes | 2^30 |" in text and "| `bit` | bytes | 1/8 |" in text

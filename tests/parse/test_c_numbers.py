"""C's conversions of a digit string, as sbatch's code does them, in bounded work."""

from __future__ import annotations

import ctypes

from hypothesis import given
from hypothesis import strategies as st

from scriptkeeper.parse.c_numbers import (
    LONG_MAX,
    ULLONG_MAX,
    as_c_int,
    as_uint64,
    clamped,
    strtol,
)

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=60)


@given(DIGITS, st.sampled_from([0, 1, 4000001, LONG_MAX, LONG_MAX + 1, ULLONG_MAX]))
def test_clamped_is_the_minimum_of_the_number_and_the_ceiling(digits: str,
                                                              ceiling: int) -> None:
    assert clamped(digits, ceiling) == min(int(digits), ceiling)


@given(st.integers(min_value=4301, max_value=20000), st.sampled_from("123456789"))
def test_numbers_longer_than_int_reads_are_the_ceiling(length: int, first: str) -> None:
    digits = "0" * 5 + first + "0" * (length - 1)  # int() would raise on this
    assert clamped(digits, LONG_MAX) == LONG_MAX
    assert strtol(digits) == LONG_MAX


@given(st.integers(min_value=0, max_value=LONG_MAX))
def test_a_long_stored_in_an_int_keeps_its_low_32_bits(value: int) -> None:
    assert as_c_int(value) == ctypes.c_int(value & 0xFFFFFFFF).value


@given(st.integers(min_value=0, max_value=2**80))
def test_an_overflowed_product_cast_to_uint64(value: int) -> None:
    assert as_uint64(value) == ctypes.c_uint64(value & ULLONG_MAX).value


def test_leading_zeros_do_not_count() -> None:
    assert clamped("0" * 5000, 7) == 0
    assert clamped("0" * 5000 + "42", 100) == 42


@given(st.text(alphabet="0123456789", min_size=1, max_size=30)
       | st.integers(min_value=20, max_value=6000).map(lambda n: "9" * n))
def test_every_count_is_sbatchs_number_or_its_refusal(digits: str) -> None:
    from scriptkeeper.parse.value_grammar import NumberTooBig, ValueProblem, parse_positive_int

    try:
        stored = parse_positive_int(digits)
    except NumberTooBig:
        assert len(digits.lstrip("0")) >= 19 and int(digits[:40]) >= LONG_MAX
        return
    except ValueProblem:
        assert int(digits) == 0  # 0 is not positive
        return
    assert stored == ctypes.c_int(int(digits) & 0xFFFFFFFF).value

"""Decimal helpers shared by the report's figures: the constant 1, and how a Decimal is written
into the figures (as a string: orjson cannot write a Decimal, and a float would round it)."""

from __future__ import annotations

from decimal import Decimal

ONE = Decimal(1)


def ratio(num: Decimal, den: Decimal) -> str | None:
    return None if den == 0 else str(round(num / den, 6))


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)

"""Amounts of money."""

from __future__ import annotations

import attrs


@attrs.frozen
class Money:
    """An amount in the smallest unit of its currency (KRW has no minor unit)."""

    amount: int
    currency: str = "KRW"

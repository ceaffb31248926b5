"""Callback data of billing: the plans screen and a plan bought through a provider.

The plan code and provider name come back from the user's client and are never trusted: the
plan is loaded by code among those on sale, the provider among those enabled.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class BillingAction(StrEnum):
    PLANS = "plans"
    BUY = "buy"


class BillingCallback(CallbackData, prefix="bil"):
    action: BillingAction
    plan: str = ""
    provider: str = ""

"""Conversation states of the team side; each lives outside the database transaction."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    company_name = State()
    invite_link = State()


class CompanySettings(StatesGroup):
    """Data: `company_id`, the company the owner started to change."""

    name = State()
    timezone = State()


TEXT_STATES = (*Onboarding.__states__, *CompanySettings.__states__)
"""States that wait for a line of text."""

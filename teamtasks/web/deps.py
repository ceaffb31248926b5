"""Typed FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from teamtasks.web.state import AppState


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.teamtasks
    return state


StateDep = Annotated[AppState, Depends(get_state)]

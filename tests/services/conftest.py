"""Two companies built through the services, for tests that need a team (and tenancy tests)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.helpers import Team, build_team


@pytest.fixture
async def acme(session: AsyncSession) -> Team:
    """Acme: Anna (owner), Mark (manager), Bob (member); project Website; task #1 for Bob."""
    return await build_team(session, name="Acme", names=("Anna", "Mark", "Bob"))


@pytest.fixture
async def globex(session: AsyncSession, acme: Team) -> Team:
    """Globex, the other tenant: Greg, Gina, Gus; its task numbers start at 101."""
    return await build_team(
        session, name="Globex", names=("Greg", "Gina", "Gus"), first_task_number=101
    )

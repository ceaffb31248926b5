"""Team scenarios type faster than a person: Telegram's per-chat flood limit is off for them.

(A private chat allows a burst of 3 messages, then 1 per second; the refusal scenarios send
a dozen messages in a row, and pacing them would mean sleeping.)
"""

from __future__ import annotations

import pytest

from tgemulator import EmulatorServer


@pytest.fixture(autouse=True)
def quick_typing(telegram: EmulatorServer) -> None:
    telegram.flood.enabled = False

"""Fixtures for the emulator's own tests: a server, a user-side client, an aiogram bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tgemulator import EmulatorServer, FloodLimits
from tgemulator.client import EmulatorClient

from .support import BOT_USERNAME, TOKEN, FakeClock, RawApi, WatchedNotifier


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[EmulatorServer]:
    emulator = EmulatorServer(
        bot_token=TOKEN,
        bot_username=BOT_USERNAME,
        flood=FloodLimits(enabled=False, clock=clock),
        callback_answer_timeout=1.0,
        pre_checkout_timeout=2.0,
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def chat_waits(server: EmulatorServer) -> WatchedNotifier:
    """Tells when a chat long poll (``/messages?wait=``) is waiting for a change."""
    watched = WatchedNotifier()
    server.emulator.store.changes = watched
    return watched


@pytest.fixture
async def client(server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.base_url) as emulator_client:
        yield emulator_client


@pytest.fixture
async def api(server: EmulatorServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(session, server.base_url)


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    async with Bot(TOKEN, session=session) as telegram_bot:
        yield telegram_bot

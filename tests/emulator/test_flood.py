"""Flood control with a clock the test moves: bursts are cut, paced senders are not."""

from __future__ import annotations

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Person

from .support import FakeClock, RawApi


async def _people(client: EmulatorClient, count: int) -> list[Person]:
    people = [await client.create_user(f"User {n}") for n in range(count)]
    for person in people:
        await person.send("hi")
    return people


async def test_one_private_chat_allows_a_small_burst_then_one_a_second(
    server: EmulatorServer, api: RawApi, client: EmulatorClient, clock: FakeClock
) -> None:
    (anna,) = await _people(client, 1)
    server.flood.enabled = True
    statuses = [(await api("sendMessage", chat_id=anna.id, text="x")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await api("sendMessage", chat_id=anna.id, text="x")
    assert refused.body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    clock.advance(1.0)
    assert (await api("sendMessage", chat_id=anna.id, text="x")).status == 200
    assert server.calls[-2].error_code == 429


async def test_overall_limit_is_30_a_second(
    server: EmulatorServer, api: RawApi, client: EmulatorClient, clock: FakeClock
) -> None:
    people = await _people(client, 31)
    server.flood.enabled = True
    statuses = [(await api("sendMessage", chat_id=p.id, text="x")).status for p in people]
    assert statuses == [200] * 30 + [429]
    clock.advance(1 / 30)
    assert (await api("sendMessage", chat_id=people[-1].id, text="x")).status == 200


async def test_group_limit_is_20_a_minute(
    server: EmulatorServer, api: RawApi, client: EmulatorClient, clock: FakeClock
) -> None:
    people = await _people(client, 2)
    group = await client.create_group("Team", people)
    server.flood.enabled = True
    statuses = [(await api("sendMessage", chat_id=group.id, text="x")).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = await api("sendMessage", chat_id=group.id, text="x")
    assert refused.body["parameters"] == {"retry_after": 3}
    clock.advance(3.0)
    assert (await api("sendMessage", chat_id=group.id, text="x")).status == 200


async def test_a_sender_pacing_itself_at_the_limits_never_gets_429(
    server: EmulatorServer, api: RawApi, client: EmulatorClient, clock: FakeClock
) -> None:
    people = await _people(client, 3)
    group = await client.create_group("Team", people[:2])
    server.flood.enabled = True
    for _ in range(40):
        assert (await api("sendMessage", chat_id=people[2].id, text="x")).status == 200
        clock.advance(1.0)
    for _ in range(25):
        assert (await api("sendMessage", chat_id=group.id, text="x")).status == 200
        clock.advance(3.0)
    for round_number in range(60):
        for person in people:
            reply = await api("sendMessage", chat_id=person.id, text=str(round_number))
            assert reply.status == 200
        clock.advance(1.0)


async def test_answers_and_edits_are_not_limited(
    server: EmulatorServer, api: RawApi, client: EmulatorClient
) -> None:
    (anna,) = await _people(client, 1)
    sent = (await api("sendMessage", chat_id=anna.id, text="0")).result
    server.flood.enabled = True
    for n in range(1, 10):
        edit = await api(
            "editMessageText", chat_id=anna.id, message_id=sent["message_id"], text=str(n)
        )
        assert edit.status == 200

"""The room's events reach Socket.IO clients as the packets python-socketio itself would
encode (the packet cut from the room's WebSocket frame is byte for byte the same), and a
client that does not keep up is waited for instead of queued for without bound."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from types import SimpleNamespace
from typing import cast

import msgspec
import pytest
import socketio
from engineio import packet as eio_packet

from entrypoints.realtime.socketio import (
    NAMESPACE,
    ChatManager,
    SocketIOClient,
    event_packet,
    message_packet,
)
from entrypoints.runtime.rooms import frame_text
from mocheong_core.chat.stream import EventKind, StreamEvent

EVENTS = [
    StreamEvent(EventKind.CHUNK, {"delta": '청첩장 "문구"\n'}, "1-0", "m1", 1, 3),
    StreamEvent(EventKind.COMPONENT, {"component": {"type": "map", "name": "홀"}}, "2-0", "m1"),
    StreamEvent(EventKind.RESET, {"reason": "snapshot"}, "resync"),
]


class _Compact:
    """The gateway's JSON codec for python-socketio: msgspec's compact JSON."""

    @staticmethod
    def dumps(obj: object, **_: object) -> str:
        return msgspec.json.encode(obj).decode()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind.value)
def test_the_packet_cut_from_the_frame_is_the_one_python_socketio_encodes(
    event: StreamEvent,
) -> None:
    expected = socketio.packet.Packet(
        socketio.packet.EVENT, data=[event.kind.value, event.wire()["data"]], namespace=NAMESPACE
    )
    expected.json = _Compact
    ours = event_packet(event, frame_text(event)).encode()
    assert ours == eio_packet.Packet(eio_packet.MESSAGE, expected.encode()).encode()
    assert msgspec.json.decode(ours.split(",", 1)[1]) == [event.kind.value, event.wire()["data"]]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind.value)
def test_a_frame_of_another_layout_is_encoded_anew(event: StreamEvent) -> None:
    frame = msgspec.json.encode({"data": event.wire()["data"], "event": event.kind.value})
    ours = event_packet(event, frame.decode()).encode()
    assert ours == event_packet(event, frame_text(event)).encode()


class _EngineSocket:
    """What ``deliver`` uses of an Engine.IO socket: its unbounded queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[eio_packet.Packet] = asyncio.Queue()

    async def send(self, pkt: eio_packet.Packet) -> None:
        await self.queue.put(pkt)


async def test_a_client_whose_queue_is_full_is_waited_for() -> None:
    """Engine.IO's queue has no bound: at ``queue_limit`` packets ``deliver`` waits for the
    writer, so the room's own bounded queue fills and the client catches up from the stream."""
    socket = _EngineSocket()
    server = SimpleNamespace(
        manager=SimpleNamespace(eio_sid_from_sid=lambda sid, namespace: f"eio-{sid}"),
        eio=SimpleNamespace(sockets={"eio-s1": socket}),
    )
    client = SocketIOClient(cast(socketio.AsyncServer, server), "s1", queue_limit=2)
    event = EVENTS[0]
    await client.deliver(event, frame_text(event))
    second = asyncio.create_task(client.deliver(event, frame_text(event)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not second.done()  # two queued: waiting for the writer
    while not socket.queue.empty():
        socket.queue.get_nowait()
        socket.queue.task_done()
    await second
    assert socket.queue.empty()


async def test_clients_get_no_room_of_their_own_and_leave_in_constant_time() -> None:
    """python-socketio's manager gave each client a room named by its sid and scanned every
    room on each disconnect (time in proportion to the clients connected); the gateway's
    keeps only the namespace's registry."""
    manager = ChatManager()
    manager.set_server(
        SimpleNamespace(
            eio=SimpleNamespace(generate_id=_ids()), packet_class=socketio.packet.Packet
        )
    )
    sids = [await manager.pre_connect(f"eio-{i}", NAMESPACE) for i in range(3)]
    for sid in sids:
        await manager.connect(sid, NAMESPACE)
    assert list(manager.rooms[NAMESPACE]) == [None]
    assert manager.eio_sid_from_sid(sids[1], NAMESPACE) == "eio-1"
    assert manager.is_connected(sids[1], NAMESPACE)
    await manager.disconnect(sids[1], NAMESPACE)
    assert not manager.is_connected(sids[1], NAMESPACE)
    assert manager.sid_from_eio_sid("eio-1", NAMESPACE) is None
    assert [manager.is_connected(sid, NAMESPACE) for sid in (sids[0], sids[2])] == [True, True]
    assert message_packet("error", {"code": "x"}).encode() == '42/chat,["error",{"code":"x"}]'


def _ids() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"s{next(counter)}"

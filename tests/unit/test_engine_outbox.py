"""The Engine.IO socket's queue (``Outbox``) behaves as the ``asyncio.Queue`` it replaces, as
the socket uses it: order, a waiting get, a cancelled get that loses nothing, ``join`` until
every packet is done, and nothing held while empty."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.realtime.engine import Outbox


async def test_packets_come_out_in_order_and_a_get_waits_for_one() -> None:
    box = Outbox()
    puts: list[int] = []
    box.on_put = lambda: puts.append(box.qsize())
    waiting = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    await box.put("a")
    box.put_nowait("b")
    assert await waiting == "a"
    assert box.get_nowait() == "b"
    assert puts == [1, 2]
    assert box.empty()
    with pytest.raises(asyncio.QueueEmpty):
        box.get_nowait()


async def test_a_cancelled_get_loses_nothing_and_passes_the_packet_on() -> None:
    box = Outbox()
    first = asyncio.create_task(box.get())
    second = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    box.put_nowait("a")
    first.cancel()  # woken, then cancelled before it ran: the packet is the second's
    assert await second == "a"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert box.empty()


async def test_join_waits_until_every_packet_is_done() -> None:
    box = Outbox()
    await box.join()  # nothing queued: at once
    box.put_nowait("a")
    box.put_nowait("b")
    joined = asyncio.create_task(box.join())
    box.get_nowait()
    box.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    box.discard()  # what is left, dropped as done
    await joined
    assert (box.qsize(), box.empty()) == (0, True)
    with pytest.raises(ValueError, match="too many"):
        box.task_done()


async def test_an_empty_outbox_holds_no_deque_or_future() -> None:
    box = Outbox()
    box.put_nowait("a")
    await box.get()
    box.task_done()
    await box.join()
    assert vars(box) == {
        "_items": None,
        "_getters": None,
        "_joiners": None,
        "_unfinished": 0,
        "on_put": None,
    }

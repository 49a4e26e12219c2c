"""A cancellation that Python 3.11's ``asyncio.wait_for`` swallows (it returns the result when
its inner future finished in the same loop turn as the cancel; nats-py waits for every reply
with it) still stops the task once an adapter method wrapped by ``honour_cancellation``
returns."""

from __future__ import annotations

import asyncio

import pytest

from adapters.nats.connection import honour_cancellation


class Adapter:
    def __init__(self) -> None:
        self.reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting = asyncio.Event()

    async def raw(self) -> str:
        self.waiting.set()
        return await asyncio.wait_for(self.reply, 10)

    @honour_cancellation
    async def wrapped(self) -> str:
        return await self.raw()


async def _cancel_as_the_reply_lands(call: asyncio.Task[str], adapter: Adapter) -> None:
    await adapter.waiting.wait()
    adapter.reply.set_result("reply")  # in the same loop turn as the cancel below
    call.cancel()


async def test_wrapped_call_raises_the_cancellation_wait_for_swallowed() -> None:
    adapter = Adapter()
    call = asyncio.create_task(adapter.wrapped())
    await _cancel_as_the_reply_lands(call, adapter)

    with pytest.raises(asyncio.CancelledError):
        await call


async def test_a_call_made_while_a_task_cleans_up_after_its_cancel_runs_to_the_end() -> None:
    adapter = Adapter()
    finished: list[str] = []

    async def cleans_up() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            adapter.reply.set_result("cleaned")
            finished.append(await adapter.wrapped())

    task = asyncio.create_task(cleans_up())
    await asyncio.sleep(0)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished == ["cleaned"]

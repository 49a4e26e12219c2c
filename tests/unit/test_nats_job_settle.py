"""The NATS worker takes the error of a job whose acknowledgement did not reach NATS (the
connection lost as the job ended): one warning, where asyncio logged "Task exception was never
retrieved" whenever the job's task was collected. JetStream delivers the job again."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from nats.errors import ConnectionClosedError
from structlog.testing import capture_logs

from adapters.nats.queue import TASK_HEADER, NatsJobWorker


class Message:
    """A delivered job whose acknowledgement fails: the connection dropped meanwhile."""

    def __init__(self) -> None:
        self.headers = {TASK_HEADER: "test.settle"}
        self.data = b"{}"
        self.acked = asyncio.Event()

    async def ack(self) -> None:
        self.acked.set()
        raise ConnectionClosedError()

    async def in_progress(self) -> None:
        return None


class Subscription:
    def __init__(self, message: Message) -> None:
        self.messages = [message]

    async def fetch(self, _batch: int, **wait: float) -> list[Message]:
        if self.messages:
            return [self.messages.pop()]
        await asyncio.sleep(wait["timeout"])  # as NATS answers an empty queue
        return []

    async def unsubscribe(self) -> None:
        return None


class JetStream:
    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription

    async def stream_info(self, _name: str) -> None:
        return None

    async def pull_subscribe(self, *_args: Any, **_kwargs: Any) -> Subscription:
        return self.subscription


class NatsClient:
    def __init__(self, js: JetStream) -> None:
        self.js = js

    def jetstream(self) -> JetStream:
        return self.js


async def nothing(_task: str, _payload: dict[str, Any]) -> None:
    return None


async def run_one_job_whose_ack_fails() -> list[str]:
    asyncio_errors: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: asyncio_errors.append(context["message"])
    )
    message = Message()
    worker = NatsJobWorker(
        NatsClient(JetStream(Subscription(message))),  # type: ignore[arg-type]
        nothing,
        prefix="test",
        dedup_seconds=60,
        max_jobs=4,
        timeout=5,
        max_tries=3,
        backoff=0.05,
        grace=1,
        poll=0.05,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(message.acked.wait(), 10)  # hang guard
    await asyncio.sleep(0)  # the job's task ends
    stop.set()
    await running
    gc.collect()  # a failed task nobody awaited is reported when it is collected
    return asyncio_errors


def test_a_job_whose_acknowledgement_fails_is_logged_once_not_left_to_asyncio() -> None:
    with capture_logs() as logs:
        asyncio_errors = asyncio.run(run_one_job_whose_ack_fails())

    assert asyncio_errors == []
    [warning] = [entry for entry in logs if entry["event"] == "job_not_settled"]
    assert warning["error"] == repr(ConnectionClosedError())

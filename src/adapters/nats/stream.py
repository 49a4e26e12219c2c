"""``NatsStreamBroker``: chat room streams on NATS JetStream.

Layout (docs/brokers.md): one stream ``<PREFIX>_CHAT`` over ``<prefix>.chat.>``, limited by
age (``MOCHEONG_CHAT_STREAM_TTL``) and deduplicating by ``Nats-Msg-Id``. A room's events go
to ``<prefix>.chat.r.<room>.<message>`` (``_`` for events of no message), so a room is the
filter ``<prefix>.chat.r.<room>.*`` and a message's events one subject. A message's fence
(current attempt and cancel flag) is the last entry of ``<prefix>.chat.f.<message>``.

A cursor is ``<epoch>.<stream sequence>-0``. The epoch is a random id written into the
stream's description when it is created: a server that lost the stream (memory storage,
a deleted stream) makes a new one with a new epoch, so an old cursor can never point into it.

Fencing without scripts: every chunk of a message is published with
``Nats-Expected-Last-Subject-Sequence`` set to the last entry this writer saw on the
message's subject, so the append is refused if anybody else wrote there since. A newer
claim and a cancel publish a marker on that subject, which makes the old writer's next
append fail that check; the writer then reads the fence and raises ``StaleAttempt`` or
``RunCancelled`` (or, if the fence is still its own, takes the new sequence and retries).
The happy path is one publish per chunk. Seq numbers come from the writer's own count per
(message, attempt), recovered from the subject's last entry when another process takes over.

Listening goes through the process's one ``NatsRoomDispatcher`` (``adapters/nats/dispatcher.py``):
a single ordered consumer over every room's subjects, dispatched by room to local listeners,
so a room joining costs no request to the server; docs/brokers.md says why.

History (a resume, a snapshot) is read by direct gets of the room's next entry, never by
trusting a consumer's pending count (see ``read``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any

import attrs
import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import BadRequestError, NoStreamResponseError, NotFoundError

from adapters.nats.connection import (
    NatsNames,
    honour_cancellation,
    unavailable_without_nats,
)
from adapters.nats.dispatcher import NatsRoomDispatcher, delivery_of, reader_config
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.stream import (
    CANCELLABLE_KINDS,
    EventDraft,
    EventKind,
    Fence,
    History,
    Position,
    StreamEvent,
)

_SEQUENCED = frozenset({EventKind.CHUNK, EventKind.COMPONENT})
_MARK = "~mark"  # an entry that only breaks a writer's chain; never delivered
_WRONG_LAST_SEQUENCE = 10071
_STREAM_IN_USE = 10058
_CHAINS_KEPT = 4096
_RETRIES = 8
_EXPECTED = api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE.value
_MSG_ID = api.Header.MSG_ID.value


class _Entry(msgspec.Struct, array_like=True):
    k: str
    m: str
    a: int
    s: int
    d: msgspec.Raw


class _FenceState(msgspec.Struct, array_like=True):
    attempt: int
    cancelled: bool


@attrs.define
class _Chain:
    """What this process knows of a message's subject and fence."""

    last: int = 0
    seqs: dict[int, int] = attrs.Factory(dict)
    owner: int | None = None
    cancelled: bool = False


class NatsStreamBroker:
    """The ``StreamBroker`` port on JetStream; everything it writes ages out of the stream."""

    def __init__(
        self,
        client: Client,
        *,
        prefix: str,
        ttl_seconds: int,
        heartbeat: float = 1.0,
        storage: api.StorageType = api.StorageType.FILE,
        queue_size: int = 1000,
        span: int = 64,
    ) -> None:
        self._nc = client
        self._span = span
        self._deleting: set[asyncio.Future[None]] = set()  # deletions of abandoned consumers
        self._js = client.jetstream()
        self._names = NatsNames(prefix)
        self._stream = self._names.chat_stream
        self._ttl = ttl_seconds
        self._heartbeat = heartbeat
        self._storage = storage
        self._epoch: str | None = None
        self._ensuring = asyncio.Lock()
        self._chains: OrderedDict[str, _Chain] = OrderedDict()
        self._encode = msgspec.json.Encoder().encode
        self._entry = msgspec.json.Decoder(_Entry)
        self._fence_state = msgspec.json.Decoder(_FenceState)
        self.dispatcher = NatsRoomDispatcher(
            client, self, prefix=prefix, heartbeat=heartbeat, queue_size=queue_size
        )

    @property
    def stream(self) -> str:
        return self._stream

    def reconnected(self) -> None:
        """Called on every reconnect: the stream may have been lost meanwhile."""
        self._epoch = None
        self.dispatcher.reconnected()

    # -- the stream itself --------------------------------------------------------------

    @honour_cancellation
    async def ensure(self) -> str:
        """Creates the stream if it is missing; returns its epoch."""
        async with self._ensuring:
            if self._epoch is None:
                self._epoch = await self._create_or_read()
            return self._epoch

    async def _create_or_read(self) -> str:
        with suppress(NotFoundError):
            config = (await self._js.stream_info(self._stream)).config
            if not config.allow_direct:  # made by an earlier version: histories read directly
                config.allow_direct = True
                await self._js.update_stream(config)
            return config.description or ""
        config = api.StreamConfig(
            name=self._stream,
            description=uuid.uuid4().hex[:12],
            subjects=[f"{self._names.prefix}.chat.>"],
            retention=api.RetentionPolicy.LIMITS,
            storage=self._storage,
            discard=api.DiscardPolicy.OLD,
            max_age=float(self._ttl),
            duplicate_window=float(min(self._ttl, 120)),
            num_replicas=1,
            allow_direct=True,
        )
        try:
            info = await self._js.add_stream(config)
        except BadRequestError as exc:
            if exc.err_code != _STREAM_IN_USE:
                raise
            info = await self._js.stream_info(self._stream)  # another process was first
        return info.config.description or ""

    @honour_cancellation
    async def state(self) -> tuple[str, int, int]:
        """(epoch, first sequence, last sequence) of the stream, created if missing."""
        try:
            info = await self._js.stream_info(self._stream)
        except NotFoundError:
            self._epoch = None
            await self.ensure()
            info = await self._js.stream_info(self._stream)
        epoch = info.config.description or ""
        self._epoch = epoch
        return epoch, info.state.first_seq, info.state.last_seq

    @honour_cancellation
    async def delete(self) -> None:
        """Drops the stream and everything in it (tests and tear-down)."""
        with suppress(NotFoundError):
            await self._js.delete_stream(self._stream)
        self._epoch = None

    async def _publish(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> api.PubAck:
        await self.ensure()
        try:
            return await self._js.publish(subject, payload, headers=headers)
        except NoStreamResponseError:
            # No stream took the subject: the server lost it. A new one, with a new epoch.
            self._epoch = None
            await self.ensure()
            return await self._js.publish(subject, payload, headers=headers)

    def _cursor(self, seq: int) -> str:
        return Position(self._epoch or "", seq).encode()

    # -- fences ---------------------------------------------------------------------------

    async def _read_fence(self, message_id: str) -> tuple[_FenceState | None, int]:
        await self.ensure()
        try:
            raw = await self._js.get_last_msg(self._stream, self._names.fence(message_id))
        except NotFoundError:
            return None, 0
        return self._fence_state.decode(raw.data or b""), raw.seq or 0

    async def _write_fence(self, message_id: str, attempt: int | None, cancel: bool) -> bool:
        """Compare-and-set of the fence: ``attempt`` (None keeps it) and the cancel flag
        (kept once set). Raises ``StaleAttempt`` for an attempt older than the fence's.
        True when the change may leave a writer's chain behind (new owner or a cancel)."""
        for _ in range(_RETRIES):
            state, seq = await self._read_fence(message_id)
            owner = state.attempt if state else 0
            if attempt is not None and owner > attempt:
                raise StaleAttempt(f"attempt {attempt} of {message_id} was superseded")
            new = _FenceState(
                owner if attempt is None else attempt, cancel or bool(state and state.cancelled)
            )
            try:
                await self._publish(
                    self._names.fence(message_id), self._encode(new), {_EXPECTED: str(seq)}
                )
            except BadRequestError as exc:
                if exc.err_code == _WRONG_LAST_SEQUENCE:
                    continue  # written meanwhile: read it again
                raise
            chain = self._chains.get(message_id)
            if chain is not None:
                chain.owner, chain.cancelled = new.attempt, new.cancelled
            return state is not None and (new != state)
        raise StaleAttempt(f"the fence of {message_id} kept changing")

    async def _break_chains(self, message_id: str) -> None:
        """A marker on each subject of the message, so its writer looks at the fence."""
        info = await self._js.stream_info(
            self._stream, subjects_filter=self._names.message_filter(message_id)
        )
        mark = self._encode(_Entry(_MARK, message_id, -1, 0, msgspec.Raw(b"null")))
        for subject in info.state.subjects or {}:
            await self._publish(subject, mark)

    @honour_cancellation
    async def claim(self, message_id: str, attempt: int, lease_seconds: float) -> None:
        # The fence lives as long as the stream keeps entries (its age limit); the runner's
        # lease renewals write it again, so a running attempt never loses it.
        with unavailable_without_nats("Chat streaming"):
            if await self._write_fence(message_id, attempt, cancel=False):
                await self._break_chains(message_id)

    @honour_cancellation
    async def request_cancel(self, message_id: str) -> None:
        with unavailable_without_nats("Chat streaming"):
            await self._write_fence(message_id, None, cancel=True)
            await self._break_chains(message_id)

    @honour_cancellation
    async def cancel_requested(self, message_id: str) -> bool:
        with unavailable_without_nats("Chat streaming"):
            state, _ = await self._read_fence(message_id)
        return state is not None and state.cancelled

    # -- appends --------------------------------------------------------------------------

    @honour_cancellation
    async def append(self, room: str, draft: EventDraft, fence: Fence | None = None) -> StreamEvent:
        message_id = fence.message_id if fence else (draft.message_id or "")
        attempt = fence.attempt if fence else 0
        sequenced = draft.kind in _SEQUENCED and bool(message_id)
        subject = self._names.room_events(room, message_id)
        with unavailable_without_nats("Chat streaming"):
            if fence is None and not sequenced:
                body = _Entry(draft.kind.value, message_id, 0, 0, self._raw(draft))
                ack = await self._publish(subject, self._encode(body))
                return self._event(draft, message_id, 0, 0, ack.seq)
            return await self._chained(subject, draft, message_id, attempt, fence, sequenced)

    async def _chained(
        self,
        subject: str,
        draft: EventDraft,
        message_id: str,
        attempt: int,
        fence: Fence | None,
        sequenced: bool,
    ) -> StreamEvent:
        chain = self._chains.get(message_id)
        if chain is None:
            chain = await self._load_chain(subject, message_id)
        data = self._raw(draft)
        for _ in range(_RETRIES):
            if fence is not None:
                if chain.owner != attempt:
                    owner = "none (lost)" if chain.owner is None else str(chain.owner)
                    raise StaleAttempt(
                        f"attempt {attempt} of {message_id} is stale; owner: {owner}"
                    )
                if chain.cancelled and draft.kind in CANCELLABLE_KINDS:
                    raise RunCancelled(f"message {message_id} was cancelled")
            seq = chain.seqs.get(attempt, 0) + 1 if sequenced else 0
            headers = {_EXPECTED: str(chain.last)}
            if sequenced:
                headers[_MSG_ID] = f"{message_id}:{attempt}:{seq}"
            body = _Entry(draft.kind.value, message_id, attempt, seq, data)
            try:
                ack = await self._publish(subject, self._encode(body), headers)
            except BadRequestError as exc:
                if exc.err_code != _WRONG_LAST_SEQUENCE:
                    raise
                chain = await self._load_chain(subject, message_id, chain)
                continue
            chain.last = max(chain.last, ack.seq)
            if ack.duplicate:
                # An earlier publish of this (message, attempt, seq) was stored but its
                # acknowledgement never came back (the call was cancelled): nothing was written
                # now. Count the stored one and try again, fence checked afresh.
                chain.seqs[attempt] = seq
                chain = await self._load_chain(subject, message_id, chain)
                continue
            if sequenced:
                chain.seqs[attempt] = seq
            return self._event(draft, message_id, attempt, seq, ack.seq)
        raise StaleAttempt(f"attempt {attempt} of {message_id} kept losing its place")

    async def _load_chain(
        self, subject: str, message_id: str, known: _Chain | None = None
    ) -> _Chain:
        chain = known or _Chain()
        await self.ensure()
        try:
            raw = await self._js.get_last_msg(self._stream, subject)
        except NotFoundError:
            chain.last = 0
        else:
            chain.last = raw.seq or 0
            last = self._entry.decode(raw.data or b"")
            if last.k != _MARK and last.s:
                chain.seqs[last.a] = max(chain.seqs.get(last.a, 0), last.s)
        state, _ = await self._read_fence(message_id)
        chain.owner = state.attempt if state else None
        chain.cancelled = bool(state and state.cancelled)
        self._chains[message_id] = chain
        self._chains.move_to_end(message_id)
        while len(self._chains) > _CHAINS_KEPT:
            self._chains.popitem(last=False)
        return chain

    def _raw(self, draft: EventDraft) -> msgspec.Raw:
        return msgspec.Raw(self._encode(draft.data))

    def _event(
        self, draft: EventDraft, message_id: str, attempt: int, seq: int, stream_seq: int
    ) -> StreamEvent:
        return StreamEvent(
            kind=draft.kind,
            data=draft.data,
            cursor=self._cursor(stream_seq),
            message_id=message_id or None,
            attempt=attempt,
            seq=seq,
        )

    def decode(self, epoch: str, seq: int, payload: bytes) -> StreamEvent | None:
        entry = self._entry.decode(payload)
        if entry.k == _MARK:
            return None
        data: dict[str, Any] = msgspec.json.decode(entry.d)
        return StreamEvent(
            kind=EventKind(entry.k),
            data=data,
            cursor=Position(epoch, seq).encode(),
            message_id=entry.m or None,
            attempt=entry.a,
            seq=entry.s,
        )

    # -- reading --------------------------------------------------------------------------

    @honour_cancellation
    async def history(self, room: str, after: str | None, limit: int = 1000) -> History:
        with unavailable_without_nats("Chat streaming"):
            epoch, first, last = await self.state()
            position = Position.parse(after) if after is not None else None
            complete = True
            start = first
            if after is not None:
                if (
                    position is None
                    or position.epoch != epoch
                    or position.minor != 0
                    or position.major > last
                ):
                    complete = False
                else:
                    # The stream drops its oldest entries first: nothing after the cursor is
                    # gone while the cursor's next entry is still at or after the first kept.
                    complete = position.major + 1 >= first
                    start = position.major + 1
            events = await self.read(room, epoch, max(start, 1), limit) if last else []
        return History(events, complete)

    @honour_cancellation
    async def read(self, room: str, epoch: str, start: int, limit: int) -> list[StreamEvent]:
        """Up to ``limit`` events of the room from stream sequence ``start``, read in batches.

        The room's last entry is asked first (a direct get of the last message on the room's
        subjects): its sequence ``end`` is where the read stops, the server having named an
        entry that exists, so no count is trusted (a consumer's pending count is miscounted
        now and then by the NATS 2.9 server this was built on for a wildcard filter such as
        a room's: measured, 7 consumers in 300 off by one to three, both ways). Up to ``end``:
        a short span of the stream is read by sequence with concurrent direct gets (one round
        trip), a longer one through a short-lived consumer filtered on the room (the server
        pushes the room's entries; no round trip per entry). Whatever that cannot finish (a
        delivery missing, the consumer idle before ``end``) is read on with direct gets of the
        room's next entry. Entries appended after ``end`` reach listeners live."""
        room_filter = self._names.room_filter(room)
        try:
            newest = await self._js.get_msg(self._stream, subject=room_filter, direct=True)
        except NotFoundError:
            return []
        end = newest.seq or 0
        if end < start:
            return []
        if end - start < self._span:
            events, start = await self._read_span(room, epoch, start, end, limit)
        else:
            events, start = await self._read_consumer(room_filter, epoch, start, end, limit)
        if start <= end:
            events += await self._read_next(room_filter, epoch, start, end, limit - len(events))
        return events

    async def _read_span(
        self, room: str, epoch: str, start: int, end: int, limit: int
    ) -> tuple[list[StreamEvent], int]:
        """The room's events among stream sequences ``start``..``end``, every one asked at
        once; returns them and the sequence to read on from."""
        prefix = self._names.room_events(room, "")[:-1]
        get = self._js.get_msg
        asks = (get(self._stream, seq=seq, direct=True) for seq in range(start, end + 1))
        replies = await asyncio.gather(*asks, return_exceptions=True)
        events: list[StreamEvent] = []
        for seq, raw in enumerate(replies, start):
            if isinstance(raw, NotFoundError):
                continue  # aged out, or a sequence the stream skipped
            if isinstance(raw, BaseException):
                raise raw
            if not (raw.subject or "").startswith(prefix):
                continue
            event = self.decode(epoch, seq, raw.data or b"")
            if event is not None:
                events.append(event)
                if len(events) >= limit:
                    return events, seq + 1
        return events, end + 1

    async def _read_consumer(
        self, room_filter: str, epoch: str, start: int, end: int, limit: int
    ) -> tuple[list[StreamEvent], int]:
        """The room's events from ``start`` up to ``end`` through an ephemeral push consumer
        filtered on the room; returns them and the sequence to read on from (``end + 1``
        unless the consumer stopped short: a delivery missing, or idle before ``end``)."""
        events: list[StreamEvent] = []
        inbox = self._nc.new_inbox()
        arrived: asyncio.Queue[Msg] = asyncio.Queue()

        async def on_message(msg: Msg) -> None:
            arrived.put_nowait(msg)

        sub = await self._nc.subscribe(inbox, cb=on_message)
        config = reader_config(inbox, room_filter, start, self._heartbeat)
        consumer: str | None = None
        try:
            consumer = await self._add_consumer(config)
            delivered = 0
            while start <= end and len(events) < limit:
                async with asyncio.timeout(3 * self._heartbeat):
                    msg = await arrived.get()
                if not msg.reply.startswith("$JS.ACK."):
                    if (msg.headers or {}).get("Status") == "100" and msg.reply:
                        await self._nc.publish(msg.reply)  # flow control: go on
                        continue
                    break  # idle before ``end`` (or another status): read on directly
                seq, number = delivery_of(msg.reply)
                if number != delivered + 1:
                    break  # a delivery lost on the way: read on directly from ``start``
                delivered, start = number, seq + 1
                event = self.decode(epoch, seq, msg.data)
                if event is not None:
                    events.append(event)
        except TimeoutError:
            pass  # nothing came: the direct gets that follow say why, or read on
        finally:
            with suppress(Exception):
                await sub.unsubscribe()
            if consumer is not None:
                with suppress(Exception):
                    await self._nc.publish(f"$JS.API.CONSUMER.DELETE.{self._stream}.{consumer}")
        return events, start

    async def _add_consumer(self, config: api.ConsumerConfig) -> str:
        """Makes a history read's consumer; a read cancelled while the server is making it
        (a client that left) still deletes it once its name is known, rather than leaving it
        matched against every entry until the server notices nobody listens."""
        making = asyncio.ensure_future(self._js.add_consumer(self._stream, config))
        try:
            return (await asyncio.shield(making)).name
        except asyncio.CancelledError:
            making.add_done_callback(self._delete_made)
            raise

    def _delete_made(self, making: asyncio.Future[api.ConsumerInfo]) -> None:
        if making.cancelled() or making.exception() is not None:
            return
        subject = f"$JS.API.CONSUMER.DELETE.{self._stream}.{making.result().name}"
        self._deleting.add(task := asyncio.ensure_future(self._nc.publish(subject)))
        task.add_done_callback(self._deleting.discard)

    async def _read_next(
        self, room_filter: str, epoch: str, start: int, end: int, limit: int
    ) -> list[StreamEvent]:
        """The room's events from ``start`` up to ``end``, one direct get of the room's next
        entry each (``next_by_subj``: the server's store finds it)."""
        events: list[StreamEvent] = []
        while start <= end and len(events) < limit:
            try:
                raw = await self._js.get_msg(
                    self._stream, seq=start, subject=room_filter, next=True, direct=True
                )
            except NotFoundError:
                break
            seq = raw.seq or start
            start = seq + 1
            if seq > end:
                break
            event = self.decode(epoch, seq, raw.data or b"")
            if event is not None:
                events.append(event)
        return events

    @honour_cancellation
    async def head(self, room: str) -> str:
        with unavailable_without_nats("Chat streaming"):
            epoch, _, last = await self.state()
        return Position(epoch, last).encode()

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self.dispatcher.listen(room)

    async def aclose(self) -> None:
        """Stops live delivery (the process's consumer); appends and reads still work."""
        await self.dispatcher.aclose()

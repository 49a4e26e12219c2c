"""The chat sockets and event streams each user holds in this process, checked again when the
user changes.

A socket or stream is authenticated once, when it opens. Every change to a user (disabled,
role) ends with the user cache forgetting the user in every process
(``TicketedCache.forget``); the cache tells this registry, which has each of that user's
sockets and streams sign in again with its token. A socket whose token no longer signs in (the
user was disabled or deleted) is closed with 4401; an event stream ends at its next event or
heartbeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

import structlog

log = structlog.get_logger("mocheong.chat.ws")
Recheck = Callable[[], Awaitable[None]]


class UserSockets:
    def __init__(self) -> None:
        self._sockets: dict[str, set[Recheck]] = {}
        self._checking: set[asyncio.Task[None]] = set()

    def add(self, user_id: str, recheck: Recheck) -> None:
        self._sockets.setdefault(user_id, set()).add(recheck)

    def discard(self, user_id: str, recheck: Recheck) -> None:
        sockets = self._sockets.get(user_id)
        if sockets is not None:
            sockets.discard(recheck)
            if not sockets:
                del self._sockets[user_id]

    def count(self, user_id: str) -> int:
        return len(self._sockets.get(user_id, ()))

    def changed(self, user_ids: Iterable[str]) -> None:
        """These users changed (told by the user cache, synchronously): check their sockets."""
        for user_id in user_ids:
            for recheck in list(self._sockets.get(user_id, ())):
                task = asyncio.get_running_loop().create_task(self._check(recheck))
                self._checking.add(task)
                task.add_done_callback(self._checking.discard)

    async def _check(self, recheck: Recheck) -> None:
        try:
            await recheck()
        except Exception as exc:  # a failed check leaves the socket as it was; log it
            log.warning("socket_recheck_failed", error=repr(exc))

    async def close(self) -> None:
        for task in list(self._checking):
            task.cancel()
        await asyncio.gather(*self._checking, return_exceptions=True)

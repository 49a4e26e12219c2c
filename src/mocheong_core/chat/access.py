"""Who may use which chat: a session is its page owner's, and no one else learns it exists."""

from __future__ import annotations

from mocheong_core.chat.errors import MessageNotFound, SessionNotFound
from mocheong_core.chat.model import ChatSession, Message, page_of_room
from mocheong_core.chat.ports import ChatRepository, PageAccess, SessionCache
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.uow import UnitOfWork


class ChatAccess:
    def __init__(
        self,
        chats: ChatRepository,
        pages: PageAccess,
        cache: SessionCache,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._chats, self._pages, self._cache = chats, pages, cache
        self._uow, self._clock = uow, clock

    async def session(self, user_id: str, session_id: str) -> ChatSession:
        """The session by id (a resume, a submit or a cancel on a joined connection): read
        from the store once per process. Every resume used to read it, a pooled query each,
        which a storm of resumes (R2: an API process killed, its clients resuming on the
        others at once) queues for behind the pool; a client's next resume on the same
        process now reads nothing (docs/realtime.md, R2)."""
        session = await session_by_id(self._chats, self._cache, session_id)
        if session is None or session.owner_id != user_id:
            raise SessionNotFound
        return session

    async def session_for_page(self, user_id: str, page_id: str) -> ChatSession:
        """The page's session, created (and committed) on first use."""
        session = self._cache.get(page_id)
        if session is None:
            ticket = self._cache.ticket()
            session = await self._chats.session_for_page(page_id)
            if session is None:
                if await self._pages.owner_of(page_id) != user_id:
                    raise SessionNotFound("No such page")
                created = ChatSession(
                    id=new_id(), page_id=page_id, created_at=self._clock.now(), owner_id=user_id
                )
                session = await self._chats.add_session(created)
                await self._uow.commit()
            if session.owner_id is not None:
                self._cache.put(session, ticket)
        if session.owner_id != user_id:
            raise SessionNotFound("No such page")
        return session

    async def session_for_room(self, user_id: str, room: str) -> ChatSession:
        page_id = page_of_room(room)
        if page_id is None:
            raise SessionNotFound("No such room")
        return await self.session_for_page(user_id, page_id)

    async def message(self, user_id: str, message_id: str) -> tuple[ChatSession, Message]:
        message = await self._chats.get_message(message_id)
        if message is None:
            raise MessageNotFound
        try:
            session = await self.session(user_id, message.session_id)
        except SessionNotFound:
            raise MessageNotFound from None
        return session, message


async def session_by_id(
    chats: ChatRepository, cache: SessionCache, session_id: str
) -> ChatSession | None:
    """The session of that id (with its page's owner): from ``cache`` when this process keeps
    it, else read from ``chats`` and kept while its page has an owner."""
    session = cache.get_by_id(session_id)
    if session is None:
        ticket = cache.ticket()
        session = await chats.get_session(session_id)
        if session is not None and session.owner_id is not None:
            cache.put(session, ticket)
    return session

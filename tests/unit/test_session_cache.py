"""The per-process cache of pages' chat sessions, found by page or by session id: a session
found by its id is exactly as fresh as its page's entry."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.memory.session_cache import LocalSessionCache
from mocheong_core.chat.model import ChatSession


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def session(page_id: str = "p1", session_id: str = "s1") -> ChatSession:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    return ChatSession(id=session_id, page_id=page_id, created_at=created, owner_id="u1")


def test_a_kept_session_is_found_by_its_page_and_by_its_id() -> None:
    cache = LocalSessionCache(10, 30)
    cache.put(session(), cache.ticket())

    assert cache.get("p1") == session()
    assert cache.get_by_id("s1") == session()
    assert cache.get_by_id("p1") is None
    assert cache.get_by_id("nope") is None


async def test_forgetting_the_page_forgets_the_session_by_id_too() -> None:
    cache = LocalSessionCache(10, 30)
    cache.put(session(), cache.ticket())

    await cache.forget("p1")

    assert cache.get_by_id("s1") is None


def test_a_page_forgotten_by_another_process_is_forgotten_by_id() -> None:
    cache = LocalSessionCache(10, 30)
    cache.put(session(), cache.ticket())

    cache.drop(["p1"])  # what a peer's announcement does

    assert cache.get_by_id("s1") is None


def test_a_read_from_before_a_forget_is_not_kept_by_id() -> None:
    cache = LocalSessionCache(10, 30)
    ticket = cache.ticket()
    cache.drop(["p1"])  # the page was deleted while its session was being read

    cache.put(session(), ticket)

    assert cache.get_by_id("s1") is None


def test_a_session_by_id_expires_with_its_page() -> None:
    clock = Clock()
    cache = LocalSessionCache(10, 30, clock=clock)
    cache.put(session(), cache.ticket())

    clock.now += 30.1

    assert cache.get_by_id("s1") is None


def test_ids_are_bounded_like_the_pages() -> None:
    cache = LocalSessionCache(2, 30)
    for n in range(5):
        cache.put(session(f"p{n}", f"s{n}"), cache.ticket())

    assert [cache.get_by_id(f"s{n}") is not None for n in range(5)] == [False] * 3 + [True] * 2
    assert len(cache._pages) == 2

"""The per-process cache of users behind authentication: what it keeps, for how long, and
that nothing read before a change outlives the change."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from adapters.memory.user_cache import LocalUserCache
from mocheong_core.accounts.model import Role, User


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Peers:
    def __init__(self) -> None:
        self.announced: list[list[str]] = []

    async def announce(self, keys: list[str]) -> None:
        self.announced.append(keys)


def user(user_id: str = "u1", *, disabled: bool = False) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        name="Minjun",
        password_hash="-",
        role=Role.USER,
        disabled=disabled,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_user_is_kept_until_its_time_is_up() -> None:
    clock = Clock()
    cache = LocalUserCache(10, 30, clock=clock)
    cache.put(user(), cache.ticket())

    clock.now += 29.9
    assert cache.get("u1") == user()
    clock.now += 0.2
    assert cache.get("u1") is None
    assert len(cache) == 0


def test_callers_get_copies_they_may_change() -> None:
    cache = LocalUserCache(10, 30)
    cache.put(user(), cache.ticket())

    first = cache.get("u1")
    assert first is not None
    first.disabled = True

    assert cache.get("u1") == user()


def test_a_read_from_before_a_forget_is_not_kept() -> None:
    cache = LocalUserCache(10, 30)
    ticket = cache.ticket()  # a request starts reading the user...
    cache.drop(["u1"])  # ...another disables it meanwhile
    cache.put(user(), ticket)

    assert cache.get("u1") is None
    cache.put(user(), cache.ticket())
    assert cache.get("u1") is not None


async def test_forget_drops_here_and_tells_the_peers() -> None:
    peers = Peers()
    cache = LocalUserCache(10, 30, peers)
    cache.resume()  # the subscription is up
    cache.put(user(), cache.ticket())

    await cache.forget("u1")

    assert cache.get("u1") is None
    assert peers.announced == [["u1"]]


def test_with_peers_nothing_is_kept_while_their_announcements_may_be_missed() -> None:
    cache = LocalUserCache(10, 30, Peers())
    cache.put(user(), cache.ticket())
    assert cache.get("u1") is None  # not subscribed yet

    cache.resume()
    cache.put(user(), cache.ticket())
    assert cache.get("u1") is not None

    cache.suspend()  # the subscription broke: whatever was kept may be stale
    assert cache.get("u1") is None
    cache.put(user(), cache.ticket())
    assert cache.get("u1") is None


def test_the_least_recently_used_user_goes_first_when_full() -> None:
    cache = LocalUserCache(2, 30)
    for user_id in ("a", "b"):
        cache.put(user(user_id), cache.ticket())
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put(user("c"), cache.ticket())

    assert [cache.get(u) is not None for u in ("a", "b", "c")] == [True, False, True]


def test_zero_seconds_or_zero_users_turn_the_cache_off() -> None:
    for cache in (LocalUserCache(10, 0), LocalUserCache(0, 30)):
        cache.put(user(), cache.ticket())
        assert cache.get("u1") is None
        cache.resume()
        cache.put(attrs.evolve(user()), cache.ticket())
        assert cache.get("u1") is None


async def test_listeners_hear_every_change_but_not_a_suspension() -> None:
    heard: list[list[str]] = []
    cache = LocalUserCache(10, 30, Peers())
    cache.on_drop(heard.append)
    cache.resume()
    cache.put(user(), cache.ticket())

    await cache.forget("u1")  # a change made here
    cache.drop(["u2"])  # a change a peer announced
    cache.suspend()
    cache.resume()

    assert heard == [["u1"], ["u2"]]

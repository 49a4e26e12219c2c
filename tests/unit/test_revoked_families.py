"""Ended sign-ins as one process knows them: kept as long as an access token can live, and
told to the listeners (the user's open sockets)."""

from __future__ import annotations

from adapters.memory.revoked_families import LocalRevokedFamilies


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_revoked_family_is_kept_as_long_as_its_tokens_can_live() -> None:
    clock = Clock()
    revoked = LocalRevokedFamilies(keep_seconds=930, clock=clock)
    heard: list[list[str]] = []
    revoked.on_revoke(heard.append)

    await revoked.revoke("u-1", "f-1")

    assert revoked.is_revoked("f-1")
    assert not revoked.is_revoked("f-2")
    assert heard == [["u-1"]]
    clock.now = 929.9
    assert revoked.is_revoked("f-1")
    clock.now = 930
    assert not revoked.is_revoked("f-1")
    assert len(revoked) == 0


async def test_what_peers_announce_is_refused_and_malformed_keys_are_ignored() -> None:
    revoked = LocalRevokedFamilies(keep_seconds=60)

    revoked.drop(["u-1 f-1", "no-family"])

    assert revoked.is_revoked("f-1")
    assert len(revoked) == 1

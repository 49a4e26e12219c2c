"""The worker starts again after a lost Redis, with a pause that grows while Redis stays away
and starts over once a run had connected."""

from __future__ import annotations

from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError

from entrypoints.worker.app import keep_running


def test_the_pause_starts_over_after_a_run_that_had_connected() -> None:
    # Two failed attempts, a run that connects then loses Redis, one more failed attempt.
    runs = iter([False, False, True, False, None])
    pauses: list[float] = []

    def run_once(connected: Callable[[], None]) -> None:
        outcome = next(runs)
        if outcome is None:
            return  # stopped (SIGTERM)
        if outcome:
            connected()
        raise RedisConnectionError("Connection refused")

    keep_running(run_once, sleep=pauses.append)

    assert pauses == [0.5, 1.0, 0.5, 1.0]


def test_the_pause_is_bounded_while_redis_stays_away() -> None:
    attempts = iter(range(8))
    pauses: list[float] = []

    def run_once(_: Callable[[], None]) -> None:
        if next(attempts) < 7:
            raise RedisConnectionError("Connection refused")

    keep_running(run_once, sleep=pauses.append)

    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_each_loss_is_reported_so_the_health_beat_names_redis() -> None:
    attempts = iter(range(3))
    losses: list[int] = []

    def run_once(_: Callable[[], None]) -> None:
        if next(attempts) < 2:
            raise RedisConnectionError("Connection refused")

    keep_running(run_once, sleep=lambda _: None, lost=lambda: losses.append(1))

    assert losses == [1, 1]

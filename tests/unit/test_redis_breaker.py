"""The Redis breaker's states, on a clock the test moves."""

from __future__ import annotations

import pytest

from adapters.redis.breaker import RedisBreaker, RedisUnavailable, shared_breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> RedisBreaker:
    return RedisBreaker(cooldown=1.0, clock=clock)


def test_a_closed_breaker_lets_every_command_go_and_none_as_a_probe(
    breaker: RedisBreaker,
) -> None:
    assert [breaker.admit(5.0) for _ in range(3)] == [False, False, False]
    assert not breaker.is_open


def test_a_timeout_refuses_the_others_until_the_cooldown(
    breaker: RedisBreaker, clock: Clock
) -> None:
    breaker.failed()
    assert breaker.is_open
    clock.now += 0.9
    with pytest.raises(RedisUnavailable):
        breaker.admit(5.0)
    assert breaker.trips == 1


def test_after_the_cooldown_one_probe_goes_and_its_answer_closes_it(
    breaker: RedisBreaker, clock: Clock
) -> None:
    breaker.failed()
    clock.now += 1.0
    assert breaker.admit(5.0) is True
    with pytest.raises(RedisUnavailable):  # one probe at a time
        breaker.admit(5.0)
    breaker.answered(probe=True)
    assert not breaker.is_open
    assert breaker.admit(5.0) is False


def test_a_failed_probe_opens_it_for_another_cooldown(breaker: RedisBreaker, clock: Clock) -> None:
    breaker.failed()
    clock.now += 1.0
    assert breaker.admit(5.0)
    breaker.failed()
    clock.now += 0.5
    with pytest.raises(RedisUnavailable):
        breaker.admit(5.0)
    clock.now += 0.5
    assert breaker.admit(5.0)
    assert breaker.trips == 1  # still the same outage


def test_an_answer_to_another_connection_does_not_close_it(
    breaker: RedisBreaker, clock: Clock
) -> None:
    breaker.failed()
    breaker.answered(probe=False)  # a reply already on its way before the outage
    assert breaker.is_open


def test_a_probe_that_never_reports_gives_its_turn_up_after_its_deadline(
    breaker: RedisBreaker, clock: Clock
) -> None:
    breaker.failed()
    clock.now += 1.0
    assert breaker.admit(5.0)  # its caller is cancelled: it never reports
    clock.now += 4.9
    with pytest.raises(RedisUnavailable):
        breaker.admit(5.0)
    clock.now += 0.1
    assert breaker.admit(5.0)


def test_a_probe_released_without_an_answer_lets_the_next_command_probe(
    breaker: RedisBreaker, clock: Clock
) -> None:
    breaker.failed()
    clock.now += 1.0
    assert breaker.admit(5.0)
    breaker.released(probe=True)  # e.g. the connection was reset
    assert breaker.is_open
    assert breaker.admit(5.0)


def test_the_refusal_is_a_connection_error_that_answers_503() -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from entrypoints.http.problems import UNAVAILABLE

    assert issubclass(RedisUnavailable, RedisConnectionError)
    assert any(issubclass(RedisUnavailable, kind) for kind in UNAVAILABLE)


def test_one_breaker_per_redis_in_a_process() -> None:
    first = shared_breaker("redis://127.0.0.1:1/0", 1.0)
    assert shared_breaker("redis://127.0.0.1:1/0", 2.0) is first
    assert first.cooldown == 2.0
    assert shared_breaker("redis://127.0.0.1:2/0", 1.0) is not first

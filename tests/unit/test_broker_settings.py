"""The NATS rate limiter's settings: checked at start-up, with a message that names them."""

from __future__ import annotations

import pytest

from entrypoints.bootstrap.settings import REGISTER_WINDOW, SettingsError, load_settings

NATS = {"MOCHEONG_BROKER": "nats"}


def test_the_rate_limit_bucket_defaults_to_none_and_the_ttl_to_the_longest_window() -> None:
    broker = load_settings(NATS, env_file=None).broker

    assert broker.nats_rate_limit_bucket == ""
    assert broker.nats_rate_limit_ttl == REGISTER_WINDOW == 3600
    assert broker.nats_rate_limit_tries == 16


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MOCHEONG_NATS_RATE_LIMIT_BUCKET": "rate.limits"}, "RATE_LIMIT_BUCKET must be letters"),
        ({"MOCHEONG_NATS_RATE_LIMIT_TTL": "3599"}, "RATE_LIMIT_TTL must be at least 3600"),
        ({"MOCHEONG_NATS_RATE_LIMIT_TRIES": "0"}, "RATE_LIMIT_TRIES"),
    ],
)
def test_bad_nats_rate_limit_settings_stop_start_up(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(NATS | values, env_file=None)


def test_other_brokers_ignore_the_nats_rate_limit_settings() -> None:
    settings = load_settings({"MOCHEONG_NATS_RATE_LIMIT_TTL": "60"}, env_file=None)

    assert not settings.broker.uses_nats

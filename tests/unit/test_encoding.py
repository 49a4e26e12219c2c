"""Content-coding negotiation and its settings: ``Accept-Encoding`` weights (``q``, ``*``,
refusals), per-coding entity tags, ``Vary`` merging, and levels out of range refused by name."""

from __future__ import annotations

import hashlib

import pytest

from entrypoints.bootstrap.settings import SettingsError, load_settings
from entrypoints.http.encoding import (
    Levels,
    Negotiator,
    coded_etag,
    encode,
    merged_vary,
    preferred,
)


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        (b"gzip, deflate, br, zstd", "br"),
        (b"gzip;q=1.0, br;q=0.8", "gzip"),
        (b"x-gzip", "gzip"),
        (b"*;q=0.5, br;q=0", "gzip"),
        (b"deflate, zstd", "identity"),
        (b"br;q=zero, gzip", "gzip"),  # an unreadable weight refuses that coding
        (b"", "identity"),
    ],
)
def test_the_coding_the_client_weighs_highest_is_chosen(accept: bytes, coding: str) -> None:
    assert preferred(accept) == coding
    assert Negotiator().choose(accept) == coding


def test_each_coding_has_its_own_tag_and_vary_names_accept_encoding_once() -> None:
    assert coded_etag(b'"abc"', "br") == b'"abc-br"'
    assert coded_etag(b'W/"abc"', "gzip") == b'W/"abc-gz"'
    assert coded_etag(b'"abc"', "identity") == b'"abc"'
    assert merged_vary([]) == b"Accept-Encoding"
    assert merged_vary([b"Origin", b"accept-encoding"]) == b"Origin, accept-encoding"


def test_small_or_incompressible_bodies_stay_plain() -> None:
    levels = Levels(min_size=100)
    assert encode(b"x" * 99, levels) == {}
    assert set(encode(b"x" * 100, levels)) == {"br", "gzip"}
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(40))
    assert encode(noise, levels) == {}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PUBLIC_BROTLI_QUALITY", "12", "MOCHEONG_PUBLIC_BROTLI_QUALITY must be 0 to 11"),
        ("PUBLIC_GZIP_LEVEL", "0", "MOCHEONG_PUBLIC_GZIP_LEVEL must be 1 to 9"),
        ("STATIC_BROTLI_QUALITY", "-1", "MOCHEONG_STATIC_BROTLI_QUALITY must be 0 to 11"),
        ("STATIC_MAX_AGE", "-1", "MOCHEONG_STATIC_MAX_AGE must not be negative"),
    ],
)
def test_levels_out_of_range_stop_start_up(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({f"MOCHEONG_{name}": value}, env_file=None)

"""Settings of what clients reach: links, sign-in, HTTP limits, files and per-IP rates."""

from __future__ import annotations

from typing import Any

import attrs

from entrypoints.bootstrap.settings.fields import (
    PREFIX,
    SettingsError,
    choice,
    not_negative,
    positive,
    setting,
    variable,
)

MIN_JWT_SECRET_CHARS = 32
FILE_URL_TTL_MAX = 7 * 24 * 3600  # the longest an S3 presigned URL may live


def _widths(value: Any) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(part) for part in value}))
    except (TypeError, ValueError):
        raise SettingsError(
            f"{PREFIX}IMAGE_VARIANT_WIDTHS must be whole numbers separated by commas"
        ) from None


def _widths_in_range(_: Any, field: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    if not value or not all(16 <= width <= 8192 for width in value):
        raise SettingsError(f"{variable(field)} must be widths of 16 to 8192")


def _url_ttl(_: Any, field: attrs.Attribute[Any], value: int) -> None:
    if not 0 < value <= FILE_URL_TTL_MAX:
        raise SettingsError(f"{variable(field)} must be 1 to {FILE_URL_TTL_MAX} seconds")


def _long_enough(_: Any, field: attrs.Attribute[Any], value: str) -> None:
    if value and len(value) < MIN_JWT_SECRET_CHARS:
        raise SettingsError(f"{variable(field)} must be at least {MIN_JWT_SECRET_CHARS} characters")


@attrs.frozen(kw_only=True)
class WebSettings:
    public_base_url: str = setting(
        "PUBLIC_BASE_URL",
        default="",
        doc=(
            "Base URL of every link a client receives (guest links, file URLs, the public "
            "page's address), e.g. `https://mocheong.app`; empty means the request's own"
        ),
    )
    kakao_js_key: str = setting(
        "KAKAO_JS_KEY",
        default="",
        doc=(
            "Kakao JavaScript key for KakaoTalk sharing (studio and guests' pages) and Kakao "
            "Map on guests' pages; empty hides them (Kakao's SDKs are then never loaded)"
        ),
    )


@attrs.frozen(kw_only=True)
class AuthSettings:
    jwt_secret: str = setting(
        "JWT_SECRET",
        default="",
        doc=(
            "HMAC key for access tokens, at least 32 characters. Empty: required in "
            "production; otherwise a random key made on first start and kept in "
            "`<data_dir>/jwt-secret`"
        ),
        check=_long_enough,
        secret=True,
        shown="(empty: a random key in the data folder)",
    )
    access_token_ttl: int = setting("ACCESS_TOKEN_TTL", default=900, doc="Access token lifetime, s")
    refresh_token_ttl: int = setting(
        "REFRESH_TOKEN_TTL", default=30 * 24 * 3600, doc="Refresh token lifetime, s"
    )
    cache_seconds: float = setting(
        "AUTH_CACHE_SECONDS",
        default=30.0,
        doc=(
            "How long a process reuses a user it read to authenticate a request, s. Changes "
            "to a user reach every process at once; this bounds a missed one (0: off)"
        ),
        check=not_negative,
    )
    cache_users: int = setting(
        "AUTH_CACHE_USERS",
        default=10_000,
        doc="Users each process keeps for authentication",
        check=not_negative,
    )


@attrs.frozen(kw_only=True)
class HttpSettings:
    cors_origins: tuple[str, ...] = setting(
        "CORS_ORIGINS", default=(), doc="Comma-separated origins allowed by CORS (`*` for any)"
    )
    trusted_proxy_hops: int = setting(
        "TRUSTED_PROXY_HOPS",
        default=0,
        doc=(
            "Reverse proxies in front of the API that append the client to `X-Forwarded-For`; "
            "the client address (for per-IP limits) is read that many entries from the right. "
            "0: the TCP peer, the header is ignored"
        ),
        check=not_negative,
    )
    max_body_bytes: int = setting(
        "MAX_BODY_BYTES", default=1_048_576, doc="Largest JSON request body, bytes", check=positive
    )
    max_upload_bytes: int = setting(
        "MAX_UPLOAD_BYTES",
        default=20 * 1_048_576,
        doc="Largest uploaded file, bytes",
        check=positive,
    )


@attrs.frozen(kw_only=True)
class FilesSettings:
    storage: str = setting(
        "STORAGE",
        default="local",
        doc="Where uploaded bytes live: `local` (`<data_dir>/files`) or `s3`",
        check=choice("local", "s3"),
    )
    s3_bucket: str = setting("S3_BUCKET", default="", doc="Bucket for `s3` storage")
    s3_endpoint_url: str = setting(
        "S3_ENDPOINT_URL", default="", doc="Empty: Amazon S3. Else an S3-compatible server's URL"
    )
    s3_region: str = setting("S3_REGION", default="us-east-1", doc="Region of the bucket")
    s3_access_key_id: str = setting(
        "S3_ACCESS_KEY_ID", default="", doc="Empty: the AWS default credential chain", secret=True
    )
    s3_secret_access_key: str = setting(
        "S3_SECRET_ACCESS_KEY", default="", doc="Secret of `S3_ACCESS_KEY_ID`", secret=True
    )
    url_ttl: int = setting(
        "FILE_URL_TTL",
        default=3600,
        doc="Seconds a signed file download URL stays valid (≤ 7 days)",
        check=_url_ttl,
    )
    image_max_pixels: int = setting(
        "IMAGE_MAX_PIXELS",
        default=50_000_000,
        doc="Most pixels an uploaded image may have (refuses decompression bombs)",
        check=positive,
    )
    image_variant_widths: tuple[int, ...] = setting(
        "IMAGE_VARIANT_WIDTHS",
        default=(480, 1280),
        doc="Comma-separated widths of the resized WebP copies of each image",
        check=_widths_in_range,
        converter=_widths,
    )

    def __attrs_post_init__(self) -> None:
        if self.storage == "s3" and not self.s3_bucket:
            raise SettingsError(f"{PREFIX}S3_BUCKET must be set when {PREFIX}STORAGE is s3")


REGISTER_WINDOW = 3600
"""Registrations are counted per hour: the longest window of any rate limit."""


@attrs.frozen(kw_only=True)
class RateSettings:
    login_per_ip: int = setting("RATE_LOGIN_PER_IP", default=20, doc="Logins per IP per minute")
    login_per_account: int = setting(
        "RATE_LOGIN_PER_ACCOUNT", default=10, doc="Logins per account per minute"
    )
    register_per_ip: int = setting(
        "RATE_REGISTER_PER_IP", default=10, doc="Registrations per IP per hour"
    )
    rsvp_per_ip: int = setting(
        "RATE_RSVP_PER_IP", default=30, doc="RSVP answers per IP per minute", check=positive
    )
    guestbook_per_ip: int = setting(
        "RATE_GUESTBOOK_PER_IP",
        default=10,
        doc="Guestbook entries per IP per minute",
        check=positive,
    )

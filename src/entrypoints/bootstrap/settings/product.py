"""Settings of the product's own limits: pages, the public page, jobs and payments."""

from __future__ import annotations

import attrs

from entrypoints.bootstrap.settings.fields import (
    PREFIX,
    SettingsError,
    between,
    not_negative,
    positive,
    setting,
)


@attrs.frozen(kw_only=True)
class PagesSettings:
    gallery_max: int = setting(
        "PAGE_GALLERY_MAX",
        default=30,
        doc="Most photos in a page's gallery (the premium plan)",
        check=positive,
    )
    free_gallery_max: int = setting(
        "PAGE_FREE_GALLERY_MAX",
        default=12,
        doc="Most photos a page on the free plan may add to its gallery",
        check=positive,
    )
    greeting_max: int = setting(
        "PAGE_GREETING_MAX",
        default=1000,
        doc="Most characters in a page's greeting",
        check=positive,
    )
    gift_accounts_max: int = setting(
        "PAGE_GIFT_ACCOUNTS_MAX", default=12, doc="Most gift accounts on a page", check=positive
    )
    guests_max: int = setting(
        "PAGE_GUESTS_MAX", default=2000, doc="Most guests on one page's guest list", check=positive
    )
    interview_max: int = setting(
        "PAGE_INTERVIEW_MAX",
        default=10,
        doc="Most questions in a page's couple interview",
        check=positive,
    )
    notices_max: int = setting(
        "PAGE_NOTICES_MAX",
        default=10,
        doc="Most notices (shuttle, parking, wreaths …) on a page",
        check=positive,
    )
    ending_max: int = setting(
        "PAGE_ENDING_MAX",
        default=500,
        doc="Most characters in a page's ending message",
        check=positive,
    )
    thanks_max: int = setting(
        "PAGE_THANKS_MAX",
        default=500,
        doc="Most characters in a page's thank-you message after the wedding",
        check=positive,
    )
    thanks_photos_max: int = setting(
        "PAGE_THANKS_PHOTOS_MAX",
        default=10,
        doc="Most photos a page's thank-you message after the wedding shows",
        check=positive,
    )
    guest_photos_max: int = setting(
        "PAGE_GUEST_PHOTOS_MAX",
        default=300,
        doc="Most photos in a page's guest album, pending and approved together",
        check=positive,
    )
    guest_photo_max_bytes: int = setting(
        "GUEST_PHOTO_MAX_BYTES",
        default=10 * 1_048_576,
        doc="Largest photo a guest may add to an album, bytes (never above `MAX_UPLOAD_BYTES`)",
        check=positive,
    )
    history_max: int = setting(
        "PAGE_HISTORY_MAX",
        default=200,
        doc="Most versions of one page its history keeps (the oldest are dropped)",
        check=positive,
    )
    rsvp_party_size_max: int = setting(
        "RSVP_PARTY_SIZE_MAX",
        default=10,
        doc="Most people one RSVP answer may count",
        check=positive,
    )


@attrs.frozen(kw_only=True)
class PublicSettings:
    cache_pages: int = setting(
        "PUBLIC_CACHE_PAGES",
        default=1000,
        doc="Published pages whose rendered HTML and JSON each process keeps in memory",
        check=positive,
    )
    cache_ttl: int = setting(
        "PUBLIC_CACHE_TTL",
        default=300,
        doc=(
            "Longest a cached public page is served before it is rendered again, s (also kept "
            "under half of `FILE_URL_TTL`, so the signed image links in it stay valid)"
        ),
        check=positive,
    )
    max_age: int = setting(
        "PUBLIC_MAX_AGE",
        default=60,
        doc="`Cache-Control: max-age` of the public page and its JSON, s",
        check=not_negative,
    )
    compress_min: int = setting(
        "PUBLIC_COMPRESS_MIN",
        default=512,
        doc=(
            "Smallest body, in bytes, sent compressed (brotli or gzip, as the client accepts): "
            "the public page, its JSON, the static and studio files"
        ),
        check=not_negative,
    )
    gzip_level: int = setting(
        "PUBLIC_GZIP_LEVEL",
        default=9,
        doc="gzip level (1 to 9) of the public page and its JSON, compressed once per version",
        check=between(1, 9),
    )
    brotli_quality: int = setting(
        "PUBLIC_BROTLI_QUALITY",
        default=11,
        doc=(
            "Brotli quality (0 to 11) of the public page and its JSON, compressed once per version"
        ),
        check=between(0, 11),
    )
    guestbook_entries: int = setting(
        "PUBLIC_GUESTBOOK_ENTRIES",
        default=20,
        doc="Newest guestbook entries on the public page (more load on demand)",
        check=positive,
    )
    album_photos: int = setting(
        "PUBLIC_ALBUM_PHOTOS",
        default=24,
        doc="Newest approved guest photos on the public page (more load on demand)",
        check=positive,
    )


@attrs.frozen(kw_only=True)
class JobsSettings:
    max_concurrency: int = setting(
        "JOBS_MAX_CONCURRENCY", default=200, doc="Jobs one worker runs at once", check=positive
    )
    poll_delay: float = setting(
        "JOBS_POLL_DELAY",
        default=0.005,
        doc="Seconds between the worker's queue polls; a job queued to an idle one wakes it",
        check=positive,
    )
    timeout: int = setting(
        "JOBS_TIMEOUT",
        default=300,
        doc="Seconds a job may run; a job whose worker died is run again after this plus 10 s",
        check=positive,
    )
    queue_read_limit: int = setting(
        "JOBS_QUEUE_READ_LIMIT",
        default=0,
        doc="Job ids the worker reads per poll; 0: 5 × JOBS_MAX_CONCURRENCY (≥ 100)",
    )
    keep_result: int = setting(
        "JOBS_KEEP_RESULT",
        default=0,
        doc="Seconds arq keeps a finished job's result, refusing its id again meanwhile; 0: none",
    )
    max_tries: int = setting(
        "JOBS_MAX_TRIES",
        default=5,
        doc="Runs of a job that was interrupted (worker stopped) or retried",
        check=positive,
    )
    health_check_interval: int = setting(
        "JOBS_HEALTH_CHECK_INTERVAL",
        default=10,
        doc="Seconds between the worker's health records (`<queue>:health-check` key)",
    )
    shutdown_grace: int = setting(
        "JOBS_SHUTDOWN_GRACE",
        default=10,
        doc="Seconds a stopping process lets running jobs finish before cancelling",
    )
    hand_back_wait: float = setting(
        "JOBS_HAND_BACK_WAIT",
        default=3.0,
        doc=(
            "Seconds a stopping worker gives the jobs it cancelled after the shutdown grace to "
            "hand themselves back to the queue"
        ),
        check=positive,
    )


@attrs.frozen(kw_only=True)
class PaymentsSettings:
    portone_api_base: str = setting(
        "PORTONE_API_BASE", default="https://api.portone.io", doc="PortOne V2 REST API base URL"
    )
    portone_api_secret: str = setting(
        "PORTONE_API_SECRET",
        default="",
        doc="PortOne V2 API secret; empty: the local sandbox gateway takes payments",
        secret=True,
    )
    portone_store_id: str = setting(
        "PORTONE_STORE_ID", default="", doc="PortOne store id every payment must belong to"
    )
    portone_channel_key: str = setting(
        "PORTONE_CHANNEL_KEY", default="", doc="PortOne channel key handed to the browser SDK"
    )
    portone_webhook_secret: str = setting(
        "PORTONE_WEBHOOK_SECRET",
        default="",
        doc="PortOne webhook secret (`whsec_…`); two, comma-separated, in a rotation",
        secret=True,
    )
    portone_timeout: float = setting(
        "PORTONE_TIMEOUT", default=10.0, doc="Seconds a PortOne API call may take", check=positive
    )
    portone_retries: int = setting(
        "PORTONE_RETRIES",
        default=2,
        doc="Retries of a PortOne call after a network error or a 5xx",
        check=not_negative,
    )
    premium_price_krw: int = setting(
        "PREMIUM_PRICE_KRW",
        default=9900,
        doc="Price of the premium plan for one page, in won",
        check=positive,
    )
    reconcile_after: float = setting(
        "PAYMENTS_RECONCILE_AFTER",
        default=300.0,
        doc="Seconds an order may stay pending before reconciliation asks PortOne",
        check=positive,
    )
    reconcile_interval: float = setting(
        "PAYMENTS_RECONCILE_INTERVAL",
        default=60.0,
        doc="Seconds between reconciliation runs of the worker",
        check=positive,
    )
    reconcile_batch: int = setting(
        "PAYMENTS_RECONCILE_BATCH",
        default=100,
        doc="Orders one reconciliation run looks at, at most",
        check=positive,
    )

    def __attrs_post_init__(self) -> None:
        if not self.uses_sandbox and not self.portone_store_id:
            raise SettingsError(
                f"{PREFIX}PORTONE_STORE_ID must be set with {PREFIX}PORTONE_API_SECRET"
            )

    @property
    def uses_sandbox(self) -> bool:
        return not self.portone_api_secret

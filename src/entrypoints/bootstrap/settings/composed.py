"""The settings of one installation: a group per concern, composed into one ``Settings``."""

from __future__ import annotations

import attrs

from entrypoints.bootstrap.settings.chat import ChatSettings
from entrypoints.bootstrap.settings.fields import PREFIX, SettingsError
from entrypoints.bootstrap.settings.models import AgentsSettings, GeocodingSettings, LlmSettings
from entrypoints.bootstrap.settings.observability import ObservabilitySettings
from entrypoints.bootstrap.settings.platform import (
    AppSettings,
    BrokerSettings,
    DatabaseSettings,
    LogSettings,
    ServerSettings,
)
from entrypoints.bootstrap.settings.product import (
    JobsSettings,
    PagesSettings,
    PaymentsSettings,
    PublicSettings,
)
from entrypoints.bootstrap.settings.web import (
    MIN_JWT_SECRET_CHARS,
    AuthSettings,
    FilesSettings,
    HttpSettings,
    RateSettings,
    WebSettings,
)


@attrs.frozen(kw_only=True)
class Settings:
    """Every setting; the groups' order is the order of the README's table."""

    app: AppSettings = attrs.field(factory=AppSettings)
    database: DatabaseSettings = attrs.field(factory=DatabaseSettings)
    broker: BrokerSettings = attrs.field(factory=BrokerSettings)
    server: ServerSettings = attrs.field(factory=ServerSettings)
    web: WebSettings = attrs.field(factory=WebSettings)
    auth: AuthSettings = attrs.field(factory=AuthSettings)
    http: HttpSettings = attrs.field(factory=HttpSettings)
    files: FilesSettings = attrs.field(factory=FilesSettings)
    rates: RateSettings = attrs.field(factory=RateSettings)
    pages: PagesSettings = attrs.field(factory=PagesSettings)
    public: PublicSettings = attrs.field(factory=PublicSettings)
    log: LogSettings = attrs.field(factory=LogSettings)
    jobs: JobsSettings = attrs.field(factory=JobsSettings)
    chat: ChatSettings = attrs.field(factory=ChatSettings)
    llm: LlmSettings = attrs.field(factory=LlmSettings)
    geocoding: GeocodingSettings = attrs.field(factory=GeocodingSettings)
    agents: AgentsSettings = attrs.field(factory=AgentsSettings)
    payments: PaymentsSettings = attrs.field(factory=PaymentsSettings)
    observability: ObservabilitySettings = attrs.field(factory=ObservabilitySettings)

    def __attrs_post_init__(self) -> None:
        if self.app.production and not self.auth.jwt_secret:
            raise SettingsError(
                f"{PREFIX}JWT_SECRET or {PREFIX}JWT_SECRET_FILE must be set in production "
                f"(a random key of at least "
                f"{MIN_JWT_SECRET_CHARS} characters, the same in every process)"
            )

    @property
    def effective_database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{(self.app.data_dir / 'mocheong.db').as_posix()}"

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

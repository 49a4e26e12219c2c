"""Typed settings read from ``MOCHEONG_*`` environment variables (and an optional ``.env``).

Every limit of the product is a setting here, in a small attrs group per concern (modules
``platform``, ``web``, ``product``, ``chat``, ``models``, ``observability``), composed into
one ``Settings`` (``composed``) and read by one cattrs converter (``loading``).
"""

from entrypoints.bootstrap.settings.composed import Settings
from entrypoints.bootstrap.settings.fields import PREFIX, SettingsError
from entrypoints.bootstrap.settings.loading import (
    JWT_SECRET_FILE,
    VARIABLES,
    evolve,
    load_settings,
    own_jwt_secret,
    settings_from,
    settings_table,
)
from entrypoints.bootstrap.settings.models import LLM_PROVIDERS
from entrypoints.bootstrap.settings.platform import DEFAULT_SERVER, SERVERS
from entrypoints.bootstrap.settings.web import FILE_URL_TTL_MAX, REGISTER_WINDOW

__all__ = [
    "DEFAULT_SERVER",
    "FILE_URL_TTL_MAX",
    "JWT_SECRET_FILE",
    "LLM_PROVIDERS",
    "PREFIX",
    "REGISTER_WINDOW",
    "SERVERS",
    "VARIABLES",
    "Settings",
    "SettingsError",
    "evolve",
    "load_settings",
    "own_jwt_secret",
    "settings_from",
    "settings_table",
]

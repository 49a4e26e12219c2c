"""Reading settings from ``MOCHEONG_*`` environment variables (and an optional ``.env``).

One cattrs converter turns the variables' text into the groups' types; the groups' field
validators then check the values. A bad or missing value stops start-up with a message naming
the variable.
"""

from __future__ import annotations

import os
import secrets
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote, ClassValidationError
from dotenv import dotenv_values

from entrypoints.bootstrap.settings.composed import Settings
from entrypoints.bootstrap.settings.fields import PREFIX, SettingsError, variable
from entrypoints.bootstrap.settings.web import MIN_JWT_SECRET_CHARS

JWT_SECRET_FILE = "jwt-secret"  # noqa: S105 (a file name, not a key)
"""Where, in the data folder, a process without ``MOCHEONG_JWT_SECRET`` keeps its own key."""

GROUPS: dict[str, type] = typing.get_type_hints(Settings)
VARIABLES: dict[str, tuple[str, attrs.Attribute[Any]]] = {
    variable(field): (group, field)
    for group, kind in GROUPS.items()
    for field in attrs.fields(kind)
}
"""Each setting's variable → its group in ``Settings`` and its field there, in table order."""


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, not {value!r}")


def _number(value: Any, kind: type[float]) -> float:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, not {value!r}") from None


def _items(value: Any, _: type) -> tuple[Any, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


def _is_tuple(kind: Any) -> bool:
    origin: object = typing.get_origin(kind)
    return origin is tuple


converter = cattrs.Converter()
converter.register_structure_hook(bool, _bool)
converter.register_structure_hook(int, _number)
converter.register_structure_hook(float, _number)
converter.register_structure_hook(Path, lambda value, _: Path(value))
converter.register_structure_hook_func(_is_tuple, _items)


def _named(error: BaseException) -> SettingsError:
    """The first failure under a cattrs error, told by the variable whose value failed."""
    path = []
    while isinstance(error, ClassValidationError):
        error = error.exceptions[0]
        notes = getattr(error, "__notes__", ())
        path += [note.name for note in notes if isinstance(note, AttributeValidationNote)]
    if isinstance(error, SettingsError) or len(path) != 2:
        return SettingsError(str(error))
    field = attrs.fields_dict(GROUPS[path[0]])[path[1]]
    return SettingsError(f"{variable(field)} {error}")


def settings_from(values: Mapping[str, Any]) -> Settings:
    """Settings from values keyed by variable (``MOCHEONG_…``), as text or typed; the others
    keep their defaults."""
    unknown = sorted(set(values) - VARIABLES.keys())
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(unknown)}")
    groups: dict[str, dict[str, Any]] = {}
    for var, value in values.items():
        group, field = VARIABLES[var]
        groups.setdefault(group, {})[field.name] = value
    try:
        return converter.structure(groups, Settings)
    except ClassValidationError as exc:
        raise _named(exc) from None


def evolve(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with values changed, each named by its variable without ``MOCHEONG_``
    (``evolve(settings, chat_coalesce_ms=0)``) and of its field's type."""
    groups: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        group, field = VARIABLES[PREFIX + name.upper()]
        groups.setdefault(group, {})[field.name] = value
    return attrs.evolve(
        settings,
        **{
            group: attrs.evolve(getattr(settings, group), **values)
            for group, values in groups.items()
        },
    )


def _from_file(var: str, values: Mapping[str, str]) -> str | None:
    """The content of the file ``<var>_FILE`` names (a mounted secret), without its trailing
    newline; None when the variable is not set. The messages never quote the content."""
    path = values.get(f"{var}_FILE")
    if not path:
        return None
    if values.get(var):
        raise SettingsError(f"set {var} or {var}_FILE, not both")
    try:
        content = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SettingsError(f"{var}_FILE cannot be read: {reason}") from None
    if not content:
        raise SettingsError(f"{var}_FILE names an empty file")
    return content


def _without(error: SettingsError, contents: list[str]) -> SettingsError:
    """``error`` with any file's content a conversion quoted taken out of its message."""
    message = str(error)
    for content in contents:
        message = message.replace(repr(content), "(the file's content)")
        message = message.replace(content, "(the file's content)")
    return SettingsError(message)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Reads settings from ``environ`` (the process environment by default) over ``.env``."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    chosen: dict[str, str] = {}
    from_files: list[str] = []
    for var in VARIABLES:
        # Any setting may come from a file (Docker and Kubernetes secrets): ``<VAR>_FILE``.
        content = _from_file(var, values)
        if content is not None:
            chosen[var] = content
            from_files.append(content)
        elif var in values:
            chosen[var] = values[var]
    try:
        settings = settings_from(chosen)
    except SettingsError as exc:
        raise _without(exc, from_files) from None
    if not settings.auth.jwt_secret:
        settings = evolve(settings, jwt_secret=own_jwt_secret(settings.app.data_dir))
    return settings


def own_jwt_secret(data_dir: Path) -> str:
    """The key of an installation without ``MOCHEONG_JWT_SECRET``: made at random on first
    start and kept, readable by its owner only, in the data folder, so that tokens survive a
    restart and every process on the folder agrees. Processes starting together agree too:
    the key is written whole to a file of its own, then linked into place, which only the
    first of them can do."""
    path = data_dir / JWT_SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{JWT_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: its key is the installation's
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_JWT_SECRET_CHARS:
        raise SettingsError(
            f"{path} holds no usable key: delete it to have a new one made, or set "
            f"{PREFIX}JWT_SECRET"
        )
    return key


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for each setting: the README's table is made from this."""
    rows = []
    for var, (_, field) in VARIABLES.items():
        default = field.default
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else str(default)
        rows.append((var, field.metadata["shown"] or shown, field.metadata["doc"]))
    return rows

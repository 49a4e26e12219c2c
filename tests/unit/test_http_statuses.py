"""Statuses live in the HTTP shell, keyed by code; the core's errors carry none."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import mocheong_core
from entrypoints.http.statuses import STATUS_BY_CODE, status_of
from mocheong_core.accounts.errors import AccountDisabled, EmailTaken, InvalidCredentials
from mocheong_core.errors import DomainError, NotFound, RateLimited
from mocheong_core.files.errors import FileNotFound, ImageTooLarge
from mocheong_core.pages.plan import PremiumRequired


def _core_errors() -> set[type[DomainError]]:
    for module in pkgutil.walk_packages(mocheong_core.__path__, "mocheong_core."):
        importlib.import_module(module.name)
    found: set[type[DomainError]] = set()
    todo = [DomainError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("mocheong_core.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


CORE_ERRORS = sorted(_core_errors(), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


@pytest.mark.parametrize("error", CORE_ERRORS, ids=lambda cls: cls.__qualname__)
def test_no_core_error_carries_an_http_status(error: type[DomainError]) -> None:
    assert "status" not in vars(error)


@pytest.mark.parametrize(
    "error",
    [cls for cls in CORE_ERRORS if DomainError in cls.__bases__],
    ids=lambda cls: cls.__qualname__,
)
def test_every_family_of_errors_has_a_status_chosen_on_purpose(error: type[DomainError]) -> None:
    assert error.code in STATUS_BY_CODE, f"{error.code} needs a status in http/statuses.py"


def test_every_listed_code_belongs_to_an_error() -> None:
    codes = {cls.code for cls in CORE_ERRORS} | {DomainError.code}
    assert set(STATUS_BY_CODE) - codes == set()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError, 400),
        (EmailTaken, 409),  # inherits Conflict's
        (InvalidCredentials, 401),
        (AccountDisabled, 401),  # its own, over Forbidden's 403
        (FileNotFound, 404),  # no code of its own: NotFound's
        (ImageTooLarge, 422),
        (PremiumRequired, 402),
        (NotFound, 404),
    ],
)
def test_a_code_takes_its_own_status_or_its_nearest_listed_ancestors(
    error: type[DomainError], status: int
) -> None:
    assert status_of(error) == status


def test_an_instance_resolves_as_its_class() -> None:
    assert status_of(RateLimited(3)) == 429

"""Invariants of the account model: email normalisation, registration checks, ids."""

from __future__ import annotations

import asyncio
import os
import string
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocheong_core.accounts.errors import EmailTaken
from mocheong_core.accounts.model import (
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    normalize_email,
    validate_registration,
)
from mocheong_core.errors import ValidationFailed
from mocheong_core.kernel import ids as shared
from mocheong_core.kernel.ids import new_id
from tests.unit.accounts_harness import PASSWORD, Accounts

_LOCAL = string.ascii_letters + string.digits + "._+-"
valid_emails = st.builds(
    "{}@{}.{}".format,
    st.text(_LOCAL, min_size=1, max_size=30),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=20),
    st.text(string.ascii_letters, min_size=2, max_size=6),
)
bad_emails = st.one_of(
    st.text(string.ascii_letters + string.digits, max_size=30),  # no "@"
    valid_emails.map(lambda e: e.replace("@", " @")),
    valid_emails.map(lambda e: e.replace("@", "@\x00")),
    valid_emails.map(lambda e: "x" * 250 + e),
)
valid_passwords = st.text(min_size=PASSWORD_MIN, max_size=PASSWORD_MAX)
bad_passwords = st.one_of(
    st.text(max_size=PASSWORD_MIN - 1), st.text(min_size=PASSWORD_MAX + 1, max_size=200)
)
valid_names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=NAME_MAX
).filter(lambda n: n.strip())
bad_names = st.one_of(
    st.text(" \t\n", max_size=5),
    st.text("가나다", min_size=NAME_MAX + 1, max_size=80),
    valid_names.map(lambda n: n[: NAME_MAX - 1] + "\x00"),
)


@given(st.text())
def test_normalising_an_email_is_idempotent_and_trimmed(email: str) -> None:
    once = normalize_email(email)

    assert normalize_email(once) == once
    assert once == once.strip()
    assert once == once.lower()


@given(valid_emails, st.data())
def test_emails_differing_only_in_ascii_case_or_padding_normalise_alike(
    email: str, data: st.DataObject
) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(email), max_size=len(email)))
    variant = "".join(c.swapcase() if flip else c for c, flip in zip(email, flips, strict=True))
    padding = data.draw(st.text(" \t", max_size=3))

    assert normalize_email(padding + variant + padding) == normalize_email(email)


@given(
    st.one_of(valid_emails.map(lambda e: (e, True)), bad_emails.map(lambda e: (e, False))),
    st.one_of(valid_passwords.map(lambda p: (p, True)), bad_passwords.map(lambda p: (p, False))),
    st.one_of(valid_names.map(lambda n: (n, True)), bad_names.map(lambda n: (n, False))),
)
def test_registration_names_exactly_the_bad_fields(
    email: tuple[str, bool], password: tuple[str, bool], name: tuple[str, bool]
) -> None:
    fields = {"email": email, "password": password, "name": name}
    expected_bad = {field for field, (_, ok) in fields.items() if not ok}

    if not expected_bad:
        validate_registration(email[0], password[0], name[0])
        return
    with pytest.raises(ValidationFailed) as caught:
        validate_registration(email[0], password[0], name[0])
    assert sorted(e.field for e in caught.value.errors) == sorted(expected_bad)
    assert all(e.message for e in caught.value.errors)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(valid_emails, st.data())
def test_no_case_variant_of_a_registered_email_registers_again(
    email: str, data: st.DataObject
) -> None:
    variant = data.draw(
        st.lists(st.booleans(), min_size=len(email), max_size=len(email)).map(
            lambda flips: "".join(
                c.swapcase() if flip else c for c, flip in zip(email, flips, strict=True)
            )
        )
    )

    async def scenario() -> None:
        accounts = Accounts()
        await accounts.run(accounts.register(email, PASSWORD, "First"))
        with pytest.raises(EmailTaken):
            await accounts.run(accounts.register(variant, PASSWORD, "Second"))
        assert await accounts.users.count() == 1

    asyncio.run(scenario())


def test_ids_made_in_a_burst_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(2000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {uuid.UUID(i).version for i in ids} == {7}


def test_a_forked_process_draws_random_bits_of_its_own() -> None:
    """The random bits come from a pool: a child must not reuse what its parent drew."""
    new_id()  # the pool holds unused bits now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, str(shared._random_74()).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    theirs = int(os.read(read, 64))
    os.close(read)

    assert theirs != shared._random_74()

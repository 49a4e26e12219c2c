"""The account use cases, driven with the in-memory twins."""

from __future__ import annotations

import argon2
import pytest

from adapters.security.passwords import Argon2PasswordHasher
from entrypoints.http.statuses import status_of
from mocheong_core.accounts.errors import (
    AccountDisabled,
    AdminOnly,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    SelfLockout,
)
from mocheong_core.accounts.model import Role
from mocheong_core.accounts.usecases import hash_refresh_token
from mocheong_core.errors import NotFound, ValidationFailed
from tests.unit.accounts_harness import ACCESS_TTL, PASSWORD, REFRESH_TTL, Accounts, cheap_hasher


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


async def test_register_stores_a_normalised_user_and_returns_working_tokens(
    accounts: Accounts,
) -> None:
    pair = await accounts.new_user("  MinJun@Example.COM ", "  Minjun  ")

    assert pair.user.email == "minjun@example.com"
    assert pair.user.name == "Minjun"
    assert pair.user.role is Role.USER
    assert pair.expires_in == ACCESS_TTL
    stored = await accounts.users.get(pair.user.id)
    assert stored is not None
    assert stored.password_hash != PASSWORD
    assert accounts.hasher.verify(stored.password_hash, PASSWORD)
    assert (await accounts.authenticate(pair.access_token)).id == pair.user.id
    assert await accounts.tokens.by_hash(hash_refresh_token(pair.refresh_token)) is not None
    assert accounts.uow.commits == 1


@pytest.mark.parametrize(
    "again", ["minjun@example.com", "MINJUN@EXAMPLE.COM", " Minjun@example.com"]
)
async def test_an_email_registers_once_whatever_its_case(accounts: Accounts, again: str) -> None:
    await accounts.new_user("Minjun@Example.com")

    with pytest.raises(EmailTaken):
        await accounts.run(accounts.register(again, PASSWORD, "Other"))
    assert await accounts.users.count() == 1


async def test_registration_reports_every_bad_field(accounts: Accounts) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await accounts.run(accounts.register("not-an-email", "short", "   "))

    assert {e.field for e in caught.value.errors} == {"email", "password", "name"}
    assert await accounts.users.count() == 0


async def test_login_answers_alike_for_a_wrong_password_and_an_unknown_email(
    accounts: Accounts,
) -> None:
    await accounts.new_user()

    with pytest.raises(InvalidCredentials) as wrong_password:
        await accounts.run(accounts.login("minjun@example.com", "not the password"))
    with pytest.raises(InvalidCredentials) as unknown_email:
        await accounts.run(accounts.login("nobody@example.com", PASSWORD))
    with pytest.raises(InvalidCredentials) as not_an_email:
        await accounts.run(accounts.login("nul\x00@example.com", PASSWORD))

    answers = {
        (e.value.code, status_of(e.value), e.value.detail)
        for e in (wrong_password, unknown_email, not_an_email)
    }
    assert answers == {("invalid_credentials", 401, "Wrong email or password")}


async def test_login_ignores_the_case_of_the_email(accounts: Accounts) -> None:
    registered = await accounts.new_user()

    pair = await accounts.run(accounts.login(" MINJUN@example.com", PASSWORD))

    assert pair.user.id == registered.user.id
    assert pair.refresh_token != registered.refresh_token


async def test_login_upgrades_a_hash_made_with_older_parameters() -> None:
    old = Accounts(hasher=cheap_hasher())
    registered = await old.new_user()
    stronger = Accounts(
        hasher=Argon2PasswordHasher(
            argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
        ),
        users=old.users,
        tokens=old.tokens,
    )
    assert stronger.hasher.needs_rehash(
        registered_hash := (await old.users.get(registered.user.id)).password_hash
    )  # type: ignore[union-attr]

    await stronger.run(stronger.login("minjun@example.com", PASSWORD))

    stored = await old.users.get(registered.user.id)
    assert stored is not None
    assert stored.password_hash != registered_hash
    assert not stronger.hasher.needs_rehash(stored.password_hash)
    assert stronger.hasher.verify(stored.password_hash, PASSWORD)


async def test_refresh_rotates_the_pair_and_spends_the_old_token(accounts: Accounts) -> None:
    first = await accounts.new_user()

    second = await accounts.run(accounts.refresh(first.refresh_token))
    third = await accounts.run(accounts.refresh(second.refresh_token))

    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    old = await accounts.tokens.by_hash(hash_refresh_token(first.refresh_token))
    newest = await accounts.tokens.by_hash(hash_refresh_token(third.refresh_token))
    assert old is not None
    assert old.spent_at is not None
    assert newest is not None
    assert newest.spent_at is None
    assert newest.revoked_at is None
    assert old.family_id == newest.family_id
    assert (await accounts.authenticate(third.access_token)).id == first.user.id


async def test_a_reused_refresh_token_revokes_its_whole_family_for_good(accounts: Accounts) -> None:
    first = await accounts.new_user()
    other_session = await accounts.run(accounts.login("minjun@example.com", PASSWORD))
    second = await accounts.run(accounts.refresh(first.refresh_token))

    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(first.refresh_token))

    # The revocation was committed before the error, so the request's rollback kept it.
    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(second.refresh_token))
    assert await accounts.run(accounts.refresh(other_session.refresh_token))
    # The family's access tokens are refused at once, not when they expire.
    for pair in (first, second):
        with pytest.raises(InvalidToken):
            await accounts.authenticate(pair.access_token)
    assert await accounts.authenticate(other_session.access_token)


async def test_refresh_refuses_unknown_and_expired_tokens(accounts: Accounts) -> None:
    pair = await accounts.new_user()

    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh("never-issued"))
    accounts.clock.advance(REFRESH_TTL)
    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(pair.refresh_token))


async def test_an_access_token_stops_working_when_it_expires(accounts: Accounts) -> None:
    pair = await accounts.new_user()
    accounts.clock.advance(ACCESS_TTL - 1)
    assert await accounts.authenticate(pair.access_token)

    accounts.clock.advance(1)

    with pytest.raises(InvalidToken):
        await accounts.authenticate(pair.access_token)


async def test_logout_revokes_the_session_of_that_refresh_token(accounts: Accounts) -> None:
    pair = await accounts.new_user()
    other = await accounts.run(accounts.login("minjun@example.com", PASSWORD))

    await accounts.run(accounts.logout(pair.user, pair.refresh_token))

    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(pair.refresh_token))
    assert await accounts.run(accounts.refresh(other.refresh_token))


async def test_logout_refuses_the_access_token_of_that_sign_in_at_once(
    accounts: Accounts,
) -> None:
    pair = await accounts.new_user()
    other = await accounts.run(accounts.login("minjun@example.com", PASSWORD))
    assert await accounts.authenticate(pair.access_token)

    await accounts.run(accounts.logout(pair.user, pair.refresh_token))

    with pytest.raises(InvalidToken):
        await accounts.authenticate(pair.access_token)
    assert (await accounts.authenticate(other.access_token)).id == pair.user.id


async def test_logout_ignores_another_users_refresh_token(accounts: Accounts) -> None:
    victim = await accounts.new_user()
    caller = await accounts.new_user("seoyeon@example.com", "Seoyeon")

    await accounts.run(accounts.logout(caller.user, victim.refresh_token))

    assert await accounts.run(accounts.refresh(victim.refresh_token))


async def test_a_disabled_user_is_refused_at_once(accounts: Accounts) -> None:
    admin = await accounts.new_admin()
    pair = await accounts.new_user()
    # Authenticated once, so the user is in the authentication cache when disabled.
    assert (await accounts.authenticate(pair.access_token)).id == pair.user.id

    disabled = await accounts.run(
        accounts.update_user(admin, pair.user.id, disabled=True, role=None)
    )

    assert disabled.disabled
    with pytest.raises(AccountDisabled):
        await accounts.authenticate(pair.access_token)
    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(pair.refresh_token))
    with pytest.raises(AccountDisabled):
        await accounts.run(accounts.login("minjun@example.com", PASSWORD))

    await accounts.run(accounts.update_user(admin, pair.user.id, disabled=False, role=None))
    assert (await accounts.authenticate(pair.access_token)).id == pair.user.id
    # Re-enabling does not bring back the sessions revoked by the disabling.
    with pytest.raises(InvalidToken):
        await accounts.run(accounts.refresh(pair.refresh_token))


async def test_admin_lists_users_newest_first_page_by_page(accounts: Accounts) -> None:
    admin = await accounts.new_admin()
    for n in range(4):
        await accounts.new_user(f"user{n}@example.com", f"User {n}")

    first = await accounts.list_users(admin, limit=3, cursor=None)
    second = await accounts.list_users(admin, limit=3, cursor=first.next_cursor)

    emails = [u.email for u in first.items + second.items]
    assert emails == [f"user{n}@example.com" for n in (3, 2, 1, 0)] + ["ops@example.com"]
    assert first.next_cursor is not None
    assert second.next_cursor is None


async def test_admin_changes_a_users_role(accounts: Accounts) -> None:
    admin = await accounts.new_admin()
    pair = await accounts.new_user()

    promoted = await accounts.run(
        accounts.update_user(admin, pair.user.id, disabled=None, role=Role.ADMIN)
    )

    assert promoted.role is Role.ADMIN
    assert (await accounts.list_users(promoted, limit=10, cursor=None)).items
    assert (await accounts.authenticate(pair.access_token)).role is Role.ADMIN


async def test_admin_routes_refuse_users_and_unknown_ids(accounts: Accounts) -> None:
    admin = await accounts.new_admin()
    pair = await accounts.new_user()

    with pytest.raises(AdminOnly):
        await accounts.list_users(pair.user, limit=10, cursor=None)
    with pytest.raises(AdminOnly):
        await accounts.run(accounts.update_user(pair.user, admin.id, disabled=True, role=None))
    with pytest.raises(NotFound):
        await accounts.run(accounts.update_user(admin, "no-such-id", disabled=True, role=None))
    assert not (await accounts.users.get(admin.id)).disabled  # type: ignore[union-attr]


@pytest.mark.parametrize(("disabled", "role"), [(True, None), (None, Role.USER)])
async def test_an_admin_cannot_lock_themselves_out(
    accounts: Accounts, disabled: bool | None, role: Role | None
) -> None:
    admin = await accounts.new_admin()

    with pytest.raises(SelfLockout):
        await accounts.run(accounts.update_user(admin, admin.id, disabled=disabled, role=role))

    stored = await accounts.users.get(admin.id)
    assert stored is not None
    assert stored.is_admin
    assert not stored.disabled


async def test_create_admin_creates_an_administrator(accounts: Accounts) -> None:
    admin = await accounts.new_admin("Ops@Example.com")

    assert admin.role is Role.ADMIN
    assert admin.email == "ops@example.com"
    assert (await accounts.run(accounts.login("ops@example.com", PASSWORD))).user.is_admin


async def test_create_admin_promotes_and_re_enables_an_existing_account(accounts: Accounts) -> None:
    first_admin = await accounts.new_admin()
    pair = await accounts.new_user()
    await accounts.run(accounts.update_user(first_admin, pair.user.id, disabled=True, role=None))

    promoted = await accounts.run(
        accounts.create_admin("MINJUN@example.com", "ignored-password", "x")
    )

    assert promoted.id == pair.user.id
    assert promoted.is_admin
    assert not promoted.disabled
    assert await accounts.users.count() == 2
    # The existing password stays: promoting does not let the caller take the account over.
    assert (await accounts.run(accounts.login("minjun@example.com", PASSWORD))).user.is_admin

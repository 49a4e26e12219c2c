"""The guests' photo album driven with the in-memory twins and the real Pillow inspector."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from adapters.memory.files import InMemoryFileRepository, InMemoryObjectStorage
from adapters.memory.guests import InMemoryAlbumEvents, InMemoryGuestPhotoRepository
from adapters.pillow.images import PillowImageInspector
from mocheong_core.accounts.model import User
from mocheong_core.errors import NotFound, ValidationFailed
from mocheong_core.files.errors import FileTooLarge, ImageTooLarge, UnsupportedMediaType
from mocheong_core.files.usecases import (
    MAKE_VARIANTS,
    DeleteFile,
    FileLinks,
    FilesPolicy,
    ResolveFiles,
    UploadFile,
)
from mocheong_core.guests.errors import AlbumClosed, AlbumFull, PhotoRemoved
from mocheong_core.guests.model import AlbumPolicy, PhotoState
from mocheong_core.guests.photos import (
    ApproveGuestPhoto,
    ListAlbum,
    ListGuestPhotos,
    PhotoView,
    RemoveGuestPhoto,
    UploadGuestPhoto,
)
from mocheong_core.pages.model import Page, Plan
from mocheong_core.pages.plan import PremiumRequired
from mocheong_core.pages.ports import PageRepository
from tests.files_support import PDF, RecordingJobQueue, declared_png, image_bytes
from tests.unit.pages_harness import Pages, person

ALBUM_ON = {"guest_photos": {"enabled": True}}
JPEG = image_bytes("JPEG")
FIXTURE_OK = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class PageOwners:
    """The files context's view of pages, over the same page store."""

    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

    async def owner_of(self, page_id: str) -> str | None:
        page = await self._pages.get(page_id)
        return page.owner_id if page else None


class Album(Pages):
    """The pages harness with the files context and the album on the same unit of work."""

    def __init__(self) -> None:
        self.photos = InMemoryGuestPhotoRepository()
        self.files = InMemoryFileRepository()
        super().__init__(more_stores=(self.photos, self.files))
        self.storage = InMemoryObjectStorage()
        self.queue = RecordingJobQueue()
        self.album_events = InMemoryAlbumEvents()
        policy = FilesPolicy(max_upload_bytes=1_000_000)
        links = FileLinks(self.storage, policy)
        owners = PageOwners(self.pages)
        inspector = PillowImageInspector(1_000_000)
        upload = UploadFile(
            self.files, self.storage, inspector, owners, self.queue, links, self.uow,
            self.clock, policy,
        )  # fmt: skip
        delete = DeleteFile(self.files, self.storage, self.uow, policy)
        resolve = ResolveFiles(self.files, links)
        photos, uow, clock, events = self.photos, self.uow, self.clock, self.album_events
        self.send = UploadGuestPhoto(
            self.pages, photos, upload, delete, uow, clock, AlbumPolicy(60_000, photos_max=3)
        )
        self.album = ListAlbum(self.pages, photos, resolve)
        self.list_photos = ListGuestPhotos(self.pages, photos, resolve)
        self.approve = ApproveGuestPhoto(self.pages, photos, resolve, uow, clock, events)
        self.remove = RemoveGuestPhoto(self.pages, photos, resolve, delete, uow, clock, events)

    async def set_plan(self, page: Page, plan: Plan) -> None:
        stored = await self.pages.get(page.id)
        assert stored is not None
        stored.plan = plan
        await self.pages.save(stored, stored.version)
        await self.uow.commit()

    async def premium_page(self, owner: User, **extra: Any) -> Page:
        """A published premium page with the album on."""
        page = await self.live_page(owner, **extra)
        await self.set_plan(page, Plan.PREMIUM)
        return await self.run(self.update(owner, page.id, ALBUM_ON))

    async def sent(self, page: Page, data: bytes = JPEG, name: str | None = "하객") -> PhotoView:
        return await self.run(self.send(page.slug, io.BytesIO(data), name))

    async def public(self, page: Page) -> list[str]:
        found = await self.run(self.album(page.slug, limit=50, cursor=None))
        return [view.photo.id for view in found.items]

    async def states(self, owner: User, page: Page) -> dict[str, PhotoState]:
        found = await self.run(self.list_photos(owner, page.id, state=None, limit=100, cursor=None))
        return {view.photo.id: view.photo.state for view in found.items}


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Album:
    # The inspector sets Pillow's process-wide pixel limit; put it back after each test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    return Album()


# -- sending -------------------------------------------------------------------------------


async def test_a_guest_photo_waits_as_a_file_of_the_couple_with_its_variants_queued(
    app: Album,
) -> None:
    owner = person()
    page = await app.premium_page(owner)

    sent = await app.sent(page, name="  이모  ")

    photo = sent.photo
    assert (photo.state, photo.guest_name, photo.page_id) == (PhotoState.PENDING, "이모", page.id)
    assert sent.file is not None
    record = sent.file.record
    assert (record.owner_id, record.page_id, record.content_type) == (
        owner.id, page.id, "image/jpeg"
    )  # fmt: skip
    assert record.original_name is None
    assert record.key == f"u/{owner.id}/{record.id}/original.jpg"
    assert await app.storage.get(record.key) == JPEG
    assert [job.task for job in app.queue.jobs] == [MAKE_VARIANTS]
    assert await app.public(page) == []
    assert await app.states(owner, page) == {photo.id: PhotoState.PENDING}
    assert app.album_events.slugs == []


async def test_a_name_is_optional_and_bounded(app: Album) -> None:
    page = await app.premium_page(person())

    assert (await app.sent(page, name="")).photo.guest_name is None
    assert (await app.sent(page, name=None)).photo.guest_name is None
    with pytest.raises(ValidationFailed) as caught:
        await app.sent(page, name="가" * 21)
    assert [e.field for e in caught.value.errors] == ["name"]
    assert len(app.storage.objects) == 2


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (PDF, UnsupportedMediaType),
        (b"GIF89a not really", UnsupportedMediaType),
        (declared_png(20_000, 20_000), ImageTooLarge),
        (image_bytes("BMP", (60, 60)), UnsupportedMediaType),
    ],
)
async def test_only_real_photos_within_the_limits_are_taken_and_nothing_else_is_kept(
    app: Album, data: bytes, error: type[Exception]
) -> None:
    owner = person()
    page = await app.premium_page(owner)

    with pytest.raises(error):
        await app.sent(page, data)

    assert app.storage.objects == {}
    assert await app.states(owner, page) == {}


async def test_the_album_has_its_own_size_cap_below_the_couples(app: Album) -> None:
    page = await app.premium_page(person())
    big = image_bytes("PNG", (300, 300))
    noisy = io.BytesIO()
    Image.effect_noise((300, 300), 80).convert("RGB").save(noisy, format="PNG")
    assert 60_000 < len(noisy.getvalue()) < 1_000_000

    with pytest.raises(FileTooLarge):
        await app.sent(page, noisy.getvalue())
    assert (await app.sent(page, big)).photo.state is PhotoState.PENDING


async def test_the_album_holds_a_bounded_number_and_removed_photos_free_their_place(
    app: Album,
) -> None:
    owner = person()
    page = await app.premium_page(owner)
    first = await app.sent(page)
    await app.sent(page)
    await app.sent(page)

    with pytest.raises(AlbumFull):
        await app.sent(page)
    await app.run(app.remove(owner, page.id, first.photo.id))
    assert (await app.sent(page)).photo.state is PhotoState.PENDING


async def test_a_free_page_cannot_turn_the_album_on(app: Album) -> None:
    owner = person()
    page = await app.live_page(owner)

    with pytest.raises(PremiumRequired):
        await app.run(app.update(owner, page.id, ALBUM_ON))
    with pytest.raises(AlbumClosed):
        await app.sent(page)


async def test_the_album_closes_when_off_when_premium_is_lost_or_unpublished(app: Album) -> None:
    owner = person()
    page = await app.premium_page(owner)
    approved = (await app.sent(page)).photo
    await app.run(app.approve(owner, page.id, approved.id))

    page = await app.run(app.update(owner, page.id, {"guest_photos": {"enabled": False}}))
    with pytest.raises(AlbumClosed):
        await app.sent(page)
    assert await app.public(page) == []

    page = await app.run(app.update(owner, page.id, ALBUM_ON))
    assert await app.public(page) == [approved.id]
    await app.set_plan(page, Plan.FREE)
    with pytest.raises(AlbumClosed):
        await app.sent(page)
    assert await app.public(page) == []

    await app.set_plan(page, Plan.PREMIUM)
    await app.run(app.unpublish(owner, page.id))
    with pytest.raises(NotFound):
        await app.sent(page)
    with pytest.raises(NotFound):
        await app.public(page)


@pytest.mark.parametrize(
    ("mode", "open_after"), [("stay", True), ("thanks", True), ("lock", False)]
)
async def test_after_the_wedding_a_thanking_page_takes_photos_a_closed_one_does_not(
    app: Album, mode: str, open_after: bool
) -> None:
    owner = person()
    page = await app.premium_page(owner, after_wedding={"mode": mode, "hours": 6})
    app.clock.at = datetime(2027, 5, 15, 11, 0, tzinfo=UTC)  # 7 hours after 13:00 KST

    if open_after:
        assert (await app.sent(page)).photo.state is PhotoState.PENDING
    else:
        with pytest.raises(AlbumClosed):
            await app.sent(page)


# -- the couple's moderation -----------------------------------------------------------------


async def test_approving_shows_the_photo_once_and_removing_deletes_its_bytes(app: Album) -> None:
    owner = person()
    page = await app.premium_page(owner)
    sent = await app.sent(page)
    photo_id = sent.photo.id
    assert sent.file is not None
    key = sent.file.record.key

    approved = await app.run(app.approve(owner, page.id, photo_id))
    again = await app.run(app.approve(owner, page.id, photo_id))

    assert approved.photo.state is again.photo.state is PhotoState.APPROVED
    assert approved.photo.decided_at == app.clock.now()
    assert await app.public(page) == [photo_id]
    assert app.album_events.slugs == [page.slug]

    removed = await app.run(app.remove(owner, page.id, photo_id))
    await app.run(app.remove(owner, page.id, photo_id))

    assert removed.photo.state is PhotoState.REMOVED
    assert removed.file is None
    assert await app.storage.get(key) is None
    assert await app.files.get(sent.file.record.id) is None
    assert await app.public(page) == []
    assert app.album_events.slugs == [page.slug, page.slug]
    with pytest.raises(PhotoRemoved):
        await app.run(app.approve(owner, page.id, photo_id))
    assert await app.states(owner, page) == {photo_id: PhotoState.REMOVED}


async def test_removing_a_pending_photo_leaves_the_public_page_alone(app: Album) -> None:
    owner = person()
    page = await app.premium_page(owner)
    sent = await app.sent(page)

    await app.run(app.remove(owner, page.id, sent.photo.id))

    assert app.album_events.slugs == []


async def test_the_owner_filters_by_state_and_pages_newest_first(app: Album) -> None:
    owner = person()
    page = await app.premium_page(owner)
    ids = [(await app.sent(page)).photo.id for _ in range(3)]
    await app.run(app.approve(owner, page.id, ids[0]))
    await app.run(app.approve(owner, page.id, ids[2]))

    approved = await app.run(
        app.list_photos(owner, page.id, state=PhotoState.APPROVED, limit=1, cursor=None)
    )
    rest = await app.run(
        app.list_photos(
            owner, page.id, state=PhotoState.APPROVED, limit=1, cursor=approved.next_cursor
        )
    )
    pending = await app.run(
        app.list_photos(owner, page.id, state=PhotoState.PENDING, limit=10, cursor=None)
    )

    assert [v.photo.id for v in approved.items + rest.items] == [ids[2], ids[0]]
    assert rest.next_cursor is None
    assert [v.photo.id for v in pending.items] == [ids[1]]
    assert all(v.file is not None for v in pending.items)


async def test_someone_else_sees_no_page_and_no_photo(app: Album) -> None:
    owner, stranger = person(), person("Stranger")
    page = await app.premium_page(owner)
    other_page = await app.premium_page(stranger)
    photo_id = (await app.sent(page)).photo.id

    for call in (
        app.list_photos(stranger, page.id, state=None, limit=10, cursor=None),
        app.approve(stranger, page.id, photo_id),
        app.remove(stranger, page.id, photo_id),
        app.approve(stranger, other_page.id, photo_id),
        app.remove(owner, page.id, "no-such-photo"),
    ):
        with pytest.raises(NotFound):
            await app.run(call)
    assert await app.states(owner, page) == {photo_id: PhotoState.PENDING}


actions = st.lists(
    st.tuples(st.sampled_from(["approve", "remove"]), st.integers(0, 2)), max_size=12
)


@FIXTURE_OK
@given(steps=actions)
async def test_any_order_of_decisions_keeps_the_state_machine(
    app: Album, steps: list[tuple[str, int]]
) -> None:
    owner = person()
    page = await app.premium_page(owner)
    ids = [(await app.sent(page)).photo.id for _ in range(3)]
    expected = dict.fromkeys(ids, PhotoState.PENDING)
    app.album_events.slugs.clear()
    public_changes = 0

    for action, index in steps:
        photo_id = ids[index]
        before = expected[photo_id]
        if action == "approve" and before is PhotoState.REMOVED:
            with pytest.raises(PhotoRemoved):
                await app.run(app.approve(owner, page.id, photo_id))
            continue
        if action == "approve":
            await app.run(app.approve(owner, page.id, photo_id))
            expected[photo_id] = PhotoState.APPROVED
        else:
            await app.run(app.remove(owner, page.id, photo_id))
            expected[photo_id] = PhotoState.REMOVED
        public_changes += (before is PhotoState.APPROVED) != (
            expected[photo_id] is PhotoState.APPROVED
        )

    assert await app.states(owner, page) == expected
    shown = [i for i in reversed(ids) if expected[i] is PhotoState.APPROVED]
    assert await app.public(page) == shown
    assert len(app.album_events.slugs) == public_changes

"""The offline agent drives the same tools through the same loop as a provider would: two
conversations, one in Korean and one in English, take an empty page to a publishable one."""

from __future__ import annotations

from datetime import date

from adapters.llm.offline.agent import LABEL, OfflineAgentModel
from mocheong_core.agents.ports import Place, TextEvent
from mocheong_core.chat.model import Message, MessageStatus
from mocheong_core.pages.content import SectionKind
from tests.unit.agents_harness import Agents, ListGeocoder, Recording, owner
from tests.unit.chat_harness import PAGE


def offline(*, geocoding: bool = False) -> Recording:
    today = date(2026, 12, 2)
    return Recording(OfflineAgentModel(delay_seconds=0, geocoding=geocoding, today=lambda: today))


def kinds(message: Message) -> list[str]:
    return [c["type"] for c in message.components]


async def test_a_korean_conversation_fills_the_page_until_it_can_be_published() -> None:
    model = offline()
    agents = await Agents(model).start()

    names = await agents.turn_of("신랑 김도윤, 신부 박하은이에요.")
    assert names.status is MessageStatus.COMPLETED
    assert "신랑 김도윤" in names.content
    assert "예식장 주소" in names.content
    assert "오프라인" in names.content
    assert names.components[-1] == {
        "type": "checklist",
        "missing": ["ceremony.starts_at", "venue.name", "venue.address"],
    }
    when = await agents.turn_of("2027년 10월 9일 오후 1시 30분에 더링크호텔에서 결혼해요.")
    assert "2027년 10월 9일 토요일 오후 1시 30분" in when.content
    assert kinds(when) == ["map", "checklist"]
    corrected = await agents.turn_of("아 시간은 2시로 바꿔줘")
    assert "오후 2시" in corrected.content
    address = await agents.turn_of("주소는 서울 구로구 경인로 610이에요")
    assert "발행할 수 있어요" in address.content
    assert "checklist" not in kinds(address)

    page = await agents.page()
    assert page.content.ceremony.starts_at is not None
    assert page.content.ceremony.starts_at.isoformat() == "2027-10-09T14:00:00+09:00"
    assert (page.content.venue.name, page.content.venue.address) == (
        "더링크호텔",
        "서울 구로구 경인로 610",
    )
    assert {e.by for e in agents.site.events.events} == {"agent"}
    published = await agents.site.run(agents.site.publish(owner(), PAGE))
    assert published.is_public
    # Every turn is shown the earlier ones.
    earlier = [m.content for m in model.requests[-1].messages if m.role == "user"]
    assert earlier[0] == "신랑 김도윤, 신부 박하은이에요."


async def test_an_english_conversation_with_greeting_drafts_and_a_hidden_section() -> None:
    agents = await Agents(offline()).start()

    first = await agents.turn_of("We're Tom Baker and Ann Lee.")
    assert "groom: Tom Baker" in first.content
    assert "(offline model)" in first.content
    await agents.turn_of("The wedding is on June 5, 2027 at 3:30 pm.")
    venue = await agents.turn_of("at Rosewood Hall, 12 Garden Road")
    assert "ready to publish" in venue.content
    drafts = await agents.turn_of("Can you suggest a playful greeting?")
    [suggestions] = [c for c in drafts.components if c["type"] == "suggestions"]
    assert len(suggestions["items"]) == 3
    assert all("Tom Baker and Ann Lee" in item for item in suggestions["items"])
    hidden = await agents.turn_of("hide the guestbook")
    assert hidden.components[0]["type"] == "section-preview"
    assert hidden.components[0]["section"] == "guestbook"

    page = await agents.page()
    assert [s.kind for s in page.content.sections if not s.visible] == [SectionKind.GUESTBOOK]
    assert (await agents.site.run(agents.site.publish(owner(), PAGE))).is_public


async def test_the_guests_options_are_turned_on_by_saying_so() -> None:
    agents = await Agents(offline()).start()
    await agents.turn_of("신랑 계좌 국민은행 123-456-78901 김도윤이에요")
    slides = await agents.turn_of("갤러리 슬라이드로 해줘")
    assert "갤러리 배치" in slides.content
    pay = await agents.turn_of("카카오페이 링크 넣어줘 https://qr.kakaopay.com/Ej8abc123")
    assert "계좌" in pay.content
    await agents.turn_of("토스 송금 버튼도 넣어줘")
    off = await agents.turn_of("사진 크게 보기 꺼줘")
    assert "사진 크게 보기" in off.content

    content = (await agents.page()).content
    assert (content.gallery_view.layout.value, content.gallery_view.viewer) == ("slide", False)
    [account] = content.gift_accounts
    assert (account.kakaopay_url, account.toss) == ("https://qr.kakaopay.com/Ej8abc123", True)
    assert all(section.visible for section in content.sections)  # the gallery stays


async def test_undo_puts_back_what_the_agent_changed() -> None:
    agents = await Agents(offline()).start()
    await agents.turn_of("신랑 김도윤, 신부 박하은이에요.")
    undone = await agents.turn_of("방금 바꾼 거 되돌려줘")
    assert "되돌렸어요" in undone.content
    assert (await agents.page()).content.couple.groom.name is None
    again = await agents.turn_of("방금 바꾼 거 되돌려줘")
    assert "되돌릴 변경이 없어요" in again.content


async def test_with_a_geocoder_the_map_agent_finds_the_venue_or_asks_which() -> None:
    one = Place(
        "더링크호텔", "서울 구로구 신도림동 413-9", "서울 구로구 경인로 610", 37.5078, 126.8890
    )
    agents = await Agents(offline(geocoding=True), geocoder=ListGeocoder([one])).start()
    found = await agents.turn_of("예식장은 더링크호텔이에요")
    assert found.metadata["agents"] == ["main", "context", "map", "output"]
    venue = (await agents.page()).content.venue
    assert (venue.address, venue.lat) == ("서울 구로구 경인로 610", 37.5078)
    assert found.components[0]["type"] == "map"
    assert found.components[0]["links"]["tmap"].startswith("tmap://")

    two = Place("더링크호텔 별관", "서울 구로구", None, 37.5, 126.9)
    several = await Agents(offline(geocoding=True), geocoder=ListGeocoder([one, two])).start()
    asked = await several.turn_of("예식장은 더링크호텔이에요")
    [choices] = [c for c in asked.components if c["type"] == "choices"]
    assert [o["label"] for o in choices["options"]] == [
        "더링크호텔 · 서울 구로구 경인로 610",
        "더링크호텔 별관 · 서울 구로구",
    ]
    assert (await several.page()).content.venue.address is None


async def test_text_streams_a_few_words_at_a_time_from_the_first_event() -> None:
    recorded = offline()
    agents = await Agents(recorded).start()
    await agents.turn_of("안녕하세요")
    model = OfflineAgentModel(delay_seconds=0, words_per_chunk=2)
    first_of_output = next(r for r in recorded.requests if r.agent == "output")
    events = [e async for e in model.stream(first_of_output)]
    texts = [e.text for e in events if isinstance(e, TextEvent)]
    assert isinstance(events[0], TextEvent)
    assert len(texts) > 3
    assert all(len(t.split()) <= 2 for t in texts)
    assert OfflineAgentModel.label == LABEL == {"model": "offline", "offline": True}

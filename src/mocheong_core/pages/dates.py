"""The page's dates against each other and against the clock.

Three rules, each with its own error code:

- the RSVP deadline comes before the ceremony (``rsvp_deadline_after_ceremony``, on every
  change, since a deadline after the wedding would never be the one that closes the answers);
- a page goes live only for a ceremony still ahead (``ceremony_passed``, when publishing;
  editing a page that is already live stays allowed after the wedding, when couples post
  thanks and photos);
- RSVPs close at the deadline or when the ceremony starts, whichever comes first (both
  instants themselves still count).

"Now" is always the injected ``Clock``'s.
"""

from __future__ import annotations

from datetime import datetime

from mocheong_core.errors import FieldError, ValidationFailed
from mocheong_core.pages.content import PageContent


class DeadlineAfterCeremony(ValidationFailed):
    code = "rsvp_deadline_after_ceremony"
    title = "The RSVP deadline must come before the ceremony"


class CeremonyPassed(ValidationFailed):
    code = "ceremony_passed"
    title = "The ceremony is in the past"


def ensure_deadline_before_ceremony(content: PageContent) -> None:
    deadline, starts_at = content.rsvp.deadline, content.ceremony.starts_at
    if deadline is not None and starts_at is not None and deadline >= starts_at:
        raise DeadlineAfterCeremony(
            [FieldError("rsvp.deadline", "must be before the ceremony's start")]
        )


def ensure_ceremony_ahead(content: PageContent, now: datetime) -> None:
    starts_at = content.ceremony.starts_at
    if starts_at is not None and starts_at < now:
        raise CeremonyPassed(
            [FieldError("ceremony.starts_at", "is in the past: a page goes live before")],
            "The ceremony has already taken place, so the page cannot go live; "
            "correct ceremony.starts_at if it is wrong",
        )


def rsvp_closes_at(content: PageContent) -> datetime | None:
    """The last instant an answer is taken, or None when nothing but the switch closes it."""
    moments = [m for m in (content.rsvp.deadline, content.ceremony.starts_at) if m is not None]
    return min(moments) if moments else None


def rsvp_open(content: PageContent, now: datetime) -> bool:
    starts_at = content.ceremony.starts_at
    return content.rsvp.is_open(now) and (starts_at is None or now <= starts_at)

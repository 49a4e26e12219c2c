"""What a page's plan allows. Premium, bought per page (see the payments context), unlocks:

- a gallery of up to ``PagePolicy.gallery_max`` photos (the free plan: ``free_gallery_max``);
- background music;
- the guests' photo album (``guest_photos``, see ``mocheong_core.guests.photos``);
- the public page without the Mocheong branding footer.

A page that loses premium (a full refund) keeps the photos it already has; only growing past
the free limit is refused, so the couple can still edit the rest of it. Its public page drops
the music and the guests' album and shows the footer again.
"""

from __future__ import annotations

from mocheong_core.errors import DomainError
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.model import Plan


class PremiumRequired(DomainError):
    code = "premium_required"
    title = "This needs the premium plan"


def is_premium(plan: Plan) -> bool:
    return plan is Plan.PREMIUM


def ensure_plan_allows(
    plan: Plan, before: PageContent, after: PageContent, policy: PagePolicy
) -> None:
    """Raises ``PremiumRequired`` when a free page's change goes past the free plan."""
    if is_premium(plan):
        return
    photos = len(after.gallery)
    if photos > policy.free_gallery_max and photos > len(before.gallery):
        raise PremiumRequired(
            f"The free plan shows up to {policy.free_gallery_max} photos; "
            f"premium up to {policy.gallery_max}"
        )
    if after.music.file_id and after.music.file_id != before.music.file_id:
        raise PremiumRequired("Background music is part of the premium plan")
    if after.guest_photos.enabled and not before.guest_photos.enabled:
        raise PremiumRequired("The guests' photo album is part of the premium plan")


def shows_music(plan: Plan) -> bool:
    return is_premium(plan)


def shows_branding(plan: Plan) -> bool:
    """The 'made with Mocheong' footer of the public page."""
    return not is_premium(plan)

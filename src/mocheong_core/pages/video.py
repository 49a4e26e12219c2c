"""The page's video: an https link to YouTube or Vimeo, and the player address it embeds as.

Only these two hosts are accepted, so the public page can allow exactly their players in its
Content Security Policy (``frame-src``) and nothing else. YouTube plays from
``youtube-nocookie.com``, its privacy-enhanced mode (no cookies until the guest plays).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import attrs

YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
YOUTU_BE = "youtu.be"
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
YOUTUBE_PATHS = ("/embed/", "/shorts/", "/live/", "/v/")
VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
YOUTUBE_PLAYER = "https://www.youtube-nocookie.com"
VIMEO_PLAYER = "https://player.vimeo.com"
PLAYER_ORIGINS = (YOUTUBE_PLAYER, VIMEO_PLAYER)
PROBLEM = "must be an https link to a YouTube or Vimeo video"


@attrs.frozen
class VideoLink:
    provider: str
    """``youtube`` or ``vimeo``."""
    video_id: str
    embed_url: str
    """The player's address, on one of ``PLAYER_ORIGINS``."""
    player_origin: str

    @property
    def provider_name(self) -> str:
        return "YouTube" if self.provider == "youtube" else "Vimeo"


def video_link(url: str) -> VideoLink | None:
    """The video ``url`` names, or None when it is not an https YouTube or Vimeo video link."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port not in (None, 443) or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    if host in YOUTUBE_HOSTS or host == YOUTU_BE:
        return _youtube(host, parts.path, parts.query)
    if host in VIMEO_HOSTS:
        return _vimeo(host, parts.path, parts.query)
    return None


def _youtube(host: str, path: str, query: str) -> VideoLink | None:
    if host == YOUTU_BE:
        video_id = path.strip("/")
    elif path in ("/watch", "/watch/"):
        video_id = (parse_qs(query).get("v") or [""])[0]
    else:
        prefix = next((p for p in YOUTUBE_PATHS if path.startswith(p)), None)
        video_id = path.removeprefix(prefix).strip("/") if prefix else ""
    if not YOUTUBE_ID.fullmatch(video_id):
        return None
    return VideoLink("youtube", video_id, f"{YOUTUBE_PLAYER}/embed/{video_id}", YOUTUBE_PLAYER)


def _vimeo(host: str, path: str, query: str) -> VideoLink | None:
    steps = [step for step in path.split("/") if step]
    if host == "player.vimeo.com":
        steps = steps[1:] if steps[:1] == ["video"] else []
    if not steps or not VIMEO_ID.fullmatch(steps[0]) or len(steps) > 2:
        return None
    # An unlisted video's link carries its hash, in the path or as ``?h=``; the player needs it.
    secret = steps[1] if len(steps) == 2 else (parse_qs(query).get("h") or [""])[0]
    if secret and not VIMEO_HASH.fullmatch(secret):
        return None
    embed = f"{VIMEO_PLAYER}/video/{steps[0]}" + (f"?h={secret}" if secret else "")
    return VideoLink("vimeo", steps[0], embed, VIMEO_PLAYER)

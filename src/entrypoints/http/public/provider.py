"""What the guests' site adds to the container: its templates and the page renderer. The
ASGI app registers it beside ``build_providers``; a process without the site never builds it."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from entrypoints.http.public.pages import RenderPublicPage
from entrypoints.http.public.render import PublicTemplates


class PublicSiteProvider(Provider):
    templates = provide(PublicTemplates, scope=Scope.APP)
    render = provide(RenderPublicPage, scope=Scope.REQUEST)

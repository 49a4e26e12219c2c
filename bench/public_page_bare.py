"""P1's baseline: a bare Litestar app answering with the very bytes of the public page and its
JSON, served exactly as ``mocheong serve`` serves the product (``MOCHEONG_SERVER``, started by
the same ``serve_asgi``, one worker).

``python bench/public_page_bare.py PORT HTML_FILE JSON_FILE HTML_BROTLI_FILE``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from litestar import Litestar, Response, get

from entrypoints.bootstrap.settings import DEFAULT_SERVER
from entrypoints.cli import serve_asgi


def make_app() -> Litestar:
    html = Path(os.environ["BARE_HTML"]).read_bytes()
    document = Path(os.environ["BARE_JSON"]).read_bytes()
    coded = Path(os.environ["BARE_HTML_BR"]).read_bytes()

    @get("/bare.html", sync_to_thread=False)
    def bare_html() -> Response[bytes]:
        return Response(html, media_type="text/html")

    @get("/bare.html.br", sync_to_thread=False)
    def bare_html_br() -> Response[bytes]:
        # The same headers the product sends with its brotli bytes.
        headers = {"Content-Encoding": "br", "Vary": "Accept-Encoding"}
        return Response(coded, media_type="text/html", headers=headers)

    @get("/bare.json", sync_to_thread=False)
    def bare_json() -> Response[bytes]:
        return Response(document, media_type="application/json")

    return Litestar([bare_html, bare_html_br, bare_json], debug=False)


def main() -> None:
    port, html, document, coded = sys.argv[1:5]
    os.environ["BARE_HTML"], os.environ["BARE_JSON"] = html, document
    os.environ["BARE_HTML_BR"] = coded
    server = os.environ.get("MOCHEONG_SERVER") or DEFAULT_SERVER
    # The same server and settings as ``mocheong serve`` (entrypoints/cli.py), one worker.
    serve_asgi(
        "public_page_bare:make_app", server=server, host="127.0.0.1", port=int(port), workers=1
    )


if __name__ == "__main__":
    main()

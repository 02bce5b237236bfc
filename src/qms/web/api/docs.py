"""The API's interactive documentation at /api/v1/docs: Swagger UI from the package's own
files (``static/swagger/``: its bundle, stylesheet and licence, no CDN), started by a
script file of its own rather than an inline one, so that the web's
Content-Security-Policy (``script-src 'self'``, no inline script or style) holds here too.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qms API · documentation</title>
<link rel="icon" href="{static}/favicon.svg">
<link rel="stylesheet" href="{static}/swagger/swagger-ui.css">
<link rel="stylesheet" href="{static}/swagger/docs.css">
</head>
<body>
<header class="qms-api-header">
<a href="{home}/">qms</a> · JSON API, version 1 ·
<a href="{openapi}">OpenAPI document</a> · <a href="{home}/tokens">your tokens</a>
</header>
<main id="swagger-ui" data-openapi="{openapi}">
<noscript><p>The interactive documentation needs JavaScript; the
<a href="{openapi}">OpenAPI document</a> describes every endpoint.</p></noscript>
</main>
<script src="{static}/swagger/swagger-ui-bundle.js"></script>
<script src="{static}/swagger/init.js"></script>
</body>
</html>
"""


def outer_root(request: Request) -> str:
    """The address of the web application the API is mounted in ("" at the site's root)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root.removesuffix("/api/v1")


@router.get("/docs", response_class=HTMLResponse)
def documentation(request: Request) -> HTMLResponse:
    home = outer_root(request)
    api_root = str(request.scope.get("root_path", "")).rstrip("/")
    page = PAGE.format(
        static=escape(f"{home}/static"),
        home=escape(home),
        openapi=escape(f"{api_root}/openapi.json"),
    )
    return HTMLResponse(page)

"""/docs (Swagger UI) and /redoc, served with their assets from this app: they work offline.

The assets are vendored, unmodified, in app/static with their licences (see static/README.txt).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

# The pages load only their own assets and the OpenAPI document from this origin.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


def _html(response: HTMLResponse) -> HTMLResponse:
    response.headers["content-security-policy"] = DOCS_CSP
    return response


def install_docs(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def read_swagger_ui() -> HTMLResponse:
        return _html(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} — API docs",
                swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url="/static/swagger-ui/swagger-ui.css",
                swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
                # No badge from validator.swagger.io: nothing leaves this origin.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def read_redoc() -> HTMLResponse:
        return _html(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} — ReDoc",
                redoc_js_url="/static/redoc/redoc.standalone.js",
                redoc_favicon_url="/static/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )

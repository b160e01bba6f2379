"""Template globals and filters shared by every page."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request
from jinja2.environment import Template, TemplateModule
from jinja2.runtime import Context
from markupsafe import Markup

from .config import LOCAL_ENVIRONMENTS
from .forms.markup import section_markup
from .records.identity import format_postcode

UK = ZoneInfo("Europe/London")


class ImportingTemplate(Template):
    """Jinja's template, whose ``{% from ... import ... %}`` asks which of the importing
    page's globals the imported template lacks with one set difference per mapping.

    Jinja asks it as ``ctx.globals_keys - self.globals.keys()``: a test of every global's name
    against a ``ChainMap``, one Python generator each, for each of a page's dozen imports (the
    GOV.UK template's and the components'), about 4% of a section page. The answer is the same
    (nearly always none, and then the module rendered once is reused, as Jinja does); with any,
    the module is made with them, as Jinja does."""

    def _get_default_module(self, ctx: Context | None = None) -> TemplateModule:
        if ctx is not None and not self.environment.is_async:
            keys: set[str] = ctx.globals_keys
            found = self.globals
            for names in found.maps if isinstance(found, ChainMap) else (found,):
                keys = keys.difference(names)
            if keys:
                return self.make_module({key: ctx.parent[key] for key in keys})
            ctx = None
        return super()._get_default_module(ctx)


def init_app(app: Flask) -> None:
    # Before any template is loaded (each is made from this class when first read).
    app.jinja_env.template_class = ImportingTemplate

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "service_name": app.config["SERVICE_NAME"],
            "csp_nonce": getattr(g, "csp_nonce", ""),
        }

    app.add_template_filter(uk_datetime)
    app.add_template_filter(uk_date)
    app.add_template_filter(format_postcode, "postcode")
    app.add_template_filter(mark_changed, "app_mark_changed")
    app.add_template_global(section_markup)
    app.add_template_global(_Fragments(), "once")

    # Production is served over TLS only (cookies are Secure): browsers must never try plain HTTP.
    hsts = "" if app.config["ENV"] in LOCAL_ENVIRONMENTS else "max-age=31536000; includeSubDomains"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        nonce = getattr(g, "csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            # Pages hold special-category data: never keep them in a shared or back-button cache.
            response.headers["Cache-Control"] = "no-store"
        elif (response.mimetype or "").endswith("json"):
            # ... and nor is the API's JSON kept, unless a view says it may be (the OpenAPI
            # document is public).
            response.headers.setdefault("Cache-Control", "no-store")
        if hsts and request.is_secure:
            # RFC 6797: sent over HTTPS only (behind the proxy, as the forwarded scheme says).
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response


class _Fragments:
    """``{% call once(key...) %}...{% endcall %}``: the block rendered once per process for the
    same ``key`` and then reused, for parts of the layout that depend on nothing else (such as
    the service navigation, whose entries depend on the role, the page's endpoint and where the
    application is mounted). Everything the block reads must be in its key: it never holds
    anything about a user but their role, a token or a nonce. At most :attr:`LIMIT` keys are
    kept; beyond that a block is rendered every time, as without the cache, and so is one
    called with ``keep=False``."""

    LIMIT = 1024

    def __init__(self) -> None:
        self._rendered: dict[tuple[Hashable, ...], Markup] = {}

    def __call__(self, *key: Hashable, caller: Callable[[], str], keep: bool = True) -> Markup:
        found = self._rendered.get(key) if keep else None
        if found is None:
            found = Markup(caller())  # noqa: S704 - the block's own (autoescaped) output
            if keep and len(self._rendered) < self.LIMIT:
                self._rendered[key] = found
        return found


def uk_datetime(value: datetime | None) -> str:
    """'22 November 2026 at 2:05pm', in UK time."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local.strftime('%p').lower()}"


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def mark_changed(row: dict[str, Any], changed: bool) -> dict[str, Any]:
    """A summary-list row, marked (class and a visually hidden word) when its answer differs."""
    if not changed:
        return row
    marked = dict(row)
    marked["classes"] = (row.get("classes", "") + " app-changed").strip()
    key = dict(row.get("key", {}))
    key["text"] = f"{key.get('text', '')} (changed)"
    key.pop("html", None)
    marked["key"] = key
    return marked

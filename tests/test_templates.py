"""Links in table cells are real links, and what people typed is always escaped inside them."""

from __future__ import annotations

import re
from datetime import date

import pytest


def test_search_results_link_to_the_record_and_escape_the_name(client, login_as, factories):
    login_as("assessor")
    person = factories.client("<b>Jean</b>", "MacDonald", date(1938, 3, 14))
    html = client.get("/people", query_string={"q": "macdonald"}).get_data(as_text=True)
    assert (
        f'<a class="govuk-link" href="/people/{person.id}">&lt;b&gt;Jean&lt;/b&gt; MacDonald</a>'
        in html
    )
    assert "&lt;a class=" not in html


def test_dashboard_links_to_recent_records(client, login_as, factories) -> None:
    login_as("assessor", org="perth-kinross-council")
    person = factories.client("Isla", "Brown", date(1985, 4, 19), org="perth-kinross-council")
    html = client.get("/").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/people/{person.id}">Isla Brown</a>' in html


def test_every_page_declares_our_own_icon(client) -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert client.get("/static/src/favicon.svg").status_code == 200


def test_navigation_shows_each_role_its_own_places(client, login_as) -> None:
    login_as("team_manager", org="nhs-tayside")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/referrals"' in html and re.search(r">\s*Referrals\s*<", html)
    assert "Administration" not in html


def test_administrators_see_administration_not_referrals(client, login_as) -> None:
    login_as("administrator")
    html = client.get("/").get_data(as_text=True)
    assert "Administration" in html and 'href="/referrals"' not in html


def test_the_referral_queue_links_each_person_to_the_referral(
    client, login_as, factories, db_session
) -> None:
    from tests.records import builders

    person = factories.client("<i>Morag</i>", "Reid")
    assessor = factories.user("assessor", "nhs-tayside")
    made = builders.decision(db_session, builders.assessment(db_session, person, assessor))
    service = builders.service_of(db_session, factories.organisation("perth-kinross-council"))
    referral = builders.referral(db_session, made, service)
    login_as("team_manager", org="perth-kinross-council")
    html = client.get("/referrals").get_data(as_text=True)
    assert (
        f'<a class="govuk-link" href="/referrals/{referral.id}">&lt;i&gt;Morag&lt;/i&gt; Reid</a>'
        in html
    )
    assert "&lt;a class=" not in html


def test_no_template_builds_html_by_joining_strings() -> None:
    """Markup comes from macros or from Python (escaped there), never from `'<a ' ~ ...`."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "assessment_engine" / "templates"
    joined = re.compile(r"""['"]<[a-z/][^'"]*['"]\s*~|~\s*['"][^'"]*</?[a-z]""")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if joined.search(line)
    ]
    assert offenders == []


#: Per request: the CSRF token (signed with the time) and the CSP nonce.
_TOKENS = re.compile(r'(name="csrf_token"[^>]*? value=")[^"]*"|(nonce=")[^"]*"')


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return _TOKENS.sub(lambda m: (m.group(1) or m.group(2)) + '"', response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("role", "urls"),
    [
        ("assessor", ["/", "/people", "/referrals", "/account"]),
        ("team_manager", ["/", "/referrals", "/reports"]),
        ("administrator", ["/", "/admin/", "/admin/users", "/account"]),
        ("partnership_lead", ["/reports", "/account"]),
        ("performance_analyst", ["/", "/reports/return"]),
    ],
)
def test_the_layout_rendered_once_is_the_layout_rendered_every_time(
    app, client, login_as, monkeypatch, role, urls
) -> None:
    """The service navigation comes from ``once`` (rendered once per process for the role, the
    page and the mount point): byte for byte what rendering it on every request gives, for every
    role, on pages of its own navigation (admin) and of the default one, the active entry too."""
    user = login_as(role)
    fragments = app.jinja_env.globals["once"]
    monkeypatch.setattr(fragments, "_rendered", {})  # this test's own, whatever ran before
    fresh = {}
    with monkeypatch.context() as patched:
        patched.setattr(fragments, "LIMIT", 0)  # nothing kept: rendered on every request
        for url in urls:
            fresh[url] = _page(client, url)
    assert not fragments._rendered
    for url in urls:
        assert _page(client, url) == fresh[url]  # rendered, and kept
        assert _page(client, url) == fresh[url]  # from what was kept
    assert fragments._rendered
    kept = "".join(fragments._rendered.values())
    assert 'class="govuk-service-navigation' in kept
    assert user.name not in kept and user.email not in kept and "csrf" not in kept


def test_imports_render_as_jinja_renders_them() -> None:
    """templating.ImportingTemplate: an imported macro sees the same globals as with Jinja's own
    template (a global only the importing page has, too), and the module is shared as before."""
    from jinja2 import DictLoader, Environment

    from assessment_engine.templating import ImportingTemplate

    sources = {
        "macros.html": (
            "{% macro shout(x) %}{{ x | upper }}{{ extra | default('-') }}{% endmacro %}"
        ),
        "page.html": '{% from "macros.html" import shout %}{{ shout("a") }} {{ shout(page) }}',
    }
    rendered = []
    for template_class in (None, ImportingTemplate):
        env = Environment(loader=DictLoader(sources), autoescape=True)
        if template_class is not None:
            env.template_class = template_class
        env.globals["page"] = "p"
        plain = env.get_template("page.html").render()
        with_extra = env.get_template("page.html", globals={"extra": "!"}).render()
        shared = env.get_template("macros.html")._get_default_module()
        assert shared is env.get_template("macros.html")._get_default_module()
        rendered.append((plain, with_extra))
    assert rendered[0] == rendered[1] == (("A- P-"), ("A! P!"))

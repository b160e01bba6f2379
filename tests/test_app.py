"""The app factory and its configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from assessment_engine import create_app
from assessment_engine.config import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent


def test_configuration_comes_from_defaults_then_environment_then_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSESSMENT_SERVICE_NAME", "From the environment")
    monkeypatch.setenv("ASSESSMENT_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    app = create_app({"SECRET_KEY": "x" * 32, "SESSION_IDLE_MINUTES": 5})
    assert app.config["SERVICE_NAME"] == "From the environment"  # environment beats defaults
    assert app.config["SESSION_IDLE_MINUTES"] == 5  # overrides beat the environment
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024  # a default


def test_postgres_urls_use_psycopg_3(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k" * 32})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_production_refuses_to_start_without_a_secret_key_or_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASSESSMENT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ASSESSMENT_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="ASSESSMENT_DATABASE_URL"):
        create_app({"ENV": "production", "SECRET_KEY": "k" * 32})
    with pytest.raises(ConfigurationError, match="ASSESSMENT_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_to_start_without_a_key_for_second_factor_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASSESSMENT_TOTP_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ASSESSMENT_TOTP_ENCRYPTION_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": "k" * 32})
    with pytest.raises(ConfigurationError, match="SECOND_FACTOR_ROLES"):
        create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECOND_FACTOR_ROLES": ["boss"]})


def test_cookies_are_secure_outside_local_development() -> None:
    prod = create_app(
        {
            "ENV": "production",
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "k" * 32,
            "AUDIT_CHECKPOINT_KEY": "c" * 32,
            "TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "NOTIFICATIONS_BASE_URL": "https://assessment.example",
        }
    )
    local = create_app({"ENV": "development", "DATABASE_URL": "sqlite://"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert local.config["SESSION_COOKIE_SECURE"] is False
    for app in (prod, local):
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_local_secret_key_is_kept_in_the_instance_folder(tmp_path: Path) -> None:
    first = create_app({"ENV": "development", "DATABASE_URL": "sqlite://"})
    second = create_app({"ENV": "development", "DATABASE_URL": "sqlite://"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40


def test_wsgi_module_only_creates_the_app() -> None:
    lines = [line for line in (ROOT / "wsgi.py").read_text().splitlines() if line.strip()]
    assert lines == ["from assessment_engine import create_app", "app = create_app()"]


def test_pages_send_security_headers(client) -> None:
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_pages_use_the_partnership_brand_not_govuk(client) -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    assert "Skip to main content" in html
    assert "govuk-header__logotype" not in html  # no crown
    assert "GOV.UK" not in html
    assert "Shared Assessment" in html


def test_an_unknown_page_is_a_friendly_404(client, login_as) -> None:
    login_as("assessor")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_start_up_refuses_a_missing_form_schemas_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ASSESSMENT_FORM_SCHEMAS_DIR"):
        create_app({"DATABASE_URL": "sqlite://", "FORM_SCHEMAS_DIR": str(tmp_path / "nowhere")})


def test_production_needs_the_sign_in_address_and_smtp_passwords_need_starttls() -> None:
    prod = {
        "ENV": "production",
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "k" * 32,
        "AUDIT_CHECKPOINT_KEY": "c" * 32,
        "TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    with pytest.raises(ConfigurationError, match="ASSESSMENT_NOTIFICATIONS_BASE_URL"):
        create_app(prod)
    local = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    assert local.config["NOTIFICATIONS_BASE_URL"] == "http://127.0.0.1:5000"
    credentials = {"SMTP_USERNAME": "mailer", "SMTP_PASSWORD": "secret"}
    with pytest.raises(ConfigurationError, match="ASSESSMENT_SMTP_STARTTLS"):
        create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", **credentials})
    create_app(
        {"ENV": "testing", "DATABASE_URL": "sqlite://", **credentials, "SMTP_STARTTLS": True}
    )

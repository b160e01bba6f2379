"""Wording a notification and sending it: by SMTP, or (in development) to a folder of files.

The words come from the outbox row's counts and kinds alone, so no message can carry a name,
CHI number, date of birth, a service's name (which may reveal a condition) or free text.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

from ..db import utcnow
from .models import OutboxKind, OutboxMessage

_URGENCY_WORDS = {"same_day": "same-day", "urgent": "urgent", "routine": "routine"}


class DeliveryError(Exception):
    """The message could not be handed over (it is retried later)."""


class Undeliverable(DeliveryError):
    """The message cannot be sent however often it is tried (no team address): it fails at
    once, for good."""


class Mailer(Protocol):
    def send(self, message: EmailMessage, to_addrs: list[str]) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """Hands each message to an SMTP server (``SMTP_*`` settings)."""

    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def send(self, message: EmailMessage, to_addrs: list[str]) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            # The envelope's recipients given, not parsed again from the To header.
            smtp.send_message(message, to_addrs=to_addrs)


@dataclass(frozen=True)
class FileMailer:
    """Writes each message to ``<folder>/<outbox id>.eml`` (development): one file a message,
    written whole or not at all, and the same file again if the same message is sent twice."""

    folder: Path

    def send(self, message: EmailMessage, to_addrs: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").split("@", 1)[0]
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(message.as_bytes())
        os.replace(temporary, self.folder / f"{name}.eml")


def mailer_from_config(config: Mapping[str, Any], instance_path: str) -> Mailer:
    """``MAIL_BACKEND`` "file" (the default locally: ``MAIL_DIR``) or "smtp" (elsewhere)."""
    if mail_backend(config) == "file":
        return FileMailer(mail_folder(config, instance_path))
    return SmtpMailer(
        host=str(config["SMTP_HOST"]),
        port=int(config["SMTP_PORT"]),
        username=str(config.get("SMTP_USERNAME") or ""),
        password=str(config.get("SMTP_PASSWORD") or ""),
        starttls=bool(config.get("SMTP_STARTTLS")),
        timeout=float(config["SMTP_TIMEOUT_SECONDS"]),
    )


def mail_backend(config: Mapping[str, Any]) -> str:
    backend = config.get("MAIL_BACKEND")
    if backend:
        return str(backend)
    return "file" if config["ENV"] in ("development", "testing") else "smtp"


def mail_folder(config: Mapping[str, Any], instance_path: str) -> Path:
    return Path(config.get("MAIL_DIR") or Path(instance_path) / "mail")


def referrals_waiting(count: int, urgency: str) -> str:
    """'2 same-day referrals are waiting for your team', 'An urgent referral is waiting ...'."""
    words = _URGENCY_WORDS.get(urgency, "new")
    if count == 1:
        article = "An" if words[0] in "aeiou" else "A"
        return f"{article} {words} referral is waiting for your team"
    return f"{count} {words} referrals are waiting for your team"


def compose(
    message: OutboxMessage, *, to: str, sender: str, sign_in_url: str, service_title: str
) -> EmailMessage:
    """The email for an outbox row: counts and a link to sign in, nothing about anyone."""
    if message.kind is OutboxKind.REFERRAL:
        subject = referrals_waiting(1, str(message.detail.get("urgency", "")))
        lines = [f"{subject}."]
    else:
        lines = [str(line["text"]) + "." for line in message.detail.get("lines", [])]
        subject = "What is waiting for your team today"
    body = "\n".join(
        [
            *lines,
            "",
            f"Sign in to your team's queue: {sign_in_url}",
            "",
            (
                f"This message comes from {service_title}. It names no one on purpose: "
                "everything about the people referred is in your team's queue, after you sign in."
            ),
            "",
        ]
    )
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(utcnow())
    # The outbox id: a receiver (or a person) can tell a resend of the same notification.
    email["Message-ID"] = f"<{message.id}@{sender.rpartition('@')[2] or 'localhost'}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(body)
    return email

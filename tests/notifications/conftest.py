"""A real SMTP server (aiosmtpd) started by the tests, on a free local port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the server received; ``refuse`` makes it answer every message with a 451, and
    ``delay`` makes it slow (so that two runners overlap)."""

    received: list[Message] = field(default_factory=list)
    #: Every message handed over (DATA), whether refused or taken.
    attempts: int = 0
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: one message at a time, slowly
        if self.refuse:
            return "451 4.3.0 Try again later"
        with self.lock:
            self.received.append(message_from_bytes(envelope.content))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.received]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    """The module's server, emptied and answering normally."""
    box = smtp_server[0]
    box.received.clear()
    box.recipients.clear()
    box.attempts = 0
    box.refuse, box.delay = False, 0.0
    return box


@pytest.fixture
def smtp_config(smtp_server: tuple[Mailbox, int]) -> dict[str, Any]:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server[1],
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_FROM": "no-reply@assessment.example",
        "NOTIFICATIONS_BASE_URL": "https://assessment.example",
        "OUTBOX_RETRY_SECONDS": 0,
        "OUTBOX_MAX_ATTEMPTS": 3,
    }

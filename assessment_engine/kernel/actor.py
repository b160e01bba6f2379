"""Who is acting: a signed-in user or a partner system, always on behalf of one organisation."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Role(enum.StrEnum):
    """What a member of staff does; the access rules and the audit trail speak of it."""

    ASSESSOR = "assessor"
    TEAM_MANAGER = "team_manager"
    ADMINISTRATOR = "administrator"
    #: Exports the person-level quarterly return; opens no one's record.
    PERFORMANCE_ANALYST = "performance_analyst"
    #: Sees the partnership's outputs and outcomes: every partner's counts, never a person.
    PARTNERSHIP_LEAD = "partnership_lead"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Person(Protocol):
    """What the actor needs of a signed-in member of staff (``auth.models.User``)."""

    @property
    def id(self) -> int: ...

    @property
    def organisation_id(self) -> int: ...

    @property
    def role(self) -> Role: ...


@dataclass(frozen=True)
class Actor:
    """Passed to every service that reads or changes a record, and written to the audit trail."""

    #: None only for the system's own tasks (see :meth:`system`).
    organisation_id: int | None
    label: str
    user_id: int | None = None
    role: Role | None = None
    address: str = ""

    @classmethod
    def for_user(cls, user: Person, address: str = "") -> Actor:
        return cls(
            organisation_id=user.organisation_id,
            label=f"user:{user.id}",
            user_id=user.id,
            role=user.role,
            address=address,
        )

    @classmethod
    def command_line(cls, organisation_id: int) -> Actor:
        return cls(organisation_id=organisation_id, label="cli")

    @classmethod
    def system(cls, task: str) -> Actor:
        """The application itself, on no organisation's behalf: loading the bundled
        questionnaires (``flask load-schemas``), for example."""
        return cls(organisation_id=None, label=f"system:{task}")

    @property
    def own_organisation_id(self) -> int:
        """The organisation acted for, where a service needs one: every actor has one but the
        system's own tasks (:meth:`system`), which never reach a person's record."""
        if self.organisation_id is None:
            raise LookupError(f"{self.label} acts for no organisation")
        return self.organisation_id

    @property
    def is_partner_system(self) -> bool:
        """A partner organisation's system calling the API with its own token."""
        return self.label.startswith("api:")

"""What ``/members``, ``/invitations`` and ``/auth/invitations/accept`` read and return.

An invitation's token is never returned: it exists only in the mail that was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import Invitation, Membership, User
from trueport.platform.rbac import Role
from trueport.platform.users.schemas import Email, Name, NewPassword

_ID = "5f0c2b8e-1d4a-4e3b-9c7f-0a1b2c3d4e5f"
_USER_ID = "0b7c3f5e-8d2a-4c61-9e0f-5a1b2c3d4e5f"
_TENANT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]
OneTimeToken = Annotated[str, Field(min_length=16, max_length=256, pattern=r"^[A-Za-z0-9_\-]+$")]


class MemberOut(BaseModel):
    """A member of the tenant and their role."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _ID,
                    "user_id": _USER_ID,
                    "email": "alice@acme.example",
                    "name": "Alice Martin",
                    "role": "owner",
                    "created_at": "2025-05-01T09:30:00Z",
                }
            ]
        }
    )

    id: str = Field(description="The membership's id (used in `/members/{id}`), not the user's.")
    user_id: str
    email: str
    name: str
    role: Role
    created_at: datetime = Field(description="When the user joined the tenant.")

    @classmethod
    def of(cls, membership: Membership, user: User) -> MemberOut:
        return cls(
            id=membership.id,
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=Role(membership.role),
            created_at=membership.created_at,
        )


class MemberPatch(BaseModel):
    """A new role. Granting or taking away `owner` needs the owner role; a tenant keeps one owner."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "admin"}]})

    role: Role


class InvitationIn(BaseModel):
    """Invite someone by e-mail; inviting an owner needs the owner role."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "bob@acme.example", "role": "member"}]}
    )

    email: Email
    role: Role


class InvitationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _ID,
                    "email": "bob@acme.example",
                    "role": "member",
                    "status": "pending",
                    "invited_by": _USER_ID,
                    "created_at": "2025-05-01T09:30:00Z",
                    "expires_at": "2025-05-08T09:30:00Z",
                    "accepted_at": None,
                    "revoked_at": None,
                }
            ]
        }
    )

    id: str
    email: str
    role: Role
    status: InvitationStatus
    invited_by: str | None = Field(description="The inviter's user id; null when a platform admin's token.")
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, invitation: Invitation, now: datetime) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=Role(invitation.role),
            status=_status(invitation, now),
            invited_by=invitation.invited_by,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            revoked_at=invitation.revoked_at,
        )


def _status(invitation: Invitation, now: datetime) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if invitation.expires_at <= now else "pending"


class InvitationCreated(InvitationOut):
    """The new invitation. `email_sent` is false if the mail could not be sent: revoke it and invite
    again once mail works (the link exists only in the mail)."""

    email_sent: bool


class AcceptIn(BaseModel):
    """The token from the invitation link. `name` and `password` create the account when the address
    has none yet; they are ignored for an existing account (its password is never changed here)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "token": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6dq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe",
                    "name": "Bob Stone",
                    "password": "a long enough passphrase",
                }
            ]
        },
    )

    token: OneTimeToken
    name: Name | None = None
    password: NewPassword | None = None


class AcceptOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"user_id": _USER_ID, "tenant_id": _TENANT_ID, "tenant_slug": "acme", "role": "member"}
            ]
        }
    )

    user_id: str
    tenant_id: str
    tenant_slug: str
    role: Role

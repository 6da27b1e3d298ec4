"""What ``/users`` reads and returns, and the e-mail and password fields other packages share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from trueport.db.models import User
from trueport.platform.auth.passwords import MAX_PASSWORD_LENGTH

# Deliberately loose: the only real check of an address is the mail that reaches it.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True),
    Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$",
        examples=["alice@acme.example"],
        description="An e-mail address (compared case-insensitively).",
    ),
]
Password = Annotated[
    str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, examples=["correct horse battery staple"])
]
# A password being chosen: the policy (``password_problem``) judges its length and answers 400
# ``weak_password`` with the reason; the schema only caps what is worth reading at all.
NewPassword = Annotated[
    str, Field(min_length=1, max_length=4 * MAX_PASSWORD_LENGTH, examples=["a longer passphrase 2026"])
]
# No control characters: names are shown in mails and pages, and PostgreSQL refuses NUL in text.
Name = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", examples=["Alice Martin"])
]


class UserOut(BaseModel):
    """The signed-in user."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7c3f5e-8d2a-4c61-9e0f-5a1b2c3d4e5f",
                    "email": "alice@acme.example",
                    "name": "Alice Martin",
                    "is_platform_admin": False,
                    "created_at": "2025-05-01T09:30:00Z",
                }
            ]
        }
    )

    id: str
    email: str
    name: str
    is_platform_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            is_platform_admin=user.is_platform_admin,
            created_at=user.created_at,
        )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Alice Martin"}]})

    name: Name


class PasswordChange(BaseModel):
    """Your current password, and the new one (at least `platform.password_min_length` characters)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "current_password": "correct horse battery staple",
                    "new_password": "a longer passphrase 2026",
                }
            ]
        },
    )

    current_password: Password
    new_password: NewPassword

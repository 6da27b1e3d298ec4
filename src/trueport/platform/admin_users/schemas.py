"""What ``/admin/users`` returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from trueport.db.models import User


class AdminUserOut(BaseModel):
    """A user as platform admins see them (never a password hash)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7c3f5e-8d2a-4c61-9e0f-5a1b2c3d4e5f",
                    "email": "alice@acme.example",
                    "name": "Alice Martin",
                    "is_platform_admin": False,
                    "disabled": False,
                    "disabled_at": None,
                    "created_at": "2025-05-01T09:30:00Z",
                }
            ]
        }
    )

    id: str
    email: str
    name: str
    is_platform_admin: bool
    disabled: bool
    disabled_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            is_platform_admin=user.is_platform_admin,
            disabled=user.disabled_at is not None,
            disabled_at=user.disabled_at,
            created_at=user.created_at,
        )

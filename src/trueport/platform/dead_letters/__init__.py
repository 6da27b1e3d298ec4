"""``/admin/dead-letters``: what the record and audit writers could not store; ``/admin/bus/dead-letters``:
what the event bus's consumers could not handle (platform admins)."""

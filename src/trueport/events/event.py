"""An event: a JSON object with ``id``, ``topic``, ``tenant_id``, ``time`` and ``data``.

Topics carry a version (``.v1``): a consumer can rely on a topic's shape, and a change that breaks
it gets a new topic rather than surprising existing subscribers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from trueport.jsonutil import JSONObject, dumps, loads_object

Topic = Literal["inference.events.v1", "budget.events.v1", "hitl.events.v1", "eval.events.v1"]
TOPICS: tuple[str, ...] = get_args(Topic)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    topic: str
    tenant_id: str | None
    time: datetime
    data: JSONObject

    @classmethod
    def new(cls, topic: Topic, tenant_id: str | None, data: JSONObject) -> Event:
        return cls(str(uuid.uuid4()), topic, tenant_id, datetime.now(UTC), data)

    def as_dict(self) -> JSONObject:
        return {
            "id": self.id,
            "topic": self.topic,
            "tenant_id": self.tenant_id,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }

    def encode(self) -> bytes:
        return dumps(self.as_dict())

    @classmethod
    def decode(cls, raw: bytes) -> Event:
        """Raises ValueError (or a subclass) for anything that is not an event."""
        value = loads_object(raw)
        tenant_id = value.get("tenant_id")
        data = value.get("data")
        if not isinstance(data, dict) or not (tenant_id is None or isinstance(tenant_id, str)):
            raise ValueError("not an event")
        when = datetime.fromisoformat(str(value["time"]).replace("Z", "+00:00"))
        return cls(str(value["id"]), str(value["topic"]), tenant_id, when, data)

"""The serving process's side of the books: each finished call becomes one line for the recorder.

``submit(record, headers)`` (every call, when its handler returns) updates the Prometheus counters and
hands the call's line over without waiting. ``answered(...)`` is called by the call's audit wrapper
(``trueport.audit.dataplane``) just before the last bytes of a 2xx answer go out: the line is handed
over and *awaited* until durable, so a client that got a complete 2xx answer can rely on its audit
event being written, even if this process is killed the next instant. Such a call is not handed
over again when its handler returns.

Nothing else happens here: no pricing, no model construction, no database. The recorder
(``trueport.books.recorder``, in its own process unless configured otherwise) does the rest.
"""

from __future__ import annotations

import time

import structlog

from trueport.books.handoff import Handoff
from trueport.books.item import encode
from trueport.books.recorder import Recorder
from trueport.books.status import StatusBoard, books_check
from trueport.gateway.asgi import Headers
from trueport.usage.pricing import TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import observe

log = structlog.get_logger(__name__)


class BooksIntake:
    def __init__(
        self,
        handoff: Handoff,
        prices: TenantPrices,
        *,
        audited: bool = True,
        recorder: Recorder | None = None,
        board: StatusBoard | None = None,
    ):
        self.handoff = handoff
        self.prices = prices  # budgets price their holds with it; records are priced by the recorder
        self.audited = audited
        self.recorder = recorder  # the in-process recorder, if it runs in this process
        self._board = board  # the separate recorder's heartbeat
        self._answered: set[str] = set()  # ids of calls handed over at their answer
        self.dropped = 0  # kept for the shutdown log line: the hand-off never drops

    @property
    def written(self) -> int:
        return self.recorder.written if self.recorder is not None else self.handoff.written

    @property
    def pending(self) -> int:
        return self.handoff.pending

    def submit(self, record: RequestRecordData, headers: Headers) -> None:
        """The call's handler returned: count it, and hand it over unless its answer did."""
        try:
            observe(record)
        except Exception:  # a metric must never cost a record
            log.exception("request_record_metrics_failed", request_id=record.id)
        if record.id in self._answered:
            self._answered.discard(record.id)
            return
        audited = self.audited and record.tenant_id is not None
        self.handoff.submit(encode(record, record.status_code, headers, audited=audited))

    async def answered(
        self, record: RequestRecordData, headers: Headers, status: int, started: float
    ) -> None:
        """The last bytes of a 2xx answer are about to go: hand the call over and wait until durable."""
        if record.status_code == 0:
            record.status_code = status
        record.latency_ms = (time.perf_counter() - started) * 1000
        line = encode(record, status, headers, audited=self.audited and record.tenant_id is not None)
        self._answered.add(record.id)
        await self.handoff.durable(line)

    def finished(self, record: RequestRecordData, headers: Headers, status: int) -> None:
        """Nothing to do: every call is handed over by ``submit`` when its handler returns."""

    async def flush(self) -> None:
        """Make everything handed over durable and, with an in-process recorder, put it in the books."""
        await self.handoff.flush()
        if self.recorder is not None:
            await self.recorder.drain()

    def health(self, max_lag_s: float) -> str | None:
        return self.handoff.health(max_lag_s)

    async def recorder_health(self, max_lag_s: float) -> str | None:
        if self.recorder is not None:
            return self.recorder.health(max_lag_s)
        if self._board is not None:
            return await books_check(self._board, max_lag_s)
        return None

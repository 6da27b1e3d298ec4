"""Breaker state shared by every replica in Redis: one Lua script per call, atomic per target.

Keys (``{label}`` is a Redis Cluster hash tag, so both keys of a target live in one slot):

- ``trueport:breaker:{<label>}`` hash: ``st`` state (0 closed, 1 half-open, 2 open), ``ep`` epoch,
  ``cf`` consecutive failures, ``oc`` openings in a row, ``ou`` open until (Unix s), ``cl`` closed at,
  ``ps`` successful probes; the rolling window as ``w<i>``/``c<i>``/``f<i>``/``s<i>`` (bucket number,
  calls, failures, slow calls) for ``i`` in ``0..buckets-1``, a ring indexed by bucket number.
- ``trueport:breaker:{<label>}:probes`` sorted set: probe token -> expiry (Unix s).

Both expire ``BreakerPolicy.key_ttl_s`` after the last write; a breaker whose keys expired is
closed, which is what it would be by then anyway. Time is Redis ``TIME`` so replicas agree. Every call
is bounded by ``timeout_s`` and raises ``BreakerStoreUnavailable`` on any failure: wrap this store in
``FallbackBreakerStore`` (which ``shared_breaker_store`` does).

The policy's numbers are compiled into the script text (one script, and SHA, per distinct policy),
so a call sends only the operation and its own few arguments. The script mirrors
``MemoryBreakerStore`` (``trueport.limits.breaker_store._Breaker``); the same tests run against both.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from string import Template
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from trueport.limits.breaker import (
    BreakerPolicy,
    BreakerState,
    BreakerStoreUnavailable,
    Observed,
    Permit,
    State,
    window_rates,
)
from trueport.limits.breaker_store import FallbackBreakerStore, MemoryBreakerStore
from trueport.settings import ResilienceConfig

KEY_PREFIX = "trueport:breaker"

_SCRIPT = Template("""
local key, probes = KEYS[1], KEYS[2]
local op = ARGV[1]
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local window, buckets = $window_s, $buckets
local min_calls, failure_rate = $min_calls, $failure_rate
local consecutive, slow_rate = $consecutive_failures, $slow_call_rate
local open_s, open_max, multiplier = $open_s, $open_max_s, $open_multiplier
local max_probes, probe_ttl, key_ttl = $half_open_probes, $probe_ttl_s, $key_ttl_s

local h = redis.call('HMGET', key, 'st', 'ep', 'cf', 'oc', 'ou', 'ps', 'cl')
local st, ep = tonumber(h[1]) or 0, tonumber(h[2]) or 0
local cf, oc, ou = tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0
local ps, cl = tonumber(h[6]) or 0, tonumber(h[7]) or 0
local current = math.floor(now / (window / buckets))
local prev, changed = -1, false

local function sums()
  local fields = {}
  for i = 0, buckets - 1 do
    fields[#fields + 1] = 'w' .. i
    fields[#fields + 1] = 'c' .. i
    fields[#fields + 1] = 'f' .. i
    fields[#fields + 1] = 's' .. i
  end
  local v = redis.call('HMGET', key, unpack(fields))
  local calls, fails, slow = 0, 0, 0
  for i = 0, buckets - 1 do
    local b = tonumber(v[i * 4 + 1])
    if b and b > current - buckets and b <= current then
      calls = calls + (tonumber(v[i * 4 + 2]) or 0)
      fails = fails + (tonumber(v[i * 4 + 3]) or 0)
      slow = slow + (tonumber(v[i * 4 + 4]) or 0)
    end
  end
  return calls, fails, slow
end

local function move(state)
  prev = st
  st = state
  ep = ep + 1
  cf = 0
  ps = 0
  changed = true
  redis.call('DEL', probes)
  local fields = {}
  for i = 0, buckets - 1 do fields[#fields + 1] = 'w' .. i end
  redis.call('HDEL', key, unpack(fields))
end

local function open(jitter)
  if st == 0 and now - cl >= open_max then oc = 0 end
  oc = oc + 1
  ou = now + math.min(open_max, open_s * multiplier ^ math.min(oc - 1, 64)) * jitter
  move(2)
end

-- Outcomes of ordinary calls, possibly several (a replica's batch): counted if still closed in
-- the epoch they were permitted in. A batch's failures after its last success extend the run of
-- consecutive failures, or start it again when the batch holds a success.
local function count(epoch, calls, fails, slow, trail, success, jitter)
  if epoch ~= ep or st ~= 0 or calls == 0 then return end
  local slot = current % buckets
  if tonumber(redis.call('HGET', key, 'w' .. slot)) ~= current then
    redis.call('HSET', key, 'w' .. slot, current, 'c' .. slot, 0, 'f' .. slot, 0, 's' .. slot, 0)
  end
  redis.call('HINCRBY', key, 'c' .. slot, calls)
  if fails > 0 then redis.call('HINCRBY', key, 'f' .. slot, fails) end
  if slow > 0 then redis.call('HINCRBY', key, 's' .. slot, slow) end
  if success then cf = trail else cf = cf + trail end
  changed = true
  local c, f, s = sums()
  if (consecutive > 0 and cf >= consecutive)
      or (c >= min_calls and (f >= failure_rate * c or s >= slow_rate * c)) then
    open(jitter)
  end
end

local function save()
  if not changed then return end
  redis.call('HSET', key, 'st', st, 'ep', ep, 'cf', cf, 'oc', oc, 'ou', ou, 'ps', ps, 'cl', cl)
  redis.call('EXPIRE', key, key_ttl)
end

local function reply(granted)
  save()
  local left = '0'
  if st == 2 then left = string.format('%.6f', ou - now) end
  return {granted, st, prev, ep, left}
end

if op == 'read' then
  local shown, live = st, 0
  if st == 2 and now >= ou then shown = 1 end
  if st == 1 then live = redis.call('ZCOUNT', probes, '(' .. string.format('%.6f', now), '+inf') end
  local calls, fails, slow = sums()
  return {shown, cf, oc, string.format('%.6f', ou), live, calls, fails, slow, st}
end

-- ARGV: op, now, token, epoch, calls, failures, slow, trail, success, jitter
local token, epoch = ARGV[3], tonumber(ARGV[4])
local calls, fails, slow = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local trail, success, jitter = tonumber(ARGV[8]), ARGV[9] == '1', tonumber(ARGV[10])

if op == 'record' and token ~= '' then
  -- A probe's outcome.
  if epoch ~= ep or st ~= 1 then return reply(0) end
  redis.call('ZREMRANGEBYSCORE', probes, '-inf', now)
  if redis.call('ZREM', probes, token) == 0 then return reply(0) end
  if fails > 0 or slow > 0 then
    open(jitter)
  else
    ps = ps + 1
    changed = true
    if ps >= max_probes then
      move(0)
      cl = now
    end
  end
  return reply(0)
end

count(epoch, calls, fails, slow, trail, success, jitter)
if op == 'record' then return reply(0) end

-- op == 'acquire'
if st == 2 then
  if now < ou then return reply(0) end
  move(1)
end
if st == 1 then
  redis.call('ZREMRANGEBYSCORE', probes, '-inf', now)
  if redis.call('ZCARD', probes) + ps >= max_probes then return reply(0) end
  redis.call('ZADD', probes, now + probe_ttl, token)
  redis.call('EXPIRE', probes, key_ttl)
  return reply(1)
end
return reply(1)
""")


def _state(value: Any) -> State:
    return State(int(value))


def _previous(value: Any) -> State | None:
    number = int(value)
    return None if number < 0 else State(number)


class _Batch:
    """Outcomes of ordinary calls not yet sent to Redis, all permitted in one epoch."""

    __slots__ = ("calls", "epoch", "failures", "slow", "success", "trail")

    def __init__(self, epoch: int):
        self.epoch = epoch
        self.calls = self.failures = self.slow = 0
        self.trail = 0  # failures since the batch's last success
        self.success = False

    def add(self, failed: bool, slow: bool) -> None:
        self.calls += 1
        self.slow += slow
        if failed:
            self.failures += 1
            self.trail += 1
        else:
            self.success = True
            self.trail = 0

    def args(self) -> list[str | int]:
        return [self.epoch, self.calls, self.failures, self.slow, self.trail, "1" if self.success else "0"]


class _View:
    """What this replica last heard from Redis about one breaker."""

    __slots__ = ("batch", "epoch", "fetched_at", "in_flight", "jitter", "open_until", "state")

    def __init__(self) -> None:
        self.state = State.CLOSED
        self.epoch = 0
        self.fetched_at = -math.inf  # local clock
        self.open_until = 0.0  # local clock
        self.in_flight = 0  # calls to Redis that will refresh it
        self.batch: _Batch | None = None
        self.jitter = 1.0  # for an opening the batch causes when sent with a permit request

    def take_batch(self) -> list[str | int]:
        batch, self.batch = self.batch, None
        return [0, 0, 0, 0, 0, "0"] if batch is None else batch.args()


class RedisBreakerStore:
    """Breakers in Redis, shared by every replica; raises ``BreakerStoreUnavailable`` when Redis fails.

    Each replica keeps a *view* of every breaker (state and epoch, as Redis last answered):

    - open: the target is skipped without asking Redis until its open interval ends;
    - half-open: every permit (a probe token) and every probe outcome is one call to Redis, so the
      probe limit holds exactly across replicas;
    - closed: permits come from the view while it is younger than ``sync_s``; outcomes are batched
      and sent with the next call to Redis, except a failure or a slow call, sent at once (unless a
      call for that breaker is in flight: then with the next). In the steady state that is one
      round trip per breaker per ``sync_s`` per replica instead of two per request. The price: after
      another replica opens a breaker, this one may still start calls to the target until its view
      refreshes, which the first of them to fail (and at most ``sync_s``) does. ``sync_s=0`` asks
      Redis for every permit and outcome. ``sync_s`` is kept under a quarter of the shortest open
      interval, so a view of "closed" (used up to 2 x ``sync_s`` old while a refresh is under way)
      never outlives an opening into the half-open state.

    ``clock`` replaces Redis ``TIME`` and the local clock (tests only). ``round_trips`` counts calls.
    """

    backend = "redis"

    def __init__(
        self,
        client: Redis,
        *,
        timeout_s: float = 0.1,
        sync_s: float = 0.0,
        prefix: str = KEY_PREFIX,
        clock: Callable[[], float] | None = None,
    ):
        self._client = client
        self._timeout_s = timeout_s
        self._sync_s = sync_s
        self._prefix = prefix
        self._clock = clock
        self._local_clock = clock or time.monotonic
        self._views: dict[str, _View] = {}
        self._scripts: dict[BreakerPolicy, tuple[AsyncScript, float]] = {}
        self._last: tuple[BreakerPolicy, tuple[AsyncScript, float]] | None = None
        self.round_trips = 0

    async def acquire(self, label: str, policy: BreakerPolicy, token: str) -> tuple[Permit | None, Observed]:
        view = self._views.get(label)
        if view is None:
            view = self._views[label] = _View()
        now = self._local_clock()
        if view.state is State.OPEN and now < view.open_until:
            return None, Observed(State.OPEN)
        if view.state is State.CLOSED:
            # Fresh enough; or a call that refreshes it is on its way and it is not too old. Either
            # way younger than the shortest open interval, so no half-open phase began since.
            age, sync = now - view.fetched_at, self._sync(policy)
            if age < sync or (view.in_flight and age < 2 * sync):
                return Permit(label, view.epoch, local=False), Observed(State.CLOSED)
        reply = await self._call(view, label, policy, "acquire", token, view.take_batch(), view.jitter)
        state = _state(reply[1])
        observed = Observed(state, _previous(reply[2]))
        if not int(reply[0]):
            return None, observed
        return Permit(
            label, int(reply[3]), token if state is State.HALF_OPEN else None, local=False
        ), observed

    async def record(
        self, permit: Permit, policy: BreakerPolicy, *, failed: bool, slow: bool, jitter: float
    ) -> Observed:
        view = self._views.get(permit.label)
        if view is None:
            view = self._views[permit.label] = _View()
        if permit.probe is not None:
            outcome = [permit.epoch, 1, int(failed), int(slow), int(failed), "0" if failed else "1"]
            reply = await self._call(view, permit.label, policy, "record", permit.probe, outcome, jitter)
            return Observed(_state(reply[1]), _previous(reply[2]))
        if permit.epoch != view.epoch and view.fetched_at > -math.inf:
            return Observed(view.state)  # permitted before the breaker last changed: stale
        if view.batch is None or view.batch.epoch != permit.epoch:
            view.batch = _Batch(permit.epoch)
        view.batch.add(failed, slow)
        view.jitter = jitter
        if self._sync(policy) and (view.in_flight or not (failed or slow)):
            return Observed(view.state)  # sent with the next call
        reply = await self._call(view, permit.label, policy, "record", "", view.take_batch(), jitter)
        return Observed(_state(reply[1]), _previous(reply[2]))

    async def read(self, labels: Sequence[str], policy: BreakerPolicy) -> list[BreakerState]:
        states: list[BreakerState] = []
        for label in labels:
            reply = await self._run(label, policy, ["read", self._now()])
            calls, failures, slow = int(reply[5]), int(reply[6]), int(reply[7])
            failure_rate, slow_rate = window_rates(calls, failures, slow)
            stored = _state(reply[8])
            states.append(
                BreakerState(
                    label=label,
                    state=_state(reply[0]),
                    calls=calls,
                    failure_rate=failure_rate,
                    slow_call_rate=slow_rate,
                    consecutive_failures=int(reply[1]),
                    openings=int(reply[2]),
                    opened_until=float(reply[3]) if stored is State.OPEN else None,
                    probes_in_flight=int(reply[4]),
                )
            )
        return states

    def keys(self, label: str) -> tuple[str, str]:
        """The hash and the probe set of ``label``'s breaker."""
        key = f"{self._prefix}:{{{label}}}"
        return key, key + ":probes"

    async def _call(
        self,
        view: _View,
        label: str,
        policy: BreakerPolicy,
        op: str,
        token: str,
        outcome: list[str | int],
        jitter: float = 1.0,
    ) -> list[Any]:
        """Run ``op`` and refresh the view from its answer: ``[granted, state, previous, epoch, open_left]``."""
        view.in_flight += 1
        try:
            reply = await self._run(label, policy, [op, self._now(), token, *outcome, repr(jitter)])
        finally:
            view.in_flight -= 1
        state, epoch = _state(reply[1]), int(reply[3])
        if epoch < view.epoch:
            return reply  # overtaken by a later answer
        if view.batch is not None and view.batch.epoch != epoch:
            view.batch = None  # outcomes of an earlier epoch count for nothing
        now = self._local_clock()
        view.state, view.epoch, view.fetched_at = state, epoch, now
        if state is State.OPEN:
            view.open_until = now + float(reply[4])
        return reply

    async def _run(self, label: str, policy: BreakerPolicy, args: list[str | int]) -> list[Any]:
        script, _sync = self._compiled(policy)
        self.round_trips += 1
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await script(keys=self.keys(label), args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise BreakerStoreUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
        if not isinstance(reply, list):
            raise BreakerStoreUnavailable(f"redis: unexpected reply {reply!r}")
        return reply

    def _now(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def _sync(self, policy: BreakerPolicy) -> float:
        return self._compiled(policy)[1]

    def _compiled(self, policy: BreakerPolicy) -> tuple[AsyncScript, float]:
        # The policy is compiled into the script: no per-call arguments to encode and parse.
        last = self._last
        if last is not None and last[0] is policy:
            return last[1]
        compiled = self._scripts.get(policy)
        if compiled is None:
            script = self._client.register_script(_compile(policy))
            sync = min(self._sync_s, policy.open_s * (1 - policy.open_jitter) / 4)
            compiled = self._scripts[policy] = (script, sync)
        self._last = (policy, compiled)
        return compiled


def _compile(policy: BreakerPolicy) -> str:
    values = {
        "window_s": policy.window_s,
        "buckets": policy.buckets,
        "min_calls": policy.min_calls,
        "failure_rate": policy.failure_rate,
        "consecutive_failures": policy.consecutive_failures,
        "slow_call_rate": policy.slow_call_rate,
        "open_s": policy.open_s,
        "open_max_s": policy.open_max_s,
        "open_multiplier": policy.open_multiplier,
        "half_open_probes": policy.half_open_probes,
        "probe_ttl_s": policy.probe_ttl_s,
        "key_ttl_s": policy.key_ttl_s,
    }
    return _SCRIPT.substitute({name: _lua_number(value) for name, value in values.items()})


def _lua_number(value: float) -> str:
    if math.isinf(value):
        return "math.huge" if value > 0 else "-math.huge"
    return repr(float(value))


def shared_breaker_store(client: Redis, config: ResilienceConfig) -> FallbackBreakerStore:
    """Breakers in Redis, falling back to this process's own while Redis is unreachable."""
    return FallbackBreakerStore(
        RedisBreakerStore(
            client, timeout_s=config.breaker_store_timeout_ms / 1000, sync_s=config.breaker_sync_ms / 1000
        ),
        MemoryBreakerStore(),
        recheck_s=config.breaker_store_recheck_s,
    )

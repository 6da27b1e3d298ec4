"""The Lua scripts behind the atomic operations, and how they are run (EVALSHA; EVAL after NOSCRIPT).

Each script touches only the keys it is given. Scripts are deterministic (time comes in as an
argument), so they replicate the same way under any Redis >= 5 setting. Numbers go back to Python
as integers (Redis truncates Lua numbers), which is why times cross the boundary in milliseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from trueport.state.resp import Arg, Reply, ReplyError, RespClient

# KEYS: the window counters. ARGV[1]: amount; ARGV[2]: ttl (ms); ARGV[2 + i]: the limit of KEYS[i].
# Adds the amount to every counter if each stays within its limit, else to none.
# Returns {refused, count_1, ..., count_n}: refused is the 1-based index of the first full counter or 0.
RESERVE = """
local amount = tonumber(ARGV[1])
local values = redis.call('MGET', unpack(KEYS))
local result = {0}
for i = 1, #KEYS do
  local count = tonumber(values[i]) or 0
  result[i + 1] = count
  if result[1] == 0 and count + amount > tonumber(ARGV[i + 2]) then
    result[1] = i
  end
end
if result[1] ~= 0 then
  return result
end
for i, key in ipairs(KEYS) do
  result[i + 1] = redis.call('INCRBY', key, amount)
  if redis.call('PTTL', key) == -1 then
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return result
"""

# KEYS: counters. ARGV[1]: delta (non-zero); ARGV[2]: ttl (ms) for counters a positive delta creates.
# A negative delta lowers only counters that exist, never below zero. Returns the new values.
ADD = """
local delta = tonumber(ARGV[1])
local result = {}
for i, key in ipairs(KEYS) do
  if delta > 0 then
    result[i] = redis.call('INCRBY', key, delta)
    if redis.call('PTTL', key) == -1 then
      redis.call('PEXPIRE', key, ARGV[2])
    end
  else
    local count = tonumber(redis.call('GET', key) or '0')
    local take = math.min(count, -delta)
    if take > 0 then
      count = redis.call('DECRBY', key, take)
    end
    result[i] = count
  end
end
return result
"""

# The GCRA of ``trueport.state.gcra`` (read its docstring first), all times in ms (so the tolerance,
# min(interval / 2, 1 ms), is written ``math.min(interval / 2, 1)``).
# KEYS: cells. ARGV[1]: now; ARGV[2]: cost; ARGV[1 + 2i], ARGV[2 + 2i]: interval and burst of KEYS[i].
# Returns {refused, then per cell: remaining, reset_ms, retry_ms}; refused is 1-based, 0 if admitted.
GCRA_ACQUIRE = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local refused = 0
local starts, ends = {}, {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local start = tonumber(redis.call('GET', key) or '0')
  if start < now then start = now end
  starts[i] = start
  ends[i] = start + cost * interval
  if refused == 0 and ends[i] - burst * interval - now > math.min(interval / 2, 1) then
    refused = i
  end
end
local result = {refused}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local slack = math.min(interval / 2, 1)
  local tat = starts[i]
  local retry = math.max(0, ends[i] - burst * interval - now - slack)
  if refused == 0 then
    tat = ends[i]
    retry = 0
    redis.call('SET', key, string.format('%.17g', tat), 'PX', math.max(1, math.ceil(tat - now)))
  end
  local room = burst - (tat - now - slack) / interval
  result[#result + 1] = math.max(0, math.floor(room))
  result[#result + 1] = math.ceil(math.max(0, tat - now))
  result[#result + 1] = math.ceil(retry)
end
return result
"""

# KEYS: cells. ARGV[1]: now (ms); ARGV[2]: delta units; ARGV[2 + i]: interval of KEYS[i] (ms).
GCRA_ADJUST = """
local now = tonumber(ARGV[1])
local delta = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local start = tonumber(redis.call('GET', key) or '0')
  if start < now then start = now end
  local tat = math.max(start + delta * tonumber(ARGV[2 + i]), now)
  if tat <= now then
    redis.call('DEL', key)
  else
    redis.call('SET', key, string.format('%.17g', tat), 'PX', math.max(1, math.ceil(tat - now)))
  end
end
return 0
"""


class LuaScript:
    """One script, run by its SHA1; if Redis does not know it (a restart, SCRIPT FLUSH), EVAL sends the
    source once, which runs it and caches it again: still one round trip."""

    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, client: RespClient, keys: Sequence[str], args: Sequence[Arg]) -> Reply:
        try:
            return await client.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except ReplyError as error:
            if error.code != "NOSCRIPT":
                raise
            return await client.execute("EVAL", self.source, len(keys), *keys, *args)

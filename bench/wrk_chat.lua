-- wrk script: POST a small non-streaming chat completion with a bearer key. Every request has the
-- same system prompt and a user text of its own ("visitor <thread>-<n>"), as real traffic does: a
-- guard that caches what it has scanned gains on the system prompt only.
-- Reads BENCH_KEY (may be empty: no Authorization header) and BENCH_MODEL from the environment.
-- At the end prints one machine-readable line: "BENCH_JSON {...}" (latencies in microseconds).

local key = os.getenv("BENCH_KEY") or ""
local model = os.getenv("BENCH_MODEL") or "bench-model"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
local head = '{"model":"' .. model .. '","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello to visitor '
local tail = '."}],"max_tokens":16}'

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local sent = 0
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, head .. tostring(thread_id or 0) .. "-" .. sent .. tail)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

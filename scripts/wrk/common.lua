-- Shared by the wrk scripts of scripts/bench-http: the key, a thread number for unique input ids,
-- and one machine-readable RESULT line at the end (latencies in microseconds).
key = os.getenv("ACCRUE_KEY")
prefix = os.getenv("ACCRUE_RUN") or "run"
-- The time inputs are dated (scripts/bench-http sets it; now by default).
at = os.getenv("ACCRUE_AT") or os.date("!%Y-%m-%dT%H:%M:%SZ")
local threads = {}
counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function next_id()
  counter = counter + 1
  return prefix .. "-" .. tid .. "-" .. counter
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50=%d p99=%d p999=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), errors))
end

-- wrk script for bench/run: an optional POST body (BENCH_BODY_FILE, sent as application/json) and
-- one machine-readable summary line, "BENCH {...}", that bench/run parses instead of wrk's text.
-- errors_status is wrk's "Non-2xx or 3xx responses" (it counts statuses >= 400).
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, '
    .. '"errors_write": %d, "errors_timeout": %d, "errors_status": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end

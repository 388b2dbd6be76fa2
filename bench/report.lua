-- report.lua: loaded by w1.lua and load.lua. Counts failed responses in
-- each wrk thread and prints one machine-readable RESULT line at the end:
--
--   RESULT requests=N duration_s=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
--          non2xx=E gql_errors=F socket_errors=G
--
-- non2xx counts responses with a status other than 200; gql_errors counts
-- 200 responses whose body has an "errors" member; socket_errors are wrk's
-- connect, read, write and timeout errors. Latencies are wrk's: from the
-- moment a request is written until its response is read, per connection
-- (a closed loop, so they do not include time a request would have queued
-- behind a slow one: wrk's coordinated omission).

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

-- Per thread (each wrk thread has a Lua state of its own).
non2xx = 0
gql_errors = 0
first_error = ""

function response(status, headers, body)
  if status ~= 200 then
    non2xx = non2xx + 1
  elseif body:find('"errors"', 1, true) then
    gql_errors = gql_errors + 1
  else
    return
  end
  if first_error == "" then
    first_error = status .. " " .. body:sub(1, 300)
  end
end

-- report_extra, when a script defines it, returns more text for the
-- RESULT line from the threads.
function done(summary, latency, requests)
  local bad, gql, sample = 0, 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    gql = gql + t:get("gql_errors")
    local e = t:get("first_error")
    if sample == "" and e ~= "" then sample = e end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  local extra = ""
  if report_extra then extra = " " .. report_extra(threads) end
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d gql_errors=%d socket_errors=%d%s\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    bad, gql, e.connect + e.read + e.write + e.timeout, extra))
  if sample ~= "" then
    io.write("FIRST_ERROR " .. sample:gsub("\n", " ") .. "\n")
  end
end

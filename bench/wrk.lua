-- Sends the bench user's session cookie (env BENCH_COOKIE) with every request
-- and prints the totals as one JSON line that bench/loadgen.py reads.
-- No response() function on purpose: defining one makes wrk copy every body
-- into Lua, which would cap the large-file numbers at Lua's speed.

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
   wrk.headers["Cookie"] = cookie
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "bytes": %d, "duration_us": %d, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, '
         .. '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.bytes, summary.duration,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency:percentile(50), latency:percentile(99)))
end

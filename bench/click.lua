-- A browser's click, every hop counted: GET the checked URL, and when it
-- answers 302 (to a signed URL), GET the Location too before the next click.
-- wrk keeps one Lua state per thread, not per connection, so the follow-ups
-- are queued and sent on whichever connection asks next: each 302 yields
-- exactly one follow-up, which is what the per-click count needs.
-- Prints the totals as bench/wrk.lua does, plus the number of follow-ups.

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
   wrk.headers["Cookie"] = cookie
end
-- BENCH_NAVIGATE=1: the headers a browser sends when a link is clicked
-- (files.delivery.clicked() reads Sec-Fetch-Mode); without them, a script's fetch.
if os.getenv("BENCH_NAVIGATE") == "1" then
   wrk.headers["Sec-Fetch-Mode"] = "navigate"
   wrk.headers["Sec-Fetch-Dest"] = "document"
   wrk.headers["Sec-Fetch-Site"] = "same-origin"
   wrk.headers["Sec-Fetch-User"] = "?1"
end

local pending = {}
followed = 0

request = function()
   local location = table.remove(pending)
   if location then
      return wrk.format("GET", location)
   end
   return wrk.format("GET", wrk.path)
end

response = function(status, headers, body)
   if status == 302 then
      -- Header names as the app server wrote them: granian writes lower case.
      table.insert(pending, headers["Location"] or headers["location"])
      followed = followed + 1
   end
end

local threads = {}
setup = function(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local errors = summary.errors
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + (thread:get("followed") or 0)
   end
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "bytes": %d, "duration_us": %d, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, '
         .. '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.bytes, summary.duration,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency:percentile(50), latency:percentile(99)))
   io.write(string.format('BENCH_FOLLOWED %d\n', total))
end

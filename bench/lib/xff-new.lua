-- xff-new.lua - wrk script: every request a source never seen before.
-- Each request carries "X-Forwarded-For: 2001:db8:R:T:H:L::1" (mod_remoteip
-- makes it the client address), where R is $WRK_RUN (1-65535, a number of
-- its own for every wrk run against one server, so that no run repeats an
-- earlier run's sources), T the wrk thread, and H:L a per-thread counter:
-- with WormReplyNotify On every request is a first sighting. The target
-- is the first line of $WRK_PATHS, sent verbatim.
-- Bounded in count as well as in time (wrk -d): a thread stops after
-- $WRK_MAX responses (default 20000), so that a fast server does not fill
-- its spool. Prints one WRKRESULT line, as lib/report.lua does.
local path
for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then path = line; break end
end
local run = tonumber(os.getenv("WRK_RUN") or "1")
local max = tonumber(os.getenv("WRK_MAX") or "20000")
assert(path, "WRK_PATHS: no target")
assert(run and run >= 1 and run <= 65535, "WRK_RUN: 1-65535")
assert(max and max >= 1, "WRK_MAX: a positive count")

local threads, nthreads = {}, 0
setup = function(thread)
    nthreads = nthreads + 1
    thread:set("tid", nthreads)
    table.insert(threads, thread)
end

local n, seen = 0, 0
request = function()
    n = n + 1
    local a = string.format("2001:db8:%x:%x:%x:%x::1", run, tid,
                            math.floor(n / 65536) % 65536, n % 65536)
    return wrk.format(nil, path, { ["X-Forwarded-For"] = a })
end

response = function(status, headers, body)
    seen = seen + 1
    if seen >= max then
        wrk.thread:stop()
    end
end

done = function(s, lat, req)
    local e = s.errors
    io.write(string.format(
        "WRKRESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d "
        .. "err_connect=%d err_read=%d err_write=%d err_timeout=%d "
        .. "non2xx3xx=%d\n",
        s.requests, s.duration, s.requests / (s.duration / 1e6),
        lat:percentile(50), lat:percentile(99),
        e.connect, e.read, e.write, e.timeout, e.status))
end

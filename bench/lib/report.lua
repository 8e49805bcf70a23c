-- report.lua - wrk script: rotate over the targets listed in the file named
-- by $WRK_PATHS (sent verbatim, one request per line, as a worm sends them)
-- and print one parseable WRKRESULT line at the end.
-- With $WRK_XFF (a file of source addresses, one a line; bench/notices.sh)
-- request k carries "X-Forwarded-For: <address k>", so that mod_remoteip
-- gives each request of a rotation its own client address; the targets
-- rotate alongside. Without it the requests are exactly as before.
-- Method from ../shared/bench/run-anchors.sh (the project's anchor figures).
local function lines(name)
    local t = {}
    if name and name ~= "" then
        for line in io.lines(name) do
            if #line > 0 then t[#t + 1] = line end
        end
    end
    return t
end
local paths = lines(os.getenv("WRK_PATHS"))
local xff = lines(os.getenv("WRK_XFF"))
if #paths > 0 and #xff > 0 then
    local reqs, i = {}, 0
    init = function(args)
        for k, a in ipairs(xff) do
            reqs[k] = wrk.format(nil, paths[(k - 1) % #paths + 1],
                                 { ["X-Forwarded-For"] = a })
        end
    end
    request = function()
        i = i % #reqs + 1
        return reqs[i]
    end
elseif #paths > 0 then
    local reqs, i = {}, 0
    init = function(args)
        for k, p in ipairs(paths) do reqs[k] = wrk.format(nil, p) end
    end
    request = function()
        i = i % #reqs + 1
        return reqs[i]
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

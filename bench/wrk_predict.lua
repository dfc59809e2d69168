-- POST one JSON body per request, cycling through a file of bodies (one per line), and
-- stop after a fixed number of responses (run it with one wrk thread: -t1).
-- usage: wrk -t1 -cN -d300s -s wrk_predict.lua URL -- BODIES_FILE REQUESTS
-- wrk's main thread sleeps for the whole -d; SIGINT to it (LuaJIT's ffi: tgkill) ends the
-- run at once and wrk reports the time up to then.
local ffi = require("ffi")
ffi.cdef([[
  int getpid(void);
  long syscall(long number, ...);
]])
local SYS_TGKILL, SIGINT = 234, 2 -- x86_64
local bodies = {}
local limit = 0
local count = 0
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  limit = tonumber(args[2])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  count = count + 1
  if count == limit then
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.syscall(SYS_TGKILL, ffi.cast("long", pid), ffi.cast("long", pid), ffi.cast("long", SIGINT))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end

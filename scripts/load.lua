-- wrk script for scripts/load.sh (one wrk thread).
-- LOAD_MODE: bearer (LOAD_TOKEN on every request) | unique (next line of LOAD_LINES per
-- request) | mix (a random line of LOAD_LINES per request) | dpop (LOAD_TOKEN as DPoP, next
-- proof of LOAD_LINES per request) | none. done() prints one "RESULT key=value ..." line.
local mode = os.getenv("LOAD_MODE") or "none"
local token = os.getenv("LOAD_TOKEN")
local lines, n, next_line, wrapped = {}, 0, 1, 0

local path = os.getenv("LOAD_LINES")
if path and path ~= "" then
  for l in io.lines(path) do
    if #l > 0 then n = n + 1; lines[n] = l end
  end
end
if mode == "bearer" then wrk.headers["Authorization"] = "Bearer " .. token end
math.randomseed(os.time())

local function take()
  local l = lines[next_line]
  next_line = next_line + 1
  if next_line > n then next_line = 1; wrapped = wrapped + 1 end
  return l
end

request = function()
  if mode == "unique" then
    return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. take() })
  elseif mode == "mix" then
    return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. lines[math.random(n)] })
  elseif mode == "dpop" then
    return wrk.format(nil, nil, { ["Authorization"] = "DPoP " .. token, ["DPoP"] = take() })
  end
  return wrk.format()
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end

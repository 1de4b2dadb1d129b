-- wrk script for scripts/soak.sh: a mix of Bearer and DPoP requests to the quickstart's
-- /protected, each with the status it must get, checked on its response.
-- Run with as many connections as threads (-t N -c N): each thread then has one connection,
-- so its responses come back in the order of its requests.
-- Env: SOAK_DIR (the feeder's files: bearer; fifo-<i> per thread i, whose lines are
-- "DPOP_BOUND_TOKEN PROOF").
local dir = assert(os.getenv("SOAK_DIR"), "SOAK_DIR")

local function slurp(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return (s:gsub("%s+$", ""))
end

local bearer = slurp(dir .. "/bearer")

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Kinds, in the order they are sent (one cycle of 10 requests):
-- 4 fresh DPoP proofs (200), 2 Bearer (200), 1 replay of the last proof (401),
-- 1 garbage DPoP proof (401), 1 garbage Bearer token (401), 1 malformed header (400).
local cycle = { "dpop", "bearer", "dpop", "replay", "dpop", "garbage_proof", "bearer",
  "dpop", "garbage_token", "malformed" }
local expect = { dpop = 200, bearer = 200, replay = 401, garbage_proof = 401,
  garbage_token = 401, malformed = 400 }

function init(args)
  proofs = assert(io.open(dir .. "/fifo-" .. id, "r"))
  -- wrk calls request() once in the first thread's state before any request goes out, to
  -- check the script: that call must not queue an expected status.
  dry_run = (id == 0)
  n = 0
  pending = {}
  head = 1
  tail = 0
  last_token = nil
  last_proof = nil
  sent = 0
  unexpected = 0
  counts = {}
  path = "/protected"
end

local function push(kind)
  tail = tail + 1
  pending[tail] = kind
end

function request()
  if dry_run then
    dry_run = false
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. bearer })
  end
  n = n + 1
  local kind = cycle[(n - 1) % #cycle + 1]
  if kind == "replay" and last_proof == nil then kind = "dpop" end
  local headers = {}
  if kind == "dpop" then
    local line = proofs:read("*l")
    if line == nil then error("the proof feeder stopped") end
    local token, proof = line:match("^(%S+) (%S+)$")
    last_token, last_proof = token, proof
    headers["Authorization"] = "DPoP " .. token
    headers["DPoP"] = proof
  elseif kind == "replay" then
    headers["Authorization"] = "DPoP " .. last_token
    headers["DPoP"] = last_proof
  elseif kind == "bearer" then
    headers["Authorization"] = "Bearer " .. bearer
  elseif kind == "garbage_proof" then
    headers["Authorization"] = "DPoP " .. (last_token or "x")
    headers["DPoP"] = "eyJhbGciOiJub25lIn0.e30.garbage" .. n
  elseif kind == "garbage_token" then
    headers["Authorization"] = "Bearer not.a.token" .. n
  else
    headers["Authorization"] = "Bearer two tokens"
  end
  push(kind)
  sent = sent + 1
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if head > tail then
    unexpected = unexpected + 1
    return
  end
  local kind = pending[head]
  pending[head] = nil
  head = head + 1
  local key = kind .. ":" .. status
  counts[key] = (counts[key] or 0) + 1
  if status ~= expect[kind] then
    unexpected = unexpected + 1
    if unexpected <= 5 then
      io.stderr:write(string.format("unexpected %d for %s\n", status, kind))
    end
  end
end

function done(summary, latency, requests)
  local unexp, total = 0, 0
  local all = {}
  for _, t in ipairs(threads) do
    unexp = unexp + t:get("unexpected")
    total = total + t:get("sent")
    local c = t:get("counts")
    for k, v in pairs(c) do all[k] = (all[k] or 0) + v end
  end
  local keys = {}
  for k in pairs(all) do table.insert(keys, k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do table.insert(parts, k .. "=" .. all[k]) end
  local errors = summary.errors
  io.write(string.format(
    "SOAK requests=%d rps=%.0f p99_ms=%.2f unexpected=%d socket_errors=%d statuses=%s\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(99) / 1000, unexp,
    errors.connect + errors.read + errors.write + errors.timeout,
    table.concat(parts, ",")))
end

-- wrk script: JSON POST /api/v1/leads, a distinct caller ID per request.
-- LEAD_TOKEN and OFFSET come from the environment (set by bench/intake.py).
local token = os.getenv("LEAD_TOKEN")
local offset = tonumber(os.getenv("OFFSET") or "0")
local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  counter = 0
end

request = function()
  counter = counter + 1
  local n = offset + thread_id * 1000000 + counter
  local caller = string.format("+1719%03d%04d", 200 + math.floor(n / 10000) % 800, n % 10000)
  local body = string.format(
    '{"lead_token":"%s","caller_id":"%s","data":{"first_name":"Bench","interest":"kittens","n":%d}}',
    token, caller, n)
  return wrk.format("POST", "/api/v1/leads", {["Content-Type"] = "application/json"}, body)
end

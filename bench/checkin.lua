-- wrk script: check-ins with varied keys and machines. KEYS is loaded from keys.lua.
dofile(os.getenv("LICMON_BENCH_KEYS"))
local machines = tonumber(os.getenv("LICMON_BENCH_MACHINES") or "3")
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread:set("offset", math.random(1, #KEYS))
end

request = function()
  counter = counter + 1
  local i = (counter + offset) % #KEYS + 1
  local machine = string.format("bench-machine-%04d-%d", i, counter % machines)
  local nonce = string.format("%022d", counter)
  local body = string.format(
    '{"key":"%s","product":"viewer","machine":"%s","nonce":"%s","app_version":"1.0"}',
    KEYS[i], machine, nonce)
  return wrk.format(nil, "/v1/checkin", nil, body)
end

statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_us=%d p99_us=%d requests=%d errors=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end

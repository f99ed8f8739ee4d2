-- wrk script: POST the GraphQL body in BODY_FILE with TOKEN; when the body holds the
-- marker __KR__, each request takes the next key result id from KR_FILE (one per line).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("TOKEN") and os.getenv("TOKEN") ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end
local file = io.open(os.getenv("BODY_FILE"))
local body = file:read("*a")
file:close()
wrk.body = body

local ids = {}
local kr_file = os.getenv("KR_FILE")
if kr_file and kr_file ~= "" then
  for line in io.lines(kr_file) do ids[#ids + 1] = line end
end
local counter = 0

request = function()
  if #ids == 0 then return wrk.format() end
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format(nil, nil, nil, (body:gsub("__KR__", id)))
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50=%.2f p99=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

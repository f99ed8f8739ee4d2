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

-- Responses that carry GraphQL errors count as errors too (HTTP 200 with "errors").
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) graphql_errors = 0 end
response = function(status, headers, body)
  if body:find('"errors"', 1, true) then graphql_errors = graphql_errors + 1 end
end

done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("graphql_errors") end
  io.write(string.format("RESULT rps=%.1f p50=%.2f p99=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
      + failed))
end

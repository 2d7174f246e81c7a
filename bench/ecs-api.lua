-- wrk script: POST one ECS API operation over and over.
--   ECS_TARGET  operation name (RunTask, DescribeTasks, ...)
--   ECS_BODY    the JSON request body
--   ECS_HEADERS extra "Name: value" lines (a SigV4 signature made for this
--               exact body; the control plane keeps no replay cache, so a
--               signature stays valid for its 15-minute window)
-- Prints one machine-readable line at the end:
--   RESULT <requests> <req/s> <p50 ms> <p99 ms> <non-2xx> <socket errors>
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113." .. os.getenv("ECS_TARGET")
wrk.body = os.getenv("ECS_BODY")
for line in string.gmatch(os.getenv("ECS_HEADERS") or "", "[^\n]+") do
  local k, v = line:match("^([^:]+):%s*(.*)$")
  if k then wrk.headers[k] = v end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.1f %.2f %.2f %d %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

-- wrk script for bench/run.sh http: the mixed workload, 90% GETs and 10% writes of 64-byte values
-- over keys m1..m1000, which bench/http/prefill.py stored beforehand (so every GET finds its key).
--   wrk ... -s mixed.lua http://127.0.0.1:PORT/ -- READ_PREFIX READ_SUFFIX WRITE_METHOD WRITE_PREFIX
--   e.g. `-- / "" POST /` (EmbedKv), `-- /dav/ "" PUT /dav/` (nginx), `-- /GET/ .txt PUT /SET/` (webdis)
local read_prefix, read_suffix, write_method, write_prefix = "/", "", "POST", "/"
local keys, read_percent = 1000, 90
local body = string.rep("w", 64)
local headers = { ["Content-Type"] = "application/octet-stream" }

function init(args)
  read_prefix = args[1] or read_prefix
  read_suffix = args[2] or read_suffix
  write_method = args[3] or write_method
  write_prefix = args[4] or write_prefix
  math.randomseed(os.time())
end

function request()
  local key = "m" .. math.random(1, keys)
  if math.random(1, 100) <= read_percent then
    return wrk.format("GET", read_prefix .. key .. read_suffix)
  end
  return wrk.format(write_method, write_prefix .. key, headers, body)
end

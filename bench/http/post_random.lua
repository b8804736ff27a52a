-- wrk script for bench/run.sh http: writes a 64-byte body to <prefix>p<1..100000>, a random key
-- per request, with the given method.
--   wrk ... -s post_random.lua http://127.0.0.1:PORT/ -- METHOD PREFIX
--   e.g. `-- POST /` (EmbedKv, ASP.NET Core), `-- PUT /dav/` (nginx WebDAV), `-- PUT /SET/` (webdis)
local method, prefix = "POST", "/"
local body = string.rep("v", 64)
local headers = { ["Content-Type"] = "application/octet-stream" }

function init(args)
  method = args[1] or method
  prefix = args[2] or prefix
  math.randomseed(os.time())
end

function request()
  return wrk.format(method, prefix .. "p" .. math.random(1, 100000), headers, body)
end

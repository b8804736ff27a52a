-- wrk script for bench/run.sh http: PUT a 64-byte body to /<prefix>k<1..100000>, a random key per
-- request. The prefix is the first script argument (default "/"), e.g. `-- /dav/` for nginx.
local prefix = "/"
local body = string.rep("v", 64)

function init(args)
  if args[1] ~= nil then prefix = args[1] end
  math.randomseed(os.time())
end

function request()
  return wrk.format("PUT", prefix .. "k" .. math.random(1, 100000), { ["Content-Type"] = "application/octet-stream" }, body)
end

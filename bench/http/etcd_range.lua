-- wrk script for bench/run.sh etcd: a linearizable read of one key through etcd's gRPC gateway,
-- POST /v3/kv/range {"key":"<base64>"} (serializable is false by default: the same read as EmbedKv's GET).
--   wrk ... -s etcd_range.lua http://127.0.0.1:PORT -- KEY
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = alphabet:sub(c1 + 1, c1 + 1) .. alphabet:sub(c2 + 1, c2 + 1)
      .. (b and alphabet:sub(c3 + 1, c3 + 1) or "=") .. (c and alphabet:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local req

function init(args)
  local key = args[1] or "get64"
  req = wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" }, '{"key":"' .. base64(key) .. '"}')
end

function request()
  return req
end

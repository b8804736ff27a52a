-- wrk script for bench/run.sh etcd: PUT of a 64-byte value to a random key of a fixed set, either through
-- EmbedKv's HTTP API or through etcd's gRPC gateway (JSON, key and value in base64).
--   wrk ... -s etcd_put.lua http://127.0.0.1:PORT -- kv PREFIX KEYS SIZE        PUT PREFIX p<1..KEYS>, raw body
--   wrk ... -s etcd_put.lua http://127.0.0.1:PORT -- gateway PREFIX KEYS SIZE   POST /v3/kv/put {"key":b64(PREFIX p<n>),"value":b64(body)}
-- e.g. `-- kv /kv/ 10000 64` (EmbedKv on etcd) and `-- gateway gw/ 10000 64` (a member's client URL).
-- Every request body is built in init(), so request() only picks one: the script costs wrk the same on both
-- sides.
local mode, prefix, keys, size = "kv", "/", 10000, 64
local requests = {}

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Standard base64 with padding, as etcd's gateway reads bytes fields (protobuf's JSON mapping).
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

function init(args)
  mode = args[1] or mode
  prefix = args[2] or prefix
  keys = tonumber(args[3] or keys)
  size = tonumber(args[4] or size)
  local value = string.rep("v", size)
  if mode == "kv" then
    local headers = { ["Content-Type"] = "application/octet-stream" }
    for n = 1, keys do
      requests[n] = wrk.format("PUT", prefix .. "p" .. n, headers, value)
    end
  elseif mode == "gateway" then
    local headers = { ["Content-Type"] = "application/json" }
    local v64 = base64(value)
    for n = 1, keys do
      local body = '{"key":"' .. base64(prefix .. "p" .. n) .. '","value":"' .. v64 .. '"}'
      requests[n] = wrk.format("POST", "/v3/kv/put", headers, body)
    end
  else
    error("etcd_put.lua: mode must be kv or gateway, not " .. tostring(mode))
  end
  math.randomseed(os.time())
end

function request()
  return requests[math.random(1, keys)]
end

-- wrk script for bench/run.sh ycsb: YCSB's core workloads A, B, C and F over HTTP. Keys are chosen
-- with YCSB's scrambled zipfian distribution over the records user0..user<RECORDS-1> that the load
-- phase stored; every value is SIZE bytes and begins with its key and a space (bench/http/ycsb_values.py).
--   wrk ... -s ycsb.lua http://127.0.0.1:PORT/ -- WORKLOAD RECORDS SIZE READ_PREFIX READ_SUFFIX WRITE_METHOD WRITE_PREFIX IF_MATCH
--   WORKLOAD  a: 50% read, 50% update; b: 95% read, 5% update; c: 100% read;
--             f: 50% read, 50% read-modify-write (YCSB's workload F)
--   IF_MATCH  1: F's write carries If-Match with the ETag its read returned, and a 412 is a conflict
--             (EmbedKv); 0: F writes back unconditionally (peers without conditional writes)
--   e.g. `-- a 1000000 1024 / "" PUT / 1` (EmbedKv), `-- f 1000000 1024 /GET/ .txt PUT /SET/ 0` (webdis)
-- At the end it prints "ycsb ops N reads N writes N conflicts N" (wrk's own summary above it):
-- an operation is a read or an update, and a read-modify-write counts once, as YCSB counts it.
local records, size = 1000000, 1024
local read_prefix, read_suffix, write_method, write_prefix, if_match = "/", "", "PUT", "/", false
local read_share = 0.5

-- Zipfian ranks after Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD
-- 1994), the generator YCSB uses, with YCSB's constant theta = 0.99: rank 0 is the most popular.
local theta = 0.99
local zetan, alpha, eta, half_pow_theta

-- zeta(n, theta) = sum over i = 1..n of 1 / i^theta; once per thread, in init (tens of ms for 1M).
local function zeta(n)
  local sum = 0
  for i = 1, n do
    sum = sum + 1 / i ^ theta
  end
  return sum
end

local function zipf_rank()
  local u = math.random()
  local uz = u * zetan
  if uz < 1 then
    return 0
  end
  if uz < half_pow_theta then
    return 1
  end
  local rank = math.floor(records * (eta * u - eta + 1) ^ alpha)
  if rank >= records then
    rank = records - 1
  end
  return rank
end

-- YCSB's ScrambledZipfian: the rank goes through 64-bit FNV-1a (the rank's 8 bytes, lowest first;
-- LuaJIT's uint64 cdata wraps like Java's long), then modulo the record count, so the popular keys are
-- spread over the key space instead of being user0, user1, ...
local fnv_offset, fnv_prime = 0xCBF29CE484222325ULL, 1099511628211ULL
local function scramble(rank)
  local v, h = rank + 0ULL, fnv_offset
  for _ = 1, 8 do
    h = bit.bxor(h, v % 256)
    h = h * fnv_prime
    v = v / 256
  end
  -- Java's Math.abs of the signed value, as YCSB takes it.
  if h >= 0x8000000000000000ULL then
    h = -h
  end
  return tonumber(h % records)
end

local function next_key()
  return "user" .. scramble(zipf_rank())
end

-- Values: the key, a space, then one letter repeated up to SIZE bytes. An update writes the letter
-- "u"; F's write changes the letter its read found to the next one, so each write-back differs.
local fills = {}
local function value(key, letter)
  local fill = fills[letter]
  if fill == nil then
    fill = string.rep(letter, size)
    fills[letter] = fill
  end
  return key .. " " .. fill:sub(1, size - #key - 1)
end

local plain = { ["Content-Type"] = "application/octet-stream" }
local function write(key, letter, etag)
  local headers = plain
  if etag ~= nil then
    headers = { ["Content-Type"] = "application/octet-stream", ["If-Match"] = etag }
  end
  return wrk.format(write_method, write_prefix .. key, headers, value(key, letter))
end

-- F: the write-backs waiting to be sent, filled by response() and emptied by request(). wrk does not
-- say which connection an answer came on, nor asks request() for that same connection next, so a
-- read's write-back goes out on whichever connection asks next: still after its read, still with
-- that read's ETag. The record comes from the answer's body, which begins with its key.
local pending, head, tail = {}, 1, 0
-- Globals, not locals: done() reads them from each thread with thread:get().
ycsb_workload, ycsb_reads, ycsb_writes, ycsb_conflicts = "a", 0, 0, 0

function init(args)
  ycsb_workload = args[1] or ycsb_workload
  records = tonumber(args[2] or records)
  size = tonumber(args[3] or size)
  read_prefix = args[4] or read_prefix
  read_suffix = args[5] or read_suffix
  write_method = args[6] or write_method
  write_prefix = args[7] or write_prefix
  if_match = args[8] == "1"
  local shares = { a = 0.5, b = 0.95, c = 1.0, f = 1.0 }
  read_share = shares[ycsb_workload]
  if read_share == nil then
    error("ycsb.lua: no workload '" .. ycsb_workload .. "' (a, b, c or f)")
  end
  zetan = zeta(records)
  alpha = 1 / (1 - theta)
  eta = (1 - (2 / records) ^ (1 - theta)) / (1 - zeta(2) / zetan)
  half_pow_theta = 1 + 0.5 ^ theta
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  -- Only F reads the answers: defining response() makes wrk hand every answer's headers and body to
  -- Lua, which would slow the client of the other workloads for nothing.
  if ycsb_workload == "f" then
    response = f_response
  end
end

function request()
  if tail >= head then
    local w = pending[head]
    pending[head] = nil
    head = head + 1
    return write(w[1], w[2], w[3])
  end
  local key = next_key()
  if math.random() < read_share then
    return wrk.format("GET", read_prefix .. key .. read_suffix)
  end
  return write(key, "u", nil)
end

-- YCSB's F: half of the operations are plain reads, half read-modify-writes. Every operation starts
-- with a read, and whether it also writes does not depend on what the read returned, so the choice
-- is made here, once the read is answered.
function f_response(status, headers, body)
  if status == 412 then
    ycsb_conflicts = ycsb_conflicts + 1
    return
  end
  if status ~= 200 or body:sub(1, 4) ~= "user" then
    -- a write's answer (webdis answers its SET with 200 and JSON), or a failure wrk counts itself
    if status >= 200 and status < 300 then
      ycsb_writes = ycsb_writes + 1
    end
    return
  end
  ycsb_reads = ycsb_reads + 1
  if math.random() < 0.5 then
    local key = body:match("^(user%d+) ")
    local letter = body:sub(#key + 2, #key + 2)
    letter = (letter == "z") and "a" or string.char(letter:byte() + 1)
    local etag = nil
    if if_match then
      etag = headers["ETag"] or headers["Etag"] or headers["etag"]
      -- Without it the write-back would go out unconditional and F would measure the wrong thing.
      if etag == nil then
        error("workload F: a 200 answer to a read carried no ETag, so its write-back cannot use If-Match")
      end
    end
    tail = tail + 1
    pending[tail] = { key, letter, etag }
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local r, w, c, f = 0, 0, 0, false
  for _, t in ipairs(threads) do
    r = r + (t:get("ycsb_reads") or 0)
    w = w + (t:get("ycsb_writes") or 0)
    c = c + (t:get("ycsb_conflicts") or 0)
    f = f or t:get("ycsb_workload") == "f"
  end
  -- A, B, C: every request is one operation; F: every operation has exactly one read.
  local ops = summary.requests
  if f then
    ops = r
  end
  io.write(string.format("ycsb ops %d reads %d writes %d conflicts %d\n", ops, r, w, c))
end

-- wrk script for bench/run.sh ycsb: the load phase over HTTP. Stores the records user0..user<RECORDS-1>
-- once each, in order, values as bench/http/ycsb_values.py makes them (the key, a space, "x" up to
-- SIZE bytes). wrk cannot stop after a number of requests, so once every record is answered the script
-- writes "stored N errors N" to DONE_FILE, and bench/lib/ycsb.sh, which waits for that file, ends wrk.
--   wrk -t1 -c64 -d600s -s ycsb_load.lua http://127.0.0.1:PORT/ -- RECORDS SIZE METHOD PREFIX DONE_FILE
-- A write's answer is 201 or 204 (EmbedKv, ASP.NET Core, nginx's WebDAV); anything else is an error.
local records, size, method, prefix, done_file = 1000, 1024, "PUT", "/", nil
local next_record, finished, checked = 0, false, false
local stored, errors = 0, 0
local headers = { ["Content-Type"] = "application/octet-stream" }
local fill

function init(args)
  records = tonumber(args[1])
  size = tonumber(args[2])
  method = args[3] or method
  prefix = args[4] or prefix
  done_file = args[5]
  fill = string.rep("x", size)
end

function request()
  -- wrk calls request() once before the run to check the script's request, and never sends that
  -- one: it must not take a record. (Were it sent after all, its 404 would fail the load, not hide.)
  if not checked then
    checked = true
    return wrk.format("GET", prefix .. "user0")
  end
  if next_record >= records then
    -- Every record is out; the connections still ask for requests until wrk is ended: read user0.
    return wrk.format("GET", prefix .. "user0")
  end
  local key = "user" .. next_record
  next_record = next_record + 1
  return wrk.format(method, prefix .. key, headers, key .. " " .. fill:sub(1, size - #key - 1))
end

function response(status)
  if status == 201 or status == 204 then
    stored = stored + 1
  elseif status ~= 200 then
    errors = errors + 1
  end
  if not finished and stored + errors >= records then
    finished = true
    local f = assert(io.open(done_file, "w"))
    f:write(string.format("stored %d errors %d\n", stored, errors))
    f:close()
  end
end

-- wrk script for bench/run.sh http: GETs of the URL's path at a fixed total rate, for latency below
-- saturation. Debian has no wrk2, so this paces with wrk's delay() hook: after each answer a
-- connection waits a random 0..2x its share of the interval (mean RATE/CONNECTIONS per second per
-- connection), so the connections drift apart instead of firing in lockstep. wrk starts each
-- request's clock when it sends it, so the latencies are the server's answer times at that rate.
--   wrk -cCONNECTIONS ... -s paced.lua http://127.0.0.1:PORT/k64 -- RATE CONNECTIONS
local mean_delay_ms = 6.4

function init(args)
  local rate = tonumber(args[1] or "5000")
  local connections = tonumber(args[2] or "32")
  mean_delay_ms = connections * 1000 / rate
  math.randomseed(os.time())
end

function delay()
  return math.floor(math.random() * 2 * mean_delay_ms + 0.5)
end

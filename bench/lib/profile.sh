# shellcheck shell=bash
# bench/lib/profile.sh: bench/run.sh profile: perf record of EmbedKv serving GET 64 B, JIT frames named.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Profile: EmbedKv serving GET 64 B under wrk, sampled with perf's cpu-clock software event (this
# VM has no hardware counters), JIT-compiled frames named through the runtime's perf map (W^X off, so
# that JIT code is not in a double-mapped memfd that perf cannot name). Prints the
# top frames; the report stays in bench/out/profile/.
profile() {
  command -v perf >/dev/null 2>&1 || install_missing linux-perf
  command -v wrk >/dev/null 2>&1 || install_missing wrk
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}" secs="${BENCH_SECONDS:-10}"
  local close=()
  [ "${BENCH_PROFILE_CELL:-keepalive}" = close ] && close=(-H "Connection: close")
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  local p="$root/$out/profile" port="" pid i
  rm -rf "$p"
  mkdir -p "$p"
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c "$srv_cpu" dotnet bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll \
    serve --port 0 --data "$p/data" --durability always --workers 1 >"$p/serve.out" 2>"$p/serve.err" &
  pid=$!
  trap 'kill -TERM '"$pid"' 2>/dev/null || true' EXIT
  for i in $(seq 1 100); do
    port="$(awk '$1 == "listening" { print $2; exit }' "$p/serve.out")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "error: the server did not start" >&2; cat "$p/serve.err" >&2; exit 1; }
  head -c 64 /dev/urandom >"$p/k64"
  python3 bench/http/prefill.py "$port" POST / "$p/k64" k64 >/dev/null
  local url="http://127.0.0.1:$port/k64"
  log "warming up, then recording $secs s of pid $pid under wrk${close[*]:+ (${close[*]})}"
  taskset -c "$cli_cpu" wrk -t1 -c32 -d3s "${close[@]+"${close[@]}"}" "$url" >/dev/null
  taskset -c "$cli_cpu" wrk -t1 -c32 -d$((secs + 2))s "${close[@]+"${close[@]}"}" "$url" >"$p/wrk.txt" &
  local wrk_pid=$!
  sleep 1
  perf record -e cpu-clock -g -p "$pid" -o "$p/perf.data" -- sleep "$secs" 2>"$p/record.err"
  wait "$wrk_pid"
  kill -TERM "$pid"
  wait "$pid" || true
  trap - EXIT
  perf report -i "$p/perf.data" --no-children --sort dso --stdio 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 12' >"$p/dso.txt"
  perf report -i "$p/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 40' >"$p/symbols.txt"
  perf report -i "$p/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 40' >"$p/children.txt"
  grep -E 'Requests/sec|Socket errors|Non-2xx' "$p/wrk.txt" || true
  echo; echo "by binary (self):"; cat "$p/dso.txt"
  echo; echo "top symbols (self):"; cat "$p/symbols.txt"
  echo; echo "top symbols (with children):"; cat "$p/children.txt"
}

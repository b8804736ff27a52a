# shellcheck shell=bash
# bench/lib/listener.sh: bench/run.sh listener: SO_REUSEPORT listeners against one EPOLLEXCLUSIVE listener -> bench/results/listener.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Listener modes: one SO_REUSEPORT listener per loop against one shared EPOLLEXCLUSIVE listener,
# with 2 loops (unpinned) and wrk on core 0, keep-alive and connection-per-request GETs of 64 bytes,
# interleaved rounds -> bench/results/listener.md. On 2 cores client and server share a core: the
# figures compare the modes with each other, not with other servers.
listener() {
  command -v wrk >/dev/null 2>&1 || install_missing wrk
  command -v curl >/dev/null 2>&1 || install_missing curl
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  local dll=bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll
  local rounds="${BENCH_ROUNDS:-3}" seconds="${BENCH_SECONDS:-5}"
  local samples="$out/listener-samples.txt"
  mkdir -p "$out" "$results"
  : >"$samples"
  for round in $(seq 1 "$rounds"); do
    for mode in reuseport exclusive; do
      local dir port pid
      dir=$(mktemp -d)
      port=$((20000 + RANDOM % 20000))
      dotnet "$dll" serve --port "$port" --data "$dir" --durability none --workers 2 --listener "$mode" >"$out/serve-$mode.log" 2>&1 &
      pid=$!
      for _ in $(seq 1 100); do grep -q listening "$out/serve-$mode.log" && break; sleep 0.1; done
      printf '%064d' 0 | curl -s -X PUT --data-binary @- "http://127.0.0.1:$port/k64" -o /dev/null
      local ka cl
      ka=$(taskset -c 0 wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:$port/k64" | awk '/Requests\/sec/ {print $2}')
      cl=$(taskset -c 0 wrk -t1 -c32 -d"${seconds}s" -H 'Connection: close' "http://127.0.0.1:$port/k64" | awk '/Requests\/sec/ {print $2}')
      log "round $round $mode: keep-alive $ka, connection-per-request $cl"
      echo "$mode $ka $cl" >>"$samples"
      kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
    done
  done
  median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
  {
    echo "# Listener modes: SO_REUSEPORT per loop vs one EPOLLEXCLUSIVE listener"
    echo
    echo "Written by \`bench/run.sh listener\`; do not edit by hand. $(date -u '+%Y-%m-%d %H:%M') UTC, \`nproc\` = $(nproc),"
    echo "$rounds interleaved rounds of ${seconds} s; EmbedKv with 2 loops (unpinned), \`wrk -t1 -c32\` on core 0. Median requests/s."
    echo
    echo "| mode | GET 64 B keep-alive | GET 64 B, new connection per request |"
    echo "|---|---:|---:|"
    for mode in reuseport exclusive; do
      echo "| $mode | $(awk -v m=$mode '$1==m {print $2}' "$samples" | median) | $(awk -v m=$mode '$1==m {print $3}' "$samples" | median) |"
    done
    echo
    echo "The listener mode matters where connections are accepted, the connection-per-request column;"
    echo "keep-alive differences come from how 32 connections happen to spread over the two loops."
  } >"$results/listener.md"
  cat "$results/listener.md"
}

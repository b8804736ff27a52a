# shellcheck shell=bash
# bench/lib/http.sh: bench/run.sh http: the peers, the cells and the interleaved rounds of the HTTP matrix.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# HTTP: the benchmark matrix. EmbedKv's server against nginx, Redis through webdis, an ASP.NET Core
# key-value service and a C epoll responder (the ceiling), every server pinned to core BENCH_CPU and
# wrk to core BENCH_CLIENT_CPU, each cell repeated in interleaved rounds; then the server's memory per
# idle keep-alive connection. -> bench/results/http.md and bench/results/http.png

# The peers, in table order, and the names the report gives them. "baseline" is EmbedKv built at
# BENCH_BASELINE (bench/lib/baseline.sh); http_suite names it embedkv@SHA.
http_peers=(embedkv baseline nginx webdis aspnet ceiling)
declare -A http_peer_name=(
  [embedkv]="EmbedKv" [nginx]="nginx" [webdis]="Redis via webdis" [aspnet]="ASP.NET Core" [ceiling]="C ceiling"
)
# The workloads, in table order.
# "latency" lets the server core go idle between requests; "awake" is the same with a SCHED_IDLE busy
# loop on the server core, which keeps a VM's vCPU from sleeping (see the report's notes).
http_cells=(get64 get64close get1m postdurable postbatched mixed latency awake)

# Builds the benchmarks host that serves EmbedKv in this suite, in the current directory's tree: the one
# build command of the current EmbedKv and of the baseline, so that both are built alike.
build_kv() { dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q; }

# Converts one of wrk's latencies ("286.00us", "2.07ms", "1.01s", "1.20m") to milliseconds.
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    if (v == "" || v == "-") { print "-"; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (f < 0) { print "-"; exit }
    printf "%.3f\n", n * f }'
}

http_suite() {
  local started=$SECONDS
  # --- which servers --------------------------------------------------------------------------
  # EmbedKv always; BENCH_PEERS picks among the others (default all); BENCH_BASELINE=REF adds EmbedKv
  # built at REF, and BENCH_PEERS=baseline then runs only the two EmbedKv builds.
  local baseline_ref="${BENCH_BASELINE:-}" p
  local want=(nginx webdis aspnet ceiling)
  [ -z "${BENCH_PEERS:-}" ] || read -r -a want <<<"$BENCH_PEERS"
  local peers=(embedkv)
  [ -z "$baseline_ref" ] || peers+=(baseline)
  for p in "${want[@]}"; do
    case "$p" in
      nginx | webdis | aspnet | ceiling) peers+=("$p") ;;
      baseline) [ -n "$baseline_ref" ] || { echo "error: BENCH_PEERS=baseline needs BENCH_BASELINE=REF" >&2; exit 2; } ;;
      *) echo "error: BENCH_PEERS: no peer '$p' (peers: nginx webdis aspnet ceiling baseline)" >&2; exit 2 ;;
    esac
  done
  has_peer() { [[ " ${peers[*]} " == *" $1 "* ]]; }
  if [ -n "$baseline_ref" ] && ! git rev-parse --verify --quiet "$baseline_ref^{commit}" >/dev/null; then
    echo "error: BENCH_BASELINE: '$baseline_ref' is not a commit of this repository" >&2
    exit 2
  fi

  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  has_peer nginx && { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx); }
  has_peer webdis && { command -v redis-server >/dev/null 2>&1 || need+=(redis-server); }
  has_peer webdis && { command -v webdis >/dev/null 2>&1 || need+=(webdis); }
  has_peer ceiling && { command -v gcc >/dev/null 2>&1 || need+=(gcc); }
  has_peer ceiling && { [ -f /usr/include/stdio.h ] || need+=(libc6-dev); }
  # The chart only for a run of the five peers as they are (see http_report).
  [ -n "${BENCH_PEERS:-}${BENCH_BASELINE:-}" ] || command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  if [ ${#need[@]} -gt 0 ]; then
    apt-cache policy "${need[@]}" >/dev/null || { echo "error: apt-cache policy ${need[*]} failed" >&2; exit 1; }
    install_missing "${need[@]}"
  fi
  local nginx_bin
  nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}" conns="${BENCH_CONNECTIONS:-32}"
  local warmup="${BENCH_WARMUP:-1}" rate="${BENCH_RATE:-5000}"
  local idle_conns="${BENCH_IDLE_CONNECTIONS:-10000}"
  # BENCH_CELLS="get64 latency" runs only those workloads (names as in http_cells).
  local cells=("${http_cells[@]}") c
  if [ -n "${BENCH_CELLS:-}" ]; then
    read -r -a cells <<<"$BENCH_CELLS"
    for c in "${cells[@]}"; do
      [[ " ${http_cells[*]} " == *" $c "* ]] || { echo "error: BENCH_CELLS: no cell '$c' (cells: ${http_cells[*]})" >&2; exit 2; }
    done
  fi
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; servers and wrk share core 0" >&2
    srv_cpu=0
  fi
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  # BENCH_NICE=-10 runs the servers and wrk at that niceness, for a machine that cannot be made quiet:
  # other processes then take little of the two cores. 0 (the default) changes nothing.
  local prio=()
  [ "${BENCH_NICE:-0}" = 0 ] || prio=(nice -n "$BENCH_NICE")

  # --- builds ---------------------------------------------------------------------------------
  log "building the benchmarks (Release) and the peers that run"
  build_kv
  has_peer aspnet && dotnet build bench/peers/AspNetKv -c Release -nologo -v q
  mkdir -p "$out"
  has_peer ceiling && gcc -O2 -Wall -Wextra -o "$out/ceiling" bench/peers/ceiling.c
  local dll="bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll"
  local baseline_sha="" baseline_short="" baseline_dll="" baseline_build_secs=0
  if has_peer baseline; then
    baseline_build_secs=$SECONDS
    build_baseline "$baseline_ref"
    baseline_build_secs=$((SECONDS - baseline_build_secs))
    http_peer_name[baseline]="embedkv@$baseline_short"
  fi

  local w="$root/$out/http" ng="$root/$out/nginx"
  rm -rf "$w" "$ng"
  mkdir -p "$w/values" "$ng/static" "$ng/dav" "$ng/client_body_temp" "$results"
  # Global, not local: when set -e ends the script, the EXIT trap runs after the function's locals
  # are gone, and the servers must still be stopped.
  http_pids=()
  declare -A watch=() # server name -> pid, checked after every cell
  declare -A peer_pids=() # peer -> its processes, whose CPU time each cell records
  cleanup_http() {
    local p
    for p in "${http_pids[@]+"${http_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${http_pids[@]+"${http_pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
    http_pids=()
    watch=()
  }
  trap cleanup_http EXIT

  # The same value bytes for every peer.
  local values="$w/values"
  head -c 64 /dev/urandom >"$values/k64"
  head -c $((1024 * 1024)) /dev/urandom >"$values/k1m"

  # --- servers, all pinned to the server core -------------------------------------------------
  # Each start_* function sets $port (and records the pid in http_pids, watch and peer_pids).
  local port

  # EmbedKv through the benchmarks' serve command, one event loop; the current build or the baseline.
  start_kv() { # embedkv|baseline name durability [extra serve options...]
    local peer="$1" name="$2" durability="$3" i kv_dll="$dll"
    shift 3
    [ "$peer" = embedkv ] || kv_dll="$baseline_dll"
    : >"$w/$name.out" # exists before the server writes to it, for the wait below
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" dotnet "$kv_dll" serve --port 0 --data "$w/data-$name" --durability "$durability" \
      --workers 1 "$@" >"$w/$name.out" 2>"$w/$name.err" &
    http_pids+=($!)
    watch["${http_peer_name[$peer]} ($name)"]=$!
    peer_pids[$peer]+=" $!"
    port=""
    for i in $(seq 1 100); do
      port="$(awk '$1 == "listening" { print $2; exit }' "$w/$name.out")"
      [ -n "$port" ] && return 0
      sleep 0.1
    done
    echo "error: EmbedKv server $name did not start:" >&2
    cat "$w/$name.err" >&2
    exit 1
  }

  # nginx, webdis and ASP.NET Core: bench/lib/common.sh's start_*_peer, their pids recorded here.
  # nginx: one worker, static files for GET (/k64, /k1m), WebDAV PUT under /dav/.
  start_nginx() {
    start_nginx_peer "$srv_cpu" "$ng" /k64
    port="$peer_port"
    http_pids+=("${peer_started[@]}")
    watch[nginx]="${peer_started[0]}"
    peer_pids[nginx]="${peer_procs[*]}"
  }

  # Redis (appendfsync always|everysec) behind webdis.
  start_webdis() { # name appendfsync
    start_webdis_peer "$srv_cpu" "$w/redis-$1" "$2"
    port="$peer_port"
    http_pids+=("${peer_started[@]}")
    watch["redis ($1)"]="${peer_started[0]}"
    watch["webdis ($1)"]="${peer_started[1]}"
    peer_pids[webdis]+=" ${peer_procs[*]}"
  }

  # The ASP.NET Core peer, durable or not.
  start_aspnet() { # name durable(true|false)
    start_aspnet_peer "$srv_cpu" "$w/aspnet-$1" "$2" "$w/aspnet-$1.out"
    port="$peer_port"
    http_pids+=("${peer_started[@]}")
    watch["ASP.NET Core ($1)"]="${peer_started[0]}"
    peer_pids[aspnet]+=" ${peer_procs[*]}"
  }

  start_ceiling() {
    local i
    : >"$w/ceiling.out"
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" "$out/ceiling" 0 "$values/k64" >"$w/ceiling.out" 2>&1 &
    http_pids+=($!)
    watch["C ceiling"]=$!
    peer_pids[ceiling]+=" $!"
    port=""
    for i in $(seq 1 100); do
      port="$(awk '$1 == "listening" { print $2; exit }' "$w/ceiling.out")"
      [ -n "$port" ] && return 0
      sleep 0.1
    done
    echo "error: the C ceiling did not start" >&2
    exit 1
  }

  log "starting the servers (pinned to core $srv_cpu)"
  # A peer that does not run keeps port 0 here; its entries leave the matrix below. (The start_*
  # calls stand alone, not in an && list, which would switch set -e off inside them.)
  local kv_always kv_batched base_always=0 base_batched=0 ng_port=0 wd_always=0 wd_everysec=0
  local asp_durable=0 asp_batched=0 ceil_port=0
  start_kv embedkv always always
  kv_always="$port"
  start_kv embedkv batched batched
  kv_batched="$port"
  if has_peer baseline; then
    start_kv baseline base-always always
    base_always="$port"
    start_kv baseline base-batched batched
    base_batched="$port"
  fi
  cp "$values/k64" "$values/k1m" "$ng/static/"
  if has_peer nginx; then
    start_nginx
    ng_port="$port"
  fi
  if has_peer webdis; then
    start_webdis always always
    wd_always="$port"
    start_webdis everysec everysec
    wd_everysec="$port"
  fi
  if has_peer aspnet; then
    start_aspnet durable true
    asp_durable="$port"
    start_aspnet batched false
    asp_batched="$port"
  fi
  if has_peer ceiling; then
    start_ceiling
    ceil_port="$port"
  fi

  # --- the same values in every peer, checked byte for byte ------------------------------------
  log "storing the values"
  # prefill and same skip a peer that does not run (port 0).
  prefill() { [ "$1" = 0 ] || python3 bench/http/prefill.py "$@" >/dev/null; }
  local kv
  for kv in "$kv_always" "$base_always"; do
    prefill "$kv" POST / "$values/k64" k64
    prefill "$kv" POST / "$values/k1m" k1m
  done
  prefill "$wd_always" PUT /SET/ "$values/k64" k64
  prefill "$wd_always" PUT /SET/ "$values/k1m" k1m
  prefill "$asp_durable" POST / "$values/k64" k64
  prefill "$asp_durable" POST / "$values/k1m" k1m
  # The mixed workload's keys m1..m1000, in the servers its cells use.
  prefill "$kv_batched" POST / "$values/k64" --range m 1000
  prefill "$base_batched" POST / "$values/k64" --range m 1000
  prefill "$ng_port" PUT /dav/ "$values/k64" --range m 1000
  prefill "$wd_everysec" PUT /SET/ "$values/k64" --range m 1000
  prefill "$asp_batched" POST / "$values/k64" --range m 1000
  same() { # url file
    [[ "$1" != *":0/"* ]] || return 0
    curl -fsS "$1" | cmp -s - "$2" || { echo "error: $1 did not return the bytes of $2" >&2; exit 1; }
  }
  local k
  for k in k64 k1m; do
    same "http://127.0.0.1:$kv_always/$k" "$values/$k"
    same "http://127.0.0.1:$base_always/$k" "$values/$k"
    same "http://127.0.0.1:$ng_port/$k" "$values/$k"
    same "http://127.0.0.1:$wd_always/GET/$k.txt" "$values/$k"
    same "http://127.0.0.1:$asp_durable/$k" "$values/$k"
  done
  same "http://127.0.0.1:$ceil_port/k64" "$values/k64"
  for kv in "$kv_batched" "$base_batched" "$asp_batched"; do
    same "http://127.0.0.1:$kv/m1000" "$values/k64"
  done
  same "http://127.0.0.1:$ng_port/dav/m1000" "$values/k64"
  same "http://127.0.0.1:$wd_everysec/GET/m1000.txt" "$values/k64"

  # --- the matrix: "cell|peer|url|wrk options and script|--|script arguments" -------------------
  # A peer without an entry for a cell shows n/a, with the reason from http_na below.
  local post="$root/bench/http/post_random.lua" mixed="$root/bench/http/mixed.lua" paced="$root/bench/http/paced.lua"
  local close="-H|Connection: close"
  local matrix=(
    "get64|embedkv|http://127.0.0.1:$kv_always/k64"
    "get64|nginx|http://127.0.0.1:$ng_port/k64"
    "get64|webdis|http://127.0.0.1:$wd_always/GET/k64.txt"
    "get64|aspnet|http://127.0.0.1:$asp_durable/k64"
    "get64|ceiling|http://127.0.0.1:$ceil_port/k64"
    "get64close|embedkv|http://127.0.0.1:$kv_always/k64|$close"
    "get64close|nginx|http://127.0.0.1:$ng_port/k64|$close"
    "get64close|webdis|http://127.0.0.1:$wd_always/GET/k64.txt|$close"
    "get64close|aspnet|http://127.0.0.1:$asp_durable/k64|$close"
    "get64close|ceiling|http://127.0.0.1:$ceil_port/k64|$close"
    "get1m|embedkv|http://127.0.0.1:$kv_always/k1m"
    "get1m|nginx|http://127.0.0.1:$ng_port/k1m"
    "get1m|webdis|http://127.0.0.1:$wd_always/GET/k1m.txt"
    "get1m|aspnet|http://127.0.0.1:$asp_durable/k1m"
    "postdurable|embedkv|http://127.0.0.1:$kv_always/|-s|$post|--|POST|/"
    "postdurable|webdis|http://127.0.0.1:$wd_always/|-s|$post|--|PUT|/SET/"
    "postdurable|aspnet|http://127.0.0.1:$asp_durable/|-s|$post|--|POST|/"
    "postbatched|embedkv|http://127.0.0.1:$kv_batched/|-s|$post|--|POST|/"
    "postbatched|nginx|http://127.0.0.1:$ng_port/|-s|$post|--|PUT|/dav/"
    "postbatched|webdis|http://127.0.0.1:$wd_everysec/|-s|$post|--|PUT|/SET/"
    "postbatched|aspnet|http://127.0.0.1:$asp_batched/|-s|$post|--|POST|/"
    "mixed|embedkv|http://127.0.0.1:$kv_batched/|-s|$mixed|--|/||POST|/"
    "mixed|nginx|http://127.0.0.1:$ng_port/|-s|$mixed|--|/dav/||PUT|/dav/"
    "mixed|webdis|http://127.0.0.1:$wd_everysec/|-s|$mixed|--|/GET/|.txt|PUT|/SET/"
    "mixed|aspnet|http://127.0.0.1:$asp_batched/|-s|$mixed|--|/||POST|/"
    "latency|embedkv|http://127.0.0.1:$kv_always/k64|-s|$paced|--|$rate|$conns"
    "latency|nginx|http://127.0.0.1:$ng_port/k64|-s|$paced|--|$rate|$conns"
    "latency|webdis|http://127.0.0.1:$wd_always/GET/k64.txt|-s|$paced|--|$rate|$conns"
    "latency|aspnet|http://127.0.0.1:$asp_durable/k64|-s|$paced|--|$rate|$conns"
    "latency|ceiling|http://127.0.0.1:$ceil_port/k64|-s|$paced|--|$rate|$conns"
    "awake|embedkv|http://127.0.0.1:$kv_always/k64|-s|$paced|--|$rate|$conns"
    "awake|nginx|http://127.0.0.1:$ng_port/k64|-s|$paced|--|$rate|$conns"
    "awake|webdis|http://127.0.0.1:$wd_always/GET/k64.txt|-s|$paced|--|$rate|$conns"
    "awake|aspnet|http://127.0.0.1:$asp_durable/k64|-s|$paced|--|$rate|$conns"
    "awake|ceiling|http://127.0.0.1:$ceil_port/k64|-s|$paced|--|$rate|$conns"
  )

  # Only the cells asked for, and the peers that run. The baseline gets every entry of EmbedKv's, on its
  # own ports, right after it, so that within a round the two measure next to each other.
  local kept=() entry peer
  for entry in "${matrix[@]}"; do
    [[ " ${cells[*]} " == *" ${entry%%|*} "* ]] || continue
    peer="$(cut -d'|' -f2 <<<"$entry")"
    has_peer "$peer" || continue
    kept+=("$entry")
    if [ "$peer" = embedkv ] && has_peer baseline; then
      entry="${entry/|embedkv|/|baseline|}"
      entry="${entry/:$kv_always\//:$base_always/}"
      kept+=("${entry/:$kv_batched\//:$base_batched/}")
    fi
  done
  matrix=("${kept[@]}")

  # Runs one entry of the matrix for $2 seconds into file $3.
  run_entry() { # entry seconds log_file
    local f url pre=() post_args=() seen_dash=0 a
    IFS='|' read -r -a f <<<"$1"
    url="${f[2]}"
    # wrk wants its options and script before the URL and the script's arguments after it.
    for a in "${f[@]:3}"; do
      if [ "$seen_dash" -eq 0 ] && [ "$a" = "--" ]; then seen_dash=1; fi
      if [ "$seen_dash" -eq 1 ]; then post_args+=("$a"); else pre+=("$a"); fi
    done
    "${prio[@]+"${prio[@]}"}" taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d"${2}s" --latency "${pre[@]+"${pre[@]}"}" "$url" \
      "${post_args[@]+"${post_args[@]}"}" >"$3" 2>&1 || true
  }
  # CPU time of processes and of the server core, in the kernel's clock ticks: "processes busy total".
  cpu_ticks() { # pid...
    local p t=0
    for p in "$@"; do
      # /proc/PID/stat: utime and stime are the 12th and 13th fields after the ")" that ends the name.
      t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    awk -v t="$t" -v c="cpu$srv_cpu" '$1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; print t, b, b + $5 + $6 }' /proc/stat
  }
  check_servers() {
    local name
    for name in "${!watch[@]}"; do
      kill -0 "${watch[$name]}" 2>/dev/null || { echo "error: $name died during the benchmark (logs in $w)" >&2; exit 1; }
    done
  }

  if [ "$warmup" -gt 0 ]; then
    log "warming up: ${warmup} s of every cell, not recorded"
    for entry in "${matrix[@]}"; do
      run_entry "$entry" "$warmup" "$w/warmup.txt"
      check_servers
    done
  fi

  # Interleaved rounds: every cell of every peer once per round; the peers' order rotates from round
  # to round so that none always runs right after another's write burst.
  local samples="$w/samples.txt"
  : >"$samples"
  local load_before load_after round cell
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds (${secs} s per cell)"
    for cell in "${cells[@]}"; do
      local entries=() i n
      for entry in "${matrix[@]}"; do
        [ "${entry%%|*}" = "$cell" ] && entries+=("$entry")
      done
      n=${#entries[@]}
      for i in $(seq 0 $((n - 1))); do
        entry="${entries[$(((i + round - 1) % n))]}"
        local peer log_file
        peer="$(cut -d'|' -f2 <<<"$entry")"
        log_file="$w/wrk.$cell.$peer.$round.txt"
        local spinner=""
        if [ "$cell" = awake ]; then
          taskset -c "$srv_cpu" chrt --idle 0 sh -c 'while :; do :; done' &
          spinner=$!
        fi
        local before after
        # shellcheck disable=SC2086 # the pid list splits on purpose
        before="$(cpu_ticks ${peer_pids[$peer]})"
        run_entry "$entry" "$secs" "$log_file"
        # shellcheck disable=SC2086
        after="$(cpu_ticks ${peer_pids[$peer]})"
        if [ -n "$spinner" ]; then
          kill "$spinner"
          wait "$spinner" 2>/dev/null || true
        fi
        # The server's CPU time and the core's busy time, as % of the core's time during the cell.
        local cpu_use
        cpu_use="$(awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[3] - x[3]
          if (d <= 0) print "- -"; else printf "%.0f %.0f\n", 100 * (y[1] - x[1]) / d, 100 * (y[2] - x[2]) / d }')"
        # samples: cell peer round req/s non-2xx socket-errors p50-ms p99-ms server-cpu% core-busy%
        local parsed
        parsed="$(awk '
          /^Requests\/sec:/ { rps = $2 }
          /Non-2xx or 3xx responses:/ { non2xx = $NF }
          /Socket errors:/ { gsub(/,/, ""); se = $4 + $6 + $8 + $10 }
          /^ +50%/ { p50 = $2 }
          /^ +99%/ { p99 = $2 }
          END { printf "%s %d %d %s %s\n", (rps == "" ? "0" : rps), non2xx, se, (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99) }
        ' "$log_file")"
        read -r a_rps a_non a_se a_p50 a_p99 <<<"$parsed"
        echo "$cell $peer $round $a_rps $a_non $a_se $(wrk_ms "$a_p50") $(wrk_ms "$a_p99") $cpu_use" | tee -a "$samples" >&2
        check_servers
      done
    done
  done
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  local redis_version webdis_version
  redis_version="$(redis-server --version | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v=/) { sub(/^v=/, "", $i); print $i } }')"
  webdis_version="webdis $(dpkg-query -W -f '${Version}' webdis 2>/dev/null || echo '(version unknown)')"
  cleanup_http
  local crash_notes=""
  if grep -il 'exception\|fatal\|unhandled' "$w"/*.err "$w"/aspnet-*.out >/dev/null 2>&1; then
    crash_notes="$(grep -iH 'exception\|fatal\|unhandled' "$w"/*.err "$w"/aspnet-*.out | sed "s|$root/||" | head -n 10)"
  fi

  # --- memory per idle keep-alive connection --------------------------------------------------
  # A fresh server of peer $1 (embedkv or baseline); sets idle_before and idle_after (VmRSS, KiB),
  # idle_open (connections held open) and idle_report (the client's lines).
  local idle_before idle_after idle_open idle_report
  measure_idle() { # embedkv|baseline
    log "idle connections: $idle_conns keep-alive connections to a fresh ${http_peer_name[$1]} server"
    start_kv "$1" "idle-$1" none --max-connections $((idle_conns + 100))
    local idle_port="$port" idle_pid="${http_pids[-1]}" k
    prefill "$idle_port" PUT / "$values/k64" k64
    # Warm up the request path so that JIT and first-use allocations are not charged to connections.
    taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$idle_port/k64" >/dev/null 2>&1 || true
    sleep 1
    rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
    idle_before="$(rss "$idle_pid")"
    local fifo="$w/idle.fifo"
    rm -f "$fifo"
    mkfifo "$fifo"
    taskset -c "$cli_cpu" python3 bench/http/idle_conns.py "$idle_port" "$idle_conns" /k64 <"$fifo" >"$w/idleclient.txt" 2>"$w/idleclient.err" &
    local py_pid=$!
    exec 9>"$fifo"
    for k in $(seq 1 600); do
      grep -q '^statuses' "$w/idleclient.txt" 2>/dev/null && break
      kill -0 "$py_pid" 2>/dev/null || break
      sleep 0.1
    done
    sleep 1
    idle_after="$(rss "$idle_pid")"
    idle_open="$(awk '$1 == "open" { print $2 }' "$w/idleclient.txt")"
    echo >&9
    exec 9>&-
    wait "$py_pid" || true
    cleanup_http
    idle_report="$(cat "$w/idleclient.txt")"
  }
  local base_rss_before="" base_rss_after="" base_open_conns=""
  if has_peer baseline; then
    measure_idle baseline
    base_rss_before="$idle_before" base_rss_after="$idle_after" base_open_conns="$idle_open"
  fi
  measure_idle embedkv
  trap - EXIT
  local rss_before="$idle_before" rss_after="$idle_after" open_conns="$idle_open"
  local run_secs=$((SECONDS - started))

  http_report
}

# shellcheck shell=bash
# bench/lib/ycsb.sh: bench/run.sh ycsb: YCSB's core workloads A, B, C and F over HTTP -> bench/results/ycsb.md, ycsb.png.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root; uses
# wrk_ms and build_kv from bench/lib/http.sh, and the peers' start functions from bench/lib/common.sh.

# Issue 15: the YCSB core workloads a key-value store is usually compared on, against EmbedKv in each
# durability mode and the HTTP peers of bench/run.sh http that can store and read a record:
#   A 50% read / 50% update, B 95% / 5%, C 100% read, F 50% read / 50% read-modify-write,
# keys chosen with YCSB's scrambled zipfian distribution (theta 0.99) over BENCH_YCSB_RECORDS records
# of 1 KiB values (bench/http/ycsb.lua). EmbedKv's read-modify-write is conditional: the write carries
# If-Match with the ETag of its read, and a 412 counts as a conflict; the peers, which have no
# conditional write, write back unconditionally. Each server is loaded once (timed), then all stay up
# for interleaved rounds, every server on core BENCH_CPU and wrk on core BENCH_CLIENT_CPU.

# The servers, in table order, and their names in the report.
ycsb_servers=(kv-always kv-batched kv-none nginx webdis aspnet)
declare -A ycsb_name=(
  [kv-always]="EmbedKv always" [kv-batched]="EmbedKv batched" [kv-none]="EmbedKv none"
  [nginx]="nginx" [webdis]="Redis via webdis" [aspnet]="ASP.NET Core"
)
ycsb_workloads=(a b c f)
declare -A ycsb_label=(
  [a]="A: 50% read, 50% update" [b]="B: 95% read, 5% update" [c]="C: 100% read"
  [f]="F: 50% read, 50% read-modify-write"
)

ycsb() {
  local started=$SECONDS
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}" conns=32 warmup="${BENCH_WARMUP:-1}"
  local records="${BENCH_YCSB_RECORDS:-1000000}" size=1024 load_conns=64
  local servers=("${ycsb_servers[@]}") workloads=("${ycsb_workloads[@]}") s
  [ -z "${BENCH_YCSB_SERVERS:-}" ] || read -r -a servers <<<"$BENCH_YCSB_SERVERS"
  [ -z "${BENCH_YCSB_WORKLOADS:-}" ] || read -r -a workloads <<<"$BENCH_YCSB_WORKLOADS"
  for s in "${servers[@]}"; do
    [ -n "${ycsb_name[$s]:-}" ] || { echo "error: BENCH_YCSB_SERVERS: no server '$s' (${ycsb_servers[*]})" >&2; exit 2; }
  done
  for s in "${workloads[@]}"; do
    [ -n "${ycsb_label[$s]:-}" ] || { echo "error: BENCH_YCSB_WORKLOADS: no workload '$s' (${ycsb_workloads[*]})" >&2; exit 2; }
  done
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; servers and wrk share core 0" >&2
    srv_cpu=0
  fi
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  ycsb_has() { [[ " ${servers[*]} " == *" $1 "* ]]; }

  # Scratch under bench/out/ycsb; the one-file-per-key peers (nginx, ASP.NET Core) keep their files
  # in embedkv-ycsb/ under BENCH_YCSB_FILES_DIR, by default a tmpfs: creating a million files on this
  # project's VM disk took 0.1 to 0.9 ms each (20 µs on tmpfs), minutes per peer, more than the whole
  # suite's budget. (A directory of our own in it: the run empties it first and removes it at the end.)
  # ${VAR:?}: root, out and results come from bench/run.sh; a run without them stops here.
  local w="${root:?}/${out:?}/ycsb"
  local fparent="${BENCH_YCSB_FILES_DIR:-/dev/shm}"
  case "$fparent" in /*) ;; *) fparent="$root/$fparent" ;; esac
  [ -d "$fparent" ] || { echo "error: BENCH_YCSB_FILES_DIR: no directory $fparent" >&2; exit 2; }
  local fdir="$fparent/embedkv-ycsb" files_fs
  files_fs="$(stat -f -c %T "$fparent")"

  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
  ycsb_has nginx && { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx); }
  ycsb_has webdis && { command -v redis-server >/dev/null 2>&1 || need+=(redis-server); }
  ycsb_has webdis && { command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools); }
  ycsb_has webdis && { command -v webdis >/dev/null 2>&1 || need+=(webdis); }
  install_missing "${need[@]+"${need[@]}"}"
  local nginx_bin
  nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

  # --- space: the data of every server stays until the end ---------------------------------------
  # A log-structured store (EmbedKv, Redis's AOF) takes the records once plus the cells' updates: 2 KiB
  # a record leaves room. One file per key takes a 4 KiB block (or tmpfs page) and an inode each.
  local n_logs=0 n_files=0
  for s in "${servers[@]}"; do
    case "$s" in kv-* | webdis) n_logs=$((n_logs + 1)) ;; *) n_files=$((n_files + 1)) ;; esac
  done
  mkdir -p "$w" "${results:?}"
  rm -rf "${w:?}"/* "$fdir"
  local need_kib=$((records * 2 * n_logs + 1024 * 1024)) have_kib
  have_kib="$(df -Pk "$w" | awk 'NR == 2 { print $4 }')"
  [ "$have_kib" -ge "$need_kib" ] || { echo "error: $w needs $((need_kib / 1024)) MiB free, has $((have_kib / 1024))" >&2; exit 1; }
  if [ "$n_files" -gt 0 ]; then
    mkdir -p "$fdir"
    local fneed=$((records * 5 * n_files + 256 * 1024)) fhave finodes
    fhave="$(df -Pk "$fdir" | awk 'NR == 2 { print $4 }')"
    finodes="$(df -Pi "$fdir" | awk 'NR == 2 { print $4 }')"
    [ "$fhave" -ge "$fneed" ] || { echo "error: $fdir needs $((fneed / 1024)) MiB free, has $((fhave / 1024)) (BENCH_YCSB_FILES_DIR)" >&2; exit 1; }
    [ "$finodes" -ge $((records * n_files + 100000)) ] || { echo "error: $fdir has $finodes free inodes, needs $((records * n_files + 100000))" >&2; exit 1; }
  fi

  # --- builds ---------------------------------------------------------------------------------
  log "building the benchmarks (Release) and the ASP.NET Core peer"
  build_kv
  ycsb_has aspnet && dotnet build bench/peers/AspNetKv -c Release -nologo -v q
  local dll="bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll"

  # Global, not local: the EXIT trap runs after the function's locals are gone. The data goes too:
  # gigabytes in a tmpfs must not outlive an interrupted run.
  ycsb_pids=()
  ycsb_data=("$fdir")
  ycsb_cleanup() {
    local p
    local i
    for p in "${ycsb_pids[@]+"${ycsb_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    # A server that ignores SIGTERM must not hang the exit: 5 s, then SIGKILL.
    for p in "${ycsb_pids[@]+"${ycsb_pids[@]}"}"; do
      for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    done
    ycsb_pids=()
    for p in "${ycsb_data[@]}"; do rm -rf "$p"; done
  }
  trap ycsb_cleanup EXIT

  # --- servers, all pinned to the server core ---------------------------------------------------
  # Each sets $port; pids go to ycsb_pids (stopped at the end) and peer_pids (CPU time per cell).
  local port
  declare -A peer_pids=()
  ycsb_start_kv() { # server durability
    local i
    : >"$w/$1.out"
    taskset -c "$srv_cpu" dotnet "$dll" serve --port 0 --data "$w/data-$1" --durability "$2" --workers 1 \
      >"$w/$1.out" 2>"$w/$1.err" &
    ycsb_pids+=($!)
    ycsb_data+=("$w/data-$1")
    peer_pids[$1]=$!
    port=""
    for i in $(seq 1 100); do
      port="$(awk '$1 == "listening" { print $2; exit }' "$w/$1.out")"
      [ -n "$port" ] && return 0
      sleep 0.1
    done
    echo "error: EmbedKv ($1) did not start:" >&2
    cat "$w/$1.err" >&2
    exit 1
  }
  # nginx, webdis and ASP.NET Core: bench/lib/common.sh's start_*_peer.
  # nginx: bench/http/nginx.conf.in as is, rooted in $fdir/nginx; records are served from /dav/ (the
  # WebDAV location, whose GET is a static file) so that reads and PUTs address the same files.
  ycsb_start_nginx() {
    start_nginx_peer "$srv_cpu" "$fdir/nginx" /dav/user0
    port="$peer_port"
    ycsb_pids+=("${peer_started[@]}")
    peer_pids[nginx]="${peer_procs[*]}"
  }
  # Redis with appendfsync always (and no AOF rewrite: the load would set one off, a fork writing
  # the whole data set again during the cells), on a Unix socket, webdis in front on TCP.
  local redis_sock="$w/redis/redis.sock"
  ycsb_start_webdis() {
    ycsb_data+=("$w/redis")
    start_webdis_peer "$srv_cpu" "$w/redis" always --auto-aof-rewrite-percentage 0
    port="$peer_port"
    ycsb_pids+=("${peer_started[@]}")
    peer_pids[webdis]="${peer_procs[*]}"
  }
  # The ASP.NET Core peer, durable (FileOptions.WriteThrough), its files in $fdir/aspnet.
  ycsb_start_aspnet() {
    start_aspnet_peer "$srv_cpu" "$fdir/aspnet" true "$w/aspnet.out"
    port="$peer_port"
    ycsb_pids+=("${peer_started[@]}")
    peer_pids[aspnet]="${peer_procs[*]}"
  }

  ycsb_alive() {
    local p
    for p in "${ycsb_pids[@]}"; do
      kill -0 "$p" 2>/dev/null || { echo "error: a server (pid $p) died (logs in $w)" >&2; exit 1; }
    done
  }

  # --- load phase: every record once per server, timed ------------------------------------------
  # EmbedKv over HTTP with wrk (64 connections; bench/http/ycsb_load.lua writes a file once all are
  # answered, and wrk, which only stops on time, is ended then); Redis with redis-cli --pipe on its
  # socket; nginx and ASP.NET Core by writing their files (one per key) directly.
  declare -A port_of=() load_secs=() load_how=()
  ycsb_now() { date +%s.%N; }
  ycsb_elapsed() { awk -v a="$1" -v b="$(ycsb_now)" 'BEGIN { printf "%.1f", b - a }'; }
  ycsb_load_http() { # server port
    local done_file="$w/load-$1.done" t0 wpid i errs
    rm -f "$done_file"
    t0="$(ycsb_now)"
    taskset -c "$cli_cpu" wrk -t1 -c"$load_conns" -d3600s -s "$root/bench/http/ycsb_load.lua" "http://127.0.0.1:$2/" \
      -- "$records" "$size" PUT / "$done_file" >"$w/load-$1.txt" 2>&1 &
    wpid=$!
    # A record whose answer wrk never counts (a socket error, then a reconnect) would leave the wait
    # below without end: a million records load in well under this bound, a stall cannot pass it.
    local limit=$((records / 1000 + 120))
    while [ ! -s "$done_file" ]; do
      kill -0 "$wpid" 2>/dev/null || { echo "error: the load of $1 ended early:" >&2; cat "$w/load-$1.txt" >&2; exit 1; }
      ycsb_alive # a server that died would leave wrk waiting for the hour
      if awk -v e="$(ycsb_elapsed "$t0")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
        kill -INT "$wpid" 2>/dev/null || true
        echo "error: the load of $1 took over $limit s; wrk said:" >&2
        cat "$w/load-$1.txt" >&2
        exit 1
      fi
      sleep 0.1
    done
    load_secs[$1]="$(ycsb_elapsed "$t0")"
    kill -INT "$wpid"
    wait "$wpid" || true
    read -r _ i _ errs <"$done_file"
    if [ "$i" != "$records" ] || [ "$errs" != 0 ]; then
      echo "error: the load of $1: $(cat "$done_file")" >&2
      exit 1
    fi
    load_how[$1]="HTTP \`PUT\`, wrk with $load_conns connections (\`bench/http/ycsb_load.lua\`)"
  }

  log "starting and loading the servers: $records records of $size bytes each (pinned to core $srv_cpu)"
  local durability t0
  for s in "${servers[@]}"; do
    case "$s" in
      kv-*)
        durability="${s#kv-}"
        ycsb_start_kv "$s" "$durability"
        port_of[$s]="$port"
        ycsb_load_http "$s" "$port"
        ;;
      nginx)
        mkdir -p "$fdir/nginx/dav" "$fdir/nginx/client_body_temp"
        t0="$(ycsb_now)"
        taskset -c "$cli_cpu" python3 bench/http/ycsb_values.py files "$records" "$size" "$fdir/nginx/dav"
        load_secs[$s]="$(ycsb_elapsed "$t0")"
        load_how[$s]="files written directly (\`bench/http/ycsb_values.py files\`)"
        ycsb_start_nginx
        port_of[$s]="$port"
        ;;
      webdis)
        ycsb_start_webdis
        port_of[$s]="$port"
        t0="$(ycsb_now)"
        python3 bench/http/ycsb_values.py resp "$records" "$size" | taskset -c "$cli_cpu" redis-cli -s "$redis_sock" --pipe >"$w/load-webdis.txt" 2>&1
        load_secs[$s]="$(ycsb_elapsed "$t0")"
        grep -q "errors: 0, replies: $records" "$w/load-webdis.txt" || { echo "error: the load of Redis:" >&2; cat "$w/load-webdis.txt" >&2; exit 1; }
        load_how[$s]="\`redis-cli --pipe\` on Redis's Unix socket"
        ;;
      aspnet)
        mkdir -p "$fdir/aspnet"
        t0="$(ycsb_now)"
        taskset -c "$cli_cpu" python3 bench/http/ycsb_values.py files "$records" "$size" "$fdir/aspnet"
        load_secs[$s]="$(ycsb_elapsed "$t0")"
        load_how[$s]="files written directly (\`bench/http/ycsb_values.py files\`)"
        ycsb_start_aspnet
        port_of[$s]="$port"
        ;;
    esac
    log "$s: loaded in ${load_secs[$s]} s"
  done

  # Each server's read and write paths, for bench/http/ycsb.lua: READ_PREFIX READ_SUFFIX METHOD WRITE_PREFIX IF_MATCH.
  declare -A paths=(
    [kv-always]="/||PUT|/|1" [kv-batched]="/||PUT|/|1" [kv-none]="/||PUT|/|1"
    [nginx]="/dav/||PUT|/dav/|0" [webdis]="/GET/|.txt|PUT|/SET/|0" [aspnet]="/||PUT|/|0"
  )
  # The first and last record of every server, byte for byte.
  local k rp rs
  for k in user0 "user$((records - 1))"; do
    python3 bench/http/ycsb_values.py value "$k" "$size" >"$w/expected"
    for s in "${servers[@]}"; do
      IFS='|' read -r rp rs _ <<<"${paths[$s]}"
      curl -fsS "http://127.0.0.1:${port_of[$s]}$rp$k$rs" | cmp -s - "$w/expected" ||
        { echo "error: ${ycsb_name[$s]} does not return record $k as loaded" >&2; exit 1; }
    done
  done

  # --- the cells ------------------------------------------------------------------------------
  ycsb_run() { # workload server seconds log_file
    local rp rs wm wp im
    IFS='|' read -r rp rs wm wp im <<<"${paths[$2]}"
    taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d"${3}s" --latency -s "$root/bench/http/ycsb.lua" \
      "http://127.0.0.1:${port_of[$2]}/" -- "$1" "$records" "$size" "$rp" "$rs" "$wm" "$wp" "$im" >"$4" 2>&1 || true
  }
  # CPU time of processes and of the server core, in clock ticks: "processes busy total" (as http.sh).
  ycsb_ticks() { # pid...
    local p t=0
    for p in "$@"; do
      t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    awk -v t="$t" -v c="cpu$srv_cpu" '$1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; print t, b, b + $5 + $6 }' /proc/stat
  }

  local wl
  if [ "$warmup" -gt 0 ]; then
    log "warming up: ${warmup} s of every cell, not recorded"
    for wl in "${workloads[@]}"; do
      for s in "${servers[@]}"; do
        ycsb_run "$wl" "$s" "$warmup" "$w/warmup.txt"
        ycsb_alive
      done
    done
  fi

  # Interleaved rounds; the servers' order rotates from round to round.
  local samples="$w/samples.txt" round n i load_before load_after
  : >"$samples"
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  n=${#servers[@]}
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds (${secs} s per cell)"
    for wl in "${workloads[@]}"; do
      for i in $(seq 0 $((n - 1))); do
        s="${servers[$(((i + round - 1) % n))]}"
        local log_file="$w/wrk.$wl.$s.$round.txt" before after cpu_use parsed
        # shellcheck disable=SC2086 # the pid list splits on purpose
        before="$(ycsb_ticks ${peer_pids[$s]})"
        ycsb_run "$wl" "$s" "$secs" "$log_file"
        # shellcheck disable=SC2086
        after="$(ycsb_ticks ${peer_pids[$s]})"
        cpu_use="$(awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[3] - x[3]
          if (d <= 0) print "- -"; else printf "%.0f %.0f\n", 100 * (y[1] - x[1]) / d, 100 * (y[2] - x[2]) / d }')"
        # samples: workload server round ops/s req/s failed conflicts writes p50-ms p99-ms server-cpu% core-busy%
        # (failed: non-2xx answers but F's 412 conflicts, plus socket errors)
        parsed="$(awk '
          / requests in / { sub(/s,.*/, "", $4); dur = $4 + 0 }
          /^Requests\/sec:/ { rps = $2 }
          /Non-2xx or 3xx responses:/ { non2xx = $NF }
          /Socket errors:/ { gsub(/,/, ""); se = $4 + $6 + $8 + $10 }
          /^ +50%/ { p50 = $2 }
          /^ +99%/ { p99 = $2 }
          $1 == "ycsb" { ops = $3; writes = $7; conflicts = $9 }
          END { printf "%.0f %.0f %d %d %d %s %s\n", (dur > 0 ? ops / dur : 0), rps, non2xx - conflicts + se, conflicts, writes,
            (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99) }
        ' "$log_file")"
        local a_ops a_rps a_failed a_conf a_writes a_p50 a_p99
        read -r a_ops a_rps a_failed a_conf a_writes a_p50 a_p99 <<<"$parsed"
        echo "$wl $s $round $a_ops $a_rps $a_failed $a_conf $a_writes $(wrk_ms "$a_p50") $(wrk_ms "$a_p99") $cpu_use" | tee -a "$samples" >&2
        ycsb_alive
      done
    done
  done
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  local redis_version="" webdis_version=""
  if ycsb_has webdis; then
    redis_version="$(redis-server --version | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v=/) { sub(/^v=/, "", $i); print $i } }')"
    webdis_version="$(dpkg-query -W -f '${Version}' webdis 2>/dev/null || echo '(version unknown)')"
  fi
  log "stopping the servers and removing their data"
  local clean_t0
  clean_t0="$(ycsb_now)"
  ycsb_cleanup
  local clean_secs run_secs
  clean_secs="$(ycsb_elapsed "$clean_t0")"
  trap - EXIT
  run_secs=$((SECONDS - started))
  ycsb_report
}

# Writes bench/results/ycsb.md and ycsb.png from the samples of ycsb (it reads that function's locals:
# samples, servers, workloads, rounds, secs, records, load_secs, ...). A run of fewer records, servers
# or workloads than the default writes bench/out/ycsb/ycsb.md and ycsb.png instead.
ycsb_report() {
  local md="$results/ycsb.md" png="$results/ycsb.png"
  if [ -n "${BENCH_YCSB_SERVERS:-}${BENCH_YCSB_WORKLOADS:-}" ] || [ "$records" != 1000000 ]; then
    md="$w/ycsb.md"
    png="$w/ycsb.png"
  fi
  log "writing $md and $png"
  # stats WORKLOAD SERVER -> "median min max p99 failed conflicts writes server-cpu% core-busy%" (ops/s
  # median and range; p99 and the CPU shares each the median of its column; the counts summed).
  ycsb_stats() {
    awk -v wl="$1" -v s="$2" '$1 == wl && $2 == s' "$samples" | awk '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      { n++; r[n] = $4 + 0; failed += $6; conf += $7; wr += $8; l99[n] = ($10 == "-" ? 1e12 : $10 + 0)
        sc[n] = ($11 == "-") ? -1 : $11 + 0; cc[n] = ($12 == "-") ? -1 : $12 + 0
        if (n == 1 || $4 + 0 < lo) lo = $4 + 0; if (n == 1 || $4 + 0 > hi) hi = $4 + 0 }
      END { if (n) printf "%.0f %.0f %.0f %.3f %d %d %d %.0f %.0f\n", median(r, n), lo, hi, median(l99, n), failed, conf, wr, median(sc, n), median(cc, n) }'
  }
  commas() { awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }
  ms() { awk -v v="$1" 'BEGIN { printf (v < 1 ? "%.2f" : v < 10 ? "%.1f" : "%.0f"), v }'; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

  local cpu_model kernel dotnet_runtime nginx_version wrk_version
  cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -r)"
  dotnet_runtime="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  nginx_version="$( ("$nginx_bin" -v 2>&1 || true) | sed 's/^nginx version: //')"
  wrk_version="$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $1, $2 }')"

  # The table, and the chart's data: one line per workload, a column per server ("-" where none).
  local table="$w/table.md" tput="$w/throughput.dat" p99s="$w/p99.dat" wl st base text
  local med lo hi p99 failed conf wr
  {
    printf '"workload"'
    for s in "${servers[@]}"; do printf ' "%s"' "${ycsb_name[$s]}"; done
    printf '\n'
  } | tee "$tput" >"$p99s"
  {
    printf '| workload |'
    for s in "${servers[@]}"; do printf ' %s |' "${ycsb_name[$s]}"; done
    printf '\n|---|'
    for s in "${servers[@]}"; do printf -- '---:|'; done
    printf '\n'
    for wl in "${workloads[@]}"; do
      base="$(ycsb_stats "$wl" kv-always | cut -d' ' -f1)"
      printf '| %s |' "${ycsb_label[$wl]}"
      printf '"%s"' "${wl^^}" >>"$tput"
      printf '"%s"' "${wl^^}" >>"$p99s"
      for s in "${servers[@]}"; do
        st="$(ycsb_stats "$wl" "$s")"
        if [ -z "$st" ]; then
          printf ' - |'
          printf ' -' >>"$tput"
          printf ' -' >>"$p99s"
          continue
        fi
        read -r med lo hi p99 failed conf wr _ _ <<<"$st"
        text="$(commas "$med")"
        [ "$s" = kv-always ] || [ -z "$base" ] || text="$text ×$(ratio "$med" "$base")"
        [ "$rounds" -gt 1 ] && text="$text<br>$(commas "$lo")–$(commas "$hi")"
        text="$text<br>p99 $(ms "$p99") ms"
        [ "$failed" -eq 0 ] || text="$text<br>**$(commas "$failed") failed**"
        [ "$s" = kv-always ] && text="**$text**"
        printf ' %s |' "$text"
        printf ' %s' "$med" >>"$tput"
        printf ' %s' "$p99" >>"$p99s"
      done
      printf '\n'
      printf '\n' >>"$tput"
      printf '\n' >>"$p99s"
    done
  } >"$table"

  local chart_note=""
  if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "tput='$tput'; p99='$p99s'; out='$png'; ncol=$((${#servers[@]} + 1)); nrow=${#workloads[@]}; subtitle='$(date -u '+%Y-%m-%d'), $(nproc) cores, $(commas "$records") records, $rounds rounds of ${secs} s'" \
      bench/plot/ycsb.gp || chart_note="(gnuplot failed: the chart was not redrawn)"
  else
    chart_note="(gnuplot is missing: the chart was not redrawn)"
  fi

  local shared total_cells
  shared="$(awk '$11 != "-" && $12 - $11 > 10 { n++ } END { print n + 0 }' "$samples")"
  total_cells="$(wc -l <"$samples")"
  {
    echo "# YCSB: core workloads A, B, C and F over HTTP, EmbedKv in each durability mode and its peers"
    echo
    echo "Written by \`bench/run.sh ycsb\`; do not edit by hand. Operations per second, higher is better: the"
    echo "median of $rounds interleaved rounds of ${secs} s, then the min–max over the rounds; ×N is the server's"
    echo "median divided by EmbedKv always's (below 1: EmbedKv always is faster). An operation is a read or an"
    echo "update; F's read-modify-write counts once, as YCSB counts it, though it is two HTTP requests. p99: wrk's"
    echo "99th percentile latency of one HTTP request (median over the rounds). Failed requests (wrk's non-2xx"
    echo "answers but F's \`412\` conflicts, and socket errors, summed over the rounds) show only where there were any."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); the suite took $((run_secs / 60)) min $((run_secs % 60)) s, load phases included"
    echo "- machine: \`nproc\` = $(nproc), CPU: $cpu_model, kernel $kernel"
    echo "- .NET runtime $dotnet_runtime; $nginx_version${redis_version:+; Redis $redis_version}${webdis_version:+; webdis $webdis_version}; $wrk_version"
    echo "- $(commas "$records") records \`user0\`..\`user$((records - 1))\` of $size-byte values; keys chosen with YCSB's scrambled"
    echo "  zipfian distribution, theta 0.99 (\`bench/http/ycsb.lua\`)"
    echo "- every server pinned to core $srv_cpu (\`taskset -c $srv_cpu\`), wrk to core $cli_cpu:"
    echo "  \`taskset -c $cli_cpu wrk -t1 -c$conns -d${secs}s --latency -s bench/http/ycsb.lua URL -- WORKLOAD $records $size ...\`;"
    echo "  before the rounds, ${warmup} s of every cell unrecorded (JIT warm-up)"
    echo "- load average (1, 5, 15 min) before the rounds: $load_before; after: $load_after"
    if awk -v b="${load_before%% *}" -v a="${load_after%% *}" 'BEGIN { exit !(b > 1.0 || a > 1.0) }' || [ "$shared" -gt 0 ]; then
      echo "- **the machine was not idle**: 1-minute load above 1 before or after the rounds, or other processes"
      echo "  took more than 10% of the server core in $shared of $total_cells measurements (see \"Where the server"
      echo "  core's time went\"); these figures are noisy, rerun on a quiet machine before quoting them."
    fi
    echo
    echo "![operations per second and p99 latency per workload and server]($(basename "$png"))"
    [ -z "$chart_note" ] || echo "$chart_note"
    echo
    cat "$table"
    if [[ " ${workloads[*]} " == *" f "* ]]; then
      echo
      echo "## F: read-modify-write conflicts"
      echo
      echo "F reads a record and, for half of the operations, writes it back modified. EmbedKv's write-back is"
      echo "\`PUT\` with \`If-Match\` set to the \`ETag\` its read returned: when another write to the record came"
      echo "between the two, EmbedKv answers \`412 Precondition Failed\` and the write is not made (a conflict;"
      echo "YCSB would retry or report it, this client counts it and moves on). The peers have no conditional write:"
      echo "their write-back is unconditional, so a concurrent update in between is silently lost, and they can"
      echo "have no conflicts to count. Summed over the rounds:"
      echo
      echo "| server | write-backs stored | conflicts (\`412\`) | conflicts per write-back |"
      echo "|---|---:|---:|---:|"
      for s in "${servers[@]}"; do
        st="$(ycsb_stats f "$s")"
        [ -n "$st" ] || continue
        read -r _ _ _ _ _ conf wr _ _ <<<"$st"
        if [ "${paths[$s]##*|}" = 1 ]; then
          echo "| ${ycsb_name[$s]} (\`If-Match\`) | $(commas "$wr") | $(commas "$conf") | $(awk -v c="$conf" -v w="$wr" 'BEGIN { printf "%.2f%%", (c + w > 0 ? 100 * c / (c + w) : 0) }') |"
        else
          echo "| ${ycsb_name[$s]} (unconditional) | $(commas "$wr") | n/a | n/a |"
        fi
      done
    fi
    echo
    echo "## Load phase"
    echo
    echo "Each server got the $(commas "$records") records once, before the cells, into an empty data directory;"
    echo "the clock runs from the first write to the last answer (for the servers loaded with files, from the"
    echo "first file to the last one written). Removing all servers' data at the end took ${clean_secs} s."
    echo
    echo "| server | how | seconds | records/s |"
    echo "|---|---|---:|---:|"
    for s in "${servers[@]}"; do
      echo "| ${ycsb_name[$s]} | ${load_how[$s]} | ${load_secs[$s]} | $(commas "$(awk -v n="$records" -v t="${load_secs[$s]}" 'BEGIN { print (t > 0 ? n / t : 0) }')") |"
    done
    echo
    echo "## Where the server core's time went"
    echo
    echo "Per cell: the server's processes' CPU time / the server core's busy time, both as a share of the"
    echo "core's time during the cell (\`/proc/<pid>/stat\`, \`/proc/stat\`; medians over the rounds). A server well"
    echo "below 100% on a core busy 100% shared its core with other processes; one below 100% on a core with idle"
    echo "time was waiting (for the client, the disk, or a sleeping core to wake)."
    echo
    printf '| workload |'
    for s in "${servers[@]}"; do printf ' %s |' "${ycsb_name[$s]}"; done
    printf '\n|---|'
    for s in "${servers[@]}"; do printf -- '---:|'; done
    printf '\n'
    local srv core
    for wl in "${workloads[@]}"; do
      printf '| %s |' "${wl^^}"
      for s in "${servers[@]}"; do
        st="$(ycsb_stats "$wl" "$s")"
        if [ -z "$st" ]; then printf ' - |'; continue; fi
        read -r _ _ _ _ _ _ _ srv core <<<"$st"
        if [ "$srv" -lt 0 ]; then printf ' ? |'; else printf ' %s%% / %s%% |' "$srv" "$core"; fi
      done
      printf '\n'
    done
    echo
    echo "## The servers and the workloads"
    echo
    echo "- **EmbedKv**: \`bench/EmbedKv.Benchmarks serve --workers 1 --durability always|batched|none\` (one event"
    echo "  loop), three servers each on its own data directory in \`$out/ycsb/\`: \`always\` syncs (fdatasync, shared"
    echo "  by concurrent writes) before the answer, \`batched\` within 1 s, \`none\` leaves it to the kernel. Reads"
    echo "  \`GET /KEY\`, writes \`PUT /KEY\`; F's write-back with \`If-Match\`."
    echo "- **nginx**: one worker, \`bench/http/nginx.conf.in\`; the records are files under its WebDAV root, read"
    echo "  with \`GET /dav/KEY\` (a static file, \`sendfile\`) and written with WebDAV \`PUT /dav/KEY\` (a temporary"
    echo "  file renamed over the record; never fsynced: no durability at all)."
    echo "- **Redis via webdis**: redis-server with \`appendonly yes\`, \`appendfsync always\` (fsync before the"
    echo "  answer), no RDB snapshots and no automatic AOF rewrite (the load would trigger one during the cells),"
    echo "  on a Unix socket; webdis (${BENCH_WEBDIS_THREADS:-1} thread, pool of ${BENCH_WEBDIS_POOL:-20}) in front, both on the server core. Reads"
    echo "  \`GET /GET/KEY.txt\` (the raw value), writes \`PUT /SET/KEY\`."
    echo "- **ASP.NET Core**: \`bench/peers/AspNetKv\` with \`--Durable true\` (one file per key, written through"
    echo "  \`FileOptions.WriteThrough\`, O_SYNC). Reads \`GET /KEY\`, writes \`PUT /KEY\`."
    if [ "$files_fs" = tmpfs ]; then
      echo "- **nginx's and ASP.NET Core's files were in a tmpfs** (\`$fdir\`, \`BENCH_YCSB_FILES_DIR\`): creating"
      echo "  a million files on this VM's disk took 0.1 to 0.9 ms each, longer than the whole suite may run. In a"
      echo "  tmpfs nothing reaches a disk: ASP.NET Core's O_SYNC writes cost no sync, so its write figures are a"
      echo "  no-durability ceiling, like nginx's; the EmbedKv and Redis data were on disk (\`$out/ycsb/\`)."
    else
      echo "- nginx's and ASP.NET Core's files were in \`$fdir\` (\`BENCH_YCSB_FILES_DIR\`, a $files_fs file system)."
    fi
    echo "- Workloads (\`bench/http/ycsb.lua\`, YCSB's core workloads with \`requestdistribution=zipfian\`): an update"
    echo "  replaces the whole $size-byte value (YCSB's default updates one 100-byte field of ten; a key-value"
    echo "  store over HTTP has no fields). Keys: ranks from the zipfian generator of Gray et al. (YCSB's"
    echo "  ZipfianGenerator, theta 0.99, zeta computed over the $(commas "$records") records), scrambled like YCSB's"
    echo "  ScrambledZipfianGenerator (64-bit FNV-1a of the rank, modulo the record count) so the hot records are"
    echo "  spread over the key space. (YCSB's own scrambled generator draws its ranks over 10^10 items with a"
    echo "  precomputed zeta and hashes them down to the records; here the ranks are drawn over the records.)"
    echo "  F: every operation reads; half then write the record back with one letter of the value changed. wrk"
    echo "  cannot tie a request to the connection a read was answered on, so a write-back goes out on whichever"
    echo "  connection asks for a request next: after its read, with its read's \`ETag\`. Every read finds its"
    echo "  record: the load stored them all, and nothing deletes."
    echo "- Commands: \`bench/run.sh ycsb\`; environment: BENCH_YCSB_RECORDS=$records, BENCH_ROUNDS=$rounds,"
    echo "  BENCH_SECONDS=$secs, BENCH_WARMUP=$warmup, BENCH_CPU=$srv_cpu, BENCH_CLIENT_CPU=$cli_cpu; logs and wrk's output"
    echo "  in \`$out/ycsb/\` (\`wrk.WORKLOAD.SERVER.ROUND.txt\`, \`samples.txt\`)."
  } >"$md"
  cat "$md"
}

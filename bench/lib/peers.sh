# shellcheck shell=bash
# bench/lib/peers.sh: bench/run.sh peers: EmbedKv against Redis and Garnet spoken to directly (RESP),
# and latency curves against them and the HTTP peers -> bench/results/peers.md and bench/results/peers.png.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Issue 15 asks for durable writes ahead of Redis itself, against the strongest peers. The http suite
# reaches Redis through webdis, an HTTP front that costs Redis most of its speed; here Redis and
# Garnet (Microsoft's C# cache-store, the closest kin to EmbedKv: .NET, one process) are spoken to in
# their own protocol, RESP, as their users speak to them. RESP is lighter than HTTP (no headers to
# parse; a SET's framing is 32 bytes around the value and its answer +OK 5 bytes, against about 100
# bytes of head for the HTTP POST and about 105 for its answer), so the comparison leans their way;
# it is the one a user choosing a store makes anyway.
#
# Servers (all up for the whole run, every one on core BENCH_CPU, one event loop or core each):
#   EmbedKv  the benchmarks' serve command (--workers 1), durability always and batched
#   Redis    redis-server on 127.0.0.1, AOF on, no RDB; appendfsync always and everysec
#   Garnet   garnet-server (the dotnet tool, installed into bench/out/tools), AOF on with a commit
#            issued per operation (--aof-commit-freq 0); with --aof-commit-wait (the answer waits for
#            the AOF write) and without (the write-behind pairing of EmbedKv batched and everysec)
# Cells: GET of one 64 B key, and SET (POST for EmbedKv) of 64 B to 100,000 random keys, durable and
# batched, 32 connections. Each server is driven twice: by its own kind of load tool (wrk for EmbedKv,
# redis-benchmark for the RESP servers), and by bench/native/kv_load.c for all three, so that the
# comparison does not rest on two different clients. Every client on core BENCH_CLIENT_CPU, one
# thread. BENCH_ROUNDS interleaved rounds, the cells' order rotating from round to round.
# The HTTP peers of the other suites join for the curves (issue 15 asks for them against each peer),
# each started as there (bench/lib/common.sh's start_*_peer) and driven by kv_load only, over HTTP:
#   nginx    static file for GET (a durable write does not apply: its WebDAV PUT never syncs)
#   webdis   Redis (appendfsync always) behind webdis: GET /GET/k64.txt, PUT /SET/pN
#   aspnet   the ASP.NET Core peer (bench/peers/AspNetKv), durable (O_SYNC files): GET, POST
# Then latency curves: for GET and for the durable write, each server at 10, 30, 50, 70 and 90% of
# its own closed-loop peak (kv_load's median in the rounds), and all of a workload's servers at one
# common rate (half their lowest peak), with kv_load's open loop (-r: latency from each request's
# intended send time, so a server that falls behind is charged the queueing it causes); p50, p99,
# p999.

# The servers in table order: the RESP peers' throughput cells run with both clients; the HTTP peers
# (after garnet) only with kv_load, for their peaks.
peers_servers=(embedkv redis garnet nginx webdis aspnet)
peers_workloads=(get durable batched)
peers_garnet_version=2.2.12

peers() {
  local started=$SECONDS
  # The machine's state before this suite adds its own load (the builds raise the load average the
  # rounds start with); other benchmarks' load generators, a shared machine's usual disturbance.
  local load_start others_start
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  others_start="$(peers_others)"
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}" conns="${BENCH_CONNECTIONS:-32}"
  local warmup="${BENCH_WARMUP:-1}" curve_secs="${BENCH_CURVE_SECONDS:-3}"
  local loads="${BENCH_PEERS_LOADS:-10 30 50 70 90}" keys=100000 vsize=64
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; servers and clients share core 0" >&2
    srv_cpu=0
  fi
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v webdis >/dev/null 2>&1 || need+=(webdis)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  [ -f /usr/include/stdio.h ] || need+=(libc6-dev)
  command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  # Garnet's storage layer loads libaio even for the RandomAccess device.
  dpkg-query -W -f '${Status}' libaio1 2>/dev/null | grep -q 'ok installed' || need+=(libaio1)
  install_missing "${need[@]+"${need[@]}"}"
  local tools="$root/$out/tools" garnet="$root/$out/tools/garnet-server"
  if ! "$garnet" --version 2>/dev/null | grep -q "^GarnetServer $peers_garnet_version"; then
    log "installing garnet-server $peers_garnet_version into $out/tools"
    mkdir -p "$tools"
    dotnet tool uninstall garnet-server --tool-path "$tools" >/dev/null 2>&1 || true
    dotnet tool install garnet-server --version "$peers_garnet_version" --tool-path "$tools"
  fi

  # --- builds ---------------------------------------------------------------------------------
  local w="$root/$out/peers"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  log "building the benchmarks (Release), the ASP.NET Core peer and bench/native/kv_load.c"
  build_kv
  dotnet build bench/peers/AspNetKv -c Release -nologo -v q
  local dll="$root/bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll"
  gcc -O2 -Wall -Wextra -Werror -o "$w/kv_load" bench/native/kv_load.c
  # A printable value, so that redis-cli's answer compares byte for byte.
  head -c 48 /dev/urandom | base64 | tr -d '\n' >"$w/v64"

  # --- servers --------------------------------------------------------------------------------
  # Global, not local: the EXIT trap runs after the function's locals are gone. "pid:signal" each:
  # Garnet ignores SIGTERM and stops on SIGINT.
  pe_pids=()
  pe_cleanup() {
    local e p
    for e in "${pe_pids[@]+"${pe_pids[@]}"}"; do kill -"${e#*:}" "${e%%:*}" 2>/dev/null || true; done
    for e in "${pe_pids[@]+"${pe_pids[@]}"}"; do
      p="${e%%:*}"
      for _ in $(seq 1 50); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    done
    pe_pids=()
  }
  trap pe_cleanup EXIT
  declare -A port=() # instance -> TCP port on 127.0.0.1
  declare -A pid=()  # instance -> pid, checked after every cell

  # Each start_* takes an instance name (its scratch directory under $w) and sets port[NAME].
  start_kv() { # name always|batched
    local d="$w/$1" p=""
    mkdir -p "$d"
    : >"$d/out"
    pinned_bg "$srv_cpu" dotnet "$dll" serve --port 0 --data "$d/data" --durability "$2" --workers 1 >"$d/out" 2>"$d/err"
    pid[$1]=$!
    pe_pids+=("$!:TERM")
    for _ in $(seq 1 100); do
      p="$(awk '$1 == "listening" { print $2; exit }' "$d/out")"
      [ -n "$p" ] && break
      sleep 0.1
    done
    [ -n "$p" ] || { echo "error: EmbedKv $1 did not start:" >&2; cat "$d/err" >&2; exit 1; }
    port[$1]="$p"
  }
  resp_ready() { # name: waits for PONG
    for _ in $(seq 1 200); do
      [ "$(redis-cli -h 127.0.0.1 -p "${port[$1]}" ping 2>/dev/null)" = PONG ] && return 0
      kill -0 "${pid[$1]}" 2>/dev/null || break
      sleep 0.1
    done
    echo "error: $1 did not start:" >&2
    cat "$w/$1"/*.log "$w/$1/out" 2>/dev/null >&2
    exit 1
  }
  # AOF on, RDB snapshots off: every write is appended, and fsynced before the answer (always) or
  # once a second (everysec). TCP on the loopback address only.
  start_redis() { # name always|everysec
    local d="$w/$1"
    mkdir -p "$d"
    port[$1]="$(free_port)"
    pinned_bg "$srv_cpu" redis-server --bind 127.0.0.1 --port "${port[$1]}" --protected-mode yes --dir "$d" \
      --appendonly yes --appendfsync "$2" --save "" --daemonize no --logfile "$d/redis.log" >"$d/out" 2>&1
    pid[$1]=$!
    pe_pids+=("$!:TERM")
    resp_ready "$1"
  }
  # Garnet 2.2.12 on Debian 12: its default (native) device wants glibc 2.38, so the RandomAccess
  # device (.NET's RandomAccess API; O_DIRECT files). The AOF lives under --checkpointdir (--logdir
  # is for tiered storage, which it refuses without --storage-tier). A commit is issued per operation
  # (--aof-commit-freq 0); with --aof-commit-wait the answer waits for it. 1 GiB of log memory is
  # plenty for 100,000 keys (the default is 16 GiB). Workstation GC as for every .NET server here
  # (on one core the runtime would choose it anyway). --minthreads: pinned to one core, .NET's thread
  # pool starts with one thread, and --aof-commit-wait blocks a thread per write in flight; in a trial
  # Garnet answered no write at all in its first 6 s and took many seconds more to grow the pool, so
  # it gets twice the connections' threads from the start (they wait; they do not add CPU). Run from
  # its directory, so that nothing it writes lands in the repository.
  start_garnet() { # name wait|nowait
    local d="$w/$1" commit=()
    mkdir -p "$d"
    [ "$2" = wait ] && commit=(--aof-commit-wait)
    port[$1]="$(free_port)"
    pinned_bg "$srv_cpu" env -C "$d" DOTNET_gcServer=0 "$garnet" --bind 127.0.0.1 --port "${port[$1]}" \
      --aof --aof-commit-freq 0 "${commit[@]+"${commit[@]}"}" --device-type RandomAccess \
      --checkpointdir "$d/checkpoints" --memory 1g --index 64m --minthreads $((2 * conns)) >"$d/out" 2>&1
    pid[$1]=$!
    pe_pids+=("$!:INT")
    resp_ready "$1"
  }
  # The HTTP peers: bench/lib/common.sh starts them as the http and ycsb suites do; the names of
  # their processes here are NAME, and NAME-redis for the Redis behind webdis.
  add_peer() { # name
    port[$1]="$peer_port"
    pid[$1]="${peer_started[-1]}"
    [ "${#peer_started[@]}" -lt 2 ] || pid[$1-redis]="${peer_started[0]}"
    local p
    for p in "${peer_started[@]}"; do pe_pids+=("$p:TERM"); done
  }
  # webdis sends the answer of a request whose connection closed before it came on a later
  # connection (seen: a SET's answer on a connection of the next run, which kv_load rejects as bytes
  # without a request). kv_load waits for its answers before it closes, but gives up after 2 s; a run
  # that left requests unanswered (its timedout) is followed by a fresh webdis, and Redis behind it,
  # on the same data.
  webdis_renewals=0
  renew_webdis() {
    local p
    for p in "${pid[webdis]}" "${pid[webdis-redis]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pid[webdis]}" "${pid[webdis-redis]}"; do wait "$p" 2>/dev/null || true; done
    start_webdis_peer "$srv_cpu" "$w/webdis" always
    add_peer webdis
    # Redis answers LOADING while it replays its AOF; webdis is up before that ends.
    for _ in $(seq 1 100); do
      curl -fsS "http://127.0.0.1:${port[webdis]}/GET/k64.txt" -o "$w/v64.got" 2>/dev/null && cmp -s "$w/v64" "$w/v64.got" && break
      sleep 0.1
    done
    cmp -s "$w/v64" "$w/v64.got" || { echo "error: webdis did not serve k64 after its restart" >&2; exit 1; }
    webdis_renewals=$((webdis_renewals + 1))
    echo "  (webdis restarted: the run left requests unanswered)" >&2
  }
  log "starting the servers on core $srv_cpu"
  start_kv kv-always always
  start_kv kv-batched batched
  start_redis redis-always always
  start_redis redis-everysec everysec
  start_garnet garnet-wait wait
  start_garnet garnet-nowait nowait
  mkdir -p "$w/nginx/static"
  cp "$w/v64" "$w/nginx/static/k64"
  start_nginx_peer "$srv_cpu" "$w/nginx" /k64
  add_peer nginx
  start_webdis_peer "$srv_cpu" "$w/webdis" always
  add_peer webdis
  start_aspnet_peer "$srv_cpu" "$w/aspnet" true "$w/aspnet.out"
  add_peer aspnet
  check_alive() {
    local n
    for n in "${!pid[@]}"; do
      kill -0 "${pid[$n]}" 2>/dev/null || { echo "error: $n died during the benchmark (logs under $w)" >&2; exit 1; }
    done
  }
  # The instance serving a workload of a server: reads go to the durable one, as in the http suite.
  # A workload a server lacks has no entry (nginx has no durable write; the HTTP peers' batched
  # writes are the http suite's).
  declare -A inst=(
    [get.embedkv]=kv-always [durable.embedkv]=kv-always [batched.embedkv]=kv-batched
    [get.redis]=redis-always [durable.redis]=redis-always [batched.redis]=redis-everysec
    [get.garnet]=garnet-wait [durable.garnet]=garnet-wait [batched.garnet]=garnet-nowait
    [get.nginx]=nginx
    [get.webdis]=webdis [durable.webdis]=webdis
    [get.aspnet]=aspnet [durable.aspnet]=aspnet
  )
  # kv_load's options and operands for WORKLOAD on SERVER, up to CONNECTIONS SECONDS, in kva: RESP for
  # Redis and Garnet; over HTTP each server's own request (webdis: GET /GET/k64.txt answers the raw
  # value, PUT /SET/pN stores the body).
  kv_args() { # workload server
    local a="tcp:127.0.0.1:${port[${inst[$1.$2]}]}" get=/k64 put=/ how=()
    case "$2" in
      redis | garnet) how=(-P resp) ;;
      webdis) get=/GET/k64.txt put=/SET/ ;;
    esac
    if [ "$1" = get ]; then
      kva=("${how[@]+"${how[@]}"}" "$a" "$get")
    else
      if [ "$2" = webdis ]; then how+=(-m PUT); fi
      kva=("${how[@]+"${how[@]}"}" -w -k "$keys" -d "$vsize" "$a" "$put")
    fi
  }

  local meta="$w/meta.txt"
  : >"$meta"
  meta_set() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }

  # --- the value read, the same bytes in every server -----------------------------------------
  log "storing k64 and checking it comes back byte for byte"
  local n got
  curl -fsS -X POST --data-binary @"$w/v64" "http://127.0.0.1:${port[kv-always]}/k64" -o /dev/null
  curl -fsS "http://127.0.0.1:${port[kv-always]}/k64" -o "$w/v64.kv"
  cmp -s "$w/v64" "$w/v64.kv" || { echo "error: EmbedKv returned other bytes for k64" >&2; exit 1; }
  for n in redis-always garnet-wait; do
    redis-cli -h 127.0.0.1 -p "${port[$n]}" -x set k64 <"$w/v64" >/dev/null
    got="$(redis-cli -h 127.0.0.1 -p "${port[$n]}" --raw get k64)"
    [ "$got" = "$(cat "$w/v64")" ] || { echo "error: $n returned other bytes for k64" >&2; exit 1; }
  done
  curl -fsS -X PUT --data-binary @"$w/v64" "http://127.0.0.1:${port[webdis]}/SET/k64" -o /dev/null
  curl -fsS -X POST --data-binary @"$w/v64" "http://127.0.0.1:${port[aspnet]}/k64" -o /dev/null
  for n in nginx/k64 webdis/GET/k64.txt aspnet/k64; do
    curl -fsS "http://127.0.0.1:${port[${n%%/*}]}/${n#*/}" -o "$w/v64.got"
    cmp -s "$w/v64" "$w/v64.got" || { echo "error: ${n%%/*} returned other bytes for k64" >&2; exit 1; }
  done
  # The HTTP answers' heads, for the report's bytes on the wire (RESP's are fixed: +OK, $64).
  meta_set http_get_head "$(curl -s -o /dev/null -w '%{size_header}' "http://127.0.0.1:${port[kv-always]}/k64")"
  meta_set http_post_head "$(curl -s -o /dev/null -w '%{size_header}' -X POST --data-binary @"$w/v64" "http://127.0.0.1:${port[kv-always]}/p1")"

  # --- throughput cells -------------------------------------------------------------------------
  # A cell is WORKLOAD.SERVER.CLIENT, CLIENT "tool" (wrk or redis-benchmark) or "kvload".
  local cells=() wl s cl
  for wl in "${peers_workloads[@]}"; do
    for s in "${peers_servers[@]}"; do
      [ -n "${inst[$wl.$s]:-}" ] || continue
      cells+=("$wl.$s.kvload")
      case "$s" in embedkv | redis | garnet) cells+=("$wl.$s.tool") ;; esac
    done
  done
  # Busy and total clock ticks of the server's and the client's cores (every process on them, from
  # /proc/stat): whether a cell was bound by the server's core or by the client's.
  core_ticks() {
    awk -v s="cpu$srv_cpu" -v c="cpu$cli_cpu" '$1 == s || $1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; t[$1] = b " " b + $5 + $6 }
      END { print t[s], t[c] }' /proc/stat
  }
  busy() { # before after -> "server% client%"
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
      printf "%.0f %.0f", 100 * (y[1] - x[1]) / (y[2] - x[2] + 0.001), 100 * (y[3] - x[3]) / (y[4] - x[4] + 0.001) }'
  }
  # redis-benchmark runs a number of requests, not a time: the count for a cell is its last rate
  # times the seconds wanted (the first time, kv_load's rate on the same server, which runs first).
  declare -A rb_rate=()
  local post="$root/bench/http/post_random.lua" samples="$w/samples.txt" curve="$w/curve.txt"
  : >"$samples"
  # run_cell CELL ROUND SECONDS: one run; appends "cell round rps p50_us p99_us errors server% client%".
  run_cell() {
    local cell="$1" r="$2" t="$3" wl s cl i f before after line
    IFS=. read -r wl s cl <<<"$cell"
    i="${inst[$wl.$s]}"
    f="$w/$cell.$r"
    local rp="${port[$i]}" cmd=() kva
    case "$s.$cl" in
      *.kvload)
        kv_args "$wl" "$s"
        cmd=("$w/kv_load" "${kva[@]}" "$conns" "$t")
        ;;
      embedkv.tool)
        cmd=(wrk -t1 -c"$conns" -d"${t}s" --latency)
        if [ "$wl" = get ]; then cmd+=("http://127.0.0.1:$rp/k64"); else cmd+=(-s "$post" "http://127.0.0.1:$rp/" -- POST /); fi
        ;;
      *.tool)
        local rate="${rb_rate[$cell]:-${rb_rate[$wl.$s.kvload]:-10000}}" nreq
        nreq="$(awk -v r="$rate" -v t="$t" 'BEGIN { n = int(r * t); print (n < 1000 ? 1000 : n) }')"
        cmd=(redis-benchmark -h 127.0.0.1 -p "$rp" -c "$conns" -n "$nreq" -q --csv)
        if [ "$wl" = get ]; then cmd+=(GET k64); else cmd+=(-d "$vsize" -r "$keys" -t set); fi
        ;;
    esac
    before="$(core_ticks)"
    pinned "$cli_cpu" "${cmd[@]}" >"$f.out" 2>"$f.err" || { echo "error: $cell failed:" >&2; cat "$f.err" >&2; exit 1; }
    after="$(core_ticks)"
    case "$s.$cl" in
      *.kvload) line="$(awk '{ print $6, $10, $12, $8 }' "$f.out")" ;;
      embedkv.tool)
        line="$(awk '
          function us(v,   m) { m = (v ~ /us$/) ? 1 : (v ~ /ms$/) ? 1000 : (v ~ /s$/) ? 1000000 : 0; sub(/[a-z]+$/, "", v); return v * m }
          /^Requests\/sec:/ { rps = $2 }
          $1 == "50%" { p50 = us($2) }
          $1 == "99%" { p99 = us($2) }
          /Non-2xx or 3xx responses:/ { err += $NF }
          /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
          END { printf "%s %.0f %.0f %d", rps, p50, p99, err }' "$f.out")"
        ;;
      *.tool)
        # redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
        # "p95_latency_ms","p99_latency_ms","max_latency_ms". It reports no failed requests (an error
        # reply counts as an answer), hence 0.
        line="$(awk -F, 'NR > 1 && NF >= 8 { for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
          printf "%s %.0f %.0f 0", $2, $5 * 1000, $7 * 1000; exit }' "$f.out")"
        rb_rate[$cell]="$(cut -d' ' -f1 <<<"$line")"
        ;;
    esac
    [ -n "$line" ] || { echo "error: no result from $cell (in $f.out)" >&2; exit 1; }
    if [ "$cl" = kvload ] && [ -z "${rb_rate[$wl.$s.tool]:-}" ]; then rb_rate[$wl.$s.kvload]="$(cut -d' ' -f1 <<<"$line")"; fi
    echo "$cell $r $line $(busy "$before" "$after")" >>"$samples"
    tail -n 1 "$samples" | awk '{ printf "  %-22s round %s: %9.0f req/s  p50 %6s us  p99 %6s us  errors %s  core busy: server %s%% client %s%%\n", $1, $2, $3, $4, $5, $6, $7, $8 }' >&2
    check_alive
    if [ "$s" = webdis ] && [ "$(awk '{ print $24 }' "$f.out")" != 0 ]; then renew_webdis; fi
  }

  local load_before others
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  others="$(peers_others)"
  meta_set load_start "$load_start"
  meta_set others_start "$others_start"
  meta_set load_before "$load_before"
  meta_set others "$others"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-before.txt" || true
  local c round k
  if [ "$warmup" -gt 0 ]; then
    log "warm-up: ${warmup} s of every cell, not recorded (JIT tiers; redis-benchmark's request counts)"
    for c in "${cells[@]}"; do run_cell "$c" 0 "$warmup"; done
    : >"$samples"
  fi
  local nc=${#cells[@]}
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds (${secs} s per cell)"
    # Rotated by a third of the list per round, so that no cell always follows the same one.
    for k in $(seq 0 $((nc - 1))); do
      run_cell "${cells[$(((k + (round - 1) * (nc / 3 + 1)) % nc))]}" "$round" "$secs"
    done
  done

  # --- latency curves ---------------------------------------------------------------------------
  # Each server's peak: the median over the rounds of kv_load's closed-loop rate in the cell.
  declare -A peak=()
  for wl in get durable; do
    for s in "${peers_servers[@]}"; do
      [ -n "${inst[$wl.$s]:-}" ] || continue
      peak[$wl.$s]="$(awk -v c="$wl.$s.kvload" '$1 == c { print $3 }' "$samples" | sort -g |
        awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
    done
  done
  : >"$curve"
  # run_point WORKLOAD SERVER LABEL RATE: appends "workload server label target rps p50 p99 p999 max late
  # errors server% client%" (latencies in us; late: never sent, or still unanswered at the end).
  run_point() {
    local wl="$1" s="$2" label="$3" rate="$4" f cmd=() before after kva
    f="$w/curve.$wl.$s.$label"
    kv_args "$wl" "$s"
    cmd=("$w/kv_load" -r "$rate" "${kva[@]}" "$conns" "$curve_secs")
    before="$(core_ticks)"
    pinned "$cli_cpu" "${cmd[@]}" >"$f.out" 2>"$f.err" || { echo "error: curve $wl $s $label failed:" >&2; cat "$f.err" >&2; exit 1; }
    after="$(core_ticks)"
    awk -v w="$wl" -v s="$s" -v l="$label" -v t="$rate" -v b="$(busy "$before" "$after")" \
      '{ print w, s, l, t, $6, $10, $12, $16, $14, $22 + $24, $8, b }' "$f.out" >>"$curve"
    tail -n 1 "$curve" | awk '{ printf "  %-8s %-8s %5s%%: offered %7d, served %9.0f req/s  p50 %6s us  p99 %7s us  p999 %7s us  late %s  core busy: server %s%% client %s%%\n", $1, $2, $3, $4, $5, $6, $7, $8, $10, $12, $13 }' >&2
    check_alive
    if [ "$s" = webdis ] && [ "$(awk '{ print $24 }' "$f.out")" != 0 ]; then renew_webdis; fi
  }
  local pct common
  log "latency curves: kv_load at a fixed rate, ${curve_secs} s per point (peaks: $(for k in "${!peak[@]}"; do printf '%s %.0f  ' "$k" "${peak[$k]}"; done))"
  # The servers' order rotates from point to point, so that none always runs right after another.
  local order=() j=0
  for pct in $loads same; do
    for wl in get durable; do
      order=()
      for s in "${peers_servers[@]}"; do
        [ -z "${inst[$wl.$s]:-}" ] || order+=("$s")
      done
      if [ "$pct" = same ]; then
        common="$(for s in "${order[@]}"; do echo "${peak[$wl.$s]}"; done | sort -g | head -n 1)"
      fi
      for k in $(seq 0 $((${#order[@]} - 1))); do
        s="${order[$(((k + j) % ${#order[@]}))]}"
        if [ "$pct" = same ]; then
          run_point "$wl" "$s" same "$(awk -v p="$common" 'BEGIN { printf "%.0f", p / 2 }')"
        else
          run_point "$wl" "$s" "$pct" "$(awk -v p="${peak[$wl.$s]}" -v q="$pct" 'BEGIN { printf "%.0f", p * q / 100 }')"
        fi
      done
      j=$((j + 1))
    done
  done
  meta_set load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  meta_set webdis_renewals "$webdis_renewals"
  # What each durable instance wrote to disk, as a check that the writes were logged at all.
  for n in kv-always redis-always garnet-wait webdis aspnet kv-batched redis-everysec garnet-nowait; do
    meta_set "disk_$n" "$(du -sk "$w/$n" | cut -f1)"
  done
  pe_cleanup
  trap - EXIT

  # --- report -----------------------------------------------------------------------------------
  meta_run "$started" "with uncommitted changes" server runtime bench
  meta_set glibc "$(ldd --version | awk 'NR == 1 { print $NF }')"
  meta_set redis "$(redis-server --version | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v=/) { sub(/^v=/, "", $i); print $i } }')"
  meta_set redis_benchmark "$(redis-benchmark --version | awk '{ print $2 }')"
  meta_set garnet "$("$garnet" --version 2>/dev/null | head -n 1 | awk '{ print $2 }')"
  meta_set nginx "$( ("$(command -v nginx || echo /usr/sbin/nginx)" -v 2>&1 || true) | sed 's|^nginx version: nginx/||')"
  meta_set webdis "$(dpkg-query -W -f '${Version}' webdis 2>/dev/null || echo '?')"
  meta_set wrk "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
  meta_set gcc "$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
  meta_set srv_cpu "$srv_cpu"
  meta_set cli_cpu "$cli_cpu"
  meta_set nice "${BENCH_NICE:-0}"
  meta_set rounds "$rounds"
  meta_set secs "$secs"
  meta_set warmup "$warmup"
  meta_set curve_secs "$curve_secs"
  meta_set conns "$conns"
  meta_set loads "$loads"
  meta_set kv_cmd "dotnet bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll serve --port 0 --data DIR --durability always|batched --workers 1"
  meta_set redis_cmd "redis-server --bind 127.0.0.1 --port PORT --protected-mode yes --dir DIR --appendonly yes --appendfsync always|everysec --save \"\" --daemonize no --logfile DIR/redis.log"
  meta_set nginx_cmd "nginx -c DIR/nginx.conf -g 'daemon off;' (bench/http/nginx.conf.in: one worker, k64 a static file)"
  meta_set webdis_cmd "redis-server --port 0 --unixsocket DIR/redis.sock --unixsocketperm 700 --dir DIR --appendonly yes --appendfsync always --save \"\" --daemonize no; webdis DIR/webdis.json (${BENCH_WEBDIS_THREADS:-1} thread, a pool of ${BENCH_WEBDIS_POOL:-20} Redis connections)"
  meta_set aspnet_cmd "DOTNET_gcServer=0 dotnet bench/peers/AspNetKv/bin/Release/net10.0/AspNetKv.dll --urls http://127.0.0.1:0 --DataDir DIR --Durable true"
  meta_set garnet_cmd "DOTNET_gcServer=0 garnet-server --bind 127.0.0.1 --port PORT --aof --aof-commit-freq 0 [--aof-commit-wait] --device-type RandomAccess --checkpointdir DIR/checkpoints --memory 1g --index 64m --minthreads $((2 * conns))"
  log "writing $results/peers.md and $results/peers.png"
  peers_report "$samples" "$curve" "$meta" "$w" "$results/peers.md" "$w/top-before.txt"
  gnuplot -e "dir='$w'; out='$results/peers.png'; subtitle='$(date -u '+%Y-%m-%d'), ${curve_secs} s per point, $conns connections; $(cat "$w/machine.txt")'" \
    bench/plot/peers.gp
  cat "$results/peers.md"
  log "peers: $((SECONDS - started)) s"
}

# Other benchmarks' load generators running now, as "name xCOUNT, ..." (empty if none).
peers_others() {
  pgrep -f 'wrk|kv_load|redis-benchmark|ClientBench|dotnet test' -l | awk '{ print $2 }' | sort | uniq -c |
    awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }' || true
}

# peers_report SAMPLES CURVE META WORKDIR MD TOP: writes the report (MD), the chart's data files
# (WORKDIR/curve-WORKLOAD-SERVER.dat) and its word on the machine (WORKDIR/machine.txt) from the
# samples of peers().
peers_report() {
  python3 - "$@" <<'EOF'
import statistics, sys

samples, curve_path, meta_path, w, md_path, top_path = sys.argv[1:7]
meta = dict(line.rstrip("\n").split("\t", 1) for line in open(meta_path) if "\t" in line)
S_RESP = ["embedkv", "redis", "garnet"]         # the throughput tables, both clients
S_HTTP = ["embedkv", "nginx", "webdis", "aspnet"]  # the HTTP peers' closed-loop table, kv_load only
S = ["embedkv", "redis", "garnet", "nginx", "webdis", "aspnet"]  # the curves
NAME = {"embedkv": "EmbedKv", "redis": "Redis direct", "garnet": "Garnet", "nginx": "nginx",
        "webdis": "Redis via webdis", "aspnet": "ASP.NET Core"}
med = statistics.median

cells = {}  # (workload, server, client) -> [(round, rps, p50_us, p99_us, errors, server%, client%)]
for line in open(samples):
    c, r, rps, p50, p99, err, sb, cb = line.split()
    wl, s, cl = c.split(".")
    cells.setdefault((wl, s, cl), []).append((int(r), float(rps), float(p50), float(p99), int(err), float(sb), float(cb)))
curve = []  # (workload, server, label, target, rps, p50, p99, p999, max, late, errors, server%, client%)
for line in open(curve_path):
    f = line.split()
    curve.append((f[0], f[1], f[2], int(f[3]), float(f[4]), int(f[5]), int(f[6]), int(f[7]), int(f[8]), int(f[9]), int(f[10]), f[11], f[12]))
curve_secs = float(meta["curve_secs"])

def commas(x): return f"{x:,.0f}"
def ms(us):
    v = us / 1000
    return f"{v:.2f}" if v < 1 else f"{v:.1f}" if v < 10 else f"{v:.0f}"
def col(k, i): return [x[i] for x in sorted(cells.get(k, []))]
def rps(k): return col(k, 1)
def p999(c):
    # Fewer than 10,000 answers in a point leave fewer than 10 above its p999: marked, see the note.
    return ms(c[7]) + ("*" if c[4] * curve_secs < 10000 else "")

out = []
p = out.append
secs, rounds, conns = meta["secs"], meta["rounds"], meta["conns"]
get_head, post_head = int(meta.get("http_get_head", 0)), int(meta.get("http_post_head", 0))
p("# Peers: EmbedKv against Redis and Garnet spoken to directly (RESP), and latency against load for every peer")
p("")
p("Written by `bench/run.sh peers` (bench/lib/peers.sh); do not edit by hand. Requests per second, higher is")
p(f"better: the median of {rounds} interleaved rounds of {secs} s, then the min–max over the rounds; ×N is the")
p("peer's median divided by EmbedKv's in the same row (above 1: the peer is faster).")
p("")
p(f"- date: {meta['date']} UTC, commit {meta['commit']}; the run took {meta['seconds']} s")
p(f"- machine: {meta['cpu']}, `nproc` = {meta['nproc']}, Linux {meta['kernel']}, glibc {meta['glibc']}")
p(f"- versions: .NET runtime {meta['dotnet']}; Redis {meta['redis']}; Garnet {meta['garnet']} (the `garnet-server` dotnet tool); "
  f"nginx {meta['nginx']}; webdis {meta['webdis']}; redis-benchmark {meta['redis_benchmark']}; wrk {meta['wrk']}; "
  f"gcc {meta['gcc']} (bench/native/kv_load.c)")
p(f"- load average (1, 5, 15 min) at the start: {meta['load_start']}; before the rounds (after the builds, which raise it): "
  f"{meta['load_before']}; after the curves: {meta['load_after']}. Other benchmarks' load generators running at the start: "
  f"{meta.get('others_start') or 'none'}; as the rounds began: {meta.get('others') or 'none'}")
p(f"- every server pinned to core {meta['srv_cpu']} (`taskset -c {meta['srv_cpu']}`), every client to core {meta['cli_cpu']}, "
  f"niceness {meta['nice']}; {conns} connections, one client thread, one request in flight per connection; "
  f"before the rounds {meta['warmup']} s of every cell unrecorded (JIT tiers, and redis-benchmark's request counts)")
# How far a cell's rounds lie apart: work that came during the run shows here, whatever the start.
spread = max((max(rps(k)) / min(rps(k)), k) for k in cells if min(rps(k)) > 0)
busy_start = float(meta['load_start'].split()[0]) > 1.0 or meta.get('others') or meta.get('others_start')
busy_during = spread[0] > 1.5
open(f"{w}/machine.txt", "w").write("busy machine" if busy_start else
                                    "quiet at the start, other work during the run" if busy_during else "quiet machine")
if busy_start:
    p("- **the machine was not idle when the run began** (1-minute load average above 1 on 2 cores, or other benchmarks "
      "running): other work shared the cores, so these figures are noisy; rerun on a quiet machine before quoting them.")
else:
    p("- the machine was idle when the run began. The load average after it counts the peers' own threads as well: "
      "Linux counts a thread waiting for the disk as load, and Garnet keeps 64.")
p(f"- the rounds of one cell lay up to {spread[0]:.1f}× apart ({'.'.join(spread[1])})" +
  (": **other work came during the run**; the medians and the curves' points carry that noise." if busy_during else "."))
p("- EmbedKv runs at the server's defaults beyond the options below: `CommitOnEventLoop` is off, so a durable write "
  "is synced by the commit thread, not by an idle event loop (results from before commit 427e355 were measured "
  "with the loop syncing).")
p("")
p("Servers (all up for the whole run, each with one core's worth of threads on the server core):")
p("")
p(f"- EmbedKv: `{meta['kv_cmd']}`")
p(f"- Redis: `{meta['redis_cmd']}`")
p(f"- Garnet: `{meta['garnet_cmd']}`")
p("- For the curves, the HTTP peers of `bench/run.sh http` and `ycsb`, started as there (bench/lib/common.sh):")
p(f"  - nginx: `{meta['nginx_cmd']}`; GET only (its WebDAV PUT never syncs, so it has no durable write)")
p(f"  - Redis via webdis: `{meta['webdis_cmd']}`")
p(f"  - ASP.NET Core (bench/peers/AspNetKv, one file per key, `FileOptions.WriteThrough`, i.e. O_SYNC): `{meta['aspnet_cmd']}`")
p("")
p("Clients:")
p("")
p(f"- wrk (EmbedKv): `wrk -t1 -c{conns} -d{secs}s --latency http://127.0.0.1:PORT/k64`; writes with "
  "`-s bench/http/post_random.lua http://127.0.0.1:PORT/ -- POST /`")
p(f"- redis-benchmark (Redis, Garnet): `redis-benchmark -h 127.0.0.1 -p PORT -c {conns} -n N -q --csv GET k64`; writes "
  f"`redis-benchmark -h 127.0.0.1 -p PORT -c {conns} -n N -q --csv -d 64 -r 100000 -t set`. It runs N requests, not a time: "
  f"N is the cell's previous rate × {secs} s")
p(f"- kv_load (every server): `kv_load [-P resp] tcp:127.0.0.1:PORT /k64 {conns} {secs}`; writes "
  f"`kv_load [-P resp] -w -k 100000 -d 64 tcp:127.0.0.1:PORT / {conns} {secs}`; for webdis the read is `/GET/k64.txt` "
  f"(the raw value) and the write `-w -m PUT ... /SET/` (PUT /SET/pN, the value as the body); the curves add `-r RATE` "
  f"and run {meta['curve_secs']} s a point")
p("")
p("**RESP is a lighter protocol than HTTP.** A RESP request has no headers to parse: a GET of k64 is 22 bytes, "
  "a SET of 64 B is 32 bytes of framing around the value, and the answers are `$64` plus the value, or `+OK` (5 bytes). "
  f"The HTTP GET is 37 bytes and its answer's head {get_head} bytes; the POST's head is about 102 bytes and its "
  f"answer's {post_head}: about {102 + post_head} bytes of framing per write against about 37, which the server has "
  "to write, read and parse. So the comparison leans towards Redis and Garnet; it is the comparison a user "
  "choosing a store makes anyway.")
p("")

WL = {
    "get": "GET 64 B, one key",
    "durable": "SET / POST 64 B, 100,000 random keys, durable",
    "batched": "SET / POST 64 B, 100,000 random keys, batched",
}
CL = {"tool": "wrk / redis-benchmark", "kvload": "kv_load, all three"}
p("## Throughput")
p("")
p("Durable: the answer waits for the write to be logged (EmbedKv `--durability always`, Redis `appendfsync always`, "
  "Garnet `--aof-commit-wait`). Batched: it does not (EmbedKv `batched`, Redis `appendfsync everysec`, Garnet's AOF "
  "without the wait). EmbedKv is spoken to in HTTP (GET, POST), Redis and Garnet in RESP (GET, SET).")
p("")
def rps_cell(k, base):
    xs = rps(k)
    if not xs:
        return "-"
    cell = commas(med(xs))
    if k[1] == "embedkv":
        cell = f"**{cell}**"
    elif base:
        cell += f" ×{med(xs) / med(base):.2f}"
    cell += f"<br>{commas(min(xs))}–{commas(max(xs))}"
    errs = sum(col(k, 4))
    if errs:
        cell += f"<br>**{errs} failed**"
    return cell
p("| workload | client | EmbedKv | Redis direct | Garnet |")
p("|---|---|---:|---:|---:|")
for wl in ["get", "durable", "batched"]:
    for cl in ["tool", "kvload"]:
        base = rps((wl, "embedkv", cl))
        p("| " + " | ".join([WL[wl], CL[cl]] + [rps_cell((wl, s, cl), base) for s in S_RESP]) + " |")
p("")
p("The same cells' latency and where the cores' time went: p50 / p99 in ms (closed loop, from each request's "
  "send: a client waiting for an answer sends nothing, so these understate the tail; the curves below do not), "
  "then the server core's and the client core's busy share (/proc/stat, every process on the core, medians). "
  "A client core near 100% means the client, not the server, set the pace.")
p("")
def lat_cell(k):
    if k not in cells:
        return "-"
    return f"{ms(med(col(k, 2)))} / {ms(med(col(k, 3)))} ms<br>cores {med(col(k, 5)):.0f}% / {med(col(k, 6)):.0f}%"
p("| workload | client | EmbedKv | Redis direct | Garnet |")
p("|---|---|---:|---:|---:|")
for wl in ["get", "durable", "batched"]:
    for cl in ["tool", "kvload"]:
        p("| " + " | ".join([wl, CL[cl]] + [lat_cell((wl, s, cl)) for s in S_RESP]) + " |")
p("")
p("### The HTTP peers, kv_load closed loop")
p("")
p("Their peaks for the curves, measured in the same rounds (kv_load only: wrk against them is `bench/run.sh http`'s). "
  "Durable: Redis `appendfsync always` behind webdis; ASP.NET Core's O_SYNC file per key. Requests per second "
  "(median, ×EmbedKv, min–max), then p50 / p99 and the cores' busy share as above.")
p("")
p("| workload | " + " | ".join(NAME[s] for s in S_HTTP) + " |")
p("|---|" + "---:|" * len(S_HTTP))
for wl in ["get", "durable"]:
    base = rps((wl, "embedkv", "kvload"))
    row = [WL[wl]]
    for s in S_HTTP:
        k = (wl, s, "kvload")
        row.append("n/a (no durable write)" if k not in cells and s == "nginx" else
                   rps_cell(k, base) + ("" if k not in cells else "<br>" + lat_cell(k)))
    p("| " + " | ".join(row) + " |")
p("")

peaks = {}
for wl in ["get", "durable"]:
    for s in S:
        xs = rps((wl, s, "kvload"))
        if xs:
            peaks[(wl, s)] = med(xs)
def point(wl, s, label):
    for c in curve:
        if c[0] == wl and c[1] == s and c[2] == label:
            return c
    return None
def servers(wl): return [s for s in S if (wl, s) in peaks]

p("## Latency against offered load")
p("")
p(f"kv_load's open loop (`-r RATE`): request i is due at start + i / RATE and its latency counts from that "
  "intended time, so a server that falls behind is charged the queueing it causes (no coordinated omission); "
  "requests still unsent at the end (every connection busy), or sent but unanswered 2 s after it, count with the wait "
  "they had reached (the late column), and the rate served counts only answers that arrived in time. "
  "Each server at 10–90% of its own peak (the median of kv_load's closed-loop rounds above), and all of a workload's "
  f"servers at one common rate, half their lowest peak. {meta['curve_secs']} s a point, {conns} connections, one pass, "
  "the servers' order rotating from point to point. Latencies in ms. A p999 marked * rests on a point of fewer than "
  "10,000 answers: fewer than 10 lie above it, so it is close to the point's maximum.")
p("")
p("At 50% of each server's own peak (the issue's reading, below), p50 / p99 / p999:")
p("")
p("| server | GET peak req/s | GET at 50% | durable peak req/s | durable at 50% |")
p("|---|---:|---:|---:|---:|")
for s in S:
    row = [NAME[s]]
    for wl in ["get", "durable"]:
        c = point(wl, s, "50")
        if (wl, s) not in peaks:
            row += ["n/a", "n/a"]
        elif c is None:
            row += [commas(peaks[(wl, s)]), "-"]
        else:
            row += [commas(peaks[(wl, s)]), f"{ms(c[5])} / {ms(c[6])} / {p999(c)}" + (f" ({c[9]} late)" if c[9] else "")]
    p("| " + " | ".join(row) + " |")
p("")
rates = {wl: point(wl, "embedkv", "same") for wl in ["get", "durable"]}
if all(rates.values()):
    p(f"At one common rate, p50 / p99 / p999: GET at {commas(rates['get'][3])} req/s and durable writes at "
      f"{commas(rates['durable'][3])} req/s (half the lowest peak of each):")
    p("")
    p("| server | GET | durable |")
    p("|---|---:|---:|")
    for s in S:
        row = [NAME[s]]
        for wl in ["get", "durable"]:
            c = point(wl, s, "same")
            row.append("n/a" if (wl, s) not in peaks else "-" if c is None else
                       f"{ms(c[5])} / {ms(c[6])} / {p999(c)}" + (f" ({c[9]} late)" if c[9] else ""))
        p("| " + " | ".join(row) + " |")
    p("")
p("![p99 and p999 latency against offered load, GET and durable writes, every server](peers.png)")
p("")
p("The chart: offered load on a log scale (each server's points sit at 10–90% of its own peak, so a slower server's "
  "curve lies further left), p99 in the top row and p999 in the bottom one, GET on the left and durable writes on "
  "the right; p50 is in the tables only.")
p("")

e, r, g = point("durable", "embedkv", "50"), point("durable", "redis", "50"), point("durable", "garnet", "50")
p("## The issue's goal: durable writes no worse than Redis's")
p("")
if e and r:
    verdict = "EmbedKv's is no worse (goal met)" if e[6] <= r[6] else "EmbedKv's is worse (goal not met)"
    p(f"**Durable POST p99 at 50% of peak: EmbedKv {ms(e[6])} ms (at {commas(e[3])} req/s) vs Redis direct "
      f"{ms(r[6])} ms (at {commas(r[3])} req/s): in this run {verdict}.** p999: EmbedKv {p999(e)} ms, Redis direct "
      f"{p999(r)} ms." + (f" Garnet: p99 {ms(g[6])} ms, p999 {p999(g)} ms (at {commas(g[3])} req/s)." if g else ""))
    p("")
    p(f"Each point is one pass of {meta['curve_secs']} s, not a median of rounds: a curve that is not monotone, or a "
      "p50 far above the closed-loop p50, marks a point hit by other work on the machine, and the verdict is only as "
      "good as its two points. Each server's 50% is of its own peak, so the server with the higher peak is measured "
      "at the higher rate; the common rate above compares them at the same load.")
    p("")

p("## Every point of the curves")
p("")
p("| workload | server | peak req/s | load | offered req/s | served req/s | p50 ms | p99 ms | p999 ms | late | cores busy, server / client |")
p("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for wl in ["get", "durable"]:
    for s in S:
        pts = sorted((c for c in curve if c[0] == wl and c[1] == s), key=lambda c: c[3])
        for c in pts:
            load = "common rate" if c[2] == "same" else f"{c[2]}% of peak"
            p(f"| {'GET' if wl == 'get' else 'durable write'} | {NAME[s]} | {commas(peaks.get((wl, s), 0))} | {load} | "
              f"{commas(c[3])} | {commas(c[4])} | {ms(c[5])} | {ms(c[6])} | {p999(c)} | {c[9]} | {c[11]}% / {c[12]}% |")
p("")
p("## Notes")
p("")
p("- Durability differs in kind, not only in speed. Redis `appendfsync always` calls fdatasync on the AOF before it answers. "
  "Garnet 2.2.12 with the RandomAccess device (the only one that loads on glibc 2.36) writes its AOF with O_DIRECT "
  "`pwrite`s and, in a development check with strace, issued no fsync or fdatasync at all: `--aof-commit-wait` waits "
  "for the write to reach the device, not for a flush of the device's cache. On a disk with a volatile write cache that "
  "is weaker than Redis's and EmbedKv's `always`. The ASP.NET Core peer's O_SYNC write makes the value durable but not "
  "a new key's directory entry (no fsync of the directory), as most such code.")
p("- Garnet without `--aof-commit-wait` still issues a commit per operation (`--aof-commit-freq 0`) but answers at once; "
  "it is the pairing for EmbedKv `batched` and Redis `everysec`, whose acknowledged writes can also be lost in a crash.")
p("- Garnet gets `--minthreads` (twice the connections): pinned to one core, .NET's thread pool starts with one thread, "
  "and `--aof-commit-wait` blocks a thread per write in flight; without it, in a trial, Garnet answered no write in its "
  "first 6 s and grew its pool for many seconds after. Garnet stops on SIGINT, not on SIGTERM.")
p("- webdis and its Redis are two processes on the one server core; each webdis request is a RESP command to Redis over "
  "a Unix socket, so a request crosses two processes and the core switches between them. webdis sends the answer of a "
  "request whose connection closed before it came on a later connection (seen in development: a SET's answer arriving "
  "on a GET connection of the next run). So kv_load waits up to 2 s for its answers before it closes its connections, "
  "and a run that still left requests unanswered is followed by a restart of webdis and its Redis on the same data: "
  f"{meta.get('webdis_renewals', '?')} restarts in this run.")
p("- The open loop is honest about stalls, whoever causes them: on a shared machine a few milliseconds in which "
  "another process holds the server's or the client's core put every request due meanwhile behind, and near the "
  "peak the backlog drains slowly, so the high-load points (p50 included) reflect the machine's other work as much "
  "as the server. The client core's busy share in the table shows whether kv_load itself was short of time.")
p("- redis-benchmark's SET keys are `key:NNNNNNNNNNNN` (100,000 of them, random), wrk's and kv_load's `pN`; the values are 64 B in all.")
p("- Bytes each instance's directory held after the run (KiB), a check that the writes reached the disk: " +
  ", ".join(f"{n} {meta.get('disk_' + n, '?')}" for n in ["kv-always", "redis-always", "garnet-wait", "webdis", "aspnet",
                                                           "kv-batched", "redis-everysec", "garnet-nowait"]) + ".")
p("")
p("<details><summary>top, just before the rounds</summary>")
p("")
p("```")
p(open(top_path).read().rstrip())
p("```")
p("")
p("</details>")
open(md_path, "w").write("\n".join(out) + "\n")

# The chart's data: a file per workload and server, a line per point: offered req/s, then p50, p99
# and p999 in ms.
for wl in ["get", "durable"]:
    for s in servers(wl):
        with open(f"{w}/curve-{wl}-{s}.dat", "w") as f:
            f.write(f"# {NAME[s]}, {wl}: offered req/s, p50 ms, p99 ms, p999 ms\n")
            for c in sorted((c for c in curve if c[0] == wl and c[1] == s and c[2] != "same"), key=lambda c: c[3]):
                f.write(f"{c[3]} {c[5] / 1000:.4f} {c[6] / 1000:.4f} {c[7] / 1000:.4f}\n")
EOF
}

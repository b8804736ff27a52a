# shellcheck shell=bash
# bench/lib/longpoll.sh: bench/run.sh longpoll: 10,000 long-poll waiters on one event loop, and a listing cell -> bench/results/longpoll.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Long polls (GET /{key} with Prefer: wait=N, answered when the key is written, deleted or expires).
# The standalone host (server/EmbedKv.Host, Release) with ONE worker, pinned to core BENCH_CPU; every
# client on core BENCH_CLIENT_CPU: bench/http/longpoll_load.py (one process, epoll, 10,000 sockets)
# and wrk. A fresh host and data directory for each part:
#   memory     RSS before any connection, with N idle keep-alive connections, and with the same N
#              connections each waiting (100 absent keys, N/100 waiters each); BENCH_ROUNDS hosts.
#              One more host for the managed heap: dotnet-gcdump (a full GC) at the same two points.
#   wake       the goal's reading first: all N connections waiting, 100 on each of N/100 keys, and per
#              round (BENCH_LONGPOLL_SPREAD_ROUNDS) a PUT to one of those keys: its 100 waiters' times,
#              the others checked to get no byte. Then, as context, N and 1,000 waiters all on the PUT's
#              key; BENCH_ROUNDS rounds, sizes interleaved. A waiter's time runs from just before the PUT
#              (from another connection) to its answer; the PUT's own answer is timed alike. Beside it
#              the floor, no server at all: a plain loop on the server's core sending one answer-sized
#              message to each of as many connections (100, 1,000, N), timed alike.
#   throughput wrk GET 64 B keep-alive (BENCH_LONGPOLL_CONNECTIONS) with no other connection, with N
#              idle connections, and with N waiters parked on other keys for the whole run; rounds
#              interleaved, the order reversed every other round.
#   listing    100,000 keys, GET /?limit=1000&after=<random key> with wrk, 1 and 8 connections.
#   checks     the feature's rules, a few requests each (and, in the background from the start, waits
#              that run out after 70 s, past the idle and body timeouts).
# Goals (the issue's): memory per waiter under 2 KiB; a PUT wakes all the waiters of its key with p99
# under 10 ms (10,000 waiters on one loop, judged with 100 of them on the PUT's key); the throughput of other requests drops by no more than noise. The listing cell is held
# to the storage engine's 2 ms per 1000-key page.
#
# N is BENCH_LONGPOLL_WAITERS (10,000), lowered to what the host can hold: it budgets two descriptors per
# connection (server/EmbedKv.Server/Loop/DescriptorBudget.cs), so a hard `ulimit -n` of 20,000 caps it
# near 9,880 connections, and N is then that cap less room for wrk's connections, rounded down to 100.

longpoll() {
  local started=$SECONDS
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}"
  local want_waiters="${BENCH_LONGPOLL_WAITERS:-10000}" keys="${BENCH_LONGPOLL_KEYS:-100}"
  local wrk_conns="${BENCH_LONGPOLL_CONNECTIONS:-64}" durability="${BENCH_LONGPOLL_DURABILITY:-always}"
  local list_keys="${BENCH_LONGPOLL_LIST_KEYS:-100000}" long_wait="${BENCH_LONGPOLL_LONG_WAIT:-70}"
  local gcdump="${BENCH_LONGPOLL_GCDUMP:-1}" spread_rounds="${BENCH_LONGPOLL_SPREAD_ROUNDS:-10}" per_key=100
  local extra=()
  read -r -a extra <<<"${BENCH_LONGPOLL_ARGS:-}"
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; server and clients share core 0" >&2
    srv_cpu=0
  fi
  local nice_by="${BENCH_NICE:-}"
  if [ -z "$nice_by" ]; then
    if [ "$(id -u)" -eq 0 ]; then nice_by=-20; else nice_by=0; fi
  fi
  # The client holds N sockets, the host N connections at two descriptors each: as many as allowed.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v setsid >/dev/null 2>&1 || need+=(util-linux)
  install_missing "${need[@]+"${need[@]}"}"
  local w="$root/$out/longpoll"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  # dotnet-gcdump for the managed heap: on the PATH, or installed into bench/out/tools (NuGet).
  local gcdump_bin=""
  if [ "$gcdump" = 1 ]; then
    if command -v dotnet-gcdump >/dev/null 2>&1; then
      gcdump_bin="$(command -v dotnet-gcdump)"
    elif [ -x "$root/$out/tools/dotnet-gcdump" ] || dotnet tool install --tool-path "$root/$out/tools" dotnet-gcdump >"$w/gcdump-install.txt" 2>&1; then
      gcdump_bin="$root/$out/tools/dotnet-gcdump"
    else
      echo "warning: could not install dotnet-gcdump (see $w/gcdump-install.txt); no managed-heap figure" >&2
    fi
  fi

  # --- build ----------------------------------------------------------------------------------
  log "building the host (Release)"
  dotnet build server/EmbedKv.Host -c Release -nologo -v q
  local dll="$root/server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll"
  local load="$root/bench/http/longpoll_load.py"
  head -c 64 /dev/urandom >"$w/v64"

  # Global, not local: the EXIT trap runs after the function's locals are gone.
  lp_pids=()
  lp_jobs=()
  lp_cleanup() {
    local p
    exec 8>&- 2>/dev/null || true
    for p in "${lp_pids[@]+"${lp_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${lp_jobs[@]+"${lp_jobs[@]}"}"; do wait "$p" 2>/dev/null || true; done
    lp_pids=()
    lp_jobs=()
  }
  trap lp_cleanup EXIT

  # lp_launch PID-FILE COMMAND...: the command in the background in a session of its own at niceness
  # BENCH_NICE (the session's autogroup too; see bench/lib/fairness.sh, launch); sets $job and $pid.
  # Its standard input is $lp_stdin if set (a background job's is /dev/null otherwise).
  local job pid
  lp_launch() {
    local pf="$1" i
    shift
    rm -f "$pf"
    setsid -w sh -c 'echo $$ >"$1"; n="$0"; shift
      if [ "$n" != 0 ]; then echo "$n" >/proc/self/autogroup 2>/dev/null || true; fi
      exec nice -n "$n" "$@"' "$nice_by" "$pf" "$@" <"${lp_stdin:-/dev/null}" &
    job=$!
    lp_jobs+=("$job")
    for i in $(seq 1 250); do
      [ -s "$pf" ] && break
      sleep 0.02
    done
    pid="$(cat "$pf")"
    lp_pids+=("$pid")
  }
  # lp_run NAME COMMAND...: runs a client to its end (launched alike), its output in $w/NAME.out.
  lp_run() {
    local name="$1"
    shift
    lp_launch "$w/$name.pid" "$@" >"$w/$name.out" 2>"$w/$name.err"
    local rc=0
    wait "$job" || rc=$?
    unset 'lp_pids[-1]' 'lp_jobs[-1]'
    [ "$rc" -eq 0 ] || { echo "error: $name failed ($rc):" >&2; cat "$w/$name.err" >&2; exit 1; }
  }

  # --- hosts: lp_start sets $port, $server_pid and $server_job; lp_stop stops that one ------------
  local port server_pid server_job cap="" maxconn=$((want_waiters + 500))
  lp_start() { # name durability
    local d="$w/$1" i
    mkdir -p "$d"
    rm -rf "$d/data"
    : >"$d/out"
    lp_launch "$d/pid" taskset -c "$srv_cpu" dotnet "$dll" --port 0 --data "$d/data" --durability "$2" --workers 1 \
      --Limits:MaxConnections "$maxconn" "${extra[@]+"${extra[@]}"}" >"$d/out" 2>"$d/err"
    server_pid="$pid" server_job="$job"
    port=""
    for i in $(seq 1 200); do
      port="$(sed -n 's|^EmbedKv listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$d/out")"
      [ -n "$port" ] && break
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "error: the host ($1) did not start:" >&2; cat "$d/out" "$d/err" >&2; exit 1; }
    python3 bench/http/prefill.py "$port" PUT / "$w/v64" k64 >/dev/null
  }
  lp_stop() {
    kill -0 "$server_pid" 2>/dev/null || { echo "error: the host died during the run (logs in $w)" >&2; exit 1; }
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_job" 2>/dev/null || true
    local p keep=()
    for p in "${lp_pids[@]}"; do [ "$p" = "$server_pid" ] || keep+=("$p"); done
    lp_pids=("${keep[@]+"${keep[@]}"}")
    keep=()
    for p in "${lp_jobs[@]}"; do [ "$p" = "$server_job" ] || keep+=("$p"); done
    lp_jobs=("${keep[@]+"${keep[@]}"}")
  }

  local samples="$w/samples.txt" meta="$w/meta.txt"
  : >"$samples"
  : >"$meta"
  meta_set() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }
  # How busy the cores were just before (and after) the run, from /proc/stat, which counts every process
  # of the machine, also those top cannot see from inside a container.
  lp_busy() {
    local a b
    a="$(grep '^cpu[0-9]' /proc/stat)"
    sleep 2
    b="$(grep '^cpu[0-9]' /proc/stat)"
    printf '%s\n%s\n' "$a" "$b" | awk '{ busy = $2 + $3 + $4 + $7 + $8 + $9; all = busy + $5 + $6
      if ($1 in b0) { printf "%s%s %.0f%%", sep, $1, 100 * (busy - b0[$1]) / (all - a0[$1] + 0.001); sep = ", " }
      else { b0[$1] = busy; a0[$1] = all } } END { print "" }'
  }
  meta_set load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  meta_set busy_before "$(lp_busy)"
  # What else runs: top's second frame (its first one averages since each process began).
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-before.txt" || true

  # --- the long waits, in the background on a host of their own --------------------------------
  local long_job="" long_server_pid="" long_server_job=""
  if [ "$long_wait" -gt 0 ]; then
    log "checks: $long_wait s waits on a host of their own, in the background"
    lp_start long "$durability"
    long_server_pid="$server_pid" long_server_job="$server_job"
    lp_launch "$w/checks-long.pid" taskset -c "$cli_cpu" python3 "$load" checks --port "$port" --long "$long_wait" \
      >"$w/checks-long.out" 2>"$w/checks-long.err"
    long_job="$job"
  fi

  # --- memory ---------------------------------------------------------------------------------
  local n="" round
  for round in $(seq 1 "$rounds"); do
    log "memory, round $round of $rounds"
    lp_start "memory.$round" "$durability"
    if [ -z "$cap" ]; then
      # The host's own cap on connections: MaxConnections, or what the descriptor limit left of it.
      cap="$(sed -n 's/.*MaxConnections lowered from [0-9]* to \([0-9]*\):.*/\1/p' "$w/memory.$round/err" | head -n 1)"
      cap="${cap:-$maxconn}"
      n="$want_waiters"
      if [ $((n + wrk_conns + 16)) -gt "$cap" ]; then
        n=$(((cap - wrk_conns - 16) / 100 * 100))
        echo "warning: the host holds at most $cap connections (hard ulimit -n $(ulimit -Hn)); $n waiters instead of $want_waiters" >&2
      fi
      meta_set cap "$cap"
      meta_set waiters "$n"
    fi
    lp_run "memory.$round.client" taskset -c "$cli_cpu" python3 "$load" memory --port "$port" --pid "$server_pid" \
      --connections "$n" --keys "$keys" --wait 120
    sed "s/^/round $round /" "$w/memory.$round.client.out" | tee -a "$samples" >&2
    lp_stop
  done
  if [ -n "$gcdump_bin" ]; then
    log "memory, managed heap (dotnet-gcdump at each point: a full GC, so no RSS figure of this host counts)"
    lp_start memory.gc "$durability"
    cat >"$w/gcdump.sh" <<EOF
#!/bin/sh
"$gcdump_bin" collect -p "$server_pid" -o "$w/gc-\$1.gcdump" >"$w/gc-\$1.collect.txt" 2>&1 &&
  "$gcdump_bin" report "$w/gc-\$1.gcdump" >"$w/gc-\$1.txt" 2>&1
EOF
    chmod +x "$w/gcdump.sh"
    lp_run memory.gc.client taskset -c "$cli_cpu" python3 "$load" memory --port "$port" --pid "$server_pid" \
      --connections "$n" --keys "$keys" --wait 120 --gcdump "$w/gcdump.sh"
    sed "s/^/round gc /" "$w/memory.gc.client.out" | tee -a "$samples" >&2
    lp_stop
  fi

  # --- checks ---------------------------------------------------------------------------------
  log "checks: the feature's rules"
  lp_start checks "$durability"
  lp_run checks.client taskset -c "$cli_cpu" python3 "$load" checks --port "$port"
  tee -a "$samples" <"$w/checks.client.out" >&2
  lp_stop

  # --- wake -----------------------------------------------------------------------------------
  log "wake: $n waiters, $per_key on each key, a PUT to one key, $spread_rounds rounds; then 1000 and $n waiters all on one key, $rounds rounds"
  lp_start wake "$durability"
  lp_run wake.client taskset -c "$cli_cpu" python3 "$load" wake --port "$port" --connections "$n" \
    --sizes "1000,$n" --rounds "$rounds" --wait 120 --per-key "$per_key" --spread-rounds "$spread_rounds"
  tee -a "$samples" <"$w/wake.client.out" >&2
  lp_stop

  # --- the floor of a wake -----------------------------------------------------------------------
  # No server: a plain loop on the server's core sending one answer-sized message to each of SIZE
  # connections, timed by a reader on the client's core as the wake part times the waiters.
  log "wake floor: one send per connection in a plain loop, no server; $rounds rounds"
  rm -f "$w/floor.port"
  lp_launch "$w/floor-recv.pid" taskset -c "$cli_cpu" python3 "$load" floor-recv --connections "$n" \
    --port-file "$w/floor.port" >"$w/floor-recv.out" 2>"$w/floor-recv.err"
  local recv_job="$job"
  lp_run floor-send taskset -c "$srv_cpu" python3 "$load" floor-send --connections "$n" --port-file "$w/floor.port" \
    --sizes "$per_key,1000,$n" --rounds "$rounds"
  wait "$recv_job" || { echo "error: floor-recv failed:" >&2; cat "$w/floor-recv.err" >&2; exit 1; }
  unset 'lp_pids[-1]' 'lp_jobs[-1]'
  grep -v ' round 0 ' "$w/floor-recv.out" | tee -a "$samples" >&2

  # --- throughput -----------------------------------------------------------------------------
  log "throughput: wrk GET 64 B, -c$wrk_conns ${secs} s, alone / with $n idle connections / with $n waiters"
  lp_start throughput "$durability"
  local url="http://127.0.0.1:$port/k64" fifo="$w/hold.fifo" lines=0
  rm -f "$fifo"
  mkfifo "$fifo"
  exec 8<>"$fifo"
  lp_stdin="$fifo" lp_launch "$w/hold.pid" taskset -c "$cli_cpu" python3 "$load" hold --port "$port" --connections "$n" \
    --keys "$keys" --wait 300 >"$w/hold.out" 2>"$w/hold.err"
  local hold_pid="$pid"
  # lp_hold COMMAND: sends it to the holder and waits for its one-line answer (which goes to the samples).
  lp_hold() {
    local _
    echo "$1" >&8
    lines=$((lines + 1))
    for _ in $(seq 1 1200); do
      [ "$(wc -l <"$w/hold.out")" -ge "$lines" ] && break
      kill -0 "$hold_pid" 2>/dev/null || { echo "error: the holder died:" >&2; cat "$w/hold.err" >&2; exit 1; }
      sleep 0.1
    done
    echo "hold round $round $(sed -n "${lines}p" "$w/hold.out")" | tee -a "$samples" >&2
  }
  # CPU time of the server and busy time of its core, in clock ticks: "server busy total".
  lp_ticks() {
    local t
    t="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$server_pid/stat" 2>/dev/null || echo 0)"
    awk -v t="$t" -v c="cpu$srv_cpu" '$1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; print t, b, b + $5 + $6 }' /proc/stat
  }
  lp_tput() { # variant
    local f="$w/wrk.$1.$round.txt" before after use
    before="$(lp_ticks)"
    lp_run "wrk.$1.$round" taskset -c "$cli_cpu" wrk -t1 -c"$wrk_conns" -d"${secs}s" --latency "$url"
    after="$(lp_ticks)"
    # The server's CPU and its core's busy time, as % of the core's time during the run.
    use="$(awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[3] - x[3]
      if (d <= 0) print "- -"; else printf "%.0f %.0f\n", 100 * (y[1] - x[1]) / d, 100 * (y[2] - x[2]) / d }')"
    mv "$w/wrk.$1.$round.out" "$f"
    echo "wrk round $round variant $1 file $f server_cpu ${use% *} core_busy ${use#* }" >>"$samples"
    awk -v v="$1" -v r="$round" '/^Requests\/sec:/ { print "wrk round " r " variant " v ": " $2 " req/s" }' "$f" >&2
  }
  round=0
  lp_run wrk.warmup taskset -c "$cli_cpu" wrk -t1 -c"$wrk_conns" -d2s "$url"
  for round in $(seq 1 "$rounds"); do
    log "throughput, round $round of $rounds"
    if [ $((round % 2)) -eq 1 ]; then
      lp_tput none
      lp_hold open
      lp_tput idle
      lp_hold park
      lp_tput waiting
      lp_hold release
      lp_hold close
    else
      lp_hold open
      lp_hold park
      lp_tput waiting
      lp_hold release
      lp_tput idle
      lp_hold close
      lp_tput none
    fi
  done
  echo quit >&8
  exec 8>&-
  wait "$job" 2>/dev/null || true
  unset 'lp_pids[-1]' 'lp_jobs[-1]'
  lp_stop

  # --- listing --------------------------------------------------------------------------------
  log "listing: $list_keys keys, GET /?limit=1000 from a random key"
  lp_start listing none
  lp_run listing.prefill taskset -c "$cli_cpu" python3 "$load" prefill --port "$port" --prefix l --count "$list_keys"
  tee -a "$samples" <"$w/listing.prefill.out" >&2
  curl -fsS "http://127.0.0.1:$port/?limit=1000&after=l000499" -o "$w/page.json"
  python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
print("page keys %d first %s last %s next %s bytes %d" % (len(p["keys"]), p["keys"][0]["key"], p["keys"][-1]["key"], p.get("next", "-"), len(open(sys.argv[1], "rb").read())))' \
    "$w/page.json" | tee -a "$samples" >&2
  cat >"$w/listing.lua" <<EOF
-- GET a page of 1000 keys after a random one of l000000..l$(printf '%06d' $((list_keys - 1001)))
math.randomseed(os.time())
request = function()
  return wrk.format("GET", string.format("/?limit=1000&after=l%06d", math.random(0, $((list_keys - 1001)))))
end
EOF
  local c
  round=0
  lp_run listing.warmup taskset -c "$cli_cpu" wrk -t1 -c1 -d1s -s "$w/listing.lua" "http://127.0.0.1:$port/"
  for round in $(seq 1 "$rounds"); do
    for c in 1 8; do
      lp_run "list.c$c.$round" taskset -c "$cli_cpu" wrk -t1 -c"$c" -d"${secs}s" --latency -s "$w/listing.lua" "http://127.0.0.1:$port/"
      mv "$w/list.c$c.$round.out" "$w/list.c$c.$round.txt"
      echo "listwrk round $round connections $c file $w/list.c$c.$round.txt" >>"$samples"
      awk -v c="$c" -v r="$round" '/^Requests\/sec:/ { print "listing round " r " -c" c ": " $2 " pages/s" }' "$w/list.c$c.$round.txt" >&2
    done
  done
  lp_stop

  # --- the long waits' end --------------------------------------------------------------------
  if [ -n "$long_job" ]; then
    log "checks: waiting for the $long_wait s waits to end"
    wait "$long_job" || true
    tee -a "$samples" <"$w/checks-long.out" >&2
    [ -s "$w/checks-long.err" ] && cat "$w/checks-long.err" >&2
    server_pid="$long_server_pid" server_job="$long_server_job"
    lp_stop
  fi

  meta_set load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  meta_set busy_after "$(lp_busy)"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-after.txt" || true
  lp_cleanup
  trap - EXIT

  # --- report ---------------------------------------------------------------------------------
  local sha dirty=""
  sha="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain -- server runtime 2>/dev/null)" ] || dirty=" with uncommitted changes under server/ or runtime/"
  meta_set commit "$sha$dirty"
  meta_set date "$(date -u '+%Y-%m-%d %H:%M')"
  meta_set seconds $((SECONDS - started))
  meta_set settings "$(env | grep '^BENCH_' | sort | sed "s/=\(.*[ ;&|].*\)$/='\1'/" | tr '\n' ' ' || true)"
  meta_set cpu "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  meta_set nproc "$(nproc)"
  meta_set kernel "$(uname -r)"
  meta_set dotnet "$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  meta_set wrk "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
  meta_set python "$(python3 -c 'import platform; print(platform.python_version())')"
  meta_set ulimit "$(ulimit -Hn)"
  meta_set srv_cpu "$srv_cpu"
  meta_set cli_cpu "$cli_cpu"
  meta_set nice "$nice_by"
  meta_set rounds "$rounds"
  meta_set spread_rounds "$spread_rounds"
  meta_set secs "$secs"
  meta_set keys "$keys"
  meta_set wrk_conns "$wrk_conns"
  meta_set durability "$durability"
  meta_set list_keys "$list_keys"
  meta_set long_wait "$long_wait"
  meta_set want_waiters "$want_waiters"
  meta_set maxconn "$maxconn"
  meta_set extra "${extra[*]+"${extra[*]}"}"
  meta_set gcdump "$([ -n "$gcdump_bin" ] && echo "$w/gc-idle.txt $w/gc-waiting.txt" || echo -)"
  meta_set top_before "$w/top-before.txt"
  # What the hosts said on stderr besides the descriptor-limit line.
  grep -H . "$w"/*/err 2>/dev/null | grep -v 'MaxConnections lowered\|descriptor limit' | sed "s|$w/||" | head -n 20 >"$w/server-notes.txt" || true
  meta_set server_notes "$w/server-notes.txt"
  log "writing $results/longpoll.md"
  python3 "$load" report --samples "$samples" --meta "$meta" >"$w/longpoll.md"
  cp "$w/longpoll.md" "$results/longpoll.md"
  sed '/^<details>/,/^<\/details>/d' "$results/longpoll.md"
}

# shellcheck shell=bash
# bench/lib/common.sh: Shared helpers of bench/run.sh: progress lines, installing missing Debian packages,
# pinning, the report header's run identity, and starting the HTTP peers (nginx, webdis, ASP.NET Core).
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

log() { printf '\n=== %s\n' "$*" >&2; }

# Installs Debian packages the suite needs, if any are missing (apt-get update first).
install_missing() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# pinned CPU COMMAND...: runs COMMAND on core CPU only (taskset), and at niceness BENCH_NICE when that
# is set and not 0 (e.g. -10 on a machine that cannot be made quiet), in the foreground; nice and
# taskset exec COMMAND, so it keeps their pid and gets the signals sent to it.
pinned() {
  local cpu="$1" prio=()
  shift
  [ "${BENCH_NICE:-0}" = 0 ] || prio=(nice -n "$BENCH_NICE")
  "${prio[@]+"${prio[@]}"}" taskset -c "$cpu" "$@"
}

# pinned_bg CPU COMMAND...: the same in the background, in a subshell that execs it: $! is then the
# COMMAND's own pid (a function run with & would leave the pid of a shell around it), so that a signal
# sent to $! reaches the server, not a wrapper. The caller's redirections apply.
pinned_bg() {
  local cpu="$1" prio=()
  shift
  [ "${BENCH_NICE:-0}" = 0 ] || prio=(nice -n "$BENCH_NICE")
  (exec "${prio[@]+"${prio[@]}"}" taskset -c "$cpu" "$@") &
}

# The run's identity for a report's header, written through the calling suite's meta_set: the commit
# (with NOTE appended if PATHS have uncommitted changes), date, seconds since STARTED, the machine and
# the .NET runtime.
meta_run() { # STARTED NOTE PATHS...
  local started="$1" note="$2" sha dirty=""
  shift 2
  sha="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain -- "$@" 2>/dev/null)" ] || dirty=" $note"
  meta_set commit "$sha$dirty"
  meta_set date "$(date -u '+%Y-%m-%d %H:%M')"
  meta_set seconds $((SECONDS - started))
  meta_set cpu "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  meta_set nproc "$(nproc)"
  meta_set kernel "$(uname -r)"
  meta_set dotnet "$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
}

# Prints a free TCP port on 127.0.0.1 (for the servers that cannot be told to pick one).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until `curl URL` answers 2xx (up to $2 tenths of a second, default 100); fails otherwise.
wait_http() {
  local i
  for i in $(seq 1 "${2:-100}"); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# --- the HTTP peers, started alike by the http, ycsb and peers suites ---------------------------
# Each start_*_peer starts one server pinned to core CPU (pinned_bg, so at niceness BENCH_NICE),
# waits until it answers, and sets three globals: peer_port, its TCP port on 127.0.0.1; peer_started,
# the processes it started (children of this shell: the caller stops them with SIGTERM and waits for
# them); peer_procs, every process of the server, whose CPU time is the server's (nginx's worker is
# its master's child, not ours). A server that does not come up ends the script with its log.

# nginx's worker_cpu_affinity for core CPU: a bit mask, the lowest core rightmost.
nginx_cpumask() { printf '1%*s\n' "$1" '' | tr ' ' '0'; }

# nginx (bench/http/nginx.conf.in), one worker: GET serves DIR/static as static files, PUT is WebDAV
# into DIR/dav; its configuration, logs and temporary files live in DIR too. PROBE is a path that
# answers 2xx once it is up.
start_nginx_peer() { # CPU DIR PROBE
  local cpu="$1" d="$2" probe="$3" bin
  bin="$(command -v nginx || echo /usr/sbin/nginx)"
  mkdir -p "$d/static" "$d/dav" "$d/client_body_temp"
  peer_port="$(free_port)"
  sed -e "s|@OUT@|$d|g" -e "s|@PORT@|$peer_port|g" -e "s|@CPUMASK@|$(nginx_cpumask "$cpu")|g" bench/http/nginx.conf.in >"$d/nginx.conf"
  "$bin" -t -c "$d/nginx.conf" -g 'daemon off;' 2>"$d/test.log" || { cat "$d/test.log" >&2; exit 1; }
  pinned_bg "$cpu" "$bin" -c "$d/nginx.conf" -g 'daemon off;' >"$d/stdout.log" 2>&1
  peer_started=("$!")
  wait_http "http://127.0.0.1:$peer_port$probe" || { echo "error: nginx did not start" >&2; cat "$d/error.log" >&2; exit 1; }
  # shellcheck disable=SC2207 # pids split on whitespace on purpose
  peer_procs=("${peer_started[0]}" $(cat /proc/"${peer_started[0]}"/task/*/children))
}

# Redis with the AOF on (appendfsync FSYNC) and no RDB snapshots, on the Unix socket DIR/redis.sock
# only, and webdis in front of it on TCP: two processes, one service, both on core CPU. webdis's
# settings are Debian's defaults but for the paths, the Redis socket, its threads (BENCH_WEBDIS_THREADS,
# 1: it shares one core with Redis), its pool of Redis connections (BENCH_WEBDIS_POOL, 20) and no
# daemonizing. REDIS_OPTIONs go to redis-server.
start_webdis_peer() { # CPU DIR FSYNC [REDIS_OPTION...]
  local cpu="$1" d="$2" fsync="$3" i
  shift 3
  mkdir -p "$d"
  pinned_bg "$cpu" redis-server --port 0 --unixsocket "$d/redis.sock" --unixsocketperm 700 --dir "$d" \
    --appendonly yes --appendfsync "$fsync" --save "" --daemonize no --logfile "$d/redis.log" "$@" >/dev/null 2>&1
  peer_started=("$!")
  for i in $(seq 1 100); do
    [ -S "$d/redis.sock" ] && break
    sleep 0.1
  done
  peer_port="$(free_port)"
  # JSON, which takes no comments: see above.
  cat >"$d/webdis.json" <<JSON
{
  "redis_host": "$d/redis.sock",
  "redis_port": 0,
  "redis_auth": null,
  "http_host": "127.0.0.1",
  "http_port": $peer_port,
  "threads": ${BENCH_WEBDIS_THREADS:-1},
  "pool_size": ${BENCH_WEBDIS_POOL:-20},
  "daemonize": false,
  "database": 0,
  "acl": [ { "disabled": ["DEBUG"] } ],
  "verbosity": 1,
  "logfile": "$d/webdis.log"
}
JSON
  pinned_bg "$cpu" webdis "$d/webdis.json" >"$d/webdis.out" 2>&1
  peer_started+=("$!")
  peer_procs=("${peer_started[@]}")
  wait_http "http://127.0.0.1:$peer_port/PING" || { echo "error: webdis did not start" >&2; cat "$d"/*.log "$d/webdis.out" >&2; exit 1; }
}

# The ASP.NET Core peer (bench/peers/AspNetKv, built in Release beforehand): Kestrel on 127.0.0.1,
# one file per key in DATA, durable (FileOptions.WriteThrough) or not, its output in LOG. Workstation
# GC: on one core the runtime would not use server GC anyway; saying so makes it the same on any
# machine.
start_aspnet_peer() { # CPU DATA true|false LOG
  local cpu="$1" data="$2" durable="$3" log="$4" dir="$root/bench/peers/AspNetKv/bin/Release/net10.0" i
  : >"$log" # exists before the server writes to it, for the wait below
  pinned_bg "$cpu" env DOTNET_gcServer=0 dotnet "$dir/AspNetKv.dll" --contentRoot "$dir" \
    --urls "http://127.0.0.1:0" --DataDir "$data" --Durable "$durable" >"$log" 2>&1
  peer_started=("$!")
  peer_procs=("$!")
  peer_port=""
  for i in $(seq 1 300); do
    peer_port="$(awk -F: '/Now listening on: http:\/\/127\.0\.0\.1:[0-9]+/ { print $NF; exit }' "$log")"
    [ -n "$peer_port" ] && return 0
    sleep 0.1
  done
  echo "error: the ASP.NET Core peer ($data) did not start:" >&2
  cat "$log" >&2
  exit 1
}

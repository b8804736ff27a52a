# shellcheck shell=bash
# bench/lib/access.sh: bench/run.sh access: what bearer tokens and the Unix domain socket cost -> bench/results/access.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Issue 14's two questions, answered in one run so that both sides of each see the same machine:
#   auth  GET 64 B keep-alive with wrk (-t1, BENCH_CONNECTIONS), against a host without tokens and
#         against a host configured with one token (Tokens:BENCH:Hash) and sent it on every request
#         (Authorization: Bearer). The token's check hashes it with SHA-256 on the request path, so
#         this is its whole per-request cost, parsing the header included.
#   unix  GET 64 B keep-alive over the Unix domain socket against TCP loopback, the same host (the
#         one without tokens, --unix beside --port). wrk cannot connect to a Unix socket, so both
#         transports are driven by bench/native/kv_load.c (one thread, epoll, the same connections
#         and request bytes): a client of our own on one side and wrk on the other would compare
#         the clients as well.
# Both hosts (server/EmbedKv.Host, Release, durability none, ONE worker) stay up for the whole run
# on core BENCH_CPU; every client runs on core BENCH_CLIENT_CPU. The four cells run in BENCH_ROUNDS
# interleaved rounds, the order reversed every other round, so that a slow spell of a shared machine
# falls on all of them; the report gives medians, each cell's round-to-round spread, and the ratios
# round by round (a ratio whose rounds straddle 1 is within noise).

access() {
  local started=$SECONDS
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-5}" secs="${BENCH_SECONDS:-5}" conns="${BENCH_CONNECTIONS:-32}"
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; server and clients share core 0" >&2
    srv_cpu=0
  fi
  # As in longpoll and fairness: on a shared machine the benchmark's processes get ahead of the
  # others' (in sessions of their own, so that it counts under autogroup scheduling too).
  local nice_by="${BENCH_NICE:-}"
  if [ -z "$nice_by" ]; then
    if [ "$(id -u)" -eq 0 ]; then nice_by=-20; else nice_by=0; fi
  fi

  # --- tools and build ------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v setsid >/dev/null 2>&1 || need+=(util-linux)
  install_missing "${need[@]+"${need[@]}"}"
  local w="$root/$out/access"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  log "building the host (Release) and bench/native/kv_load.c"
  dotnet build server/EmbedKv.Host -c Release -nologo -v q
  local dll="$root/server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll"
  gcc -O2 -Wall -Wextra -o "$w/kv_load" bench/native/kv_load.c
  head -c 64 /dev/urandom >"$w/v64"

  # A fresh random token; the host gets only its SHA-256, printed by the host's own hash-token.
  local token hash
  token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  hash="$(printf '%s' "$token" | dotnet "$dll" hash-token)"
  [ "$hash" = "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" ] || { echo "error: hash-token disagrees with sha256sum" >&2; exit 1; }

  # Global, not local: the EXIT trap runs after the function's locals are gone.
  ac_pids=()
  ac_jobs=()
  ac_cleanup() {
    local p
    for p in "${ac_pids[@]+"${ac_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${ac_jobs[@]+"${ac_jobs[@]}"}"; do wait "$p" 2>/dev/null || true; done
    ac_pids=()
    ac_jobs=()
  }
  trap ac_cleanup EXIT

  # ac_launch PID-FILE COMMAND...: the command in the background in a session of its own at niceness
  # BENCH_NICE (the session's autogroup too; see bench/lib/fairness.sh, launch); sets $job and $pid.
  local job pid
  ac_launch() {
    local pf="$1"
    shift
    rm -f "$pf"
    setsid -w sh -c 'echo $$ >"$1"; n="$0"; shift
      if [ "$n" != 0 ]; then echo "$n" >/proc/self/autogroup 2>/dev/null || true; fi
      exec nice -n "$n" "$@"' "$nice_by" "$pf" "$@" </dev/null &
    job=$!
    ac_jobs+=("$job")
    for _ in $(seq 1 250); do
      [ -s "$pf" ] && break
      sleep 0.02
    done
    pid="$(cat "$pf")"
    ac_pids+=("$pid")
  }
  # ac_run NAME COMMAND...: runs a client to its end (launched alike), its output in $w/NAME.out.
  ac_run() {
    local name="$1"
    shift
    ac_launch "$w/$name.pid" "$@" >"$w/$name.out" 2>"$w/$name.err"
    local rc=0
    wait "$job" || rc=$?
    unset 'ac_pids[-1]' 'ac_jobs[-1]'
    [ "$rc" -eq 0 ] || { echo "error: $name failed ($rc):" >&2; cat "$w/$name.err" >&2; exit 1; }
  }

  # --- the two hosts --------------------------------------------------------------------------
  # ac_start NAME [ENV=VALUE...] -- HOST-ARGS...: starts a host, sets $port.
  local port
  ac_start() {
    local name="$1" d="$w/$1" envs=()
    shift
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    mkdir -p "$d"
    ac_launch "$d/pid" env "${envs[@]+"${envs[@]}"}" taskset -c "$srv_cpu" dotnet "$dll" --port 0 --data "$d/data" \
      --durability none --workers 1 "$@" >"$d/out" 2>"$d/err"
    port=""
    for _ in $(seq 1 200); do
      port="$(sed -n 's|^EmbedKv listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$d/out")"
      [ -n "$port" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "error: the host ($name) did not start:" >&2; cat "$d/out" "$d/err" >&2; exit 1; }
  }
  local sock="$w/open/kv.sock" open_port auth_port
  mkdir -p "$w/open"
  log "starting the hosts on core $srv_cpu: open (TCP and $sock) and auth (TCP, one token)"
  ac_start open -- --unix "$sock"
  open_port="$port"
  ac_start auth EMBEDKV_TOKENS__BENCH__HASH="$hash" --
  auth_port="$port"
  local bearer="Authorization: Bearer $token"
  curl -fsS -X PUT --data-binary @"$w/v64" "http://127.0.0.1:$open_port/k64" -o /dev/null
  curl -fsS -X PUT --data-binary @"$w/v64" -H "$bearer" "http://127.0.0.1:$auth_port/k64" -o /dev/null
  # The checks that make the cells mean what they say: the token host refuses a request without the
  # token (so the token really is checked), and the socket serves the same value as TCP.
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$auth_port/k64")"
  [ "$code" = 401 ] || { echo "error: the auth host answered $code without a token, not 401" >&2; exit 1; }
  curl -fsS --unix-socket "$sock" http://localhost/k64 -o "$w/v64.unix"
  cmp -s "$w/v64" "$w/v64.unix" || { echo "error: GET over the Unix socket returned other bytes" >&2; exit 1; }

  # --- the cells ------------------------------------------------------------------------------
  local samples="$w/samples.txt" meta="$w/meta.txt"
  : >"$samples"
  : >"$meta"
  meta_set() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }
  meta_set load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-before.txt" || true
  # Busy and total clock ticks of the server's and the client's core (all processes on them, from
  # /proc/stat): whether a cell was bound by the server's core or by the client's.
  ac_ticks() {
    awk -v s="cpu$srv_cpu" -v c="cpu$cli_cpu" '$1 == s || $1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; t[$1] = b " " b + $5 + $6 }
      END { print t[s], t[c] }' /proc/stat
  }
  # Each cell appends "cell round rps p99_us errors server_core_busy% client_core_busy%" to the samples.
  ac_cell() { # cell round seconds
    local cell="$1" r="$2" s="$3" f="$w/$1.$2" before after
    before="$(ac_ticks)"
    case "$cell" in
      wrk-open) ac_run "$cell.$r" taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d"${s}s" --latency "http://127.0.0.1:$open_port/k64" ;;
      wrk-auth) ac_run "$cell.$r" taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d"${s}s" --latency -H "$bearer" "http://127.0.0.1:$auth_port/k64" ;;
      c-tcp) ac_run "$cell.$r" taskset -c "$cli_cpu" "$w/kv_load" "tcp:127.0.0.1:$open_port" /k64 "$conns" "$s" ;;
      c-unix) ac_run "$cell.$r" taskset -c "$cli_cpu" "$w/kv_load" "unix:$sock" /k64 "$conns" "$s" ;;
    esac
    after="$(ac_ticks)"
    if [ "${cell%%-*}" = wrk ]; then
      # wrk prints the 99th percentile with a unit (us, ms, s); non-2xx answers only when there are any.
      awk -v c="$cell" -v r="$r" '
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" { v = $2; m = 1; if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /s$/) m = 1000000
          sub(/[a-z]+$/, "", v); p99 = v * m }
        /Non-2xx or 3xx responses:/ { err = $NF }
        END { printf "%s %s %s %.0f %d", c, r, rps, p99, err }' "$f.out" >>"$samples"
    else
      awk -v c="$cell" -v r="$r" '{ printf "%s %s %s %s %s", c, r, $6, $12, $8 }' "$f.out" >>"$samples"
    fi
    awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " ")
      printf " %.0f %.0f\n", 100 * (y[1] - x[1]) / (y[2] - x[2] + 0.001), 100 * (y[3] - x[3]) / (y[4] - x[4] + 0.001) }' >>"$samples"
    tail -n 1 "$samples" | awk '{ printf "  %-8s round %s: %10.0f req/s  p99 %s us  errors %s  core busy: server %s%% client %s%%\n", $1, $2, $3, $4, $5, $6, $7 }' >&2
  }
  local cells=(wrk-open wrk-auth c-tcp c-unix) c round order
  log "warm-up: every cell 2 s (JIT tiers, connection buffers)"
  for c in "${cells[@]}"; do ac_cell "$c" 0 2; done
  : >"$samples"
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds (${secs} s per cell)"
    order=("${cells[@]}")
    if [ $((round % 2)) -eq 0 ]; then order=(c-unix c-tcp wrk-auth wrk-open); fi
    for c in "${order[@]}"; do ac_cell "$c" "$round" "$secs"; done
  done
  local name
  for name in open auth; do
    kill -0 "$(cat "$w/$name/pid")" 2>/dev/null || { echo "error: the host $name died during the run (logs in $w/$name)" >&2; exit 1; }
  done
  meta_set load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-after.txt" || true
  ac_cleanup
  trap - EXIT

  # --- report ---------------------------------------------------------------------------------
  meta_run "$started" "with uncommitted changes under server/ or runtime/" server runtime
  meta_set wrk "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
  meta_set srv_cpu "$srv_cpu"
  meta_set cli_cpu "$cli_cpu"
  meta_set nice "$nice_by"
  meta_set rounds "$rounds"
  meta_set secs "$secs"
  meta_set conns "$conns"
  log "writing $results/access.md"
  python3 - "$samples" "$meta" "$w/top-before.txt" >"$results/access.md" <<'EOF'
import statistics, sys

samples, meta_path, top_path = sys.argv[1:4]
meta = dict(line.rstrip("\n").split("\t", 1) for line in open(meta_path) if "\t" in line)
cells = {}
for line in open(samples):
    c, r, rps, p99, err, sbusy, cbusy = line.split()
    cells.setdefault(c, {})[int(r)] = (float(rps), float(p99), int(err), float(sbusy), float(cbusy))

def med(xs): return statistics.median(xs)
def rps(c): return [cells[c][r][0] for r in sorted(cells[c])]
def p99(c): return [cells[c][r][1] for r in sorted(cells[c])]
def spread(xs): return (max(xs) - min(xs)) / med(xs) * 100
def ratios(a, b): return [cells[a][r][0] / cells[b][r][0] for r in sorted(cells[a]) if r in cells[b]]

names = {
    "wrk-open": "wrk, TCP, host without tokens",
    "wrk-auth": "wrk, TCP, host with a token, `Authorization: Bearer` sent",
    "c-tcp": "kv_load, TCP loopback (host without tokens)",
    "c-unix": "kv_load, Unix domain socket (the same host)",
}
n, secs, conns = meta["rounds"], meta["secs"], meta["conns"]
print("# Access: bearer tokens and the Unix domain socket, GET 64 B keep-alive")
print()
print("Written by `bench/run.sh access` (bench/lib/access.sh); do not edit by hand.")
print()
print(f"- Date {meta['date']} UTC, commit {meta['commit']}; the run took {meta['seconds']} s.")
print(f"- Machine: {meta['cpu']}, `nproc` = {meta['nproc']}, Linux {meta['kernel']}, .NET {meta['dotnet']}, wrk {meta['wrk']}.")
print(f"- Load average (1, 5, 15 min) {meta['load_before']} before the rounds, {meta['load_after']} after; "
      "the machine is shared, so other processes ran beside the benchmark.")
print(f"- Method: two hosts (server/EmbedKv.Host, Release, `--workers 1 --durability none`), both up for the "
      f"whole run on core {meta['srv_cpu']}: one without tokens, listening on TCP and on a Unix socket (`--unix`), "
      f"one with a token (`EMBEDKV_TOKENS__BENCH__HASH`, its SHA-256 from `embedkv hash-token`). Every client on core "
      f"{meta['cli_cpu']}, {conns} keep-alive connections, one thread, one request in flight per connection. "
      f"Servers and clients at niceness {meta['nice']}, each in a session (autogroup) of its own. "
      f"A 2 s warm-up of every cell, then {n} interleaved rounds of {secs} s per cell, "
      "the order reversed every other round.")
print("- Token cost: `wrk --latency` with and without the header, each against its own host. Unix socket: "
      "`bench/native/kv_load.c` for BOTH transports (wrk cannot connect to a Unix socket), against the same host.")
print("- Core busy: the share of the core's time in use during the cell (/proc/stat, median of the rounds), by every "
      "process on it, the machine's other work included. A client core near 100% means the client, not the server, set the pace.")
print("- Spread: (max - min) / median of a cell's rounds, the run's noise. Ratios are taken round by round "
      "(cells of one round ran seconds apart); their range says whether a difference is within noise.")
print()
print("| cell | req/s, median | spread | req/s, rounds | p99, median | server core busy | client core busy |")
print("|---|---:|---:|---|---:|---:|---:|")
for c in ["wrk-open", "wrk-auth", "c-tcp", "c-unix"]:
    xs = rps(c)
    print(f"| {names[c]} | {med(xs):,.0f} | {spread(xs):.1f}% | {', '.join(f'{x:,.0f}' for x in xs)} | {med(p99(c)):,.0f} us | {med([v[3] for v in cells[c].values()]):.0f}% | {med([v[4] for v in cells[c].values()]):.0f}% |")
errors = sum(v[2] for c in cells.values() for v in c.values())
print()
print(f"Responses other than 200: {errors}.")
print()
print("| ratio | of the medians | round by round: median | min .. max |")
print("|---|---:|---:|---|")
for label, a, b in [("with token / without (wrk)", "wrk-auth", "wrk-open"), ("Unix socket / TCP (kv_load)", "c-unix", "c-tcp")]:
    rs = ratios(a, b)
    print(f"| {label} | {med(rps(a)) / med(rps(b)):.3f} | {med(rs):.3f} | {min(rs):.3f} .. {max(rs):.3f} |")
print()
ta, tu = ratios("wrk-auth", "wrk-open"), ratios("c-unix", "c-tcp")
noise = max(spread(rps("wrk-open")), spread(rps("wrk-auth")))
auth_delta = (med(ta) - 1) * 100
within = min(ta) <= 1 <= max(ta)
print("Reading. " + (
    f"With a token the host served {abs(auth_delta):.1f}% {'fewer' if auth_delta < 0 else 'more'} requests per second than without "
    f"(round-by-round median ratio {med(ta):.3f}, rounds {min(ta):.3f} .. {max(ta):.3f}), against a round-to-round spread of up to "
    f"{noise:.1f}% in the two cells themselves: " +
    ("the rounds' ratios straddle 1, so the token's cost is within this run's noise. " if within else
     ("every round's ratio is on the same side of 1, so the difference is real at this resolution, "
      + ("though smaller than the cells' own noise. " if abs(auth_delta) < noise else "and larger than the cells' own noise. "))) +
    f"p99 latency moved from {med(p99('wrk-open')):,.0f} us to {med(p99('wrk-auth')):,.0f} us. "
    f"The Unix socket served {med(tu):.2f} times the requests per second of TCP loopback with the same client "
    f"(rounds {min(tu):.2f} .. {max(tu):.2f}; spreads {spread(rps('c-unix')):.1f}% and {spread(rps('c-tcp')):.1f}%)" +
    (": every round favours the socket, which skips the TCP stack (segments, acknowledgements, checksums) on both sides. "
     if min(tu) > 1 else ": the rounds do not all favour the socket, so no gain over TCP is shown at this resolution. ") +
    "kv_load's TCP figure is not wrk's: the two clients differ, which is why each comparison "
    "keeps its client fixed. With 2 cores and one server worker the figures are the server core's limit only while the "
    "client keeps up on its own core; the other processes on this shared machine (load average above) add to the spread."))
print()
print("<details><summary>top, just before the rounds</summary>")
print()
print("```")
print(open(top_path).read().rstrip())
print("```")
print()
print("</details>")
EOF
  cat "$results/access.md"
}

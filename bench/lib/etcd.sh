# shellcheck shell=bash
# bench/lib/etcd.sh: bench/run.sh etcd: what EmbedKv's HTTP hop in front of etcd costs -> bench/results/etcd.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Issue 16's question: EmbedKv on etcd against etcd spoken to directly, GET and PUT, in one run.
# A real 3-member etcd cluster (Debian's etcd-server) on loopback ports, its data on disk under
# bench/out/etcd/ (BENCH_ETCD_DATA moves it, e.g. to /dev/shm), every member on core BENCH_CPU beside the
# EmbedKv host (server/EmbedKv.Host, Release, one worker, EMBEDKV_BACKEND=Etcd with all three client URLs
# as its endpoints). Every load generator on core BENCH_CLIENT_CPU. The cells, each a GET of one 64 B key
# and a PUT of 64 B to a random key of BENCH_ETCD_KEYS (10,000):
#   kv        EmbedKv on etcd over HTTP: wrk GET /get64 and PUT /kv/p<n> (bench/http/etcd_put.lua).
#   gw        etcd's gRPC gateway on the leader's client URL: wrk POST /v3/kv/range and /v3/kv/put, JSON with
#             base64 key and value (bench/http/etcd_range.lua, etcd_put.lua).
#   grpc      etcd's gRPC API as `benchmark range KEY --consistency=l` / `benchmark put` do it, by
#             bench/EmbedKv.EtcdBench (etcd's benchmark tool is not packaged): a linearizable Range, a
#             plain Put; one dotnet-etcd client over all three members, as EmbedKv connects.
#   grpc-prev (PUT only) the request EmbedKv sends for an unconditional PUT, a Put with prev_kv (the previous
#             value, which EmbedKv needs to answer 201 or 204): beside kv, what remains is EmbedKv's HTTP hop alone.
#   grpc-txn  (PUT only) what a conditional PUT (If-Match) sends instead, a Txn of one Put with prev_kv.
#   grpc-ldr  grpc against the leader only: beside gw, what remains is the gateway's JSON hop.
# Each at BENCH_CONNECTIONS (32) concurrent connections or callers in a closed loop (throughput, and p50 and
# p99 under that load), and with one alone (the latency a request pays). BENCH_ROUNDS interleaved rounds,
# the order reversed every other round; medians, min-max, round-by-round ratios. Every answer that is not
# 2xx (wrk's count, its socket errors, the load program's failed calls) is counted and reported.

etcd_suite() {
  local started=$SECONDS
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}" lat_secs="${BENCH_LATENCY_SECONDS:-3}"
  local conns="${BENCH_CONNECTIONS:-32}" warmup="${BENCH_WARMUP:-1}" keys="${BENCH_ETCD_KEYS:-10000}"
  local targets="${BENCH_ETCD_TARGETS:-kv gw grpc grpc-prev grpc-txn grpc-ldr}"
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; cluster, host and clients share core 0" >&2
    srv_cpu=0
  fi
  if [ "$(nproc --all)" -le "$cli_cpu" ]; then
    cli_cpu=0
  fi

  # --- tools and build ------------------------------------------------------------------------
  local need=()
  [ -x /usr/bin/etcd ] || command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
  command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  install_missing "${need[@]+"${need[@]}"}"
  local etcd_bin
  etcd_bin="$(if [ -x /usr/bin/etcd ]; then echo /usr/bin/etcd; else command -v etcd; fi)"
  # etcd reads ETCD_* variables as flags and etcdctl ETCDCTL_*: none set on the machine may reach them.
  local v
  for v in $(compgen -e); do
    case "$v" in ETCD_* | ETCDCTL_*) unset "$v" ;; esac
  done
  export ETCDCTL_API=3

  local w="$root/$out/etcd"
  local data="${BENCH_ETCD_DATA:-$w/data}"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  et_scratch=""
  if [ -n "${BENCH_ETCD_DATA:-}" ]; then
    data="$data/embedkv-etcd-bench"
    rm -rf "$data"
    et_scratch="$data"
  fi
  mkdir -p "$data"
  log "building the host and bench/EmbedKv.EtcdBench (Release)"
  dotnet build server/EmbedKv.Host -c Release -nologo -v q
  dotnet build bench/EmbedKv.EtcdBench -c Release -nologo -v q
  local host="$root/server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll"
  local load="$root/bench/EmbedKv.EtcdBench/bin/Release/net10.0/EmbedKv.EtcdBench.dll"

  # Global, not local: the EXIT trap runs after the function's locals are gone.
  et_pids=()
  et_cleanup() {
    local p alive
    for p in "${et_pids[@]+"${et_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    # A leader whose followers stopped first can take seconds to stop: after 3 s, SIGKILL (scratch data).
    for _ in $(seq 1 30); do
      alive=0
      for p in "${et_pids[@]+"${et_pids[@]}"}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" -eq 0 ] && break
      sleep 0.1
    done
    for p in "${et_pids[@]+"${et_pids[@]}"}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${et_pids[@]+"${et_pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
    et_pids=()
    # A data directory the caller chose (a tmpfs, say) is not left full; bench/out/etcd/data stays for a look.
    [ -z "${et_scratch:-}" ] || rm -rf "$et_scratch"
  }
  trap et_cleanup EXIT
  trap 'exit 130' INT TERM

  # --- the disk ---------------------------------------------------------------------------------
  # etcd fdatasyncs its WAL for every write before it answers (on each member, and a write waits for two
  # of three): the disk under the data directories sets the PUT cells' pace. The report names it, and gives
  # etcd's own count and mean time of those syncs over the cells (etcd_disk_wal_fsync_duration_seconds).
  local fs_desc
  fs_desc="$(df -PT "$data" | awk 'NR == 2 { print $1 " (" $2 ")" }')"

  # --- the cluster ----------------------------------------------------------------------------
  # Six distinct free ports at once (each probe stays bound until all are chosen).
  local ports
  read -r -a ports <<<"$(python3 -c 'import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
  local names=(m0 m1 m2) client_urls=() peer_urls=() i initial=""
  for i in 0 1 2; do
    client_urls+=("http://127.0.0.1:${ports[$((2 * i))]}")
    peer_urls+=("http://127.0.0.1:${ports[$((2 * i + 1))]}")
    initial="$initial${initial:+,}${names[$i]}=${peer_urls[$i]}"
  done
  local endpoints
  endpoints="$(IFS=,; echo "${client_urls[*]}")"
  local token="embedkv-bench-$$-$RANDOM"
  log "starting a 3-member etcd cluster on core $srv_cpu ($endpoints), data in $data"
  # etcd's default heartbeat (100 ms) and election timeout (1 s), unlike the tests' shorter ones: three
  # members and the host share one loaded core, and an election in a cell would be measured as its cost.
  for i in 0 1 2; do
    pinned_bg "$srv_cpu" "$etcd_bin" --name="${names[$i]}" --data-dir="$data/${names[$i]}" \
      --listen-client-urls="${client_urls[$i]}" --advertise-client-urls="${client_urls[$i]}" \
      --listen-peer-urls="${peer_urls[$i]}" --initial-advertise-peer-urls="${peer_urls[$i]}" \
      --initial-cluster="$initial" --initial-cluster-state=new --initial-cluster-token="$token" \
      --logger=zap --log-outputs=stderr </dev/null >"$w/${names[$i]}.log" 2>&1
    et_pids+=("$!")
  done
  local member_pids=("${et_pids[@]}")
  local healthy
  for _ in $(seq 1 300); do
    healthy=0
    for i in 0 1 2; do
      kill -0 "${member_pids[$i]}" 2>/dev/null || { echo "error: etcd ${names[$i]} exited:" >&2; tail -n 20 "$w/${names[$i]}.log" >&2; exit 1; }
      curl -fs "${client_urls[$i]}/health" 2>/dev/null | grep -q '"health":"true"' && healthy=$((healthy + 1))
    done
    [ "$healthy" -eq 3 ] && break
    sleep 0.1
  done
  [ "$healthy" -eq 3 ] || { echo "error: the etcd cluster did not become healthy in 30 s (logs in $w)" >&2; exit 1; }

  # The leader's index, and the raft term, from etcdctl endpoint status (every member must name the same).
  et_status() {
    etcdctl --endpoints="$endpoints" endpoint status -w json | python3 -c '
import json, sys
st = json.load(sys.stdin)
leaders = {s["Status"]["leader"] for s in st}
if len(leaders) != 1: sys.exit("members disagree on the leader: %r" % leaders)
leader = leaders.pop()
idx = [i for i, s in enumerate(st) if s["Status"]["header"]["member_id"] == leader]
if not idx: sys.exit("no member is the leader")
print(idx[0], st[0]["Status"]["raftTerm"], max(s["Status"]["header"]["revision"] for s in st))'
  }
  # "count seconds" of WAL syncs so far, the three members together.
  et_fsyncs() {
    local u
    for u in "${client_urls[@]}"; do curl -fsS "$u/metrics"; done \
      | awk '/^etcd_disk_wal_fsync_duration_seconds_count / { c += $2 } /^etcd_disk_wal_fsync_duration_seconds_sum / { t += $2 }
          END { printf "%d %.6f", c, t }'
  }
  local leader term0 rev0
  read -r leader term0 rev0 <<<"$(et_status)"
  local leader_url="${client_urls[$leader]}"
  log "leader: ${names[$leader]} ($leader_url), raft term $term0"

  # --- EmbedKv on etcd --------------------------------------------------------------------------
  local kv_port="" kv_pid=""
  if [[ " $targets " == *" kv "* ]]; then
    log "starting the host on core $srv_cpu: EMBEDKV_BACKEND=Etcd, endpoints $endpoints, one worker"
    mkdir -p "$w/host"
    pinned_bg "$srv_cpu" env EMBEDKV_BACKEND=Etcd EMBEDKV_ETCD__ENDPOINTS="$endpoints" \
      dotnet "$host" --port 0 --workers 1 >"$w/host/out" 2>"$w/host/err"
    kv_pid=$!
    et_pids+=("$kv_pid")
    for _ in $(seq 1 200); do
      kv_port="$(sed -n 's|^EmbedKv listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$w/host/out")"
      [ -n "$kv_port" ] && break
      kill -0 "$kv_pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$kv_port" ] || { echo "error: the host did not start:" >&2; cat "$w/host/out" "$w/host/err" >&2; exit 1; }
    grep -q 'etcd' "$w/host/out" || { echo "error: the host does not say it keeps its keys in etcd:" >&2; cat "$w/host/out" >&2; exit 1; }
  fi

  # --- the GET key, on each path, and the checks that the cells mean what they say ---------------
  local v64 b64v
  v64="$(printf 'v%.0s' $(seq 1 64))"
  b64v="$(printf '%s' "$v64" | base64 -w0)"
  curl -fsS -X POST "$leader_url/v3/kv/put" -d "{\"key\":\"$(printf get64 | base64 -w0)\",\"value\":\"$b64v\"}" -o /dev/null
  # The gateway answers the range with the value, base64 (the lua script encodes the same key).
  curl -fsS -X POST "$leader_url/v3/kv/range" -d "{\"key\":\"$(printf get64 | base64 -w0)\"}" | grep -q "\"value\":\"$b64v\"" \
    || { echo "error: etcd's gateway at $leader_url/v3/kv/range did not return the value written" >&2; exit 1; }
  if [ -n "$kv_port" ]; then
    local code
    code="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary "$v64" "http://127.0.0.1:$kv_port/get64")"
    case "$code" in 201 | 204) ;; *) echo "error: PUT /get64 on EmbedKv on etcd answered $code" >&2; cat "$w/host/err" >&2; exit 1 ;; esac
    [ "$(curl -fsS "http://127.0.0.1:$kv_port/get64")" = "$v64" ] || { echo "error: GET /get64 on EmbedKv on etcd returned other bytes" >&2; exit 1; }
    # It is in etcd, not in a local store: a key written through the host appears in the cluster.
    local probe="embedkv-bench-probe-$$"
    curl -fsS -X PUT --data-binary "$v64" "http://127.0.0.1:$kv_port/$probe" -o /dev/null
    etcdctl --endpoints="$leader_url" get --prefix "" --keys-only | grep -q "$probe\$" \
      || { echo "error: a key written through EmbedKv (/$probe) is not in the etcd cluster" >&2; exit 1; }
  fi

  # --- the cells ------------------------------------------------------------------------------
  local samples="$w/samples.txt" meta="$w/meta.txt"
  : >"$samples"
  : >"$meta"
  meta_set() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }
  meta_set load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-before.txt" || true
  # Busy and total ticks of the server's and the client's core (/proc/stat, every process on them), and
  # the CPU ticks of the etcd members and of the host (/proc/PID/stat utime + stime).
  et_ticks() {
    awk -v s="cpu$srv_cpu" -v c="cpu$cli_cpu" '$1 == s || $1 == c { b = $2 + $3 + $4 + $7 + $8 + $9; t[$1] = b " " b + $5 + $6 }
      END { printf "%s %s", t[s], t[c] }' /proc/stat
    local p e=0 h=0 st
    for p in "${member_pids[@]}"; do
      read -r -a st <"/proc/$p/stat" || continue
      e=$((e + st[13] + st[14]))
    done
    if [ -n "$kv_pid" ] && read -r -a st <"/proc/$kv_pid/stat"; then h=$((st[13] + st[14])); fi
    echo " $e $h"
  }
  local hz
  hz="$(getconf CLK_TCK)"
  # et_cell CELL ROUND SECONDS: CELL is TARGET-OP-LOAD, OP get or put, LOAD c (BENCH_CONNECTIONS) or 1.
  # Appends "cell round req/s p50_us p99_us errors requests server_busy% client_busy% etcd_cpu_us/req
  # host_cpu_us/req" to the samples.
  et_cell() {
    local cell="$1" r="$2" s="$3" f="$w/cells/$1.$2" target op n before after rc=0
    target="${cell%-*}"
    n="${cell##*-}"
    op="${target##*-}"
    target="${target%-*}"
    [ "$n" = c ] && n="$conns"
    mkdir -p "$w/cells"
    local cmd=()
    case "$target" in
      kv)
        cmd=(wrk -t1 -c"$n" -d"${s}s" --latency)
        if [ "$op" = get ]; then cmd+=("http://127.0.0.1:$kv_port/get64")
        else cmd+=(-s bench/http/etcd_put.lua "http://127.0.0.1:$kv_port" -- kv /kv/ "$keys" 64); fi ;;
      gw)
        cmd=(wrk -t1 -c"$n" -d"${s}s" --latency)
        if [ "$op" = get ]; then cmd+=(-s bench/http/etcd_range.lua "$leader_url" -- get64)
        else cmd+=(-s bench/http/etcd_put.lua "$leader_url" -- gateway gw/ "$keys" 64); fi ;;
      grpc | grpc-prev | grpc-txn | grpc-ldr)
        local ep="$endpoints" gop=range
        [ "$target" = grpc-ldr ] && ep="$leader_url"
        if [ "$op" = put ]; then
          gop=put
          [ "$target" = grpc-prev ] && gop=put-prev
          [ "$target" = grpc-txn ] && gop=txn
        fi
        # It measures the cores and etcd's CPU itself, over its measured window only (not its start or warm-up).
        cmd=(dotnet "$load" --endpoints "$ep" --op "$gop" --clients "$n" --seconds "$s" --warmup "$warmup"
          --keys "$keys" --prefix "$target/" --key get64 --value-size 64
          --server-cpu "$srv_cpu" --client-cpu "$cli_cpu" --etcd-pids "$(IFS=,; echo "${member_pids[*]}")" --hz "$hz") ;;
    esac
    before="$(et_ticks)"
    pinned_bg "$cli_cpu" "${cmd[@]}" >"$f.out" 2>"$f.err"
    et_pids+=("$!")
    wait "$!" || rc=$?
    unset 'et_pids[-1]'
    after="$(et_ticks)"
    if [ "${target:0:4}" = grpc ]; then
      # EtcdBench: "ops errors seconds ops/s p50_us p99_us server_busy% client_busy% etcd_us/op"; it exits 1
      # when calls failed (counted, reported).
      if [ "$rc" -gt 1 ] || ! awk 'NF != 9 { exit 1 } { for (i = 1; i <= 9; i++) if ($i !~ /^[0-9.]+$/) exit 1 } END { exit NR != 1 }' "$f.out"; then
        echo "error: $cell failed ($rc):" >&2; cat "$f.out" "$f.err" >&2; exit 1
      fi
      awk -v c="$cell" -v r="$r" '{ printf "%s %s %s %s %s %s %s %s %s %s 0\n", c, r, $4, $5, $6, $2, $1, $7, $8, $9 }' "$f.out" >>"$samples"
    else
      [ "$rc" -eq 0 ] || { echo "error: $cell failed ($rc):" >&2; cat "$f.err" "$f.out" >&2; exit 1; }
      # wrk prints percentiles with a unit (us, ms, s); non-2xx answers and socket errors only when there
      # are any. Both are errors here: a benchmark that hides them would measure failures as throughput.
      awk -v c="$cell" -v r="$r" '
        function us(v,  m) { m = 1; if (v ~ /ms$/) m = 1000; else if (v ~ /us$/) m = 1; else if (v ~ /s$/) m = 1000000
          sub(/[a-z]+$/, "", v); return v * m }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = us($2) }
        $1 == "99%" { p99 = us($2) }
        /requests in/ { reqs = $1 }
        /Non-2xx or 3xx responses:/ { err += $NF }
        /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
        END { printf "%s %s %s %.0f %.0f %d %d", c, r, rps, p50, p99, err, reqs }' "$f.out" >>"$samples"
      local last
      last="$(tail -n 1 "$samples")"
      awk -v a="$before" -v b="$after" -v hz="$hz" -v last="$last" 'BEGIN { split(a, x, " "); split(b, y, " "); split(last, l, " ")
        reqs = l[7] > 0 ? l[7] : 1
        printf " %.0f %.0f %.1f %.1f\n", 100 * (y[1] - x[1]) / (y[2] - x[2] + 0.001), 100 * (y[3] - x[3]) / (y[4] - x[4] + 0.001),
          (y[5] - x[5]) * 1e6 / hz / reqs, (y[6] - x[6]) * 1e6 / hz / reqs }' >>"$samples"
    fi
    tail -n 1 "$samples" | awk '{ printf "  %-16s round %s: %8.0f req/s  p50 %6s us  p99 %6s us  errors %s  busy: server %s%% client %s%%  cpu/req: etcd %s us host %s us\n", $1, $2, $3, $4, $5, $6, $8, $9, $10, $11 }' >&2
  }
  local cells=() t o conc
  for conc in c 1; do
    for o in get put; do
      for t in $targets; do
        case "$t-$o" in grpc-txn-get | grpc-prev-get) continue ;; esac
        [ "$t" = kv ] && [ -z "$kv_port" ] && continue
        cells+=("$t-$o-$conc")
      done
    done
  done
  log "warm-up: every cell 2 s (JIT tiers, connections, and most PUT keys created)"
  local fsyncs0 fsyncs1
  local c round order
  for c in "${cells[@]}"; do et_cell "$c" 0 2; done
  : >"$samples"
  fsyncs0="$(et_fsyncs)"
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds (${secs} s per throughput cell, ${lat_secs} s per one-client cell)"
    order=("${cells[@]}")
    if [ $((round % 2)) -eq 0 ]; then
      order=()
      for ((i = ${#cells[@]} - 1; i >= 0; i--)); do order+=("${cells[$i]}"); done
    fi
    for c in "${order[@]}"; do
      if [ "${c##*-}" = 1 ]; then et_cell "$c" "$round" "$lat_secs"; else et_cell "$c" "$round" "$secs"; fi
    done
  done
  fsyncs1="$(et_fsyncs)"
  local term1 rev1 leader1
  read -r leader1 term1 rev1 <<<"$(et_status)"
  for i in 0 1 2; do
    kill -0 "${member_pids[$i]}" 2>/dev/null || { echo "error: etcd ${names[$i]} died during the run (log in $w)" >&2; exit 1; }
  done
  if [ -n "$kv_pid" ]; then
    kill -0 "$kv_pid" 2>/dev/null || { echo "error: the host died during the run (logs in $w/host)" >&2; exit 1; }
  fi
  meta_set load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  local db_size
  db_size="$(etcdctl --endpoints="$leader_url" endpoint status -w json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Status"]["dbSize"])')"
  et_cleanup
  trap - EXIT INT TERM
  # What the host logged besides its start: warnings and errors under load (a 503 logs why).
  local host_lines=0
  if [ -n "$kv_pid" ]; then
    host_lines="$(cat "$w/host/out" "$w/host/err" | grep -cv -e '^EmbedKv listening on' -e '^EmbedKv stopped$' || true)"
  fi

  # --- report ---------------------------------------------------------------------------------
  meta_run "$started" "with uncommitted changes under server/ or bench/EmbedKv.EtcdBench" server bench/EmbedKv.EtcdBench
  meta_set wrk "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
  meta_set etcd "$("$etcd_bin" --version | awk '/^etcd Version:/ { print $3 }') (Debian $(dpkg-query -W -f '${Version}' etcd-server 2>/dev/null || echo '?'))"
  meta_set srv_cpu "$srv_cpu"
  meta_set cli_cpu "$cli_cpu"
  meta_set nice "${BENCH_NICE:-0}"
  meta_set rounds "$rounds"
  meta_set secs "$secs"
  meta_set lat_secs "$lat_secs"
  meta_set warmup "$warmup"
  meta_set conns "$conns"
  meta_set keys "$keys"
  meta_set data "$data"
  meta_set data_fs "$fs_desc"
  meta_set fsyncs "$(awk -v a="$fsyncs0" -v b="$fsyncs1" 'BEGIN { split(a, x, " "); split(b, y, " "); n = y[1] - x[1]
    printf "%d %.0f", n, (n > 0 ? (y[2] - x[2]) / n * 1e6 : 0) }')"
  meta_set leader "${names[$leader]}"
  meta_set leader_after "${names[$leader1]}"
  meta_set term "$term0"
  meta_set term_after "$term1"
  meta_set revisions "$((rev1 - rev0))"
  meta_set db_size "$db_size"
  meta_set host_lines "$host_lines"
  log "writing $results/etcd.md"
  python3 - "$samples" "$meta" "$w/top-before.txt" >"$results/etcd.md" <<'EOF'
import statistics, sys

samples_path, meta_path, top_path = sys.argv[1:4]
meta = dict(line.rstrip("\n").split("\t", 1) for line in open(meta_path) if "\t" in line)
cells = {}
for line in open(samples_path):
    f = line.split()
    cells.setdefault(f[0], {})[int(f[1])] = dict(rps=float(f[2]), p50=float(f[3]), p99=float(f[4]), err=int(f[5]), reqs=int(f[6]),
                                                  srv=float(f[7]), cli=float(f[8]), etcd=float(f[9]), host=float(f[10]))

def med(xs): return statistics.median(xs)
def col(c, k): return [cells[c][r][k] for r in sorted(cells[c])]
def spread(xs): return (max(xs) - min(xs)) / med(xs) * 100 if med(xs) else 0
def ratios(a, b, k="rps"): return [cells[a][r][k] / cells[b][r][k] for r in sorted(cells[a]) if r in cells[b] and cells[b][r][k]]
def diffs(a, b, k="p50"): return [cells[a][r][k] - cells[b][r][k] for r in sorted(cells[a]) if r in cells[b]]
def has(c): return c in cells

conns, n = meta["conns"], meta["rounds"]
what = {
    "kv": "EmbedKv on etcd (HTTP, wrk)",
    "gw": "etcd gRPC gateway, leader (JSON, wrk)",
    "grpc": "etcd gRPC, all 3 members (EtcdBench)",
    "grpc-prev": "etcd gRPC Put with prev_kv, all 3 (EtcdBench)",
    "grpc-txn": "etcd gRPC Txn{Put, prev_kv}, all 3 (EtcdBench)",
    "grpc-ldr": "etcd gRPC, leader only (EtcdBench)",
}
request = {
    ("kv", "get"): "`GET /get64`", ("kv", "put"): "`PUT /kv/p<n>`, 64 B body",
    ("gw", "get"): "`POST /v3/kv/range`", ("gw", "put"): "`POST /v3/kv/put`",
    ("grpc", "get"): "Range, linearizable", ("grpc", "put"): "Put",
    ("grpc-prev", "put"): "Put, prev_kv",
    ("grpc-txn", "put"): "Txn{Put, prev_kv}",
    ("grpc-ldr", "get"): "Range, linearizable", ("grpc-ldr", "put"): "Put",
}
order = ["kv", "gw", "grpc", "grpc-prev", "grpc-txn", "grpc-ldr"]

print("# etcd: what EmbedKv's HTTP hop in front of etcd costs, GET and PUT of 64 B")
print()
print("Written by `bench/run.sh etcd` (bench/lib/etcd.sh, bench/EmbedKv.EtcdBench); do not edit by hand.")
print()
print(f"- Date {meta['date']} UTC, commit {meta['commit']}; the run took {meta['seconds']} s.")
print(f"- Machine: {meta['cpu']}, `nproc` = {meta['nproc']}, Linux {meta['kernel']}, .NET {meta['dotnet']}, "
      f"etcd {meta['etcd']}, wrk {meta['wrk']}.")
print(f"- Load average (1, 5, 15 min) {meta['load_before']} before the cells, {meta['load_after']} after; "
      "the machine is shared, so other processes ran beside the benchmark.")
print(f"- The cluster: 3 etcd members on 127.0.0.1, etcd's default heartbeat (100 ms) and election timeout (1 s), "
      f"**all three on core {meta['srv_cpu']}, one core shared by the whole cluster**, beside the EmbedKv host. "
      f"Data directories in `{meta['data']}`, on {meta['data_fs']}: etcd fsyncs its WAL on every member for every "
      f"write, and a write waits for two of three, so the disk matters: over the rounds the members synced their WAL "
      f"{int(meta['fsyncs'].split()[0]):,} times, {int(meta['fsyncs'].split()[1]):,} us each on average "
      "(etcd's etcd_disk_wal_fsync_duration_seconds, the three members together). "
      f"Leader {meta['leader']} (raft term {meta['term']}) at the start, {meta['leader_after']} (term {meta['term_after']}) "
      f"at the end{' (no election during the run)' if meta['term'] == meta['term_after'] else ': AN ELECTION HAPPENED DURING THE RUN'}; "
      f"{int(meta['revisions']):,} revisions written, database {int(meta['db_size']) / 2**20:.0f} MiB (no compaction).")
print(f"- EmbedKv on etcd: server/EmbedKv.Host (Release, `--workers 1`), `EMBEDKV_BACKEND=Etcd`, "
      "`EMBEDKV_ETCD__ENDPOINTS` = the three client URLs (dotnet-etcd spreads calls over them round-robin), "
      f"on core {meta['srv_cpu']} with the cluster. A GET is a linearizable Range; a PUT without a condition is a "
      "plain Put with prev_kv (to answer 201 or 204); a conditional one is a Txn.")
print(f"- etcd's gateway: the grpc-gateway etcd serves on each client URL (`/v3/kv/range`, `/v3/kv/put`, JSON, key and value "
      "base64), **on the leader's URL only** (wrk reaches one address; the leader spares the forwarding a follower "
      "adds), by bench/http/etcd_range.lua and etcd_put.lua.")
print("- Direct gRPC: what etcd's `benchmark range KEY --consistency=l` and `benchmark put --key-size=8 --val-size=64` "
      "measure, by bench/EmbedKv.EtcdBench: etcd's benchmark tool is in none of Debian's packages (etcd-server, "
      "etcd-client, golang-etcd-server-dev), so it is written here on dotnet-etcd 10.0.0, the client EmbedKv uses, "
      "connected the same way (one client over the three members). `grpc-prev` sends EmbedKv's own unconditional PUT "
      "request (a Put that asks for the previous value too), `grpc-txn` the Txn{Put, prev_kv} a conditional one sends; `grpc-ldr` talks to the "
      "leader only, as the gateway cell does.")
print(f"- Load: every client on core {meta['cli_cpu']}: wrk `-t1` for HTTP, EtcdBench for gRPC (its own "
      f"{meta['warmup']} s warm-up per cell, not counted). Throughput cells: {conns} keep-alive connections (wrk) or "
      f"{conns} callers (EtcdBench), closed loop, {meta['secs']} s; the p50/p99 there are under that load. One-client "
      f"cells: one connection or caller alone, {meta['lat_secs']} s, the latency a request pays. PUT keys: "
      f"`p1`..`p{int(meta['keys']):,}` under a prefix per target, a random one per request. A 2 s warm-up of every "
      f"cell, then {n} interleaved rounds, the order reversed every other round. Niceness {meta['nice']}.")
print("- Busy: the share of a core's time in use during the cell (/proc/stat), every process on it counted. "
      "CPU/req: CPU time of the three etcd members together, and of the EmbedKv host, per request of the cell "
      "(/proc/PID/stat, 10 ms ticks).")
print()
print(f"## Throughput, {conns} connections or callers")
print()
print("| cell | request | req/s, median | min .. max | spread | p50 | p99 | errors | core busy: server / client | CPU/req: etcd / host |")
print("|---|---|---:|---|---:|---:|---:|---:|---|---|")
for op in ["get", "put"]:
    for t in order:
        c = f"{t}-{op}-c"
        if not has(c):
            continue
        xs = col(c, "rps")
        print(f"| {what[t]}, {op.upper()} | {request[(t, op)]} | {med(xs):,.0f} | {min(xs):,.0f} .. {max(xs):,.0f} | {spread(xs):.1f}% | "
              f"{med(col(c, 'p50')) / 1000:.2f} ms | {med(col(c, 'p99')) / 1000:.2f} ms | {sum(col(c, 'err'))} | "
              f"{med(col(c, 'srv')):.0f}% / {med(col(c, 'cli')):.0f}% | {med(col(c, 'etcd')):.0f} / {med(col(c, 'host')):.0f} us |")
print()
print("## One client alone")
print()
print("| cell | request | req/s, median | p50, median | p50, rounds | p99, median | errors | CPU/req: etcd / host |")
print("|---|---|---:|---:|---|---:|---:|---|")
for op in ["get", "put"]:
    for t in order:
        c = f"{t}-{op}-1"
        if not has(c):
            continue
        print(f"| {what[t]}, {op.upper()} | {request[(t, op)]} | {med(col(c, 'rps')):,.0f} | {med(col(c, 'p50')):,.0f} us | "
              f"{', '.join(f'{x:,.0f}' for x in col(c, 'p50'))} | {med(col(c, 'p99')):,.0f} us | {sum(col(c, 'err'))} | "
              f"{med(col(c, 'etcd')):.0f} / {med(col(c, 'host')):.0f} us |")
errors = sum(v["err"] for c in cells.values() for v in c.values())
print()
print(f"Errors over every measured cell: {errors} (wrk's non-2xx answers and socket errors, EtcdBench's failed calls). "
      f"Lines the EmbedKv host logged besides its start: {meta['host_lines']}.")
print()
print("## What the extra hop costs")
print()
print("Throughput ratios are taken round by round (the cells of one round ran seconds apart), their median and range; "
      "latency added is the difference of the one-client p50s, round by round.")
print()
print("| | GET: req/s ratio | GET: rounds | GET: p50 added, one client | PUT: req/s ratio | PUT: rounds | PUT: p50 added, one client |")
print("|---|---:|---|---:|---:|---|---:|")
pairs = [("EmbedKv on etcd / etcd gateway", "kv", "gw", "gw"),
         ("EmbedKv on etcd / direct gRPC (benchmark-style)", "kv", "grpc", "grpc"),
         ("EmbedKv on etcd / direct gRPC, EmbedKv's own request", "kv", "grpc", "grpc-prev"),
         ("etcd gateway / direct gRPC, both on the leader", "gw", "grpc-ldr", "grpc-ldr")]
found = {}
for label, a, bget, bput in pairs:
    row = [label]
    for op, b in [("get", bget), ("put", bput)]:
        ca, cb, la, lb = f"{a}-{op}-c", f"{b}-{op}-c", f"{a}-{op}-1", f"{b}-{op}-1"
        if has(ca) and has(cb):
            rs = ratios(ca, cb)
            found[(label, op)] = rs
            row += [f"{med(rs):.2f}", f"{min(rs):.2f} .. {max(rs):.2f}"]
        else:
            row += ["", ""]
        if has(la) and has(lb):
            ds = diffs(la, lb)
            found[(label, op, "lat")] = ds
            row.append(f"{med(ds):+,.0f} us")
        else:
            row.append("")
    print("| " + " | ".join(row) + " |")
print()
reading = []
for op, label in [("get", "EmbedKv on etcd / direct gRPC (benchmark-style)"), ("put", "EmbedKv on etcd / direct gRPC, EmbedKv's own request")]:
    if (label, op) not in found:
        continue
    rs, lat = found[(label, op)], found.get((label, op, "lat"))
    same = "the same linearizable Range" if op == "get" else "the same Put with prev_kv"
    text = (f"{op.upper()}: EmbedKv on etcd served {med(rs):.2f} times the requests per second of {same} sent directly over "
            f"gRPC (rounds {min(rs):.2f} .. {max(rs):.2f})" + (f", and one client alone waited {med(lat):+,.0f} us longer at p50" if lat else ""))
    c = f"kv-{op}-c"
    host, rps = med(col(c, "host")), med(col(c, "rps"))
    text += (f"; the host spent {host:.0f} us of CPU per request, {host * rps / 1e4:.0f}% of the core it shares with the "
             "three members at that rate, CPU etcd did not get.")
    reading.append(text)
if has("grpc-put-c") and has("grpc-txn-put-c"):
    rt = ratios("grpc-txn-put-c", "grpc-put-c")
    text = (f"What EmbedKv's PUT requests cost etcd against `benchmark put`'s plain Put: a conditional PUT's Txn{{Put, prev_kv}} "
            f"ran at {med(rt):.2f} times its rate (rounds {min(rt):.2f} .. {max(rt):.2f})")
    if has("grpc-prev-put-c"):
        rp = ratios("grpc-prev-put-c", "grpc-put-c")
        text += f", the Put with prev_kv an unconditional one sends at {med(rp):.2f} ({min(rp):.2f} .. {max(rp):.2f})"
    reading.append(text + ".")
if reading:
    print("Reading. " + " ".join(reading) + " The gateway pays a hop of its own (JSON and base64 through grpc-gateway, "
          "then gRPC inside etcd): see its row against direct gRPC on the leader. These figures come from a shared "
          "2-core machine on which all three members, and the host, share one core: see each cell's spread; on "
          "separate machines both the ratios and the latencies would differ.")
print()
print("<details><summary>top, just before the cells</summary>")
print()
print("```")
print(open(top_path).read().rstrip())
print("```")
print()
print("</details>")
EOF
  cat "$results/etcd.md"
}

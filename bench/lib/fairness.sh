# shellcheck shell=bash
# bench/lib/fairness.sh: bench/run.sh fairness: small GETs while 1 GiB uploads run on the same event loop -> bench/results/fairness.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Fairness: can one fast uploader starve everyone else on its event loop? The standalone host
# (server/EmbedKv.Host, Release) with ONE worker, pinned to core BENCH_CPU, serves small GETs at a
# constant rate (bench/http/fairness_load.py, latency counted from each request's due time) on
# core BENCH_CLIENT_CPU, first alone (baseline), then while BENCH_FAIRNESS_UPLOADS uploads of
# BENCH_FAIRNESS_SIZE each (chunked, `head -c | curl -T -`, same core, niced) run to other keys of
# the same server. nginx (one worker: static files, and a WebDAV PUT of the same size) is the peer.
# Each target is a server, a durability mode and where the data lives: "mem" (tmpfs, so only the
# event loop is measured) or "disk" (bench/out/, where page-cache writeback and fsync join in).
# A fresh server and data directory for every run, the targets interleaved in rounds.
# The goal: small-GET p99 under BENCH_FAIRNESS_GOAL_MS (10) ms while the uploads run.
#
# The report keeps one section per BENCH_FAIRNESS_LABEL (default "latest"): a run replaces the
# section of its label and leaves the others, so a "before" run stays beside the runs after a fix.

# The targets, in table order: kv-DURABILITY-STORE or nginx-STORE, STORE mem or disk.
fairness_targets_default="kv-none-mem nginx-mem kv-none-disk nginx-disk kv-always-disk"

fairness() {
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}"
  local rate="${BENCH_FAIRNESS_RATE:-500}" conns="${BENCH_FAIRNESS_CONNECTIONS:-16}"
  local n_up="${BENCH_FAIRNESS_UPLOADS:-2}" size="${BENCH_FAIRNESS_SIZE:-1G}"
  local goal="${BENCH_FAIRNESS_GOAL_MS:-10}" up_nice="${BENCH_FAIRNESS_UPLOAD_NICE:-10}"
  local label="${BENCH_FAIRNESS_LABEL:-latest}" warmup="${BENCH_FAIRNESS_WARMUP:-2}"
  local targets=() extra=() t
  read -r -a targets <<<"${BENCH_FAIRNESS_TARGETS:-$fairness_targets_default}"
  read -r -a extra <<<"${BENCH_FAIRNESS_ARGS:-}"
  local bytes keys=100 use_nginx=0 use_mem=0 use_disk=0
  bytes="$(numfmt --from=iec "$size")"
  for t in "${targets[@]}"; do
    [[ "$t" =~ ^(kv-[a-z0-9:]+|nginx)-(mem|disk)$ ]] || { echo "error: BENCH_FAIRNESS_TARGETS: '$t' is not kv-DURABILITY-mem|disk or nginx-mem|disk" >&2; exit 2; }
    [[ "$t" != nginx-* ]] || use_nginx=1
    [[ "$t" != *-mem ]] || use_mem=1
    [[ "$t" != *-disk ]] || use_disk=1
  done
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; server and clients share core 0" >&2
    srv_cpu=0
  fi
  # Niceness of the servers, the GET client and (BENCH_FAIRNESS_UPLOAD_NICE above it) the uploads.
  # A tail under 10 ms means little on a machine other work can take the cores from, so unlike the
  # other suites this one defaults to -20 where it may (as root): see launch below.
  local nice_by="${BENCH_NICE:-}"
  if [ -z "$nice_by" ]; then
    if [ "$(id -u)" -eq 0 ]; then nice_by=-20; else nice_by=0; fi
  fi

  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v setsid >/dev/null 2>&1 || need+=(util-linux)
  if [ "$use_nginx" = 1 ]; then
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  fi
  install_missing "${need[@]+"${need[@]}"}"
  local nginx_bin=""
  [ "$use_nginx" = 0 ] || nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

  # --- space: one run's uploads exist at a time (each run's data is deleted after it) ----------
  local w="$root/$out/fairness"
  local mem="${BENCH_FAIRNESS_MEMDIR:-/dev/shm}/embedkv-fairness.$$"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  space_for() { # directory what
    local avail want=$((n_up * bytes + (1 << 30)))
    avail="$(df -B1 --output=avail "$1" | tail -n 1 | tr -d ' ')"
    [ "$avail" -ge "$want" ] || { echo "error: fairness needs $(numfmt --to=iec "$want") free in $1 ($2), has $(numfmt --to=iec "$avail")" >&2; exit 1; }
  }
  [ "$use_disk" = 0 ] || space_for "$w" "the disk targets"
  if [ "$use_mem" = 1 ]; then
    mkdir -p "$mem"
    space_for "$mem" "the mem targets; BENCH_FAIRNESS_MEMDIR picks another tmpfs"
  fi

  # --- build ----------------------------------------------------------------------------------
  log "building the host (Release)"
  dotnet build server/EmbedKv.Host -c Release -nologo -v q
  local dll="$root/server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll"
  [ "$bytes" -le $((1 << 30)) ] || extra+=(--MaxValueLength "$bytes")
  head -c 64 /dev/urandom >"$w/v64"

  # Global, not local: the EXIT trap runs after the function's locals are gone. fair_pids: the
  # processes to stop (servers, the load generator); fair_jobs: the shell's jobs to wait for.
  fair_pids=()
  fair_jobs=()
  fair_mem="$mem"
  cleanup_fairness() {
    local p
    for p in "${fair_pids[@]+"${fair_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${fair_jobs[@]+"${fair_jobs[@]}"}"; do wait "$p" 2>/dev/null || true; done
    fair_pids=()
    fair_jobs=()
    rm -rf "$fair_mem"
  }
  trap cleanup_fairness EXIT

  # launch PID-FILE COMMAND...: starts the command in the background in a session of its own, at
  # niceness BENCH_NICE; sets $job (the shell's job) and $pid (the command's own process, from the
  # pid file: setsid may fork). With autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled,
  # on in most distributions) nice only ranks a process within its session; against other sessions'
  # processes (another user's build) the session's autogroup nice counts, so the new session's
  # autogroup gets BENCH_NICE too (it ends with the process). Without BENCH_NICE, the session alone
  # gives the process its own fair share.
  local job pid
  launch() {
    local pf="$1" i
    shift
    rm -f "$pf"
    setsid -w sh -c 'echo $$ >"$1"; n="$0"; shift
      if [ "$n" != 0 ]; then echo "$n" >/proc/self/autogroup 2>/dev/null || true; fi
      exec nice -n "$n" "$@"' "$nice_by" "$pf" "$@" &
    job=$!
    fair_jobs+=("$job")
    for i in $(seq 1 250); do
      [ -s "$pf" ] && break
      sleep 0.02
    done
    pid="$(cat "$pf")"
    fair_pids+=("$pid")
  }
  # --- servers: each start_* sets $port and $base (the uploads' URL prefix) ---------------------
  local port base cpumask
  cpumask="$(nginx_cpumask "$srv_cpu")"
  start_kv() { # log-dir data-dir durability
    local i
    : >"$1/out"
    launch "$1/pid" taskset -c "$srv_cpu" dotnet "$dll" --port 0 --data "$2" --durability "$3" --workers 1 \
      "${extra[@]+"${extra[@]}"}" >"$1/out" 2>"$1/err"
    port=""
    for i in $(seq 1 200); do
      port="$(sed -n 's|^EmbedKv listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$1/out")"
      [ -n "$port" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "error: EmbedKv ($3) did not start:" >&2; cat "$1/out" "$1/err" >&2; exit 1; }
    python3 bench/http/prefill.py "$port" PUT / "$w/v64" --range s "$keys" >/dev/null
    base="http://127.0.0.1:$port/"
  }
  start_nginx() { # log-dir data-dir
    local i
    mkdir -p "$1/static" "$2/dav" "$2/client_body_temp"
    for i in $(seq 1 "$keys"); do cp "$w/v64" "$1/static/s$i"; done
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    sed -e "s|@OUT@|$1|g" -e "s|@DATA@|$2|g" -e "s|@PORT@|$port|g" -e "s|@CPUMASK@|$cpumask|g" \
      bench/http/nginx_fairness.conf.in >"$1/nginx.conf"
    "$nginx_bin" -t -c "$1/nginx.conf" -g 'daemon off;' 2>"$1/test.log" || { cat "$1/test.log" >&2; exit 1; }
    launch "$1/pid" taskset -c "$srv_cpu" "$nginx_bin" -c "$1/nginx.conf" -g 'daemon off;' >"$1/stdout.log" 2>&1
    for i in $(seq 1 100); do
      curl -fs -o /dev/null "http://127.0.0.1:$port/s1" && break
      sleep 0.1
    done
    curl -fs -o /dev/null "http://127.0.0.1:$port/s1" || { echo "error: nginx did not start" >&2; cat "$1/error.log" >&2; exit 1; }
    base="http://127.0.0.1:$port/dav/"
  }

  # samples: target round phase count errors p50 p90 p99 max service_p99 service_max seconds uploads_ok upload_seconds
  local samples="$w/samples.txt"
  : >"$samples"
  local load_before load_after round started=$SECONDS
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for round in $(seq 1 "$rounds"); do
    local n=${#targets[@]} i
    for i in $(seq 0 $((n - 1))); do
      t="${targets[$(((i + round - 1) % n))]}"
      local d="$w/$t.$round" data
      mkdir -p "$d"
      if [ "${t##*-}" = mem ]; then data="$mem/$t.$round"; else data="$d/data"; fi
      mkdir -p "$data"
      log "round $round of $rounds: $(fairness_name "$t"): ${secs} s of GETs alone, then $n_up x $size uploads"
      sync # the previous runs' writeback is not this run's noise
      case "$t" in
        kv-*) local mode="${t#kv-}"; start_kv "$d" "$data" "${mode%-*}" ;;
        nginx-*) start_nginx "$d" "$data" ;;
      esac
      local server_pid="$pid" server_job="$job"
      local up_args=() j
      for j in $(seq 1 "$n_up"); do
        up_args+=(--upload "nice -n $up_nice head -c $bytes /dev/zero | nice -n $up_nice curl -sS -T - -o /dev/null \
-w '%{http_code} %{size_upload} %{time_total}\n' ${base}big$j >$d/upload.$j.txt 2>&1")
      done
      launch "$d/load.pid" taskset -c "$cli_cpu" python3 bench/http/fairness_load.py --port "$port" --keys s "$keys" \
        --rate "$rate" --connections "$conns" --warmup "$warmup" --baseline "$secs" --tail 1 --samples "$d/requests.txt" \
        "${up_args[@]}" >"$d/load.txt" 2>"$d/load.err"
      wait "$job" || { echo "error: the load generator failed:" >&2; cat "$d/load.err" >&2; exit 1; }
      unset 'fair_pids[-1]' 'fair_jobs[-1]'
      kill -0 "$server_pid" 2>/dev/null || { echo "error: $(fairness_name "$t") died during the run (logs in $d)" >&2; exit 1; }
      # Every upload answered 2xx and stored all its bytes?
      local ok=1 code stored
      for j in $(seq 1 "$n_up"); do
        code="$(awk 'END { print $1 }' "$d/upload.$j.txt")"
        case "$t" in
          kv-*) stored="$(curl -sfI "${base}big$j" | tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }')" ;;
          nginx-*) stored="$(stat -c %s "$data/dav/big$j" 2>/dev/null || echo 0)" ;;
        esac
        if [[ "$code" != 2?? ]] || [ "${stored:-0}" != "$bytes" ]; then
          ok=0
          echo "warning: upload $j to $(fairness_name "$t"): status ${code:-none}, stored ${stored:-nothing} of $bytes bytes" >&2
        fi
      done
      local up_secs
      up_secs="$(awk '$1 == "upload" { printf "%s%s", sep, $6; sep = "," }' "$d/load.txt")"
      awk -v t="$t" -v r="$round" -v ok="$ok" -v us="$up_secs" '$1 == "phase" {
          print t, r, $2, $4, $6, $8, $10, $12, $14, $16, $18, $20, ok, us }' "$d/load.txt" | tee -a "$samples" >&2
      kill -TERM "$server_pid" 2>/dev/null || true
      wait "$server_job" 2>/dev/null || true
      unset 'fair_pids[-1]' 'fair_jobs[-1]'
      rm -rf "$data" # gigabytes; the logs stay in $d
    done
  done
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  local elapsed=$((SECONDS - started))
  cleanup_fairness
  trap - EXIT
  fairness_report
}

# The report's name of a target.
fairness_name() {
  local where="data on disk"
  [ "${1##*-}" = disk ] || where="data in memory (tmpfs)"
  case "$1" in
    kv-*) local m="${1#kv-}"; echo "EmbedKv, durability ${m%-*}, $where" ;;
    nginx-*) echo "nginx, $where" ;;
  esac
}

# Writes the section of $label in bench/results/fairness.md from fairness's samples (it reads that
# function's locals), keeping the other labels' sections.
fairness_report() {
  local md="$results/fairness.md"
  log "writing $md (section \"$label\")"
  # stats TARGET PHASE -> medians over rounds: "count errors p50 p90 p99 max service_p99 service_max
  # seconds rounds p99_lo p99_hi max_lo max_hi uploads_failed" (errors: the sum over rounds)
  stats() {
    awk -v t="$1" -v p="$2" '$1 == t && $3 == p' "$samples" | awk '
      function median(a, n,   i, j, x) {
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      { n++; for (k = 4; k <= 12; k++) v[k, n] = ($k == "-" ? 0 : $k + 0); errs += $5; if ($13 != 1) bad++ }
      END {
        if (!n) exit
        for (k = 4; k <= 12; k++) {
          for (i = 1; i <= n; i++) col[i] = v[k, i]
          med[k] = median(col, n); lo[k] = col[1]; hi[k] = col[n] # median() sorted col
        }
        printf "%d %d %.3f %.3f %.3f %.3f %.3f %.3f %.3f %d %.3f %.3f %.3f %.3f %d\n",
          med[4], errs, med[6], med[7], med[8], med[9], med[10], med[11], med[12], n, lo[8], hi[8], lo[9], hi[9], bad + 0 }'
  }
  ms() { awk -v v="$1" 'BEGIN { printf (v < 1 ? "%.2f" : v < 10 ? "%.1f" : "%.0f"), v }'; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
  # All uploads' bytes over the upload window, MiB/s, per round: "median lo hi".
  throughput() {
    awk -v t="$1" -v b="$bytes" -v u="$n_up" '$1 == t && $3 == "up" && $12 > 0 { print b * u / $12 / 1048576 }' "$samples" | sort -g |
      awk '{ a[NR] = $1 } END { if (NR) printf "%.0f %.0f %.0f\n", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
  }
  # The median time of one upload, seconds.
  one_upload() {
    awk -v t="$1" '$1 == t && $3 == "up" { n = split($14, x, ","); for (i = 1; i <= n; i++) print x[i] }' "$samples" | sort -g |
      awk '{ a[NR] = $1 } END { if (NR) printf "%.1f\n", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
  }
  join_by() { # separator items...
    local sep="$1" out="" x
    shift
    for x in "$@"; do out="${out:+$out$sep}$x"; done
    printf '%s' "$out"
  }

  local sha dirty="" cpu_model kernel dotnet_runtime nginx_version="" autogroup
  sha="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain -- server runtime 2>/dev/null)" ] || dirty=" with uncommitted changes under server/ or runtime/"
  cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -r)"
  dotnet_runtime="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  [ -z "$nginx_bin" ] || nginx_version="$( ("$nginx_bin" -v 2>&1 || true) | sed 's/^nginx version: //')"
  autogroup="$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?')"
  # The run's settings, to repeat it: every BENCH_* variable that was set.
  local settings
  settings="$(env | grep '^BENCH_' | sort | sed "s/=\(.*[ ;&|].*\)$/='\1'/" | tr '\n' ' ' || true)"

  local c e p50 p90 p99 mx sp99 smx sec nr p99lo p99hi mxlo mxhi bad tp tplo tphi s
  # The verdict: every EmbedKv target's p99 during the uploads (median of rounds) under the goal, no
  # failed GET, every upload stored. A target already over the goal with no upload running means a
  # noisy machine.
  local verdict=PASS why=() noisy=()
  declare -A met=()
  for t in "${targets[@]}"; do
    s="$(stats "$t" base | cut -d' ' -f5)"
    awk -v p="$s" -v g="$goal" 'BEGIN { exit !(p >= g) }' && noisy+=("$(fairness_name "$t") $(ms "$s") ms")
    [[ "$t" == kv-* ]] || continue
    read -r c e p50 p90 p99 mx sp99 smx sec nr p99lo p99hi mxlo mxhi bad <<<"$(stats "$t" up)"
    if awk -v p="$p99" -v g="$goal" 'BEGIN { exit !(p < g) }' && [ "$e" -eq 0 ] && [ "$bad" -eq 0 ]; then
      met[$t]="met"
      why+=("$(fairness_name "$t" | sed 's/^EmbedKv, //') $(ms "$p99") ms")
    else
      verdict=FAIL
      met[$t]="**not met**"
      why+=("$(fairness_name "$t" | sed 's/^EmbedKv, //') **$(ms "$p99") ms**")
      [ "$e" -eq 0 ] || why+=("$e GETs failed")
      [ "$bad" -eq 0 ] || why+=("an upload failed in $bad of $nr rounds")
    fi
  done

  # What the servers said on stderr that sounds like trouble (EmbedKv logs warnings and errors there).
  local server_notes=""
  server_notes="$(grep -iH 'exception\|fatal\|unhandled\|fail\|error' "$w"/kv-*/err "$w"/nginx-*/error.log 2>/dev/null |
    grep -v 'setrlimit' | sed "s|$w/||" | head -n 10 || true)"

  local section="$w/section.md"
  {
    echo "<!-- fairness:$label -->"
    echo "## $label (commit $sha$dirty)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $rounds interleaved rounds, ${elapsed} s in all. Written by \`${settings}bench/run.sh fairness\`."
    echo
    echo "**Goal: small-GET p99 under $goal ms while $n_up × $size uploads run on the same loop: $verdict**"
    echo "(p99 of the GETs due during the uploads, median of rounds: $(join_by '; ' "${why[@]}"))."
    if [ ${#noisy[@]} -gt 0 ]; then
      echo
      echo "Caution: with no upload running, the GETs' p99 was already at or over the goal ($(join_by '; ' "${noisy[@]}")):"
      echo "the machine was busy (load average below). A lower BENCH_NICE (default -20 as root; this run: $nice_by) runs the servers,"
      echo "the GET client and the uploads further ahead of other sessions' processes."
    fi
    echo
    echo "| server | GETs | count | failed | p50 ms | p99 ms (min–max) | max ms (min–max) | p99 / max from send, ms | uploads: s each; MiB/s in all (min–max) | p99 ÷ nginx's | goal |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    local ph peer_t
    for t in "${targets[@]}"; do
      for ph in base up; do
        s="$(stats "$t" "$ph")"
        [ -n "$s" ] || continue
        read -r c e p50 p90 p99 mx sp99 smx sec nr p99lo p99hi mxlo mxhi bad <<<"$s"
        local name="" phase_name up_cell="" vs="" goal_cell=""
        [ "$ph" != base ] || name="$(fairness_name "$t")"
        if [ "$ph" = base ]; then
          phase_name="alone, ${secs} s"
        else
          phase_name="during the uploads, $(awk -v s="$sec" 'BEGIN { printf "%.1f", s }') s"
          read -r tp tplo tphi <<<"$(throughput "$t")"
          up_cell="$(one_upload "$t"); $tp ($tplo–$tphi)"
          [ "$bad" -eq 0 ] || up_cell="$up_cell, **failed in $bad rounds**"
          peer_t="nginx-${t##*-}"
          if [[ "$t" == kv-* ]] && [[ " ${targets[*]} " == *" $peer_t "* ]]; then
            vs="$(ratio "$p99" "$(stats "$peer_t" up | cut -d' ' -f5)")×"
          fi
          goal_cell="${met[$t]:-}"
        fi
        echo "| $name | $phase_name | $c | $e | $(ms "$p50") | $(ms "$p99") ($(ms "$p99lo")–$(ms "$p99hi")) | $(ms "$mx") ($(ms "$mxlo")–$(ms "$mxhi")) | $(ms "$sp99") / $(ms "$smx") | $up_cell | $vs | $goal_cell |"
      done
    done
    echo
    echo "Setup: the host (\`dotnet server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll --workers 1 --durability MODE$( [ ${#extra[@]} -eq 0 ] || printf ' %s' "${extra[@]}")\`)"
    echo "or nginx (one worker; static files for the GETs, WebDAV PUT for the uploads, never fsynced) on core $srv_cpu, a fresh"
    echo "data directory every run, on disk (bench/out/) or in memory (tmpfs, so no writeback or fsync reaches the loop);"
    echo "$keys keys of 64 B. GETs: \`bench/http/fairness_load.py\` on core $cli_cpu, $rate req/s in all over $conns keep-alive"
    echo "connections, each request's latency counted from the time it was due, so a stalled server shows as many late"
    echo "requests rather than one slow one; \"from send\" counts from the actual send (the longest single wait). Uploads:"
    echo "$n_up × \`head -c $size /dev/zero | curl -T -\` (chunked, \`Expect: 100-continue\`) to keys big1..big$n_up, started together"
    echo "after $warmup s of warm-up GETs and ${secs} s of GETs alone, on core $cli_cpu at nice +$up_nice relative to the GET client (so"
    echo "the client is not the one kept waiting on its own core). Servers and GET client at nice $nice_by, each in a session"
    echo "(autogroup) of its own with that nice. \"During the uploads\" holds the GETs due from the first"
    echo "upload's start to the last one's end; MiB/s is all uploads' bytes over that time. \"p99 ÷ nginx's\": against nginx"
    echo "with its data in the same place, same run. Medians over rounds; min–max over rounds in brackets."
    echo "$cpu_model, \`nproc\` = $(nproc), Linux $kernel (autogroup $autogroup), .NET $dotnet_runtime${nginx_version:+, $nginx_version};"
    echo "load average $load_before before, $load_after after."
    if [ -n "$server_notes" ]; then
      echo
      echo "The servers' stderr held (first 10 lines; logs in bench/out/fairness/):"
      echo
      echo '```'
      echo "$server_notes"
      echo '```'
    fi
    echo
    echo "<details><summary>Every run: target, round, phase (after: the 1 s after the uploads), GETs, failed, p50, p90, p99, max,"
    echo "p99 and max from send (ms), seconds, uploads stored, each upload's seconds</summary>"
    echo
    echo '```'
    cat "$samples"
    echo '```'
    echo
    echo "</details>"
    echo "<!-- /fairness:$label -->"
  } >"$section"

  # The file: a fixed header, then the sections in the order they were first written.
  local merged="$w/fairness.md" replaced=0
  {
    cat <<'EOF'
# Fairness: small GETs while 1 GiB uploads run on the same event loop

Written by `bench/run.sh fairness` (bench/lib/fairness.sh); do not edit by hand. One section per
`BENCH_FAIRNESS_LABEL` (default `latest`): a run replaces its own label's section and keeps the others.
The question: with one event loop (`--workers 1`), does a fast client uploading a large value starve the
loop's other connections? Goal: **small-GET p99 under 10 ms while 1 GiB uploads run on the same loop.**
EOF
    if [ -f "$md" ]; then
      # Other labels' sections as they were; this label's section where it was.
      awk -v l="$label" -v f="$section" '
        /^<!-- fairness:/ { name = $0; sub(/^<!-- fairness:/, "", name); sub(/ -->$/, "", name); in_s = 1
          print ""; if (name == l) { while ((getline line < f) > 0) print line; skip = 1 } }
        in_s && !skip { print }
        /^<!-- \/fairness:/ { in_s = 0; skip = 0 }' "$md"
      grep -qxF "<!-- fairness:$label -->" "$md" && replaced=1
    fi
    if [ "$replaced" -eq 0 ]; then
      echo
      cat "$section"
    fi
  } >"$merged"
  cp "$merged" "$md"
  sed '/^<details>/,/^<\/details>/d' "$section"
}

# shellcheck shell=bash
# bench/lib/http_report.sh: bench/run.sh http: the report (bench/results/http.md) and chart (http.png) from the rounds' samples.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Writes bench/results/http.md and bench/results/http.png from the samples of http_suite (it reads
# that function's locals: samples, rounds, secs, conns, rate, ...).
http_report() {
  # A run of some cells or peers only (BENCH_CELLS, BENCH_PEERS), or with a baseline (BENCH_BASELINE,
  # whose comparison bench/lib/baseline.sh writes), reports to the scratch directory, not over the
  # README's table.
  local md="$results/http.md" png="$results/http.png"
  if [ -n "${BENCH_CELLS:-}${BENCH_PEERS:-}${BENCH_BASELINE:-}" ]; then
    md="$w/http.md"
    png="$w/http.png"
  fi
  # The peers that ran, in table order.
  local ran=() p
  for p in "${http_peers[@]}"; do has_peer "$p" && ran+=("$p"); done
  log "writing $md and $png"

  # Why a peer has no figure in a cell.
  declare -A na=(
    [ceiling]="The C ceiling answers every request with the same 64 bytes; it stores nothing, so it has no 1 MiB value, no writes and no mixed workload."
    [postdurable nginx]="nginx's WebDAV \`PUT\` writes to a temporary file and renames it, and never fsyncs: it has no durable write."
  )
  na_reason() { # cell peer
    if [ -n "${na[$1 $2]:-}" ]; then printf '%s' "${na[$1 $2]}"; else printf '%s' "${na[$2]:-no such cell}"; fi
  }
  declare -A label=(
    [get64]="GET 64 B, $conns keep-alive connections"
    [get64close]="GET 64 B, new connection per request (\`Connection: close\`)"
    [get1m]="GET 1 MiB, $conns keep-alive connections"
    [postdurable]="POST 64 B to 100,000 random keys, durable before the answer"
    [postbatched]="POST 64 B to 100,000 random keys, batched durability"
    [mixed]="90% GET / 10% POST of 64 B over 1,000 keys, batched durability"
    [latency]="GET 64 B at $rate req/s: p50 / p99 latency"
    [awake]="the same, server core kept awake by a SCHED_IDLE busy loop [^awake]"
  )
  declare -A short=(
    [get64]="GET 64 B\nkeep-alive" [get64close]="GET 64 B\nconn. per request" [get1m]="GET 1 MiB"
    [postdurable]="POST 64 B\ndurable" [postbatched]="POST 64 B\nbatched" [mixed]="90% GET\n10% POST"
  )

  # stats CELL PEER -> "median min max failed p50 p99 rounds server-cpu% core-busy%" (medians over
  # rounds; the others each the median of its own column), or nothing when the peer has no samples.
  stats() {
    awk -v c="$1" -v p="$2" '$1 == c && $2 == p' "$samples" | awk '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      { n++; r[n] = $4 + 0; failed += $5 + $6; l50[n] = ($7 == "-" ? 1e12 : $7 + 0); l99[n] = ($8 == "-" ? 1e12 : $8 + 0)
        sc[n] = ($9 == "" || $9 == "-") ? -1 : $9 + 0; cc[n] = ($10 == "" || $10 == "-") ? -1 : $10 + 0
        if (n == 1 || $4 + 0 < lo) lo = $4 + 0; if (n == 1 || $4 + 0 > hi) hi = $4 + 0 }
      END { if (n) printf "%.0f %.0f %.0f %d %.3f %.3f %d %.0f %.0f\n", median(r, n), lo, hi, failed, median(l50, n), median(l99, n), n, median(sc, n), median(cc, n) }'
  }
  is_latency() { [ "$1" = latency ] || [ "$1" = awake ]; }
  # Thousands separators without relying on the locale.
  commas() { awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }
  ms() { awk -v v="$1" 'BEGIN { printf (v < 1 ? "%.2f" : v < 10 ? "%.1f" : "%.0f"), v }'; }

  local cpu_model kernel dotnet_runtime nginx_version wrk_version gcc_version
  cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -r)"
  dotnet_runtime="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  nginx_version="$( ("$nginx_bin" -v 2>&1 || true) | sed 's/^nginx version: //')"
  wrk_version="$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $1, $2 }')"
  gcc_version="$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"

  # Goals, from the medians.
  local e_get64 n_get64 c_get64 e_close n_close e_dur r_dur total_failed failed_cells=""
  e_get64="$(stats get64 embedkv | cut -d' ' -f1)"
  n_get64="$(stats get64 nginx | cut -d' ' -f1)"
  c_get64="$(stats get64 ceiling | cut -d' ' -f1)"
  e_close="$(stats get64close embedkv | cut -d' ' -f1)"
  n_close="$(stats get64close nginx | cut -d' ' -f1)"
  e_dur="$(stats postdurable embedkv | cut -d' ' -f1)"
  r_dur="$(stats postdurable webdis | cut -d' ' -f1)"
  # Failures: EmbedKv's are held to the goal; a peer's are listed, since they weaken its figures.
  total_failed="$(awk '$2 == "embedkv" { t += $5 + $6 } END { print t + 0 }' "$samples")"
  # "label, peer: N non-2xx, M socket errors" for every cell and peer with failures.
  failed_cells="$(awk '$5 + $6 > 0 { k = $1 " " $2; n[k] += $5; e[k] += $6 } END { for (k in n) print k, n[k], e[k] }' "$samples" | sort |
    while read -r c p n e; do printf '%s, %s: %s non-2xx, %s socket errors\n' "${label[$c]}" "${http_peer_name[$p]}" "$n" "$e"; done)"
  verdict() { awk "BEGIN { exit !($1) }" && echo "**met**" || echo "**NOT met**"; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
  goal() { # text embedkv peer factor: met when embedkv >= factor * peer
    if [ -z "$2" ] || [ -z "$3" ]; then
      echo "- $1: not measured in this run (BENCH_CELLS, BENCH_PEERS)"
    else
      echo "- $1 = $(ratio "$2" "$3"): $(verdict "$2 >= $4 * $3")"
    fi
  }

  local table="$w/table.md" tput="$w/throughput.dat" lat="$w/latency.dat"
  : >"$tput"
  : >"$lat"
  declare -A notes=() # reason -> footnote number
  local note_order=()
  {
    printf '| workload |'
    local peer
    for peer in "${ran[@]}"; do printf ' %s |' "${http_peer_name[$peer]}"; done
    printf '\n|---|'
    for peer in "${ran[@]}"; do printf -- '---:|'; done
    printf '\n'
    local cell base s
    for cell in "${cells[@]}"; do
      base="$(stats "$cell" embedkv)"
      printf '| %s |' "${label[$cell]}"
      is_latency "$cell" || printf '"%s"' "${short[$cell]}" >>"$tput"
      for peer in "${ran[@]}"; do
        s="$(stats "$cell" "$peer")"
        if [ -z "$s" ]; then
          local reason mark
          reason="$(na_reason "$cell" "$peer")"
          if [ -z "${notes[$reason]:-}" ]; then
            note_order+=("$reason")
            notes[$reason]=${#note_order[@]}
          fi
          mark="${notes[$reason]}"
          printf ' n/a [^na%s] |' "$mark"
          is_latency "$cell" || printf ' -' >>"$tput"
          continue
        fi
        read -r med lo hi failed p50 p99 n _ _ <<<"$s"
        local text
        if is_latency "$cell"; then
          text="$(ms "$p50") / $(ms "$p99") ms"
          [ "$peer" = embedkv ] || text="$text, p99 ×$(ratio "$p99" "$(cut -d' ' -f6 <<<"$base")")"
          text="$text<br>at $(commas "$med") req/s"
        else
          text="$(commas "$med")"
          [ "$peer" = embedkv ] || text="$text ×$(ratio "$med" "$(cut -d' ' -f1 <<<"$base")")"
          [ "$n" -gt 1 ] && text="$text<br>$(commas "$lo")–$(commas "$hi")"
          printf ' %s' "$med" >>"$tput"
        fi
        [ "$failed" -eq 0 ] || text="$text<br>**$(commas "$failed") failed**"
        [ "$peer" = embedkv ] && text="**$text**"
        printf ' %s |' "$text"
      done
      printf '\n'
      is_latency "$cell" || printf '\n' >>"$tput"
    done
    echo
    local i
    for i in "${!note_order[@]}"; do
      printf '[^na%d]: %s\n' $((i + 1)) "${note_order[$i]}"
    done
    echo "[^awake]: The same cell with a busy loop under \`chrt --idle 0\` on the server core (SCHED_IDLE: it runs"
    echo "    only when nothing else wants the core and gives way at once to any thread that wakes), so that the"
    echo "    core never sleeps between requests. A virtual machine's sleeping core can be slow to wake: on this"
    echo "    project's VM the p99 of the single-threaded servers (EmbedKv, nginx, the ceiling) was at times several"
    echo "    times higher in the row above than in this one, and at other times the rows agreed. Where the row"
    echo "    above is much slower, the difference is the wake-up, not the server's work. A server that passes"
    echo "    each request between threads can lose a little to the busy loop in this row."
  } >"$table"

  # The chart's latency panel: per peer p50 and p99, core idle between requests and kept awake.
  local peer_l s_idle s_awake
  for peer_l in "${ran[@]}"; do
    s_idle="$(stats latency "$peer_l")"
    s_awake="$(stats awake "$peer_l")"
    printf '"%s" %s %s %s %s\n' "${http_peer_name[$peer_l]}" \
      "$(cut -d' ' -f5 <<<"${s_idle:-- - - - - -}")" "$(cut -d' ' -f6 <<<"${s_idle:-- - - - - -}")" \
      "$(cut -d' ' -f5 <<<"${s_awake:-- - - - - -}")" "$(cut -d' ' -f6 <<<"${s_awake:-- - - - - -}")" >>"$lat"
  done

  local chart_note=""
  if [ ! -s "$tput" ]; then
    chart_note="(no throughput cell in this run: no chart)"
  elif [ -n "${BENCH_PEERS:-}${BENCH_BASELINE:-}" ]; then
    # bench/plot/http.gp draws the five peers of the full matrix, no other set.
    chart_note="(a run of other servers than the five peers, BENCH_PEERS or BENCH_BASELINE: no chart)"
  elif command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "tput='$tput'; lat='$lat'; out='$png'; subtitle='$(date -u '+%Y-%m-%d'), $(nproc) cores, $rounds rounds of ${secs} s'" \
      bench/plot/http.gp || chart_note="(gnuplot failed: the chart was not redrawn)"
  else
    chart_note="(gnuplot is missing: the chart was not redrawn)"
  fi

  {
    echo "# HTTP: EmbedKv against nginx, Redis via webdis, ASP.NET Core and a C ceiling"
    echo
    echo "Written by \`bench/run.sh http\`; do not edit by hand. Requests per second, higher is better: the"
    echo "median of $rounds interleaved rounds of ${secs} s, then the min–max over the rounds; ×N is the peer's"
    echo "median divided by EmbedKv's (below 1: EmbedKv is faster). Failed requests (wrk's non-2xx answers and"
    echo "socket errors, summed over the rounds) are shown in a cell only where there were any."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: \`nproc\` = $(nproc), CPU: $cpu_model, kernel $kernel"
    echo "- .NET runtime $dotnet_runtime; $nginx_version; Redis $redis_version; ${webdis_version:-webdis}; $wrk_version; gcc $gcc_version"
    echo "- every server pinned to core $srv_cpu (\`taskset -c $srv_cpu\`), wrk to core $cli_cpu:"
    echo "  \`taskset -c $cli_cpu wrk -t1 -c$conns -d${secs}s --latency\`; before the rounds, ${warmup} s of every cell unrecorded (JIT warm-up)"
    echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after"
    [ "${BENCH_NICE:-0}" = 0 ] || echo "- servers and wrk ran at niceness $BENCH_NICE (\`BENCH_NICE\`)"
    # Cells (but the kept-awake ones, whose busy loop fills the core on purpose) in which other
    # processes took more than a tenth of the server core.
    local shared
    shared="$(awk '$1 != "awake" && $9 != "-" && $10 - $9 > 10 { n++ } END { print n + 0 }' "$samples")"
    if awk -v b="${load_before%% *}" -v a="${load_after%% *}" 'BEGIN { exit !(b > 1.0 || a > 1.0) }' || [ "$shared" -gt 0 ]; then
      echo "- **the machine was not idle**: 1-minute load above 1 before or after the run, or other processes"
      echo "  took more than 10% of the server core in $shared of $(awk '$1 != "awake"' "$samples" | wc -l) measurements (see \"Where the server"
      echo "  core's time went\"); these figures are noisy, rerun on a quiet machine before quoting them."
    fi
    echo
    echo "![requests per second per workload and peer; latency at a fixed rate]($(basename "$png"))"
    [ -z "$chart_note" ] || echo "$chart_note"
    echo
    cat "$table"
    echo
    echo "## Goals"
    echo
    goal "GET 64 B keep-alive at or above nginx static: EmbedKv / nginx" "$e_get64" "$n_get64" 1
    goal "GET 64 B keep-alive within 20% of the C ceiling: EmbedKv / ceiling" "$e_get64" "$c_get64" 0.8
    goal "durable POST at least twice Redis \`appendfsync always\` through webdis: EmbedKv / Redis" "$e_dur" "$r_dur" 2
    goal "connection-per-request GET at or above nginx: EmbedKv / nginx" "$e_close" "$n_close" 1
    echo "- zero failed requests in every cell of EmbedKv: $(verdict "$total_failed == 0")"
    if [ -n "$failed_cells" ]; then
      echo
      echo "Cells with failed requests (wrk's output: \`$out/http/wrk.CELL.PEER.ROUND.txt\`):"
      echo
      sed 's/^/- /' <<<"$failed_cells"
    fi
    echo
    echo "## Where the server core's time went"
    echo
    echo "Per cell: the server's processes' CPU time / the server core's busy time, both as a share of the"
    echo "core's time during the cell (\`/proc/<pid>/stat\`, \`/proc/stat\`; medians over the rounds). A server"
    echo "well below 100% on a core that is busy 100% shared its core with other processes of the machine,"
    echo "and its figure understates it; a server below 100% on a core with idle time was waiting (for"
    echo "the client, the disk, or a sleeping core to wake), not computing."
    echo
    printf '| workload |'
    for peer in "${ran[@]}"; do printf ' %s |' "${http_peer_name[$peer]}"; done
    printf '\n|---|'
    for peer in "${ran[@]}"; do printf -- '---:|'; done
    printf '\n'
    for cell in "${cells[@]}"; do
      printf '| %s |' "${label[$cell]}"
      for peer in "${ran[@]}"; do
        s="$(stats "$cell" "$peer")"
        if [ -z "$s" ]; then printf ' n/a |'; continue; fi
        read -r _ _ _ _ _ _ _ srv core <<<"$s"
        if [ "$srv" -lt 0 ]; then printf ' ? |'; else printf ' %s%% / %s%% |' "$srv" "$core"; fi
      done
      printf '\n'
    done
    echo
    echo "## The peers and the workloads"
    echo
    echo "- **EmbedKv**: \`bench/EmbedKv.Benchmarks serve --workers 1\` (one event loop). GET cells and the durable"
    echo "  POST and latency cells use a server with \`--durability always\` (fdatasync, shared by concurrent"
    echo "  writes, before the answer); the batched POST and mixed cells one with \`--durability batched\` (synced"
    echo "  within 1 s)."
    echo "- **nginx**: one worker (\`worker_cpu_affinity $(nginx_cpumask "$srv_cpu")\`), the values as static files (\`sendfile on\`,"
    echo "  \`access_log off\`); writes with WebDAV \`PUT\` (\`bench/http/nginx.conf.in\`), which never fsyncs, so"
    echo "  its batched and mixed cells are a no-durability comparison."
    echo "- **Redis via webdis**: redis-server with \`appendonly yes\` and no RDB snapshots, on a unix socket, with"
    echo "  \`appendfsync always\` for the GET, durable POST and latency cells and \`everysec\` for the batched POST"
    echo "  and mixed cells; webdis (${BENCH_WEBDIS_THREADS:-1} thread, pool of ${BENCH_WEBDIS_POOL:-20} Redis connections) in front, both processes on"
    echo "  the server core. GET is \`/GET/key.txt\` (the raw value as text/plain), writes \`PUT /SET/key\`."
    echo "- **ASP.NET Core**: \`bench/peers/AspNetKv\`, a minimal API over Kestrel written as a typical user would:"
    echo "  one file per key, \`File.ReadAllBytesAsync\` for GET, a \`FileStream\` for POST, opened with"
    echo "  \`FileOptions.WriteThrough\` (O_SYNC) for the durable cells and without for the batched ones (the kernel"
    echo "  writes back within ~30 s). \`DOTNET_gcServer=0\`, the web template's logging."
    echo "- **C ceiling**: \`bench/peers/ceiling.c\`, one thread, level-triggered epoll, one \`recv\` and one \`send\`"
    echo "  per request, the same 64 bytes for any request: what one core answers with no work at all."
    echo "- Values: the same random bytes in every peer (checked with \`cmp\` before the rounds). POST cells write"
    echo "  64 bytes to \`p<random 1..100000>\` (\`bench/http/post_random.lua\`); the mixed cell reads and writes"
    echo "  \`m<random 1..1000>\`, all stored beforehand (\`bench/http/mixed.lua\`, \`bench/http/prefill.py\`)."
    echo "- Latency: \`bench/http/paced.lua\` paces each of the $conns connections with wrk's \`delay()\` (random"
    echo "  0..2× its share of the interval) so that all together offer about $rate req/s, the same for every"
    echo "  peer and well below EmbedKv's saturation; the cell shows wrk's p50 and p99 (median over rounds) and the"
    echo "  rate achieved (a little below $rate: each connection also waits for its answers). It runs twice: as is,"
    echo "  and with the server core kept awake by a SCHED_IDLE busy loop (footnote [^awake])."
    if [ -n "$crash_notes" ]; then
      echo
      echo "Server errors logged during the run:"
      echo
      echo '```'
      echo "$crash_notes"
      echo '```'
    fi
    echo
    echo "## Memory per idle keep-alive connection"
    echo
    echo "A fresh EmbedKv server (\`--workers 1 --durability none --max-connections $((idle_conns + 100))\`, pinned to"
    echo "core $srv_cpu), warmed with 1 s of wrk; then \`bench/http/idle_conns.py\` opens $idle_conns connections, sends one"
    echo "\`GET /k64\` on each, reads the answer and holds them open. VmRSS of the server process from"
    echo "\`/proc/<pid>/status\`, 1 s after the last connection was answered. VmRSS counts the process's"
    echo "memory only; the kernel's socket buffers for the connections are not in it."
    echo
    echo "- client: $(tr '\n' ';' <<<"$idle_report" | sed 's/;$//; s/;/; /g')"
    echo "- VmRSS before: $rss_before KiB; with the connections open: $rss_after KiB"
    if [ -n "$open_conns" ] && [ "$open_conns" -gt 0 ]; then
      local per
      per="$(awk -v a="$rss_after" -v b="$rss_before" -v n="$open_conns" 'BEGIN { printf "%.2f", (a - b) / n }')"
      echo "- **$per KiB per connection** over $open_conns connections (goal: under 16 KiB):" \
        "$(awk -v p="$per" 'BEGIN { print (p < 16 ? "met" : "NOT met") }')"
    else
      echo "- no connection was opened: see $out/http/idleclient.err"
    fi
  } >"$md"
  cat "$md"
  if has_peer baseline; then baseline_report; fi
}

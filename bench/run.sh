#!/usr/bin/env bash
# bench/run.sh: EmbedKv's benchmarks. Run from anywhere; paths are relative to the repository root.
#
#   bench/run.sh         the HTTP matrix against the peers -> bench/results/http.md, http.png
#   bench/run.sh all     everything the README quotes: micro, storage, then http
#   bench/run.sh SUITE   one suite (micro, storage, http, listener, profile); see usage below
#
# Scratch output (binaries, BenchmarkDotNet's artifacts, logs) goes to bench/out/, which git ignores.
# Environment: BENCH_CPU=N pins to core N instead of core 1; more under usage below.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="bench/out"
results="bench/results"

usage() {
  cat <<'EOF'
usage: bench/run.sh [SUITE]   (no SUITE: http)

suites:
  micro   syscall micro-benchmarks, pinned to one core: a C loop of the raw syscall instruction
          (bench/native/getpid_loop.c, the physical limit) and BenchmarkDotNet's getpid benchmarks
          (bench/EmbedKv.Benchmarks, Syscalls/GetpidBenchmarks.cs: the EmbedKv stub with and
          without GC transition, and libc's getpid() and syscall()). Writes bench/results/syscalls.md.
  listener  SO_REUSEPORT listeners per loop against one EPOLLEXCLUSIVE listener (2 loops, wrk);
          writes bench/results/listener.md.
  storage put rates of the storage engine for 1, 8 and 64 writers in each durability mode, beside
          the disk's raw pwrite+fdatasync rate, interleaved in rounds; recovery time and index memory
          for 1M keys. Writes bench/results/storage.md.

  http    (the default) the benchmark matrix: EmbedKv's HTTP server against nginx (static files,
          WebDAV PUT), Redis through webdis (appendfsync always / everysec), an ASP.NET Core
          minimal-API service with one file per key (bench/peers/AspNetKv) and a C epoll responder
          with a fixed 64-byte answer (bench/peers/ceiling.c, the ceiling). Workloads: GET 64 B
          keep-alive, GET 64 B with a new connection per request, GET 1 MiB, POST 64 B to 100,000
          random keys durable and batched, 90% GET / 10% POST, and p50/p99 latency of GET 64 B at a
          fixed rate (once as is, once with a SCHED_IDLE busy loop keeping the server core awake).
          Every server on core BENCH_CPU, wrk on core BENCH_CLIENT_CPU, interleaved
          rounds; then the server's memory per idle keep-alive connection. Installs wrk, nginx,
          redis-server, webdis, gcc and gnuplot-nox with apt-get if missing. Writes
          bench/results/http.md and bench/results/http.png.
  all     micro, storage and http, one after the other: every figure the README quotes.
  profile a CPU profile of EmbedKv serving GET 64 B keep-alive under wrk (perf record -e cpu-clock
          -g, JIT frames through DOTNET_PerfMapEnabled=1); installs linux-perf if missing. Prints
          the top frames and leaves the report in bench/out/profile/. BENCH_PROFILE_CELL=close
          profiles the connection-per-request cell instead.

environment:
  BENCH_CPU=N   the core to pin to (default 1; 0 on a one-core machine)
  http and listener: BENCH_ROUNDS (3), BENCH_SECONDS (5)
  http and profile: BENCH_CLIENT_CPU=N (wrk's core, default 0)
  http only: BENCH_CONNECTIONS (32), BENCH_WARMUP (seconds of every cell before the rounds, 1),
  BENCH_RATE (the latency cell's total request rate, 5000), BENCH_IDLE_CONNECTIONS (10000),
  BENCH_NICE (niceness of servers and wrk, e.g. -10 on a machine that cannot be made quiet; default 0),
  BENCH_WEBDIS_THREADS (1), BENCH_WEBDIS_POOL (20), BENCH_CELLS (a subset of the workloads:
  get64 get64close get1m postdurable postbatched mixed latency awake; default all)
  profile: BENCH_SECONDS (10), BENCH_PROFILE_CELL (keepalive or close)
EOF
}

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

# Prints the path of the libc.so.6 this process would load.
libc_path() {
  local p
  for p in /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6 /lib64/libc.so.6; do
    if [ -f "$p" ]; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  ldconfig -p 2>/dev/null | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }'
}

# Prints the disassembly of glibc's getpid (found with objdump -T), or nothing if it cannot.
libc_getpid_disassembly() {
  command -v objdump >/dev/null 2>&1 || return 0
  local libc line addr size
  libc="$(libc_path)"
  [ -n "$libc" ] || return 0
  # objdump -T: ADDRESS FLAGS... SECTION SIZE VERSION NAME
  line="$(objdump -T "$libc" | awk '$NF == "getpid" && $0 ~ /\.text/ { print; exit }')"
  [ -n "$line" ] || return 0
  addr="$(awk '{ print $1 }' <<<"$line")"
  size="$(awk '{ for (i = 1; i <= NF; i++) if ($i == ".text") { print $(i + 1); exit } }' <<<"$line")"
  objdump -d --no-show-raw-insn --start-address="0x$addr" --stop-address="$(printf '0x%x' $((0x$addr + 0x$size)))" "$libc" \
    | awk '/^ +[0-9a-f]+:/ { sub(/^ +/, ""); print }'
}

micro() {
  mkdir -p "$out" "$results"

  # --- tools --------------------------------------------------------------------------------
  local need=()
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  [ -f /usr/include/stdio.h ] || need+=(libc6-dev)
  install_missing "${need[@]+"${need[@]}"}"

  local cpu="${BENCH_CPU:-1}"
  if [ "$(nproc --all)" -le "$cpu" ]; then
    echo "warning: this machine has no core $cpu; pinning to core 0" >&2
    cpu=0
  fi
  local pin=() pinning
  if command -v taskset >/dev/null 2>&1; then
    pin=(taskset -c "$cpu")
    pinning="pinned to core $cpu with \`taskset -c $cpu\` (BenchmarkDotNet's child processes inherit it)"
  else
    echo "warning: taskset (util-linux) not found: running UNPINNED; results will be noisier" >&2
    pinning="NOT pinned (taskset was not found)"
  fi

  # --- C: the physical limit ----------------------------------------------------------------
  log "building bench/native/getpid_loop.c"
  gcc -O2 -Wall -Wextra -o "$out/getpid_loop" bench/native/getpid_loop.c

  # The C loop runs before and after BenchmarkDotNet, and the table uses the mean of the two
  # medians, so that a machine whose load changes during the run does not tilt the comparison.
  run_c_loop() { # before|after
    log "running the C loop, $1 the .NET benchmarks ($pinning)"
    "${pin[@]+"${pin[@]}"}" "$out/getpid_loop" | tee "$out/getpid_loop.$1.txt"
    if [ "$(grep -c '_getpid_ns ' "$out/getpid_loop.$1.txt")" -ne 3 ]; then
      echo "error: getpid_loop printed no result" >&2
      exit 1
    fi
  }
  c_value() { # name, run
    awk -v n="$1" '$1 == n { print $2 }' "$out/getpid_loop.$2.txt"
  }
  c_mean() { # name
    awk -v a="$(c_value "$1" before)" -v b="$(c_value "$1" after)" 'BEGIN { printf "%.2f", (a + b) / 2 }'
  }

  local load_before load_after
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 1.0) }'; then
    echo "warning: load average $load_before: other work on this machine will add noise" >&2
  fi
  run_c_loop before

  # --- .NET: BenchmarkDotNet ----------------------------------------------------------------
  log "building bench/EmbedKv.Benchmarks (Release)"
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v quiet

  log "running the getpid benchmarks ($pinning)"
  rm -rf "$out/bdn"
  "${pin[@]+"${pin[@]}"}" dotnet run -c Release --no-build --project bench/EmbedKv.Benchmarks -- \
    --filter '*GetpidBenchmarks*' --artifacts "$out/bdn" 2>&1 | tee "$out/bdn.log"

  run_c_loop after
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  local c_raw c_stub c_popjmp
  c_raw="$(c_mean c_raw_syscall_getpid_ns)"
  c_stub="$(c_mean c_stub_call_getpid_ns)"
  c_popjmp="$(c_mean c_stub_popjmp_getpid_ns)"

  local csv="$out/bdn/results/EmbedKv.Benchmarks.Syscalls.GetpidBenchmarks-report.csv"
  local report="$out/bdn/results/EmbedKv.Benchmarks.Syscalls.GetpidBenchmarks-report-github.md"
  if [ ! -f "$csv" ]; then
    echo "error: BenchmarkDotNet wrote no $csv" >&2
    exit 1
  fi

  # BenchConfig's CSV exporter: ';' between fields, invariant culture, times in ns with the unit
  # only in the header ("Median [ns]"). Drop quotes and thousands separators to be safe.
  local medians="$out/getpid_medians.txt"
  awk -F';' '
    NR == 1 {
      for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); col[h] = i }
      if (!("Method" in col) || !("Median [ns]" in col)) { print "no Method or Median [ns] column" > "/dev/stderr"; exit 1 }
      next
    }
    {
      m = $(col["Method"]); v = $(col["Median [ns]"])
      gsub(/"/, "", m); gsub(/[",]/, "", v)
      if (v == "" || v == "NA" || v == "?") { print "no median for " m > "/dev/stderr"; exit 1 }
      print m, v
    }' "$csv" >"$medians"

  median_of() { awk -v m="$1" '$1 == m { print $2 }' "$medians"; }
  local stub libc_getpid libc_syscall jump
  stub="$(median_of StubSuppressGCTransition)"
  libc_getpid="$(median_of LibcGetpid)"
  libc_syscall="$(median_of LibcSyscall39)"
  jump="$(median_of StubJumpSuppressGCTransition)"
  if [ -z "$stub" ] || [ -z "$libc_getpid" ] || [ -z "$libc_syscall" ]; then
    echo "error: $csv lacks one of StubSuppressGCTransition, LibcGetpid, LibcSyscall39" >&2
    exit 1
  fi

  # --- the report ---------------------------------------------------------------------------
  log "writing $results/syscalls.md"
  local cpu_model kernel glibc dotnet_runtime disasm libc_note
  cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -r)"
  glibc="$(ldd --version 2>/dev/null | head -n 1 || true)"
  dotnet_runtime="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  disasm="$(libc_getpid_disassembly || true)"
  if [ -z "$disasm" ]; then
    libc_note="(objdump was not available to disassemble glibc's getpid.)"
  elif grep -q 'syscall' <<<"$disasm" && ! grep -qE '(^|[[:space:]])call|%fs:' <<<"$disasm"; then
    libc_note="glibc's getpid() makes the real syscall every time (no cached pid, as since glibc 2.25):"
  else
    libc_note="glibc's getpid() is not a bare syscall here; check its code:"
  fi

  row() { # label, ns
    awk -v label="$1" -v ns="$2" -v c="$c_raw" -v s="$stub" \
      'BEGIN { printf "| %s | %.1f | %.2f | %.2f |\n", label, ns, ns / c, ns / s }'
  }
  verdict() { # condition as awk expression over r, a, b
    awk -v r="$1" -v a="$2" -v b="$3" "BEGIN { exit !($4) }" && echo "met" || echo "NOT met"
  }

  {
    echo "# Syscall micro-benchmarks: getpid"
    echo
    echo "Written by \`bench/run.sh micro\`; do not edit by hand. Median ns per getpid call, lower is better."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: \`nproc\` = $(nproc), CPU: $cpu_model, kernel $kernel"
    echo "- libc: $glibc; .NET runtime $dotnet_runtime; $(grep -m1 -o 'BenchmarkDotNet v[0-9.]*' "$out/bdn.log" || echo BenchmarkDotNet)"
    echo "- $pinning"
    echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after"
    for v in spectre_v2 spec_rstack_overflow; do
      if [ -r "/sys/devices/system/cpu/vulnerabilities/$v" ]; then
        echo "- mitigations: $v: $(cat "/sys/devices/system/cpu/vulnerabilities/$v")"
      fi
    done
    echo
    echo "| route | median ns/call | ratio to C loop | ratio to stub |"
    echo "|---|---:|---:|---:|"
    row "C loop: raw \`syscall\` instruction inline (the physical limit)" "$c_raw"
    row "C: the generator's stub bytes (\`mov eax,39; syscall; ret\`) called through a function pointer" "$c_stub"
    row "C: experimental stub (\`mov eax,39; syscall; pop rcx; jmp rcx\`) through a function pointer" "$c_popjmp"
    while read -r method ns; do
      case "$method" in
        StubSuppressGCTransition) label="**EmbedKv stub, \`Sys.Getpid()\`, SuppressGCTransition (baseline)**" ;;
        StubWithGCTransition) label="EmbedKv stub, same code, \`delegate* unmanaged\` with GC transition" ;;
        LibcGetpid) label="libc \`getpid()\` via LibraryImport" ;;
        LibcSyscall39) label="libc \`syscall(39)\` via LibraryImport (the fallback route)" ;;
        LibcGetpidSuppressGCTransition) label="libc \`getpid()\` + [SuppressGCTransition] (comparison only)" ;;
        LibcSyscall39SuppressGCTransition) label="libc \`syscall(39)\` + [SuppressGCTransition] (comparison only)" ;;
        StubJumpSuppressGCTransition) label="EmbedKv stub from a table with \`\"stubReturn\": \"jump\"\` (\`pop rcx; jmp rcx\`), SuppressGCTransition" ;;
        StubJumpWithGCTransition) label="the same jump stub with GC transition" ;;
        *) label="$method" ;;
      esac
      row "$label ($method)" "$ns"
    done <"$medians"
    echo
    echo "Goal: the SuppressGCTransition stub within 10% of the C loop, and faster than both libc routes."
    echo
    echo "- stub / C loop = $(awk -v s="$stub" -v c="$c_raw" 'BEGIN { printf "%.2f", s / c }'):" \
      "$(verdict "$stub" "$c_raw" 0 'r <= a * 1.10')"
    echo "- stub / libc getpid() = $(awk -v s="$stub" -v l="$libc_getpid" 'BEGIN { printf "%.2f", s / l }')," \
      "stub / libc syscall(39) = $(awk -v s="$stub" -v l="$libc_syscall" 'BEGIN { printf "%.2f", s / l }'):" \
      "$(verdict "$stub" "$libc_getpid" "$libc_syscall" 'r < a && r < b')"
    if [ -n "$jump" ]; then
      echo "- with the opt-in \`\"stubReturn\": \"jump\"\` ending: jump stub / C loop =" \
        "$(awk -v s="$jump" -v c="$c_raw" 'BEGIN { printf "%.2f", s / c }'): $(verdict "$jump" "$c_raw" 0 'r <= a * 1.10');" \
        "faster than both libc routes: $(verdict "$jump" "$libc_getpid" "$libc_syscall" 'r < a && r < b')"
    fi
    echo
    echo "How to read it: the C loop is the instruction alone. The second C row calls the very bytes the"
    echo "generator emits, from C, so the gap between the first two rows is the cost of calling a stub"
    echo "at all (call + \`ret\` around \`syscall\`) on this machine, .NET or not; the pop/jmp row returns"
    echo "without \`ret\`. Stub vs. stub with transition is the price of the GC transition; libc getpid()"
    echo "vs. the stub with transition is the P/Invoke route, since glibc's getpid() is the same code."
    echo
    echo "$libc_note"
    if [ -n "$disasm" ]; then
      echo
      echo '```'
      echo "$disasm"
      echo '```'
    fi
    echo
    echo "The C numbers are the mean of two runs of \`bench/native/getpid_loop.c\`, one before and one after"
    echo "the .NET benchmarks, each the median of 5 rounds of 20 million calls (inline / stub / pop-jmp stub:"
    echo "before $(c_value c_raw_syscall_getpid_ns before) / $(c_value c_stub_call_getpid_ns before) / $(c_value c_stub_popjmp_getpid_ns before) ns," \
      "after $(c_value c_raw_syscall_getpid_ns after) / $(c_value c_stub_call_getpid_ns after) / $(c_value c_stub_popjmp_getpid_ns after) ns)."
    echo "The .NET numbers are BenchmarkDotNet's medians (100 calls per invocation)."
    if [ -f "$report" ]; then
      echo
      echo "## BenchmarkDotNet's summary"
      echo
      cat "$report"
    fi
  } >"$results/syscalls.md"

  cat "$results/syscalls.md"
}

# Storage: put throughput per durability mode and writer count beside the disk's raw
# fdatasync rate, recovery time and index memory for 1M keys -> bench/results/storage.md.
storage() {
  local cpu="${BENCH_CPU:-1}"
  log "building the benchmarks (Release)"
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  log "running the storage benchmarks pinned to core $cpu"
  taskset -c "$cpu" dotnet run -c Release --no-build --project bench/EmbedKv.Benchmarks -- storage --out "$results/storage.md"
}

# HTTP: the benchmark matrix. EmbedKv's server against nginx, Redis through webdis, an ASP.NET Core
# key-value service and a C epoll responder (the ceiling), every server pinned to core BENCH_CPU and
# wrk to core BENCH_CLIENT_CPU, each cell repeated in interleaved rounds; then the server's memory per
# idle keep-alive connection. -> bench/results/http.md and bench/results/http.png

# The peers, in table order, and the names the report gives them.
http_peers=(embedkv nginx webdis aspnet ceiling)
declare -A http_peer_name=(
  [embedkv]="EmbedKv" [nginx]="nginx" [webdis]="Redis via webdis" [aspnet]="ASP.NET Core" [ceiling]="C ceiling"
)
# The workloads, in table order.
# "latency" lets the server core go idle between requests; "awake" is the same with a SCHED_IDLE busy
# loop on the server core, which keeps a VM's vCPU from sleeping (see the report's notes).
http_cells=(get64 get64close get1m postdurable postbatched mixed latency awake)

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
  # --- tools ----------------------------------------------------------------------------------
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v webdis >/dev/null 2>&1 || need+=(webdis)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  [ -f /usr/include/stdio.h ] || need+=(libc6-dev)
  command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
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
  log "building the benchmarks and the ASP.NET Core peer (Release), and the C ceiling"
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  dotnet build bench/peers/AspNetKv -c Release -nologo -v q
  mkdir -p "$out"
  gcc -O2 -Wall -Wextra -o "$out/ceiling" bench/peers/ceiling.c
  local dll="bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll"
  local asp_dir="$root/bench/peers/AspNetKv/bin/Release/net10.0"

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

  # EmbedKv through the benchmarks' serve command, one event loop.
  start_kv() { # name durability [extra serve options...]
    local name="$1" durability="$2" i
    shift 2
    : >"$w/$name.out" # exists before the server writes to it, for the wait below
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" dotnet "$dll" serve --port 0 --data "$w/data-$name" --durability "$durability" \
      --workers 1 "$@" >"$w/$name.out" 2>"$w/$name.err" &
    http_pids+=($!)
    watch["EmbedKv ($name)"]=$!
    peer_pids[embedkv]+=" $!"
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

  # nginx: one worker, static files for GET, WebDAV PUT (bench/http/nginx.conf.in).
  local cpumask
  cpumask="1$(printf '%*s' "$srv_cpu" '' | tr ' ' '0')" # worker_cpu_affinity: lowest core rightmost
  start_nginx() {
    port="$(free_port)"
    sed -e "s|@OUT@|$ng|g" -e "s|@PORT@|$port|g" -e "s|@CPUMASK@|$cpumask|g" bench/http/nginx.conf.in >"$ng/nginx.conf"
    "$nginx_bin" -t -c "$ng/nginx.conf" -g 'daemon off;' 2>"$ng/test.log" || { cat "$ng/test.log" >&2; exit 1; }
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" "$nginx_bin" -c "$ng/nginx.conf" -g 'daemon off;' >"$ng/stdout.log" 2>&1 &
    http_pids+=($!)
    watch[nginx]=$!
    wait_http "http://127.0.0.1:$port/k64" || { echo "error: nginx did not start" >&2; cat "$ng/error.log" >&2; exit 1; }
    peer_pids[nginx]="${watch[nginx]} $(cat /proc/"${watch[nginx]}"/task/*/children)" # master and worker
  }

  # Redis (AOF on, appendfsync always|everysec, no RDB snapshots, unix socket only) with webdis in
  # front of it on TCP: two processes, one service, both on the server core.
  start_webdis() { # name appendfsync
    local name="$1" fsync="$2" d="$w/redis-$1" i
    mkdir -p "$d"
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" redis-server --port 0 --unixsocket "$d/redis.sock" --unixsocketperm 700 \
      --dir "$d" --appendonly yes --appendfsync "$fsync" --save "" --daemonize no \
      --logfile "$d/redis.log" >/dev/null 2>&1 &
    http_pids+=($!)
    watch["redis ($name)"]=$!
    peer_pids[webdis]+=" $!"
    for i in $(seq 1 100); do
      [ -S "$d/redis.sock" ] && break
      sleep 0.1
    done
    port="$(free_port)"
    # webdis's settings (JSON, which takes no comments): Debian's defaults but for the paths, the
    # redis socket, one thread (it shares one core with redis) and no daemonizing.
    cat >"$d/webdis.json" <<EOF
{
  "redis_host": "$d/redis.sock",
  "redis_port": 0,
  "redis_auth": null,
  "http_host": "127.0.0.1",
  "http_port": $port,
  "threads": ${BENCH_WEBDIS_THREADS:-1},
  "pool_size": ${BENCH_WEBDIS_POOL:-20},
  "daemonize": false,
  "database": 0,
  "acl": [ { "disabled": ["DEBUG"] } ],
  "verbosity": 1,
  "logfile": "$d/webdis.log"
}
EOF
    "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" webdis "$d/webdis.json" >"$d/webdis.out" 2>&1 &
    http_pids+=($!)
    watch["webdis ($name)"]=$!
    peer_pids[webdis]+=" $!"
    wait_http "http://127.0.0.1:$port/PING" || { echo "error: webdis $name did not start" >&2; cat "$d"/*.log "$d/webdis.out" >&2; exit 1; }
  }

  # The ASP.NET Core peer: Kestrel on 127.0.0.1, workstation GC (on one core the runtime would not
  # use server GC anyway; saying so makes it the same on any machine), the template's logging.
  start_aspnet() { # name durable(true|false)
    local name="$1" i
    : >"$w/aspnet-$name.out"
    DOTNET_gcServer=0 "${prio[@]+"${prio[@]}"}" taskset -c "$srv_cpu" dotnet "$asp_dir/AspNetKv.dll" --contentRoot "$asp_dir" \
      --urls "http://127.0.0.1:0" --DataDir "$w/aspnet-$name" --Durable "$2" >"$w/aspnet-$name.out" 2>&1 &
    http_pids+=($!)
    watch["ASP.NET Core ($name)"]=$!
    peer_pids[aspnet]+=" $!"
    port=""
    for i in $(seq 1 300); do
      port="$(awk -F: '/Now listening on: http:\/\/127\.0\.0\.1:[0-9]+/ { print $NF; exit }' "$w/aspnet-$name.out")"
      [ -n "$port" ] && return 0
      sleep 0.1
    done
    echo "error: the ASP.NET Core peer $name did not start:" >&2
    cat "$w/aspnet-$name.out" >&2
    exit 1
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
  start_kv always always
  local kv_always="$port"
  start_kv batched batched
  local kv_batched="$port"
  cp "$values/k64" "$values/k1m" "$ng/static/"
  start_nginx
  local ng_port="$port"
  start_webdis always always
  local wd_always="$port"
  start_webdis everysec everysec
  local wd_everysec="$port"
  start_aspnet durable true
  local asp_durable="$port"
  start_aspnet batched false
  local asp_batched="$port"
  start_ceiling
  local ceil_port="$port"

  # --- the same values in every peer, checked byte for byte ------------------------------------
  log "storing the values"
  prefill() { python3 bench/http/prefill.py "$@" >/dev/null; }
  prefill "$kv_always" POST / "$values/k64" k64
  prefill "$kv_always" POST / "$values/k1m" k1m
  prefill "$wd_always" PUT /SET/ "$values/k64" k64
  prefill "$wd_always" PUT /SET/ "$values/k1m" k1m
  prefill "$asp_durable" POST / "$values/k64" k64
  prefill "$asp_durable" POST / "$values/k1m" k1m
  # The mixed workload's keys m1..m1000, in the servers its cells use.
  prefill "$kv_batched" POST / "$values/k64" --range m 1000
  prefill "$ng_port" PUT /dav/ "$values/k64" --range m 1000
  prefill "$wd_everysec" PUT /SET/ "$values/k64" --range m 1000
  prefill "$asp_batched" POST / "$values/k64" --range m 1000
  same() { # url file
    curl -fsS "$1" | cmp -s - "$2" || { echo "error: $1 did not return the bytes of $2" >&2; exit 1; }
  }
  local k
  for k in k64 k1m; do
    same "http://127.0.0.1:$kv_always/$k" "$values/$k"
    same "http://127.0.0.1:$ng_port/$k" "$values/$k"
    same "http://127.0.0.1:$wd_always/GET/$k.txt" "$values/$k"
    same "http://127.0.0.1:$asp_durable/$k" "$values/$k"
  done
  same "http://127.0.0.1:$ceil_port/k64" "$values/k64"
  same "http://127.0.0.1:$kv_batched/m1000" "$values/k64"
  same "http://127.0.0.1:$ng_port/dav/m1000" "$values/k64"
  same "http://127.0.0.1:$wd_everysec/GET/m1000.txt" "$values/k64"
  same "http://127.0.0.1:$asp_batched/m1000" "$values/k64"

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

  # Only the cells asked for.
  local kept=() entry
  for entry in "${matrix[@]}"; do
    [[ " ${cells[*]} " == *" ${entry%%|*} "* ]] && kept+=("$entry")
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
  log "idle connections: $idle_conns keep-alive connections to a fresh EmbedKv server"
  start_kv idle none --max-connections $((idle_conns + 100))
  local idle_port="$port" idle_pid="${http_pids[-1]}"
  prefill "$idle_port" PUT / "$values/k64" k64
  # Warm up the request path so that JIT and first-use allocations are not charged to connections.
  taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$idle_port/k64" >/dev/null 2>&1 || true
  sleep 1
  rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
  local rss_before rss_after idle_report
  rss_before="$(rss "$idle_pid")"
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
  rss_after="$(rss "$idle_pid")"
  local open_conns
  open_conns="$(awk '$1 == "open" { print $2 }' "$w/idleclient.txt")"
  echo >&9
  exec 9>&-
  wait "$py_pid" || true
  cleanup_http
  trap - EXIT
  idle_report="$(cat "$w/idleclient.txt")"

  http_report
}

# Writes bench/results/http.md and bench/results/http.png from the samples of http_suite (it reads
# that function's locals: samples, rounds, secs, conns, rate, ...).
http_report() {
  # A run of some cells only (BENCH_CELLS) reports to the scratch directory, not over the full table.
  local md="$results/http.md" png="$results/http.png"
  if [ -n "${BENCH_CELLS:-}" ]; then
    md="$w/http-cells.md"
    png="$w/http-cells.png"
  fi
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
      echo "- $1: not measured in this run (BENCH_CELLS)"
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
    for peer in "${http_peers[@]}"; do printf ' %s |' "${http_peer_name[$peer]}"; done
    printf '\n|---|'
    for peer in "${http_peers[@]}"; do printf -- '---:|'; done
    printf '\n'
    local cell base s
    for cell in "${cells[@]}"; do
      base="$(stats "$cell" embedkv)"
      printf '| %s |' "${label[$cell]}"
      is_latency "$cell" || printf '"%s"' "${short[$cell]}" >>"$tput"
      for peer in "${http_peers[@]}"; do
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
  for peer_l in "${http_peers[@]}"; do
    s_idle="$(stats latency "$peer_l")"
    s_awake="$(stats awake "$peer_l")"
    printf '"%s" %s %s %s %s\n' "${http_peer_name[$peer_l]}" \
      "$(cut -d' ' -f5 <<<"${s_idle:-- - - - - -}")" "$(cut -d' ' -f6 <<<"${s_idle:-- - - - - -}")" \
      "$(cut -d' ' -f5 <<<"${s_awake:-- - - - - -}")" "$(cut -d' ' -f6 <<<"${s_awake:-- - - - - -}")" >>"$lat"
  done

  local chart_note=""
  if [ ! -s "$tput" ]; then
    chart_note="(no throughput cell in this run: no chart)"
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
    for peer in "${http_peers[@]}"; do printf ' %s |' "${http_peer_name[$peer]}"; done
    printf '\n|---|'
    for peer in "${http_peers[@]}"; do printf -- '---:|'; done
    printf '\n'
    for cell in "${cells[@]}"; do
      printf '| %s |' "${label[$cell]}"
      for peer in "${http_peers[@]}"; do
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
    echo "- **nginx**: one worker (\`worker_cpu_affinity $cpumask\`), the values as static files (\`sendfile on\`,"
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
}

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

# Profile: EmbedKv serving GET 64 B under wrk, sampled with perf's cpu-clock software event (this
# VM has no hardware counters), JIT-compiled frames named through the runtime's perf map (W^X off, so
# that JIT code is not in a double-mapped memfd that perf cannot name). Prints the
# top frames; the report stays in bench/out/profile/.
profile() {
  command -v perf >/dev/null 2>&1 || install_missing linux-perf
  command -v wrk >/dev/null 2>&1 || install_missing wrk
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}" secs="${BENCH_SECONDS:-10}"
  local close=()
  [ "${BENCH_PROFILE_CELL:-keepalive}" = close ] && close=(-H "Connection: close")
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  local p="$root/$out/profile" port="" pid i
  rm -rf "$p"
  mkdir -p "$p"
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c "$srv_cpu" dotnet bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll \
    serve --port 0 --data "$p/data" --durability always --workers 1 >"$p/serve.out" 2>"$p/serve.err" &
  pid=$!
  trap 'kill -TERM '"$pid"' 2>/dev/null || true' EXIT
  for i in $(seq 1 100); do
    port="$(awk '$1 == "listening" { print $2; exit }' "$p/serve.out")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "error: the server did not start" >&2; cat "$p/serve.err" >&2; exit 1; }
  head -c 64 /dev/urandom >"$p/k64"
  python3 bench/http/prefill.py "$port" POST / "$p/k64" k64 >/dev/null
  local url="http://127.0.0.1:$port/k64"
  log "warming up, then recording $secs s of pid $pid under wrk${close[*]:+ (${close[*]})}"
  taskset -c "$cli_cpu" wrk -t1 -c32 -d3s "${close[@]+"${close[@]}"}" "$url" >/dev/null
  taskset -c "$cli_cpu" wrk -t1 -c32 -d$((secs + 2))s "${close[@]+"${close[@]}"}" "$url" >"$p/wrk.txt" &
  local wrk_pid=$!
  sleep 1
  perf record -e cpu-clock -g -p "$pid" -o "$p/perf.data" -- sleep "$secs" 2>"$p/record.err"
  wait "$wrk_pid"
  kill -TERM "$pid"
  wait "$pid" || true
  trap - EXIT
  perf report -i "$p/perf.data" --no-children --sort dso --stdio 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 12' >"$p/dso.txt"
  perf report -i "$p/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 40' >"$p/symbols.txt"
  perf report -i "$p/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 40' >"$p/children.txt"
  grep -E 'Requests/sec|Socket errors|Non-2xx' "$p/wrk.txt" || true
  echo; echo "by binary (self):"; cat "$p/dso.txt"
  echo; echo "top symbols (self):"; cat "$p/symbols.txt"
  echo; echo "top symbols (with children):"; cat "$p/children.txt"
}

case "${1:-http}" in
  micro) micro ;;
  listener) listener ;;
  storage) storage ;;
  http) http_suite ;;
  all) micro; storage; http_suite ;;
  profile) profile ;;
  -h | --help | help) usage ;;
  *) echo "unknown suite: $1" >&2; usage >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# bench/run.sh: EmbedKv's benchmarks. Run from anywhere; paths are relative to the repository root.
#
#   bench/run.sh micro   syscall micro-benchmarks -> bench/results/syscalls.md
#
# Scratch output (binaries, BenchmarkDotNet's artifacts, logs) goes to bench/out/, which git ignores.
# Environment: BENCH_CPU=N pins to core N instead of core 1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="bench/out"
results="bench/results"

usage() {
  cat <<'EOF'
usage: bench/run.sh SUITE

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

  http    EmbedKv's HTTP server against nginx under wrk (server on core BENCH_CPU, wrk on core
          BENCH_CLIENT_CPU): GET 64 B keep-alive and Connection: close, GET 1 MiB, PUT 64 B to random
          keys (EmbedKv always, batched and none, nginx WebDAV without fsync), in interleaved rounds; then
          the server's memory per idle keep-alive connection. Installs wrk and nginx with apt-get if
          missing. Writes bench/results/http.md.

environment:
  BENCH_CPU=N   the core to pin to (default 1; 0 on a one-core machine)
  http only: BENCH_CLIENT_CPU=N (wrk's core, default 0), BENCH_ROUNDS (3), BENCH_SECONDS (5),
  BENCH_CONNECTIONS (32), BENCH_IDLE_CONNECTIONS (10000)
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
  local stub libc_getpid libc_syscall
  stub="$(median_of StubSuppressGCTransition)"
  libc_getpid="$(median_of LibcGetpid)"
  libc_syscall="$(median_of LibcSyscall39)"
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
        ExperimentalPopJmpStubSuppressGCTransition) label="experimental pop/jmp stub, SuppressGCTransition (not generated)" ;;
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

# HTTP: EmbedKv's server against nginx under wrk, server pinned to one core and wrk to another,
# in interleaved rounds; then the server's memory per idle keep-alive connection.
# -> bench/results/http.md
http_suite() {
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  if [ ${#need[@]} -gt 0 ]; then
    apt-cache policy "${need[@]}" >/dev/null || { echo "error: apt-cache policy ${need[*]} failed" >&2; exit 1; }
    install_missing "${need[@]}"
  fi
  local nginx_bin
  nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-3}" secs="${BENCH_SECONDS:-5}" conns="${BENCH_CONNECTIONS:-32}"
  local idle_conns="${BENCH_IDLE_CONNECTIONS:-10000}"
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; server and wrk share core 0" >&2
    srv_cpu=0
  fi
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

  log "building the benchmarks (Release)"
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  local dll="bench/EmbedKv.Benchmarks/bin/Release/net10.0/EmbedKv.Benchmarks.dll"

  local w="$root/$out/http" ng="$root/$out/nginx"
  rm -rf "$w" "$ng"
  mkdir -p "$w" "$ng/static" "$ng/dav" "$ng/client_body_temp" "$results"
  local pids=()
  cleanup_http() {
    local p
    for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
    pids=()
  }
  trap cleanup_http EXIT

  # Starts an EmbedKv server pinned to the server core; sets $kv_port and $kv_pid.
  start_kv() { # name durability [extra serve options...]
    local name="$1" durability="$2"
    shift 2
    taskset -c "$srv_cpu" dotnet "$dll" serve --port 0 --data "$w/data-$name" --durability "$durability" \
      --workers 1 "$@" >"$w/$name.out" 2>"$w/$name.err" &
    kv_pid=$!
    pids+=("$kv_pid")
    local i
    for i in $(seq 1 100); do
      kv_port="$(awk '$1 == "listening" { print $2; exit }' "$w/$name.out")"
      [ -n "$kv_port" ] && return 0
      kill -0 "$kv_pid" 2>/dev/null || break
      sleep 0.1
    done
    echo "error: EmbedKv server $name did not start:" >&2
    cat "$w/$name.err" >&2
    exit 1
  }

  log "starting servers (pinned to core $srv_cpu)"
  local kv_port kv_pid
  start_kv always always
  local kv_always_port="$kv_port" kv_always_pid="$kv_pid"
  start_kv batched batched
  local kv_batched_port="$kv_port" kv_batched_pid="$kv_pid"
  start_kv none none
  local kv_none_port="$kv_port" kv_none_pid="$kv_pid"

  # The same value bytes for both servers.
  head -c 64 /dev/urandom >"$ng/static/k64"
  head -c $((1024 * 1024)) /dev/urandom >"$ng/static/k1m"
  local k
  for k in k64 k1m; do
    local code
    code="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$ng/static/$k" "http://127.0.0.1:$kv_always_port/$k")"
    case "$code" in 201 | 204) ;; *) echo "error: PUT /$k to EmbedKv answered $code" >&2; exit 1 ;; esac
    curl -sS "http://127.0.0.1:$kv_always_port/$k" | cmp -s - "$ng/static/$k" || { echo "error: EmbedKv returned other bytes for /$k" >&2; exit 1; }
  done

  local ng_port cpumask
  ng_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # worker_cpu_affinity takes a bit mask with the lowest core rightmost.
  cpumask="1$(printf '%*s' "$srv_cpu" '' | tr ' ' '0')"
  sed -e "s|@OUT@|$ng|g" -e "s|@PORT@|$ng_port|g" -e "s|@CPUMASK@|$cpumask|g" bench/http/nginx.conf.in >"$ng/nginx.conf"
  "$nginx_bin" -t -c "$ng/nginx.conf" -g 'daemon off;' 2>"$ng/test.log" || { cat "$ng/test.log" >&2; exit 1; }
  taskset -c "$srv_cpu" "$nginx_bin" -c "$ng/nginx.conf" -g 'daemon off;' >"$ng/stdout.log" 2>&1 &
  local ng_pid=$!
  pids+=("$ng_pid")
  for k in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$ng_port/k64" && break
    sleep 0.1
  done
  for k in k64 k1m; do
    curl -sS "http://127.0.0.1:$ng_port/$k" | cmp -s - "$ng/static/$k" || { echo "error: nginx returned other bytes for /$k" >&2; exit 1; }
  done

  # --- the matrix: cell|side|label|url|extra wrk arguments ----------------------------------
  local lua="$root/bench/http/put_random.lua"
  local matrix=(
    "get64|embedkv|GET 64 B, $conns keep-alive connections|http://127.0.0.1:$kv_always_port/k64|"
    "get64|nginx||http://127.0.0.1:$ng_port/k64|"
    "get64close|embedkv|GET 64 B, new connection per request (Connection: close)|http://127.0.0.1:$kv_always_port/k64|-H|Connection: close"
    "get64close|nginx||http://127.0.0.1:$ng_port/k64|-H|Connection: close"
    "get1m|embedkv|GET 1 MiB, $conns keep-alive connections|http://127.0.0.1:$kv_always_port/k1m|"
    "get1m|nginx||http://127.0.0.1:$ng_port/k1m|"
    "putalways|embedkv|PUT 64 B to random keys, EmbedKv durability always (fdatasync before the answer)|http://127.0.0.1:$kv_always_port/|-s|$lua"
    "putalways|nginx||http://127.0.0.1:$ng_port/dav/|-s|$lua|--|/dav/"
    "putbatched|embedkv|PUT 64 B to random keys, EmbedKv durability batched (synced within 1 s)|http://127.0.0.1:$kv_batched_port/|-s|$lua"
    "putbatched|nginx||http://127.0.0.1:$ng_port/dav/|-s|$lua|--|/dav/"
    "putnone|embedkv|PUT 64 B to random keys, EmbedKv durability none (synced at close)|http://127.0.0.1:$kv_none_port/|-s|$lua"
    "putnone|nginx||http://127.0.0.1:$ng_port/dav/|-s|$lua|--|/dav/"
  )
  local samples="$w/samples.txt"
  : >"$samples"
  local load_before load_after
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  local round entry
  for round in $(seq 1 "$rounds"); do
    for entry in "${matrix[@]}"; do
      local cell side label url
      IFS='|' read -r -a f <<<"$entry"
      cell="${f[0]}" side="${f[1]}" url="${f[3]}"
      local extra=("${f[@]:4}")
      [ -n "${extra[0]:-}" ] || extra=()
      # wrk wants the script before the URL and script arguments after "--", after the URL.
      local pre=() post=() seen_dash=0 a
      for a in "${extra[@]+"${extra[@]}"}"; do
        if [ "$a" = "--" ]; then seen_dash=1; fi
        if [ "$seen_dash" -eq 1 ]; then post+=("$a"); else pre+=("$a"); fi
      done
      local log_file="$w/wrk.$cell.$side.$round.txt"
      taskset -c "$cli_cpu" wrk -t1 -c"$conns" -d"${secs}s" --latency "${pre[@]+"${pre[@]}"}" "$url" "${post[@]+"${post[@]}"}" >"$log_file" 2>&1 || true
      awk -v cell="$cell" -v side="$side" '
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); se = $4 + $6 + $8 + $10 }
        /^ +99%/ { p99 = $2 }
        /^ +50%/ { p50 = $2 }
        END { printf "%s %s %s %d %d %s %s\n", cell, side, (rps == "" ? "0" : rps), non2xx, se, (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99) }
      ' "$log_file" | tee -a "$samples" >&2
      kill -0 "$kv_always_pid" 2>/dev/null || { echo "error: the EmbedKv server (always) died" >&2; cat "$w/always.err" >&2; exit 1; }
      kill -0 "$kv_batched_pid" 2>/dev/null || { echo "error: the EmbedKv server (batched) died" >&2; cat "$w/batched.err" >&2; exit 1; }
      kill -0 "$kv_none_pid" 2>/dev/null || { echo "error: the EmbedKv server (none) died" >&2; cat "$w/none.err" >&2; exit 1; }
    done
  done
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  cleanup_http
  local crash_notes=""
  grep -il 'exception\|fatal\|unhandled' "$w"/*.err >/dev/null 2>&1 && crash_notes="$(grep -ih 'exception\|fatal\|unhandled' "$w"/*.err | head -5)"

  # --- memory per idle keep-alive connection --------------------------------------------------
  log "idle connections: $idle_conns keep-alive connections to a fresh EmbedKv server"
  start_kv idle none --max-connections $((idle_conns + 100))
  local idle_port="$kv_port" idle_pid="$kv_pid"
  curl -sS -o /dev/null -X PUT --data-binary "@$ng/static/k64" "http://127.0.0.1:$idle_port/k64"
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

  # --- the report ---------------------------------------------------------------------------
  log "writing $results/http.md"
  local cpu_model kernel dotnet_runtime nginx_version wrk_version
  cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -r)"
  dotnet_runtime="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  nginx_version="$( ("$nginx_bin" -v 2>&1 || true) | sed 's/^nginx version: //')"
  wrk_version="$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $1, $2 }')"
  stats() { # cell side -> "median min max non2xx sockerr p50 p99"
    awk -v c="$1" -v s="$2" '$1 == c && $2 == s { print }' "$samples" | sort -k3,3g | awk '
      { r[NR] = $3; n2 += $4; se += $5; p50[NR] = $6; p99[NR] = $7 }
      END { m = int((NR + 1) / 2); printf "%s %s %s %d %d %s %s\n", r[m], r[1], r[NR], n2, se, p50[m], p99[m] }'
  }
  {
    echo "# HTTP: EmbedKv's server against nginx"
    echo
    echo "Written by \`bench/run.sh http\`; do not edit by hand. Requests per second (higher is better):"
    echo "the median of $rounds interleaved rounds of ${secs} s (EmbedKv, nginx, next cell, ..., then again),"
    echo "with the min..max over the rounds. Errors are summed over all rounds."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: \`nproc\` = $(nproc), CPU: $cpu_model, kernel $kernel"
    echo "- .NET runtime $dotnet_runtime; $nginx_version; $wrk_version"
    echo "- servers pinned to core $srv_cpu (\`taskset -c $srv_cpu\`; EmbedKv with \`--workers 1\`, nginx with"
    echo "  \`worker_processes 1\` and \`worker_cpu_affinity $cpumask\`); wrk pinned to core $cli_cpu:"
    echo "  \`taskset -c $cli_cpu wrk -t1 -c$conns -d${secs}s --latency\`"
    echo "- nginx: static files for GET (\`sendfile on\`, \`access_log off\`, \`keepalive_requests 1000000\`);"
    echo "  WebDAV \`dav_methods PUT\` into a scratch root for PUT. **nginx never fsyncs**: its PUT rows are"
    echo "  a no-durability ceiling, not a like-for-like comparison with EmbedKv's durability always."
    echo "- EmbedKv data and nginx's DAV root are both under \`$out/\` (same filesystem)."
    echo "- PUT keys: random \`/k<1..100000>\` per request, 64-byte body (\`bench/http/put_random.lua\`)."
    echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after"
    echo
    echo "| cell | EmbedKv req/s (min..max) | nginx req/s (min..max) | EmbedKv/nginx | EmbedKv p50 / p99 | nginx p50 / p99 | errors EmbedKv / nginx (non-2xx, socket) |"
    echo "|---|---:|---:|---:|---|---|---|"
    local cell label e n
    for cell in get64 get64close get1m putalways putbatched putnone; do
      label="$(printf '%s\n' "${matrix[@]}" | awk -F'|' -v c="$cell" '$1 == c && $2 == "embedkv" { print $3; exit }')"
      e="$(stats "$cell" embedkv)"
      n="$(stats "$cell" nginx)"
      awk -v label="$label" -v e="$e" -v n="$n" 'BEGIN {
        split(e, a, " "); split(n, b, " ")
        printf "| %s | %.0f (%.0f..%.0f) | %.0f (%.0f..%.0f) | %.2f | %s / %s | %s / %s | %d, %d / %d, %d |\n",
          label, a[1], a[2], a[3], b[1], b[2], b[3], (b[1] > 0 ? a[1] / b[1] : 0), a[6], a[7], b[6], b[7], a[4], a[5], b[4], b[5] }'
    done
    echo
    echo "The nginx column of both PUT rows is the same configuration (no fsync), measured in each round"
    echo "beside the EmbedKv row."
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
  } >"$results/http.md"
  cat "$results/http.md"
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

case "${1:-}" in
  micro) micro ;;
  listener) listener ;;
  storage) storage ;;
  http) http_suite ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "unknown suite: $1" >&2; usage >&2; exit 2 ;;
esac

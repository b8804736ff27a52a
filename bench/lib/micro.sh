# shellcheck shell=bash
# bench/lib/micro.sh: bench/run.sh micro: getpid through the C loop, the stubs and libc -> bench/results/syscalls.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

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

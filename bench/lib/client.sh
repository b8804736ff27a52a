# shellcheck shell=bash
# bench/lib/client.sh: bench/run.sh client: EmbedKvClient's GET and PUT overhead against raw HttpClient -> bench/results/client.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Issue 17's question: what does the client (server/EmbedKv.Client) cost a caller over raw HttpClient?
# Both sides run in ONE load process (bench/EmbedKv.ClientBench), on one HttpClient, against the same two
# hosts (server/EmbedKv.Host, Release, one worker, on core BENCH_CPU): one with durability none, which
# serves the GETs and the PUTs (the disk out of the way, so the client's cost is not drowned), and one
# with durability always for the durable PUTs (BENCH_CLIENT_DURABLE=0 leaves it out). The load process
# runs on core BENCH_CLIENT_CPU, so it has one core as the server has, and is where the client's cost
# shows: at BENCH_CONNECTIONS closed-loop callers the client core, not the server's, is the limit (the
# report gives both cores' busy share), so throughput falls by what the client adds per call.
# Each cell: operations/s of BENCH_CONNECTIONS callers, or the p50/p99 latency of one caller alone; and
# for both, the load process's allocated bytes and CPU per operation. Every cell runs once as warm-up,
# then in BENCH_ROUNDS interleaved rounds (the order reversed every other round, raw and client side by
# side), and the ratios client / raw are taken round by round.

client_suite() {
  local started=$SECONDS
  # --- settings -------------------------------------------------------------------------------
  local srv_cpu="${BENCH_CPU:-1}" cli_cpu="${BENCH_CLIENT_CPU:-0}"
  local rounds="${BENCH_ROUNDS:-5}" secs="${BENCH_SECONDS:-3}" lat_secs="${BENCH_LATENCY_SECONDS:-2}"
  local conns="${BENCH_CONNECTIONS:-32}" warmup="${BENCH_WARMUP:-1}" durable="${BENCH_CLIENT_DURABLE:-1}"
  if [ "$(nproc --all)" -le "$srv_cpu" ]; then
    echo "warning: this machine has no core $srv_cpu; server and client share core 0" >&2
    srv_cpu=0
  fi
  if [ "$(nproc --all)" -le "$cli_cpu" ]; then
    cli_cpu=0
  fi

  command -v python3 >/dev/null 2>&1 || install_missing python3
  local w="$root/$out/client"
  rm -rf "$w"
  mkdir -p "$w" "$results"
  log "building the host and bench/EmbedKv.ClientBench (Release)"
  dotnet build server/EmbedKv.Host -c Release -nologo -v q
  dotnet build bench/EmbedKv.ClientBench -c Release -nologo -v q
  local host="$root/server/EmbedKv.Host/bin/Release/net10.0/embedkv.dll"
  local load="$root/bench/EmbedKv.ClientBench/bin/Release/net10.0/EmbedKv.ClientBench.dll"

  # Global, not local: the EXIT trap runs after the function's locals are gone.
  cl_pids=()
  cl_cleanup() {
    local p
    for p in "${cl_pids[@]+"${cl_pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${cl_pids[@]+"${cl_pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
    cl_pids=()
  }
  trap cl_cleanup EXIT

  # cl_start NAME DURABILITY: a host on core srv_cpu with a fresh data directory; sets $port.
  local port
  cl_start() {
    local d="$w/$1"
    mkdir -p "$d"
    pinned_bg "$srv_cpu" dotnet "$host" --port 0 --data "$d/data" --durability "$2" --workers 1 >"$d/out" 2>"$d/err"
    cl_pids+=($!)
    port=""
    for _ in $(seq 1 200); do
      port="$(sed -n 's|^EmbedKv listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$d/out")"
      [ -n "$port" ] && break
      kill -0 "${cl_pids[-1]}" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "error: the host ($1) did not start:" >&2; cat "$d/out" "$d/err" >&2; exit 1; }
  }
  local args=()
  log "starting the hosts on core $srv_cpu"
  cl_start none none
  args+=(--none "http://127.0.0.1:$port/")
  if [ "$durable" != 0 ]; then
    cl_start always always
    args+=(--always "http://127.0.0.1:$port/")
  fi

  local meta="$w/meta.txt"
  : >"$meta"
  meta_set() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }
  meta_set load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  top -bn2 -d1 -o %CPU 2>/dev/null | awk '/^top - / { f++ } f == 2' | head -n 15 >"$w/top-before.txt" || true
  log "load on core $cli_cpu: warm-up ${warmup} s per cell, $rounds rounds of ${secs} s (throughput) and ${lat_secs} s (latency) per cell"
  local rc=0
  pinned "$cli_cpu" dotnet "$load" "${args[@]}" --rounds "$rounds" --seconds "$secs" --latency-seconds "$lat_secs" \
    --concurrency "$conns" --warmup "$warmup" --server-cpu "$srv_cpu" >"$w/samples.txt" || rc=$?
  [ "$rc" -eq 0 ] || { echo "error: the load program failed ($rc); its output is in $w/samples.txt" >&2; exit 1; }
  local p
  for p in "${cl_pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "error: a host died during the run (logs in $w)" >&2; exit 1; }
  done
  meta_set load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  cl_cleanup
  trap - EXIT

  # --- report ---------------------------------------------------------------------------------
  meta_run "$started" "with uncommitted changes under server/EmbedKv.Client or bench/EmbedKv.ClientBench" server/EmbedKv.Client bench/EmbedKv.ClientBench
  meta_set srv_cpu "$srv_cpu"
  meta_set cli_cpu "$cli_cpu"
  meta_set nice "${BENCH_NICE:-0}"
  meta_set rounds "$rounds"
  meta_set secs "$secs"
  meta_set lat_secs "$lat_secs"
  meta_set warmup "$warmup"
  meta_set conns "$conns"
  log "writing $results/client.md"
  python3 - "$w/samples.txt" "$meta" "$w/top-before.txt" >"$results/client.md" <<'EOF'
import statistics, sys

samples_path, meta_path, top_path = sys.argv[1:4]
meta = dict(line.rstrip("\n").split("\t", 1) for line in open(meta_path) if "\t" in line)
cells = {}
for line in open(samples_path):
    f = line.split()
    if f[0] == "meta":
        meta[f[1]] = " ".join(f[2:])
        continue
    c, r = f[0], int(f[1])
    cells.setdefault(c, {})[r] = dict(ops=int(f[2]), errors=int(f[3]), secs=float(f[4]), rps=float(f[5]), alloc=float(f[6]),
                                      cpu=float(f[7]), cli=float(f[8]), gen0=int(f[9]), p50=float(f[10]), p99=float(f[11]), srv=float(f[12]))

def med(xs): return statistics.median(xs)
def col(c, k): return [cells[c][r][k] for r in sorted(cells[c])]
def spread(xs): return (max(xs) - min(xs)) / med(xs) * 100 if med(xs) else 0
def ratios(a, b, k): return [cells[a][r][k] / cells[b][r][k] for r in sorted(cells[a]) if r in cells[b] and cells[b][r][k]]

ops = [o for o in ["get", "put", "dput"] if f"tput-{o}-raw" in cells]
label = {"get": "GET 64 B", "put": "PUT 64 B, durability none", "dput": "PUT 64 B, durability always"}
side = {"raw": "raw HttpClient", "client": "EmbedKvClient"}
n, conns = meta["rounds"], meta["conns"]

print("# Client: EmbedKvClient against raw HttpClient, GET and PUT of 64 B")
print()
print("Written by `bench/run.sh client` (bench/lib/client.sh, bench/EmbedKv.ClientBench); do not edit by hand.")
print()
print(f"- Date {meta['date']} UTC, commit {meta['commit']}; the run took {meta['seconds']} s.")
print(f"- Machine: {meta['cpu']}, `nproc` = {meta['nproc']}, Linux {meta['kernel']}, .NET {meta['dotnet']}; "
      f"the load process saw {meta['processors']} processor(s), {meta['gc']} GC.")
print(f"- Load average (1, 5, 15 min) {meta['load_before']} before the cells, {meta['load_after']} after; "
      "the machine is shared, so other processes ran beside the benchmark.")
print(f"- Method: two hosts (server/EmbedKv.Host, Release, `--workers 1`) on core {meta['srv_cpu']}, one with "
      "`--durability none` (GETs and PUTs) and one with `--durability always` (durable PUTs). One load process "
      f"(bench/EmbedKv.ClientBench) on core {meta['cli_cpu']}, one HttpClient for every cell; niceness {meta['nice']}. "
      "Raw: `HttpRequestMessage` with an address built once per key, `SendAsync` (headers read), the status and a strong "
      "`ETag` checked, the body read (GET); a `ByteArrayContent` body (PUT). Client: `EmbedKvClient.GetAsync(key)` and "
      "`PutAsync(key, bytes)` with the key held as a `KvKey`. The PUTs cycle through 1,024 keys, all written before the "
      "cells, so that every measured PUT replaces a value (204).")
print(f"- Throughput: {conns} async callers on the one HttpClient in a closed loop ({conns} keep-alive connections), "
      f"{meta['secs']} s per cell. Latency: one caller alone, {meta['lat_secs']} s per cell, each request timed from "
      f"before the call to its answer in hand. A {meta['warmup']} s warm-up of every cell, then {n} interleaved rounds, "
      "the order reversed every other round, the raw and client cells of a pair side by side.")
print("- Allocated and CPU per operation: `GC.GetTotalAllocatedBytes(precise: true)` and `Environment.CpuUsage` over the "
      "cell, divided by its operations: the whole load process (HttpClient and its connections included), not the "
      "client alone. CPU per operation is given for the throughput cells only, and means the cost per call only where the load "
      "core is near 100% busy: a process that waits for answers also spends CPU spinning in its thread pool, which counts "
      "too. Core busy: the share of the core's time in use during the cell (/proc/stat), every process on it counted.")
print("- Spread: (max - min) / median of a cell's rounds. Ratios are client / raw, taken round by round (the two cells of "
      "a round ran seconds apart), with the median and the range of the rounds.")
print()
print("## Throughput")
print()
print("| operation | caller | ops/s, median | spread | ops/s, rounds | alloc B/op | CPU us/op | load core busy | server core busy |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|")
for o in ops:
    for s in ["raw", "client"]:
        c = f"tput-{o}-{s}"
        xs = col(c, "rps")
        print(f"| {label[o]} | {side[s]} | {med(xs):,.0f} | {spread(xs):.1f}% | {', '.join(f'{x:,.0f}' for x in xs)} | "
              f"{med(col(c, 'alloc')):,.0f} | {med(col(c, 'cpu')):.1f} | {med(col(c, 'cli')):.0f}% | {med(col(c, 'srv')):.0f}% |")
print()
print("## Single-caller latency")
print()
print("| operation | caller | p50, median | p99, median | p99, rounds | ops/s | alloc B/op |")
print("|---|---|---:|---:|---|---:|---:|")
for o in ops:
    for s in ["raw", "client"]:
        c = f"lat-{o}-{s}"
        print(f"| {label[o]} | {side[s]} | {med(col(c, 'p50')):,.0f} us | {med(col(c, 'p99')):,.0f} us | "
              f"{', '.join(f'{x:,.0f}' for x in col(c, 'p99'))} | {med(col(c, 'rps')):,.0f} | {med(col(c, 'alloc')):,.0f} |")
errors = sum(v["errors"] for c in cells.values() for v in c.values())
print()
print(f"Failed calls: {errors}.")
print()
print("## Ratios, client / raw")
print()
print("| operation | throughput | p50 latency | p99 latency | alloc/op (throughput cells) | CPU/op (throughput cells) | extra bytes per op |")
print("|---|---|---|---|---|---|---:|")
def cellfmt(rs): return f"{med(rs):.3f} ({min(rs):.3f} .. {max(rs):.3f})"
summary = {}
for o in ops:
    t, c = f"tput-{o}-client", f"tput-{o}-raw"
    l, lr = f"lat-{o}-client", f"lat-{o}-raw"
    extra = med([cells[t][r]["alloc"] - cells[c][r]["alloc"] for r in sorted(cells[t])])
    summary[o] = dict(tput=ratios(t, c, "rps"), p50=ratios(l, lr, "p50"), p99=ratios(l, lr, "p99"),
                      alloc=ratios(t, c, "alloc"), cpu=ratios(t, c, "cpu"), extra=extra)
    s = summary[o]
    print(f"| {label[o]} | {cellfmt(s['tput'])} | {cellfmt(s['p50'])} | {cellfmt(s['p99'])} | {cellfmt(s['alloc'])} | {cellfmt(s['cpu'])} | {extra:+,.0f} |")
print()
parts = []
for o in ops:
    s = summary[o]
    straddles = min(s["tput"]) <= 1 <= max(s["tput"])
    cli, srv = med(col(f"tput-{o}-raw", "cli")), med(col(f"tput-{o}-raw", "srv"))
    bound = (f"load core {cli:.0f}% busy, server core {srv:.0f}%: the load process set the pace, so the throughput ratio is the raw caller's cost per call over the client's"
             if cli > srv else
             f"load core {cli:.0f}% busy, server core {srv:.0f}%: the server's core was the busier, so the throughput ratio hides the client's cost")
    parts.append(
        f"{label[o]}: the client reached {med(s['tput']):.2f} times raw HttpClient's throughput "
        f"(rounds {min(s['tput']):.2f} .. {max(s['tput']):.2f}{', within noise' if straddles else ''}; {bound}), "
        f"allocating {s['extra']:+,.0f} B per operation ({med(s['alloc']):.2f} times) and spending {med(s['cpu']):.2f} times the CPU; "
        f"alone, its p50 latency was {med(s['p50']):.2f} times raw's and its p99 {med(s['p99']):.2f} times.")
print("Reading. " + " ".join(parts) + " "
      "The allocation figures are exact and the same every round; throughput and latency move with the machine. "
      + (f"A durable PUT alone took {med(col('lat-dput-raw', 'p50')):,.0f} us at p50 against {med(col('lat-put-raw', 'p50')):,.0f} us "
         "without durability (raw): the sync is a share of its latency the client does not add to, so its latency ratio is "
         "nearer 1 for that reason. " if "dput" in ops else "")
      + "On this shared machine other processes ran beside the benchmark (load average above) and add to the spread.")
print()
print("<details><summary>top, just before the cells</summary>")
print()
print("```")
print(open(top_path).read().rstrip())
print("```")
print()
print("</details>")
EOF
  cat "$results/client.md"
}

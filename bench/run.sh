#!/usr/bin/env bash
# bench/run.sh: EmbedKv's benchmarks. Run from anywhere; paths are relative to the repository root.
#
#   bench/run.sh         the HTTP matrix against the peers -> bench/results/http.md, http.png
#   bench/run.sh all     everything the README quotes: micro, storage, then http
#   bench/run.sh SUITE   one suite (micro, storage, http, listener, fairness, longpoll, access, client, etcd, peers, ycsb, profile); see usage below
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
  fairness  small GETs at a constant rate while 1 GiB uploads run on the same event loop: the host
          (server/EmbedKv.Host) with one worker on core BENCH_CPU, bench/http/fairness_load.py and
          the uploads (head -c | curl -T -) on core BENCH_CLIENT_CPU; p50/p99/max of the GETs alone
          and during the uploads, and upload throughput, for EmbedKv (durability none, data in
          memory and on disk; durability always on disk) and nginx (static GET, WebDAV PUT; in
          memory and on disk) as the peer. Goal: p99 under 10 ms during the uploads. A fresh server
          per run, interleaved rounds; about 4 minutes. Installs nginx if missing. Writes the section
          BENCH_FAIRNESS_LABEL of bench/results/fairness.md (other labels' sections are kept).
  longpoll  10,000 long-poll waiters (GET with Prefer: wait=N) on one event loop: the host
          (server/EmbedKv.Host) with one worker on core BENCH_CPU, bench/http/longpoll_load.py
          (one process, epoll) and wrk on core BENCH_CLIENT_CPU, a fresh host per part. Server RSS
          per waiter beyond an idle keep-alive connection (and the managed heap per waiter, by
          dotnet-gcdump, installed into bench/out/tools if missing); each waiter's time from a PUT
          to its answer, and the PUT's own, with 10,000 waiters on the loop, 100 on each key (the
          goal's reading; the others must not wake), and as context with 1,000 and 10,000 waiters
          all on the PUT's key (p50/p99/max); wrk GET 64 B alone,
          beside 10,000 idle connections and beside 10,000 waiters (ratio and noise); the feature's
          rules (wake on PUT, DELETE and expiry, 304/404 when the wait runs out, also past the idle
          timeout); and a listing cell, pages of 1000 of 100,000 keys over HTTP. Goals: under 2 KiB
          per waiter, wake p99 under 10 ms, throughput within noise. About 5 minutes. Writes
          bench/results/longpoll.md.
  access  what bearer tokens and the Unix domain socket cost: GET 64 B keep-alive with wrk against the
          host (server/EmbedKv.Host, one worker, core BENCH_CPU) without tokens and against one with a
          token (EMBEDKV_TOKENS__BENCH__HASH) sent on every request; and over the host's Unix socket
          (--unix) against TCP loopback, both driven by bench/native/kv_load.c (wrk cannot connect to a
          Unix socket; one client for both keeps the comparison fair). Clients on core
          BENCH_CLIENT_CPU, interleaved rounds; medians, ratios round by round and each cell's spread
          (noise), p99. About 2.5 minutes. Writes bench/results/access.md.
  client  what EmbedKvClient (server/EmbedKv.Client) costs over raw HttpClient: GET 64 B and PUT 64 B,
          each through raw HttpClient (HttpRequestMessage, SendAsync, status and ETag checked, body
          read) and through EmbedKvClient.GetAsync / PutAsync, in one load process
          (bench/EmbedKv.ClientBench) on one HttpClient, against the host (server/EmbedKv.Host, one
          worker, core BENCH_CPU) with durability none, and PUT also against one with durability
          always. Throughput of BENCH_CONNECTIONS async callers in a closed loop, p50/p99 latency of
          one caller, and the load process's allocated bytes and CPU per operation; the load on core
          BENCH_CLIENT_CPU, interleaved rounds, medians, ratios client / raw round by round. About 3
          minutes. Writes bench/results/client.md.
  etcd    what EmbedKv's HTTP hop in front of etcd costs (issue 16): a 3-member etcd cluster (etcd-server,
          127.0.0.1 only, data on disk under bench/out/etcd/) and the host (server/EmbedKv.Host, one worker,
          EMBEDKV_BACKEND=Etcd, the three members as its endpoints), all on core BENCH_CPU; GET of one 64 B key
          and PUT of 64 B to random keys of 10,000, through EmbedKv (wrk), through etcd's gRPC gateway on the
          leader (POST /v3/kv/range and /v3/kv/put, JSON and base64; wrk with bench/http/etcd_*.lua) and over
          etcd's gRPC directly as etcd's benchmark tool does (bench/EmbedKv.EtcdBench: Range, Put, EmbedKv's
          own Txn{Put, prev_kv}; all three members, and the leader only), each with BENCH_CONNECTIONS
          connections or callers and with one alone. Loads on core BENCH_CLIENT_CPU, interleaved rounds;
          medians, min-max, p50/p99, non-2xx answers and failed calls counted, and the ratios EmbedKv /
          gateway and EmbedKv / direct gRPC with the p50 latency added. About 9 minutes. Installs etcd-server,
          etcd-client and wrk if missing. Writes bench/results/etcd.md.
  peers   EmbedKv against the strongest RESP peers spoken to directly: Redis (redis-server on 127.0.0.1,
          AOF on, no RDB; appendfsync always and everysec) and Garnet (the garnet-server dotnet tool
          2.2.12, installed into bench/out/tools; AOF with a commit per operation, with and without
          --aof-commit-wait). GET of one 64 B key, and SET (POST for EmbedKv) of 64 B to 100,000 random
          keys, durable (EmbedKv always, Redis always, Garnet commit-wait) and batched (EmbedKv batched,
          Redis everysec, Garnet without the wait), BENCH_CONNECTIONS connections. Each server driven by
          its own kind of tool (wrk; redis-benchmark) and by bench/native/kv_load.c for all three (-P
          resp for RESP), in interleaved rounds. Then latency curves of GET and the durable write for
          these and the http suite's peers (nginx, static GET only; Redis via webdis, appendfsync
          always; the ASP.NET Core peer, durable), whose peaks kv_load measures in the same rounds:
          kv_load's open loop (-r RATE, latency from the intended send time) at 10..90% of each
          server's closed-loop peak and at one common rate; p50/p99/p999. Servers on core BENCH_CPU,
          clients on BENCH_CLIENT_CPU. About 11 minutes. Installs wrk, nginx, redis-server,
          redis-tools, webdis, gcc, gnuplot-nox and libaio1 if missing. Writes bench/results/peers.md
          and peers.png.
  ycsb    YCSB's core workloads over HTTP (bench/http/ycsb.lua): A 50% read / 50% update, B 95/5,
          C 100% read, F 50% read / 50% read-modify-write, keys chosen with YCSB's scrambled zipfian
          distribution (theta 0.99) over 1,000,000 records of 1 KiB values. EmbedKv (the benchmarks'
          serve, one worker) with durability always, batched and none, nginx (static GET, WebDAV PUT),
          Redis via webdis (appendfsync always) and the ASP.NET Core peer (durable). F's write-back on
          EmbedKv carries If-Match with its read's ETag, and a 412 counts as a conflict (reported); the
          peers write back unconditionally. Each server is loaded once first and the load timed:
          EmbedKv over HTTP (wrk, 64 connections), Redis with redis-cli --pipe, nginx and ASP.NET Core
          by writing their one-file-per-key data directly (in a tmpfs by default: see
          BENCH_YCSB_FILES_DIR). Servers on core BENCH_CPU, wrk -t1 -c32 on core BENCH_CLIENT_CPU,
          interleaved rounds; medians and min-max of operations/s, p99 latency. About 12 minutes;
          needs about 9 GiB of disk and 10 GiB of tmpfs, all removed at the end. Installs wrk, nginx,
          redis-server, webdis and gnuplot-nox if missing. Writes bench/results/ycsb.md and ycsb.png
          (a run with fewer records, servers or workloads writes bench/out/ycsb/ycsb.md instead).
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
          bench/results/http.md and bench/results/http.png (a run of some cells or peers, or with a
          baseline, writes bench/out/http/http.md instead).
          Against a baseline, e.g. before merging a refactoring:
            BENCH_BASELINE=main BENCH_PEERS=baseline bench/run.sh http
          builds EmbedKv at git ref main the same way (Release, in a temporary git worktree under
          bench/out/baseline/) and runs it as the server embedkv@SHA, pinned alike, next to the current
          EmbedKv in every round; writes bench/results/baseline.md: per workload current / baseline,
          the run's noise (round-to-round spread) and a verdict, within noise or not. An A/A run (the
          served code the same on both sides) writes bench/results/baseline-aa.md instead.
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
  get64 get64close get1m postdurable postbatched mixed latency awake; default all),
  BENCH_BASELINE (a git ref: EmbedKv built there runs too, see above), BENCH_PEERS (the servers
  besides EmbedKv: nginx webdis aspnet ceiling, default all; "baseline": only EmbedKv and BENCH_BASELINE)
  profile: BENCH_SECONDS (10), BENCH_PROFILE_CELL (keepalive or close)
  longpoll: BENCH_ROUNDS (3), BENCH_SECONDS (each wrk run, 5), BENCH_CLIENT_CPU (0), BENCH_NICE (as for
  fairness: default -20 as root, else 0), BENCH_LONGPOLL_WAITERS (10000; lowered to what the host's
  descriptor limit allows), BENCH_LONGPOLL_KEYS (keys the memory and throughput waiters spread over, 100),
  BENCH_LONGPOLL_CONNECTIONS (wrk's, 64), BENCH_LONGPOLL_DURABILITY (always), BENCH_LONGPOLL_LIST_KEYS
  (100000), BENCH_LONGPOLL_LONG_WAIT (seconds of the background waits that run out, 70; 0: none),
  BENCH_LONGPOLL_GCDUMP (1; 0: no managed-heap figure), BENCH_LONGPOLL_SPREAD_ROUNDS (rounds of the
  wake cell with 100 waiters on each key, 10), BENCH_LONGPOLL_ARGS (more host settings)
  peers: BENCH_ROUNDS (3), BENCH_SECONDS (each throughput cell, 5), BENCH_CONNECTIONS (32), BENCH_CLIENT_CPU (0),
  BENCH_WARMUP (seconds of every cell before the rounds, 1), BENCH_CURVE_SECONDS (each latency point, 3),
  BENCH_PEERS_LOADS (the curves' loads in % of each server's peak, "10 30 50 70 90"), BENCH_NICE (niceness of
  servers and clients, default 0), BENCH_WEBDIS_THREADS (1), BENCH_WEBDIS_POOL (20)
  access: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_CLIENT_CPU (0), BENCH_NICE (as
  for fairness: default -20 as root, else 0)
  client: BENCH_ROUNDS (5), BENCH_SECONDS (each throughput cell, 3), BENCH_LATENCY_SECONDS (each latency
  cell, 2), BENCH_CONNECTIONS (concurrent callers, 32), BENCH_WARMUP (seconds of every cell before the
  rounds, 1), BENCH_CLIENT_CPU (0), BENCH_CLIENT_DURABLE (1; 0: no durable PUT), BENCH_NICE (default 0)
  etcd: BENCH_ROUNDS (3), BENCH_SECONDS (each throughput cell, 5), BENCH_LATENCY_SECONDS (each one-client cell,
  3), BENCH_CONNECTIONS (32), BENCH_WARMUP (EtcdBench's uncounted seconds per cell, 1), BENCH_CLIENT_CPU (0),
  BENCH_NICE (default 0), BENCH_ETCD_KEYS (the PUT keys, 10000), BENCH_ETCD_DATA (a directory for the
  members' data instead of bench/out/etcd/data, e.g. /dev/shm: a tmpfs takes the disk out), BENCH_ETCD_TARGETS
  (a subset of kv gw grpc grpc-txn grpc-ldr)
  ycsb: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_WARMUP (seconds of every cell before the rounds, 1),
  BENCH_CLIENT_CPU (0), BENCH_YCSB_RECORDS (1000000; e.g. 10000 for a smoke run), BENCH_YCSB_SERVERS (a
  subset of kv-always kv-batched kv-none nginx webdis aspnet), BENCH_YCSB_WORKLOADS (a subset of a b c f),
  BENCH_YCSB_FILES_DIR (nginx's and ASP.NET Core's files go in embedkv-ycsb/ under it; default /dev/shm,
  a tmpfs: a directory on disk makes ASP.NET Core's writes durable again, but the load can take minutes),
  BENCH_WEBDIS_THREADS (1), BENCH_WEBDIS_POOL (20)
  fairness: BENCH_ROUNDS (3), BENCH_SECONDS (GETs alone before the uploads, 5), BENCH_CLIENT_CPU (0),
  BENCH_NICE (servers, GET client and uploads, in sessions of their own so that it also counts under
  autogroup scheduling; default -20 as root, else 0), BENCH_FAIRNESS_LABEL (the report's section, latest),
  BENCH_FAIRNESS_TARGETS (kv-DURABILITY-STORE and nginx-STORE words, STORE mem or disk; default
  "kv-none-mem nginx-mem kv-none-disk nginx-disk kv-always-disk"), BENCH_FAIRNESS_MEMDIR (the tmpfs
  of the mem targets, /dev/shm), BENCH_FAIRNESS_UPLOADS (2), BENCH_FAIRNESS_SIZE (1G),
  BENCH_FAIRNESS_RATE (500 req/s), BENCH_FAIRNESS_CONNECTIONS (16), BENCH_FAIRNESS_GOAL_MS (10),
  BENCH_FAIRNESS_UPLOAD_NICE (10), BENCH_FAIRNESS_WARMUP (seconds of GETs not recorded after each
  server start, 2), BENCH_FAIRNESS_ARGS (more host settings, e.g. "--Limits:IdleTimeout 00:02:00")
EOF
}

# The suites live in bench/lib/, one file each; they only define functions and tables.
for lib in common micro storage http http_report baseline listener fairness longpoll access client etcd peers ycsb profile; do
  # shellcheck source=/dev/null
  source "$root/bench/lib/$lib.sh"
done

case "${1:-http}" in
  micro) micro ;;
  listener) listener ;;
  fairness) fairness ;;
  longpoll) longpoll ;;
  access) access ;;
  client) client_suite ;;
  etcd) etcd_suite ;;
  peers) peers ;;
  ycsb) ycsb ;;
  storage) storage ;;
  http) http_suite ;;
  all) micro; storage; http_suite ;;
  profile) profile ;;
  -h | --help | help) usage ;;
  *) echo "unknown suite: $1" >&2; usage >&2; exit 2 ;;
esac

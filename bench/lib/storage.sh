# shellcheck shell=bash
# bench/lib/storage.sh: bench/run.sh storage: the storage engine harness in bench/EmbedKv.Benchmarks -> bench/results/storage.md.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# Storage: put throughput per durability mode and writer count beside the disk's raw
# fdatasync rate, recovery time and index memory for 1M keys -> bench/results/storage.md.
storage() {
  local cpu="${BENCH_CPU:-1}"
  log "building the benchmarks (Release)"
  dotnet build bench/EmbedKv.Benchmarks -c Release -nologo -v q
  log "running the storage benchmarks pinned to core $cpu"
  taskset -c "$cpu" dotnet run -c Release --no-build --project bench/EmbedKv.Benchmarks -- storage --out "$results/storage.md"
}

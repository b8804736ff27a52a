# shellcheck shell=bash
# bench/lib/common.sh: Shared helpers of bench/run.sh: progress lines and installing missing Debian packages.
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

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

# pinned CPU COMMAND...: runs COMMAND on core CPU only (taskset), and at niceness BENCH_NICE when that
# is set and not 0 (e.g. -10 on a machine that cannot be made quiet), in the foreground; nice and
# taskset exec COMMAND, so it keeps their pid and gets the signals sent to it.
pinned() {
  local cpu="$1" prio=()
  shift
  [ "${BENCH_NICE:-0}" = 0 ] || prio=(nice -n "$BENCH_NICE")
  "${prio[@]+"${prio[@]}"}" taskset -c "$cpu" "$@"
}

# pinned_bg CPU COMMAND...: the same in the background, in a subshell that execs it: $! is then the
# COMMAND's own pid (a function run with & would leave the pid of a shell around it), so that a signal
# sent to $! reaches the server, not a wrapper. The caller's redirections apply.
pinned_bg() {
  local cpu="$1" prio=()
  shift
  [ "${BENCH_NICE:-0}" = 0 ] || prio=(nice -n "$BENCH_NICE")
  (exec "${prio[@]+"${prio[@]}"}" taskset -c "$cpu" "$@") &
}

# The run's identity for a report's header, written through the calling suite's meta_set: the commit
# (with NOTE appended if PATHS have uncommitted changes), date, seconds since STARTED, the machine and
# the .NET runtime.
meta_run() { # STARTED NOTE PATHS...
  local started="$1" note="$2" sha dirty=""
  shift 2
  sha="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain -- "$@" 2>/dev/null)" ] || dirty=" $note"
  meta_set commit "$sha$dirty"
  meta_set date "$(date -u '+%Y-%m-%d %H:%M')"
  meta_set seconds $((SECONDS - started))
  meta_set cpu "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  meta_set nproc "$(nproc)"
  meta_set kernel "$(uname -r)"
  meta_set dotnet "$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
}

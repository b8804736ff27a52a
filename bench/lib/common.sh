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

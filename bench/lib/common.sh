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

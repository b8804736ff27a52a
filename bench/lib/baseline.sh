# shellcheck shell=bash
# bench/lib/baseline.sh: bench/run.sh http with BENCH_BASELINE=REF: builds EmbedKv at REF and writes the
# comparison of the current EmbedKv with it (bench/results/baseline.md, or baseline-aa.md for an A/A run).
# Sourced by bench/run.sh, which sets root, out and results and runs from the repository root.

# What the served binary (bench/EmbedKv.Benchmarks serve) is built from: a change elsewhere (tests,
# docs, bench scripts) cannot change a figure.
baseline_paths=(server runtime generators bench/EmbedKv.Benchmarks Directory.Build.props global.json syscalls.json)

# Builds the EmbedKv benchmarks host at git ref $1 exactly as http_suite builds the current one
# (build_kv, Release), in a temporary git worktree under bench/out/baseline/; keeps only the build
# output, bench/out/baseline/SHA/bin/, which later runs against the same commit reuse.
# Sets baseline_sha, baseline_short and baseline_dll.
build_baseline() { # ref
  baseline_sha="$(git rev-parse --verify --quiet "$1^{commit}")" ||
    { echo "error: BENCH_BASELINE: '$1' is not a commit of this repository" >&2; exit 2; }
  baseline_short="$(git rev-parse --short=7 "$baseline_sha")"
  local dir="$root/$out/baseline/$baseline_sha"
  baseline_dll="$dir/bin/$(basename "$dll")"
  if [ -f "$baseline_dll" ]; then
    log "baseline $1 = $baseline_short: the build in $out/baseline/$baseline_sha (rm -r it to rebuild)"
    return 0
  fi
  local tree="$dir.src"
  log "building the baseline $1 = $baseline_short in a temporary worktree ($out/baseline/), Release"
  baseline_tree_gone() { git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"; git worktree prune; }
  baseline_tree_gone
  rm -rf "$dir"
  trap baseline_tree_gone EXIT
  git worktree add --detach --quiet "$tree" "$baseline_sha"
  (cd "$tree" && build_kv)
  [ -f "$tree/$dll" ] || { echo "error: the baseline build made no $dll" >&2; exit 1; }
  mkdir -p "$dir"
  # Copied, then renamed: an interrupted copy leaves no bin/ that a later run would take as built.
  cp -a "$tree/$(dirname "$dll")" "$dir/bin.part"
  mv "$dir/bin.part" "$dir/bin"
  baseline_tree_gone
  trap - EXIT
}

# Writes the comparison of embedkv with baseline from http_suite's samples (it reads that function's
# locals and http_report's: stats, label, is_latency, commas, ms, ran, cpu_model, ...).
baseline_report() {
  local changed aa md
  changed="$( (git diff --name-only "$baseline_sha" -- "${baseline_paths[@]}"
    git ls-files --others --exclude-standard -- "${baseline_paths[@]}") | sort -u)"
  if [ -z "$changed" ]; then aa=1; md="$results/baseline-aa.md"; else aa=0; md="$results/baseline.md"; fi
  local head_desc
  head_desc="$(git rev-parse --abbrev-ref HEAD) at $(git rev-parse --short=7 HEAD)"
  git diff --quiet HEAD -- "${baseline_paths[@]}" && [ -z "$(git ls-files --others --exclude-standard -- "${baseline_paths[@]}")" ] ||
    head_desc="$head_desc with uncommitted changes"
  log "writing $md"

  # compare CELL -> "cur base ratio lo_ratio hi_ratio noise verdict..." with the metric of the cell:
  # req/s (higher is better) or p99 ms (lower is better; the ratio is then base / cur, so that below
  # 1 is worse in both). noise is the larger of the two servers' (max - min) / median over the rounds.
  compare() {
    local col=4 better=higher
    if is_latency "$1"; then col=8; better=lower; fi
    awk -v c="$1" -v col="$col" -v better="$better" '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      function spread(a, n,   i, lo, hi) {
        lo = hi = a[1]; for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
        return (hi - lo) / median(a, n)
      }
      $1 == c && $col != "-" && ($2 == "embedkv" || $2 == "baseline") { v[$2, $3] = $col + 0; rounds[$3] = 1 }
      END {
        for (r in rounds) if ((("embedkv", r) in v) && (("baseline", r) in v)) {
          n++; a[n] = v["embedkv", r]; b[n] = v["baseline", r]
          q = (better == "higher") ? a[n] / b[n] : b[n] / a[n]
          if (n == 1 || q < qlo) qlo = q; if (n == 1 || q > qhi) qhi = q
          ca[n] = a[n]; cb[n] = b[n]; below += (q < 1); above += (q > 1)
        }
        if (!n) exit
        ma = median(ca, n); mb = median(cb, n)
        ratio = (better == "higher") ? ma / mb : mb / ma
        noise = spread(a, n); if (spread(b, n) > noise) noise = spread(b, n)
        if (n < 2) verdict = "noise unknown (1 round)"
        else if (ratio < 1 - noise) verdict = "**slower beyond noise**"
        else if (ratio > 1 + noise) verdict = "faster beyond noise"
        else verdict = "within noise"
        # Within noise, yet every round on the same side: a hint to rerun with more rounds.
        if (verdict == "within noise" && n >= 3 && below == n) verdict = verdict ", but slower in each of the " n " rounds"
        if (verdict == "within noise" && n >= 3 && above == n) verdict = verdict ", but faster in each of the " n " rounds"
        printf "%s %s %.3f %.3f %.3f %.3f %s\n", ma, mb, ratio, qlo, qhi, noise, verdict
      }' "$samples"
  }
  # The http report's workload labels, without its footnote marks.
  cell_name() { printf '%s' "${label[$1]% \[^*\]}"; }
  pct() { awk -v v="$1" 'BEGIN { printf "%.0f%%", 100 * v }'; }
  # A server's figures in the cell: median req/s and the rounds' min–max, or median p50 / p99.
  shown() { # cell peer
    local med lo hi p50 p99
    read -r med lo hi _ p50 p99 _ <<<"$(stats "$1" "$2")"
    if is_latency "$1"; then echo "$(ms "$p50") / $(ms "$p99") ms"; else echo "$(commas "$med")<br>$(commas "$lo")–$(commas "$hi")"; fi
  }

  local others="" p shared measured
  for p in "${ran[@]}"; do [ "$p" = embedkv ] || [ "$p" = baseline ] || others+="${others:+, }${http_peer_name[$p]}"; done
  # Measurements of the two (but the kept-awake ones, whose busy loop fills the core on purpose) in
  # which other processes took more than a tenth of the server core.
  measured="$(awk '$1 != "awake" && ($2 == "embedkv" || $2 == "baseline")' "$samples" | wc -l)"
  shared="$(awk '$1 != "awake" && ($2 == "embedkv" || $2 == "baseline") && $9 != "-" && $10 - $9 > 10' "$samples" | wc -l)"
  {
    echo "# HTTP: EmbedKv against a baseline build of itself"
    echo
    echo "Written by \`bench/run.sh http\` with \`BENCH_BASELINE=$baseline_ref\`; do not edit by hand. The current EmbedKv and"
    echo "the baseline ran in the same interleaved rounds, each cell of each next to the other, pinned alike."
    echo
    echo "- current: the working tree, $head_desc; baseline: \`$baseline_ref\` = $baseline_short, built the same way"
    echo "  (\`dotnet build bench/EmbedKv.Benchmarks -c Release\`) in a temporary git worktree"
    if [ "$aa" = 1 ]; then
      echo "- **an A/A run**: the served binary's sources (\`${baseline_paths[*]}\`) are the same in both, so every"
      echo "  difference below is noise"
    else
      local files
      files="$(wc -l <<<"$changed")"
      echo "- the served binary's sources differ in $files file$([ "$files" = 1 ] || echo s):" \
        "$(head -n 4 <<<"$changed" | sed 's/.*/`&`/' | paste -sd, - | sed 's/,/, /g')$([ "$files" -le 4 ] || echo ", ...")"
    fi
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: \`nproc\` = $(nproc), $cpu_model, kernel $kernel, .NET $dotnet_runtime"
    echo "- $rounds rounds of ${secs} s per cell, $conns connections, after ${warmup} s of every cell unrecorded; both servers"
    echo "  on core $srv_cpu, wrk on core $cli_cpu; other servers in the rounds: ${others:-none (\`BENCH_PEERS=baseline\`)}"
    echo "- run time: $(awk -v s="$run_secs" 'BEGIN { printf "%d min %02d s", s / 60, s % 60 }') in all, of which $baseline_build_secs s building the baseline"
    echo "- load average (1, 5, 15 min) before the rounds: $load_before; after: $load_after"
    if [ "$shared" -gt 0 ]; then
      echo "- **the machine was not quiet**: other processes took more than 10% of the server core in $shared of"
      echo "  $measured measurements"
    fi
    echo
    echo "Requests per second (higher is better): the median over the rounds, then the rounds' min–max; for"
    echo "the latency cells p50 / p99 in ms, compared by p99 (lower is better). **current / baseline** is the ratio of the medians,"
    echo "turned for latency (baseline p99 / current p99) so that below 1 means the current build is worse in"
    echo "every row. **per round** is the same ratio taken within each round, from two measurements made next to"
    echo "each other. **noise** is this run's own: the larger of the two servers' round-to-round spread, (max −"
    echo "min) / median. The verdict: within noise when current / baseline lies within 1 ± noise."
    echo
    echo "| workload | current | baseline | current / baseline | per round | noise | verdict |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    local cell cmp r qlo qhi noise verdict
    for cell in "${cells[@]}"; do
      cmp="$(compare "$cell")"
      [ -n "$cmp" ] || { printf '| %s | - | - | - | - | - | not measured |\n' "$(cell_name "$cell")"; continue; }
      read -r _ _ r qlo qhi noise verdict <<<"$cmp"
      printf '| %s | %s | %s | **%.2f** | %.2f–%.2f | ±%s | %s |\n' "$(cell_name "$cell")" "$(shown "$cell" embedkv)" \
        "$(shown "$cell" baseline)" "$r" "$qlo" "$qhi" "$(pct "$noise")" "$verdict"
    done
    echo
    echo "Verdicts:"
    echo
    local loud=0
    for cell in "${cells[@]}"; do
      cmp="$(compare "$cell")"
      [ -n "$cmp" ] || continue
      read -r _ _ r _ _ noise verdict <<<"$cmp"
      printf -- '- %s: %.2f, %s (noise ±%s)\n' "$(cell_name "$cell")" "$r" "$verdict" "$(pct "$noise")"
      awk -v n="$noise" 'BEGIN { exit !(n > 0.2) }' && loud=$((loud + 1))
    done
    if [ "$loud" -gt 0 ]; then
      echo
      echo "**Noise above ±20% in $loud of the workloads**: there a change smaller than the noise cannot show."
      echo "Rerun on a quieter machine, with more rounds (\`BENCH_ROUNDS\`), or with \`BENCH_NICE=-10\`, before"
      echo "taking \"within noise\" as \"no regression\"."
    fi
    echo
    echo "Memory per idle keep-alive connection (one measurement each, $idle_conns connections, no noise"
    echo "estimate): current $(idle_per "$rss_before" "$rss_after" "$open_conns"), baseline $(idle_per "$base_rss_before" "$base_rss_after" "$base_open_conns")."
    [ "$aa" = 1 ] || {
      echo
      echo "A single run's noise is estimated from few rounds; bench/results/baseline-aa.md, an A/A run (the same"
      echo "code on both sides), shows how large the differences of identical builds were on this machine."
    }
  } >"$md"
  cat "$md"
}

# "N KiB per connection" from VmRSS before and after, or why there is no figure.
idle_per() { # before after open
  if [ -n "$3" ] && [ "$3" -gt 0 ]; then
    awk -v a="$2" -v b="$1" -v n="$3" 'BEGIN { printf "%.2f KiB per connection", (a - b) / n }'
  else
    echo "not measured (no connection opened)"
  fi
}

# bench/plot/ycsb.gp: draws bench/results/ycsb.png for bench/run.sh ycsb.
#   gnuplot -e "tput='THROUGHPUT.dat'; p99='P99.dat'; ncol=N; nrow=M; out='ycsb.png'; subtitle='...'" bench/plot/ycsb.gp
# Both files: a header line of quoted names (the first "workload", then one per server), then one line
# per workload: its quoted letter, then per server the median operations/s (THROUGHPUT.dat) or the p99
# latency in ms (P99.dat), "-" where the server has no figure. ncol: the number of columns; nrow: of
# workloads.
set terminal pngcairo size 1500,1000 font "sans,11"
set output out
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right noenhanced
set xtics nomirror noenhanced
set ytics nomirror
set lmargin 10
# The clusters sit at 0..nrow-1; without a range gnuplot leaves a cluster's width empty at each side.
set xrange [-0.6:nrow - 0.4]
# EmbedKv's three durability modes in greens, the peers in the colours of bench/plot/http.gp.
array colours[6] = ["#1b9e77", "#66c2a5", "#b2df8a", "#d95f02", "#7570b3", "#e7298a"]
set multiplot layout 2,1 title "YCSB core workloads over HTTP, ".subtitle font ",13"

set title "Throughput: median operations/s per workload (log scale, higher is better)"
set logscale y
set format y "%.0s%c"
# Headroom above the tallest bar, so the key never covers one.
set offsets 0, 0, graph 0.3, 0
plot for [i=2:ncol] tput using i:xtic(1) title columnheader(i) lc rgb colours[(i - 2) % 6 + 1]

set title "p99 latency of one HTTP request, in ms (log scale, lower is better)"
set format y "%g"
plot for [i=2:ncol] p99 using i:xtic(1) title columnheader(i) lc rgb colours[(i - 2) % 6 + 1]
unset multiplot

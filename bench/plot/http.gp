# bench/plot/http.gp: draws bench/results/http.png for bench/run.sh http.
#   gnuplot -e "tput='THROUGHPUT.dat'; lat='LATENCY.dat'; out='http.png'; subtitle='...'" bench/plot/http.gp
# THROUGHPUT.dat: one line per workload, a quoted label then the median req/s of each peer
#   (columns 2..6: EmbedKv, nginx, Redis via webdis, ASP.NET Core, C ceiling; "-" where n/a).
# LATENCY.dat: one line per peer, a quoted name, then p50 and p99 in ms at the fixed rate with the server
#   core idle between requests, and p50 and p99 with it kept awake ("-" where n/a).
set terminal pngcairo size 1500,1000 font "sans,11"
set output out
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set multiplot layout 2,1 title "EmbedKv and its peers over HTTP, ".subtitle font ",13"

set title "Throughput: median requests/s (log scale, higher is better; no bar = n/a)"
set logscale y
set yrange [100:*]
set format y "%.0s%c"
set xtics nomirror noenhanced
set ytics nomirror
set lmargin 10
plot tput using 2:xtic(1) title "EmbedKv" lc rgb "#1b9e77", \
     '' using 3 title "nginx" lc rgb "#d95f02", \
     '' using 4 title "Redis via webdis" lc rgb "#7570b3", \
     '' using 5 title "ASP.NET Core" lc rgb "#e7298a", \
     '' using 6 title "C ceiling" lc rgb "#666666"

set title "Latency of GET 64 B at a fixed request rate, in ms (lower is better): server core idle between requests, and kept awake"
unset logscale y
set yrange [0:*]
# Headroom above the tallest bar, so the key never covers one.
set offsets 0, 0, graph 0.35, 0
set format y "%g"
plot lat using 2:xtic(1) title "p50, core idle between requests" lc rgb "#a6d854", \
     '' using 3 title "p99, core idle between requests" lc rgb "#a6761d", \
     '' using 4 title "p50, core kept awake" lc rgb "#80b1d3", \
     '' using 5 title "p99, core kept awake" lc rgb "#1f78b4"
unset multiplot

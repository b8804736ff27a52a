# bench/plot/peers.gp: draws bench/results/peers.png for bench/run.sh peers.
#   gnuplot -e "get='GET.dat'; dur='DURABLE.dat'; out='peers.png'; subtitle='...'" bench/plot/peers.gp
# GET.dat, DURABLE.dat: three blocks (gnuplot's index 0, 1, 2: EmbedKv, Redis direct, Garnet), each a line
#   per offered load: offered req/s, then p50, p99 and p999 in ms (kv_load's open loop).
set terminal pngcairo size 1500,700 font "sans,11"
set output out
set grid xtics ytics mytics
set logscale y
set format y "%g"
set format x "%.0s%c"
set xlabel "offered load, requests/s (kv_load at a fixed rate)" noenhanced
set ylabel "latency from the intended send time, ms (log)"
set key below maxrows 2
# Solid: p99; dashed, lighter: p50. One colour per server.
set style line 1 lc rgb "#1b9e77" lw 2 pt 7
set style line 2 lc rgb "#7570b3" lw 2 pt 5
set style line 3 lc rgb "#d95f02" lw 2 pt 9
set style line 11 lc rgb "#1b9e77" lw 1.5 dt 2 pt 6
set style line 12 lc rgb "#7570b3" lw 1.5 dt 2 pt 4
set style line 13 lc rgb "#d95f02" lw 1.5 dt 2 pt 8
set multiplot layout 1,2 title "EmbedKv (HTTP) against Redis and Garnet (RESP), latency against load, ".subtitle font ",13"

set title "GET 64 B, one key"
plot get index 0 using 1:3 with linespoints ls 1 title "EmbedKv p99", \
     '' index 1 using 1:3 with linespoints ls 2 title "Redis direct p99", \
     '' index 2 using 1:3 with linespoints ls 3 title "Garnet p99", \
     '' index 0 using 1:2 with linespoints ls 11 title "EmbedKv p50", \
     '' index 1 using 1:2 with linespoints ls 12 title "Redis direct p50", \
     '' index 2 using 1:2 with linespoints ls 13 title "Garnet p50"

set title "durable SET / POST 64 B, 100,000 random keys"
plot dur index 0 using 1:3 with linespoints ls 1 title "EmbedKv (always) p99", \
     '' index 1 using 1:3 with linespoints ls 2 title "Redis (appendfsync always) p99", \
     '' index 2 using 1:3 with linespoints ls 3 title "Garnet (aof-commit-wait) p99", \
     '' index 0 using 1:2 with linespoints ls 11 title "EmbedKv p50", \
     '' index 1 using 1:2 with linespoints ls 12 title "Redis p50", \
     '' index 2 using 1:2 with linespoints ls 13 title "Garnet p50"
unset multiplot

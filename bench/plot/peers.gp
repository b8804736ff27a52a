# bench/plot/peers.gp: draws bench/results/peers.png for bench/run.sh peers.
#   gnuplot -e "dir='DIR'; out='peers.png'; subtitle='...'" bench/plot/peers.gp
# DIR/curve-WORKLOAD-SERVER.dat (WORKLOAD get or durable; SERVER embedkv redis garnet nginx webdis
#   aspnet, nginx for get only): a line per offered load: offered req/s, then p50, p99 and p999 in ms
#   (kv_load's open loop).
# Four panels: GET and durable side by side, p99 above p999 below. Six servers would make twelve
# lines in a panel with p99 and p999 together; one colour per server across all four panels keeps
# them apart. p50 is in the report's tables. Both axes logarithmic: the servers' peaks lie an order
# of magnitude apart, and their tails more.
set terminal pngcairo size 1500,1100 font "sans,11"
set output out
set grid xtics ytics mxtics mytics
set logscale xy
set format y "%g"
set format x "%.0s%c"
set xlabel "offered load, requests/s (kv_load at a fixed rate; log)" noenhanced
# Colours: the RESP peers as before (EmbedKv green, Redis purple, Garnet orange), the HTTP peers
# (nginx, webdis, ASP.NET Core) in colours of their own; the HTTP peers dashed.
set style line 1 lc rgb "#1b9e77" lw 2.5 pt 7
set style line 2 lc rgb "#7570b3" lw 2 pt 5
set style line 3 lc rgb "#d95f02" lw 2 pt 9
set style line 4 lc rgb "#66a61e" lw 2 dt 2 pt 11
set style line 5 lc rgb "#e7298a" lw 2 dt 2 pt 13
set style line 6 lc rgb "#a6761d" lw 2 dt 2 pt 15
f(wl, s) = dir."/curve-".wl."-".s.".dat"

set multiplot layout 2,2 title "Latency against offered load, each server at 10-90% of its own peak (kv_load's open loop)\n".subtitle font ",13" noenhanced
# The colours are the same in all four panels: the key under the bottom row only.
unset key

set ylabel "p99 from the intended send time, ms (log)"
set title "GET 64 B, one key: p99"
plot f("get", "embedkv") using 1:3 with linespoints ls 1 title "EmbedKv", \
     f("get", "redis") using 1:3 with linespoints ls 2 title "Redis direct (RESP)", \
     f("get", "garnet") using 1:3 with linespoints ls 3 title "Garnet (RESP)", \
     f("get", "nginx") using 1:3 with linespoints ls 4 title "nginx (static file)", \
     f("get", "webdis") using 1:3 with linespoints ls 5 title "Redis via webdis", \
     f("get", "aspnet") using 1:3 with linespoints ls 6 title "ASP.NET Core"

set title "durable write 64 B, 100,000 random keys: p99"
plot f("durable", "embedkv") using 1:3 with linespoints ls 1 title "EmbedKv POST (always)", \
     f("durable", "redis") using 1:3 with linespoints ls 2 title "Redis SET (appendfsync always)", \
     f("durable", "garnet") using 1:3 with linespoints ls 3 title "Garnet SET (aof-commit-wait)", \
     f("durable", "webdis") using 1:3 with linespoints ls 5 title "webdis PUT (Redis appendfsync always)", \
     f("durable", "aspnet") using 1:3 with linespoints ls 6 title "ASP.NET Core POST (O_SYNC file)"

set ylabel "p999 from the intended send time, ms (log)"
set key below maxrows 3 noenhanced
set title "GET 64 B, one key: p999"
plot f("get", "embedkv") using 1:4 with linespoints ls 1 title "EmbedKv", \
     f("get", "redis") using 1:4 with linespoints ls 2 title "Redis direct (RESP)", \
     f("get", "garnet") using 1:4 with linespoints ls 3 title "Garnet (RESP)", \
     f("get", "nginx") using 1:4 with linespoints ls 4 title "nginx (static file)", \
     f("get", "webdis") using 1:4 with linespoints ls 5 title "Redis via webdis", \
     f("get", "aspnet") using 1:4 with linespoints ls 6 title "ASP.NET Core"

set title "durable write 64 B, 100,000 random keys: p999"
plot f("durable", "embedkv") using 1:4 with linespoints ls 1 title "EmbedKv POST (always)", \
     f("durable", "redis") using 1:4 with linespoints ls 2 title "Redis SET (appendfsync always)", \
     f("durable", "garnet") using 1:4 with linespoints ls 3 title "Garnet SET (aof-commit-wait)", \
     f("durable", "webdis") using 1:4 with linespoints ls 5 title "webdis PUT (Redis appendfsync always)", \
     f("durable", "aspnet") using 1:4 with linespoints ls 6 title "ASP.NET Core POST (O_SYNC file)"
unset multiplot

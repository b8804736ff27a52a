/*
 * kv_load.c: a keep-alive load generator that speaks HTTP/1.1 or RESP (Redis's protocol) over TCP or
 * a Unix domain socket, closed-loop or at a fixed rate.
 *
 *     kv_load [OPTIONS] ADDRESS PATH CONNECTIONS SECONDS [HEADER ...]
 *
 *     ADDRESS  tcp:HOST:PORT (IPv4) or unix:SOCKET-PATH
 *     PATH     HTTP: the request target, e.g. /k64; with -w the prefix of the keys, e.g. / (-> /p17)
 *              RESP: the same with its leading / dropped: /k64 is the key k64, / the prefix "" (-> p17)
 *     HEADER   extra request header lines (HTTP only), e.g. "Authorization: Bearer xyz"
 *
 *     -P http|resp  the protocol (default http)
 *     -w       writes instead of reads: HTTP POST of the value to PATH + "p" + a random number in
 *              1..KEYS, RESP SET of the value to the key (PATH without its /) + "p" + that number
 *     -m METHOD  HTTP writes: the method instead of POST, e.g. PUT for webdis (PATH /SET/) or
 *              nginx's WebDAV
 *     -k KEYS  the random numbers' range for -w (default 100000)
 *     -d BYTES the value's size for -w (default 64)
 *     -r RATE  open loop: RATE requests per second in all, on a fixed schedule (see below); without it,
 *              closed loop: every connection sends its next request as soon as its answer is in
 *
 * wrk cannot connect to a Unix socket, and comparing wrk over TCP with some other client over the
 * Unix socket would compare the clients as much as the transports. So bench/run.sh access drives
 * BOTH transports with this one program: the same loop, the same request bytes, the same parsing;
 * only socket(AF_INET) versus socket(AF_UNIX) differs. bench/run.sh peers drives EmbedKv (HTTP) and
 * Redis and Garnet (RESP) with it for the same reason: one client for all three, so that a difference
 * is the servers', not wrk's against redis-benchmark's; and nginx, webdis and ASP.NET Core (HTTP) for
 * its open loop, which wrk lacks.
 *
 * Like `wrk -t1`: one thread, one epoll set, CONNECTIONS keep-alive connections, each with at most one
 * request in flight (no pipelining). An HTTP response is complete when its head and Content-Length
 * bytes of body have arrived; a RESP reply when its line (and a bulk string's bytes) have. Runs for
 * SECONDS and prints one machine-readable line (fields 1-14 as they always were; more after them):
 *
 *     requests 512345 seconds 5.000 rps 102469.0 errors 0 p50_us 301 p99_us 612 max_us 4100 \
 *       p999_us 900 mode closed target_rps 0 unsent 0 timedout 0
 *
 * Closed loop, the answers still in flight after SECONDS are awaited, up to 2 s, but not counted, so
 * that no connection closes with a request in flight (webdis was seen to send such a request's
 * answer on a connection of the next run); timedout counts those it gave up on.
 *
 * errors counts answers that are not a success (HTTP: status not 2xx; RESP: an error reply, or a nil
 * for a GET; the run goes on); a connection closed by the server or a malformed answer ends the run
 * with exit status 1, since the figure would be wrong.
 *
 * Closed loop, latency is from the request's send() to its last byte. That understates the tail a
 * user would see at a given load (coordinated omission: while an answer is late, the client sends
 * nothing, so the slow spell is sampled once). Open loop (-r) fixes that: request i has an intended
 * send time start + i / RATE; it goes out at that time on a connection without a request in flight
 * (or, if none is free, as soon as one is), and its latency is counted from its INTENDED time. So a
 * server that falls behind is charged the queueing it causes. After SECONDS nothing more is sent; the
 * answers in flight are awaited for up to 2 s more, and requests whose time came but that were never
 * sent (unsent, all connections busy), and requests sent but still unanswered when the drain ends
 * (timedout), are counted with the latency they had reached by then. The rps of an open-loop run
 * counts only the answers that arrived by the deadline, so an overloaded server does not look as if
 * it kept up thanks to the drain.
 * Latencies go into a histogram of 1 us buckets up to 100 ms and 1 ms buckets up to 60 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536
#define FINE_US 100000             /* 1 us buckets below this */
#define COARSE_MS 60000            /* then 1 ms buckets up to this */
#define NBUCKETS (FINE_US + COARSE_MS + 1)

enum proto { HTTP, RESP };

struct conn {
  int fd;
  int busy;           /* a request in flight */
  size_t have;        /* bytes in buf */
  long need;          /* bytes the whole answer takes, once its head is parsed; -1 before */
  int ok;             /* the answer is a success */
  uint64_t from_ns;   /* latency is counted from here: the send (closed loop) or the intended time */
  char buf[BUF];
};

static uint64_t hist[NBUCKETS];
static uint64_t counted, max_ns;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void record(uint64_t lat) {
  uint64_t us = lat / 1000, b = us < FINE_US ? us : FINE_US + (us - FINE_US) / 1000;
  hist[b < NBUCKETS ? b : NBUCKETS - 1]++;
  if (lat > max_ns) max_ns = lat;
  counted++;
}

/* The latency, in us, under which a share q of the counted requests fall (a bucket's lower edge). */
static uint64_t quantile(double q) {
  uint64_t seen = 0, want = (uint64_t)(q * (double)counted);
  if (want == 0) want = 1;
  for (uint64_t b = 0; b < NBUCKETS; b++) {
    seen += hist[b];
    if (seen >= want) return b < FINE_US ? b : FINE_US + (b - FINE_US) * 1000;
  }
  return 0;
}

/* xorshift64*: the random keys; quality enough to spread writes, and no locale or libc state. */
static uint64_t rng;
static uint64_t next_random(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

static int open_conn(const char *address) {
  int fd;
  if (strncmp(address, "unix:", 5) == 0) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    const char *p = address + 5;
    if (strlen(p) >= sizeof a.sun_path) { fprintf(stderr, "socket path too long\n"); exit(2); }
    strcpy(a.sun_path, p);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  } else if (strncmp(address, "tcp:", 4) == 0) {
    char host[64];
    const char *colon = strrchr(address + 4, ':');
    if (!colon || (size_t)(colon - (address + 4)) >= sizeof host) { fprintf(stderr, "bad address\n"); exit(2); }
    memcpy(host, address + 4, colon - (address + 4));
    host[colon - (address + 4)] = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", host); exit(2); }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    /* As wrk does: small requests go out at once. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    fprintf(stderr, "address must be tcp:HOST:PORT or unix:PATH\n");
    exit(2);
  }
  return fd;
}

/* The request bytes. Reads are the same every time; a write's key changes, so its request is built
 * per send into a buffer: the fixed head and value around a key of the random number. */
static enum proto proto = HTTP;
static int writes;
static long keys = 100000, value_len = 64;
static const char *key_prefix; /* PATH, or for RESP PATH without its leading / */
static const char *write_method = "POST";
static char *value;
static char fixed_req[4096];
static int fixed_len;
static char extra_headers[4096];

static size_t build_write(char *out, size_t cap) {
  char key[512];
  int k = snprintf(key, sizeof key, "%sp%lu", key_prefix, (unsigned long)(next_random() % (uint64_t)keys + 1));
  int n;
  if (proto == RESP)
    n = snprintf(out, cap, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%ld\r\n", k, key, value_len);
  else
    n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                 "Content-Length: %ld\r\n%s\r\n", write_method, key, value_len, extra_headers);
  if (n < 0 || (size_t)n + (size_t)value_len + 2 > cap) { fprintf(stderr, "request too long\n"); exit(2); }
  memcpy(out + n, value, (size_t)value_len);
  n += (int)value_len;
  if (proto == RESP) { memcpy(out + n, "\r\n", 2); n += 2; }
  return (size_t)n;
}

static void send_req(struct conn *c, uint64_t from) {
  static char req[BUF];
  const char *p = fixed_req;
  size_t len = (size_t)fixed_len;
  if (writes) { len = build_write(req, sizeof req); p = req; }
  c->from_ns = from ? from : now_ns();
  c->have = 0;
  c->need = -1;
  c->busy = 1;
  /* A request of a few hundred bytes fits in any empty socket buffer: one send, whole or an error. */
  ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
  if (n != (ssize_t)len) die("send");
}

/* Parses an HTTP head once it is whole; returns 0 if more bytes are needed, -1 if malformed. */
static int parse_http(struct conn *c) {
  char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
  if (!end) return c->have == BUF ? -1 : 0;
  size_t head = (size_t)(end - c->buf) + 4;
  if (c->have < 12 || memcmp(c->buf, "HTTP/1.1 ", 9) != 0) return -1;
  int status = atoi(c->buf + 9);
  c->ok = status >= 200 && status < 300;
  long length = -1;
  for (char *line = c->buf;;) {
    line = memchr(line, '\n', (size_t)(end - line));
    if (!line) break;
    line++;
    if (strncasecmp(line, "Content-Length:", 15) == 0) length = strtol(line + 15, NULL, 10);
  }
  /* Without a Content-Length only an answer that has no body is well-formed here (204, 304). */
  if (length < 0 && (status == 204 || status == 304)) length = 0;
  if (length < 0 || head + (size_t)length > BUF) return -1;
  c->need = (long)head + length;
  return 1;
}

/* Parses a RESP reply's first line: +simple, -error, :integer, or a $bulk string (its bytes and CRLF
 * follow; $-1 is nil). Returns as parse_http does. */
static int parse_resp(struct conn *c) {
  char *end = memmem(c->buf, c->have, "\r\n", 2);
  if (!end) return c->have == BUF ? -1 : 0;
  size_t line = (size_t)(end - c->buf) + 2;
  switch (c->buf[0]) {
    case '+': case ':': c->ok = 1; c->need = (long)line; return 1;
    case '-': c->ok = 0; c->need = (long)line; return 1;
    case '$': {
      long n = strtol(c->buf + 1, NULL, 10);
      if (n < 0) { c->ok = 0; c->need = (long)line; return 1; } /* nil: the key is not there */
      if (line + (size_t)n + 2 > BUF) return -1;
      c->ok = 1;
      c->need = (long)(line + (size_t)n + 2);
      return 1;
    }
    default: return -1;
  }
}

static void usage(void) {
  fprintf(stderr, "usage: kv_load [-P http|resp] [-w [-m METHOD]] [-k KEYS] [-d BYTES] [-r RATE] "
                  "tcp:HOST:PORT|unix:PATH TARGET CONNECTIONS SECONDS [HEADER ...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  double rate = 0;
  int opt, method_set = 0;
  /* "+": options end at the first operand, so an operand may start with a dash. */
  while ((opt = getopt(argc, argv, "+P:wm:k:d:r:")) != -1) {
    switch (opt) {
      case 'P':
        if (strcmp(optarg, "http") == 0) proto = HTTP;
        else if (strcmp(optarg, "resp") == 0) proto = RESP;
        else usage();
        break;
      case 'w': writes = 1; break;
      case 'm': write_method = optarg; method_set = 1; break;
      case 'k': keys = atol(optarg); break;
      case 'd': value_len = atol(optarg); break;
      case 'r': rate = atof(optarg); break;
      default: usage();
    }
  }
  argc -= optind;
  argv += optind;
  if (argc < 4 || keys < 1 || value_len < 0 || value_len > BUF / 2 || rate < 0) usage();
  /* A read is always GET: the answer's parsing assumes a body after the head (a HEAD has none). */
  if (method_set && (!writes || proto == RESP || write_method[0] == 0 || strpbrk(write_method, " \r\n"))) usage();
  const char *address = argv[0], *target = argv[1];
  int nconn = atoi(argv[2]);
  double seconds = atof(argv[3]);
  if (nconn < 1) usage();

  int hl = 0;
  for (int i = 4; i < argc; i++) {
    if (proto == RESP) { fprintf(stderr, "headers are for HTTP\n"); return 2; }
    hl += snprintf(extra_headers + hl, sizeof extra_headers - (size_t)hl, "%s\r\n", argv[i]);
    if (hl >= (int)sizeof extra_headers) { fprintf(stderr, "headers too long\n"); return 2; }
  }
  const char *key = proto == RESP && target[0] == '/' ? target + 1 : target;
  key_prefix = key;
  if (proto == RESP)
    fixed_len = snprintf(fixed_req, sizeof fixed_req, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", strlen(key), key);
  else
    fixed_len = snprintf(fixed_req, sizeof fixed_req, "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", target, extra_headers);
  if (fixed_len >= (int)sizeof fixed_req) { fprintf(stderr, "request too long\n"); return 2; }
  value = malloc((size_t)value_len + 1);
  if (!value) die("malloc");
  memset(value, 'v', (size_t)value_len);
  rng = now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
  if (rng == 0) rng = 1;
  /* Wake-ups on time for the fixed schedule: the default timer slack (50 us) would let the kernel
   * defer them, which at tens of thousands of requests per second is most of an interval. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  struct conn **idle = calloc((size_t)nconn, sizeof *idle); /* open loop: connections free to send */
  if (!conns || !idle) die("calloc");
  int nidle = 0;
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = open_conn(address);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &e) < 0) die("epoll_ctl");
    idle[nidle++] = &conns[i];
  }

  uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9), requests = 0, errors = 0;
  uint64_t interval = rate > 0 ? (uint64_t)(1e9 / rate) : 0, next_i = 0, inflight = 0, unsent = 0;
  uint64_t drain_until = deadline + 2000000000ull, end_ns, in_time = 0, timedout = 0, closed_end = 0;
  if (interval == 0 && rate > 0) interval = 1;
  if (rate == 0) {
    for (int i = 0; i < nconn; i++) send_req(&conns[i], 0);
    nidle = 0;
    inflight = (uint64_t)nconn;
  }
  struct epoll_event ev[256];
  for (;;) {
    uint64_t t = now_ns();
    if (rate > 0) {
      /* Send every request whose intended time has come, while a connection is free. */
      for (;;) {
        uint64_t due = start + next_i * interval;
        if (due > t || due >= deadline || nidle == 0) break;
        send_req(idle[--nidle], due);
        inflight++;
        next_i++;
      }
      if (t >= deadline && inflight == 0) break;
      if (t >= drain_until) break;
    }
    struct timespec to = {0, 100000000}; /* closed loop: wake at least every 100 ms for the deadline */
    if (rate > 0) {
      t = now_ns(); /* the sends above took time: a wake-up computed from before them would be late */
      uint64_t due = start + next_i * interval, until = due < deadline && nidle > 0 ? due : t + 100000000ull;
      if (until > drain_until) until = drain_until;
      uint64_t d = until > t ? until - t : 0;
      to.tv_sec = (time_t)(d / 1000000000u);
      to.tv_nsec = (long)(d % 1000000000u);
    }
    int n = epoll_pwait2(ep, ev, 256, &to, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_pwait2");
    }
    t = now_ns();
    for (int i = 0; i < n; i++) {
      struct conn *c = ev[i].data.ptr;
      ssize_t r = recv(c->fd, c->buf + c->have, BUF - c->have, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) { fprintf(stderr, "the server closed a connection (%s)\n", r ? strerror(errno) : "EOF"); return 1; }
      if (!c->busy) { fprintf(stderr, "bytes without a request\n"); return 1; }
      c->have += (size_t)r;
      if (c->need < 0) {
        int p = proto == RESP ? parse_resp(c) : parse_http(c);
        if (p < 0) { fprintf(stderr, "malformed answer\n"); return 1; }
        if (p == 0) continue;
      }
      if ((long)c->have < c->need) continue;
      if ((long)c->have > c->need) { fprintf(stderr, "more bytes than one answer\n"); return 1; }
      if (closed_end) { c->busy = 0; inflight--; continue; } /* closed loop's drain: not counted */
      record(t - c->from_ns);
      requests++;
      if (t <= deadline) in_time++;
      if (!c->ok) errors++;
      c->busy = 0;
      inflight--;
      if (rate > 0) {
        idle[nidle++] = c;
      } else if (t < deadline) {
        send_req(c, 0);
        inflight++;
      }
    }
    /* Closed loop: the count covers [start, deadline] (to the first wake-up past it); then the drain
     * (see the top). */
    if (rate == 0 && t >= deadline) {
      if (!closed_end) closed_end = t;
      if (inflight == 0 || t >= drain_until) break;
    }
  }
  end_ns = now_ns();
  double elapsed = (double)((rate > 0 ? deadline : closed_end) - start) / 1e9;
  if (rate > 0) {
    /* Requests whose time came before the deadline but that never went out: counted with the wait
     * they had reached, so that a server too slow for the rate shows it in the tail. */
    uint64_t last = end_ns < deadline ? end_ns : deadline;
    for (uint64_t i = next_i; start + i * interval < last; i++) {
      record(end_ns - (start + i * interval));
      unsent++;
    }
    /* Requests sent but still unanswered when the drain ended are the oldest and slowest of all:
     * counted with the wait they had reached, and reported. */
    for (int i = 0; i < nconn; i++) {
      if (conns[i].busy) {
        record(end_ns - conns[i].from_ns);
        timedout++;
      }
    }
  } else {
    /* Closed loop: the requests the drain gave up on; past the deadline, so not in the figures,
     * but the caller learns that the server was left with requests of closed connections. */
    for (int i = 0; i < nconn; i++) timedout += (uint64_t)conns[i].busy;
  }
  /* Open loop, the rate served is the answers that arrived by the deadline: those of the drain
   * would let an overloaded server look as if it kept up. */
  uint64_t served = rate > 0 ? in_time : requests;
  printf("requests %llu seconds %.3f rps %.1f errors %llu p50_us %llu p99_us %llu max_us %llu "
         "p999_us %llu mode %s target_rps %.0f unsent %llu timedout %llu\n",
         (unsigned long long)requests, elapsed, (double)served / elapsed, (unsigned long long)errors,
         (unsigned long long)quantile(0.5), (unsigned long long)quantile(0.99), (unsigned long long)(max_ns / 1000),
         (unsigned long long)quantile(0.999), rate > 0 ? "rate" : "closed", rate, (unsigned long long)unsent,
         (unsigned long long)timedout);
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  return 0;
}

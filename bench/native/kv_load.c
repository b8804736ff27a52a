/*
 * kv_load.c: a keep-alive GET load generator that speaks HTTP/1.1 over TCP or a Unix domain socket.
 *
 *     kv_load ADDRESS PATH CONNECTIONS SECONDS [HEADER ...]
 *
 *     ADDRESS  tcp:HOST:PORT (IPv4) or unix:SOCKET-PATH
 *     PATH     the request target, e.g. /k64
 *     HEADER   extra request header lines, e.g. "Authorization: Bearer xyz"
 *
 * wrk cannot connect to a Unix socket, and comparing wrk over TCP with some other client over the
 * Unix socket would compare the clients as much as the transports. So bench/run.sh access drives
 * BOTH transports with this one program: the same loop, the same request bytes, the same parsing;
 * only socket(AF_INET) versus socket(AF_UNIX) differs.
 *
 * Like `wrk -t1`: one thread, one epoll set, CONNECTIONS keep-alive connections, each with one
 * request in flight (no pipelining). A response is complete when its head and Content-Length bytes
 * of body have arrived; then the next request goes out on that connection. Runs for SECONDS and
 * prints one machine-readable line:
 *
 *     requests 512345 seconds 5.000 rps 102469.0 errors 0 p50_us 301 p99_us 612 max_us 4100
 *
 * errors counts responses whose status is not 200 (the run goes on); a connection closed by the
 * server or a malformed response ends the run with exit status 1, since the figure would be wrong.
 * Latency is from the request's send() to its last byte, in a histogram of 1 us buckets up to 100 ms.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536
#define HIST_US 100000

struct conn {
  int fd;
  size_t have;        /* bytes in buf */
  long need;          /* bytes the whole response takes, once its head is parsed; -1 before */
  int status;
  uint64_t sent_ns;
  char buf[BUF];
};

static uint64_t hist[HIST_US + 1];

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
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

static void send_req(struct conn *c, const char *req, size_t len) {
  c->sent_ns = now_ns();
  c->have = 0;
  c->need = -1;
  /* A request of a few dozen bytes fits in any empty socket buffer: one send, whole or an error. */
  ssize_t n = send(c->fd, req, len, MSG_NOSIGNAL);
  if (n != (ssize_t)len) die("send");
}

/* Parses the head once it is whole; returns 0 if more bytes are needed, -1 if malformed. */
static int parse_head(struct conn *c) {
  char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
  if (!end) return c->have == BUF ? -1 : 0;
  size_t head = (size_t)(end - c->buf) + 4;
  if (c->have < 12 || memcmp(c->buf, "HTTP/1.1 ", 9) != 0) return -1;
  c->status = atoi(c->buf + 9);
  long length = -1;
  for (char *line = c->buf;;) {
    line = memchr(line, '\n', (size_t)(end - line));
    if (!line) break;
    line++;
    if (strncasecmp(line, "Content-Length:", 15) == 0) length = strtol(line + 15, NULL, 10);
  }
  if (length < 0 || head + (size_t)length > BUF) return -1;
  c->need = (long)head + length;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: kv_load tcp:HOST:PORT|unix:PATH TARGET CONNECTIONS SECONDS [HEADER ...]\n");
    return 2;
  }
  const char *address = argv[1], *target = argv[2];
  int nconn = atoi(argv[3]);
  double seconds = atof(argv[4]);
  char req[4096];
  int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n", target);
  for (int i = 5; i < argc; i++) len += snprintf(req + len, sizeof req - len, "%s\r\n", argv[i]);
  len += snprintf(req + len, sizeof req - len, "\r\n");
  if (len >= (int)sizeof req) { fprintf(stderr, "request too long\n"); return 2; }

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  if (!conns) die("calloc");
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = open_conn(address);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &e) < 0) die("epoll_ctl");
  }

  uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9), requests = 0, errors = 0, max_ns = 0;
  for (int i = 0; i < nconn; i++) send_req(&conns[i], req, (size_t)len);
  struct epoll_event ev[256];
  for (;;) {
    int n = epoll_wait(ep, ev, 256, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    uint64_t t = now_ns();
    for (int i = 0; i < n; i++) {
      struct conn *c = ev[i].data.ptr;
      ssize_t r = recv(c->fd, c->buf + c->have, BUF - c->have, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) { fprintf(stderr, "the server closed a connection (%s)\n", r ? strerror(errno) : "EOF"); return 1; }
      c->have += (size_t)r;
      if (c->need < 0) {
        int p = parse_head(c);
        if (p < 0) { fprintf(stderr, "malformed response\n"); return 1; }
        if (p == 0) continue;
      }
      if ((long)c->have < c->need) continue;
      if ((long)c->have > c->need) { fprintf(stderr, "more bytes than one response\n"); return 1; }
      uint64_t lat = t - c->sent_ns, us = lat / 1000;
      hist[us > HIST_US ? HIST_US : us]++;
      if (lat > max_ns) max_ns = lat;
      requests++;
      if (c->status != 200) errors++;
      if (t < deadline) send_req(c, req, (size_t)len);
    }
    /* The responses in flight at the deadline are not waited for: the count covers [start, deadline]. */
    if (t >= deadline) break;
  }
  double elapsed = (double)(now_ns() - start) / 1e9;
  uint64_t seen = 0, p50 = 0, p99 = 0;
  int got50 = 0;
  for (int us = 0; us <= HIST_US; us++) {
    seen += hist[us];
    if (!got50 && seen * 2 >= requests) { p50 = (uint64_t)us; got50 = 1; }
    if (seen * 100 >= requests * 99) { p99 = (uint64_t)us; break; }
  }
  printf("requests %llu seconds %.3f rps %.1f errors %llu p50_us %llu p99_us %llu max_us %llu\n",
         (unsigned long long)requests, elapsed, (double)requests / elapsed, (unsigned long long)errors,
         (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)(max_ns / 1000));
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  return 0;
}

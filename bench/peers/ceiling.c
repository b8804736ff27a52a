/* bench/peers/ceiling.c: the "ceiling" peer of bench/run.sh http, a minimal single-threaded epoll
 * HTTP responder that answers every request with the same 64-byte body. It does no routing, no
 * storage and no real parsing: it finds the end of each request head ("\r\n\r\n"), notes whether
 * the head asked for "Connection: close", and writes a fixed response. What it manages per second on
 * one core is the most any HTTP server could answer there with this kernel and this client.
 *
 *   gcc -O2 -o ceiling bench/peers/ceiling.c
 *   ceiling PORT BODY_FILE      (BODY_FILE: the 64 bytes to answer with, the same value the other
 *                                peers serve; prints "listening PORT" once it accepts connections)
 *
 * Keep-alive is the default (HTTP/1.1); a request with "Connection: close" gets its answer and then
 * the connection is closed. Pipelined requests are answered in one write. Requests must not carry a
 * body (GET only). Like the other servers it sets TCP_NODELAY and sends Date-less, minimal headers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_LEN 64
#define IN_CAP 4096
#define OUT_CAP 16384
#define MAX_EVENTS 256

struct conn {
    size_t in_len;
    size_t out_len, out_off;
    int close_after;
    char in[IN_CAP];
    char out[OUT_CAP];
};

/* The answer, and the same with "Connection: close" for a request that asked to close (without
 * it, a client such as wrk takes the connection as kept alive and writes its next request into it). */
static char response[256], response_close[256];
static size_t response_len, response_close_len;
static struct conn **conns;
static int max_fd = 65536;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void drop(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]);
    conns[fd] = NULL;
}

/* Sends what is queued; returns 0 when all of it went out, 1 if the socket is full, -1 on error. */
static int flush_out(struct conn *c, int fd) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 1;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Does the request head [head, head + len) carry "Connection: close"? */
static int wants_close(const char *head, size_t len) {
    static const char name[] = "\r\nconnection:";
    size_t nl = sizeof name - 1;
    for (size_t i = 0; i + nl <= len; i++) {
        if (strncasecmp(head + i, name, nl) != 0) continue;
        size_t j = i + nl;
        while (j < len && (head[j] == ' ' || head[j] == '\t')) j++;
        return j + 5 <= len && strncasecmp(head + j, "close", 5) == 0;
    }
    return 0;
}

/* Answers every complete request head in the input buffer; keeps a partial one for later. */
static void answer(struct conn *c) {
    size_t start = 0;
    for (;;) {
        char *end = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
        if (end == NULL) break;
        size_t head_len = (size_t)(end - (c->in + start)) + 4;
        if (c->out_len + response_close_len > OUT_CAP) break; /* answer the rest once this is sent */
        if (wants_close(c->in + start, head_len)) {
            memcpy(c->out + c->out_len, response_close, response_close_len);
            c->out_len += response_close_len;
            c->close_after = 1;
            start = c->in_len; /* nothing after "close" is answered */
            break;
        }
        memcpy(c->out + c->out_len, response, response_len);
        c->out_len += response_len;
        start += head_len;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
}

/* Answers what has arrived and sends it, until only a partial head (or nothing) is left or the
 * socket is full; returns 0 to keep the connection, -1 to close it. */
static int serve(int ep, int fd, struct conn *c) {
    for (;;) {
        size_t before = c->in_len;
        answer(c);
        int r = flush_out(c, fd);
        if (r < 0) return -1;
        if (r == 1) { /* the socket is full: wait until it drains */
            struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            return 0;
        }
        if (c->close_after) return -1;
        if (c->in_len == before) return 0;
    }
}

/* Handles one readiness event; returns 0 to keep the connection, -1 to close it. */
static int on_event(int ep, int fd, struct conn *c) {
    if (c->out_len > 0) { /* waiting for EPOLLOUT */
        int r = flush_out(c, fd);
        if (r != 0) return r;
        if (c->close_after) return -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        return serve(ep, fd, c);
    }
    /* One recv per readiness event: epoll is level-triggered, so anything left reports again. */
    if (c->in_len == IN_CAP) return -1; /* a head this long is not a benchmark request */
    ssize_t n;
    do n = recv(fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    c->in_len += (size_t)n;
    return serve(ep, fd, c);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT BODY_FILE\n", argv[0]);
        return 2;
    }
    char body[BODY_LEN];
    FILE *f = fopen(argv[2], "rb");
    if (f == NULL || fread(body, 1, BODY_LEN, f) != BODY_LEN) die("reading the 64-byte body");
    fclose(f);
    const char *fmt = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n%s\r\n";
    int head = snprintf(response, sizeof response, fmt, BODY_LEN, "");
    memcpy(response + head, body, BODY_LEN);
    response_len = (size_t)head + BODY_LEN;
    head = snprintf(response_close, sizeof response_close, fmt, BODY_LEN, "Connection: close\r\n");
    memcpy(response_close + head, body, BODY_LEN);
    response_close_len = (size_t)head + BODY_LEN;
    signal(SIGPIPE, SIG_IGN);
    conns = calloc((size_t)max_fd, sizeof *conns);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ls < 0) die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(ls, 4096) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &alen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("listening %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                int cfd;
                while ((cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (cfd >= max_fd) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = malloc(sizeof *c); /* not calloc: only the counters need zeroing */
                    if (c == NULL) die("malloc");
                    c->in_len = c->out_len = c->out_off = 0;
                    c->close_after = 0;
                    conns[cfd] = c;
                    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
                }
                continue;
            }
            if (conns[fd] != NULL && on_event(ep, fd, conns[fd]) < 0) drop(ep, fd);
        }
    }
}

/*
 * getpid_loop.c: the physical limit for a getpid system call on this machine.
 *
 * Runs the raw `syscall` instruction for getpid (mov $39, %eax; syscall) N times in a tight loop,
 * several rounds, timing each round with clock_gettime(CLOCK_MONOTONIC), and prints the median ns
 * per call as one machine-readable line:
 *
 *     c_raw_syscall_getpid_ns 52.3
 *
 * No libc call is in that loop, so it is what the instruction and the kernel's entry and exit cost,
 * with nothing around it: the floor that EmbedKv's stubs (bench/EmbedKv.Benchmarks, Syscalls/) are
 * compared against.
 *
 * Two more lines measure the same syscall made the way a stub makes it, from C, so that the cost
 * of calling out-of-line code can be told apart from the cost of .NET:
 *
 *     c_stub_call_getpid_ns      the generator's exact stub bytes (B8 27 00 00 00 0F 05 C3:
 *                                mov eax, 39; syscall; ret) copied into an mmap'd read-execute
 *                                page and called through a function pointer, as Sys.Getpid() does.
 *     c_stub_popjmp_getpid_ns    an experimental stub that returns with `pop rcx; jmp rcx` instead
 *                                of `ret` (B8 27 00 00 00 0F 05 59 FF E1). rcx is free: the syscall
 *                                instruction clobbers it anyway. On some kernels and CPUs a `ret`
 *                                right after `syscall` mispredicts (the return stack buffer no
 *                                longer holds the caller's address after the kernel ran), and an
 *                                indirect jmp is predicted from the branch target buffer instead.
 *                                Not what the generator emits; here to measure that effect.
 *
 * The variants run interleaved, one after the other in each round, so drifts of the machine hit
 * them alike. Lines for people go to stderr.
 *
 * Build: gcc -O2 -o getpid_loop getpid_loop.c
 * Usage: getpid_loop [calls_per_round (default 20000000)] [rounds (default 5)]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 1000

typedef long (*getpid_fn)(void);

static inline long raw_getpid(void)
{
    long ret;
    /* The kernel's syscall entry clobbers rcx (return address) and r11 (rflags); "memory" keeps the
     * compiler from moving memory accesses across it; volatile keeps it from hoisting or merging
     * the calls. */
    __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
    return ret;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof values[0], compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2.0;
}

/* Copies code into a fresh page, makes it read-execute (never writable and executable at once, as
 * StubPage.Map does), and returns it as a function. */
static getpid_fn map_stub(const unsigned char *code, size_t length)
{
    long page_size = sysconf(_SC_PAGESIZE);
    unsigned char *page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    memset(page, 0xCC, (size_t)page_size); /* int3 everywhere else, like the generated page */
    memcpy(page, code, length);
    if (mprotect(page, (size_t)page_size, PROT_READ | PROT_EXEC) != 0) {
        perror("mprotect PROT_EXEC");
        exit(1);
    }
    getpid_fn fn;
    memcpy(&fn, &page, sizeof fn);
    return fn;
}

/* noinline and the function pointer passed in keep the compiler from seeing through the call. */
__attribute__((noinline)) static double time_inline(long calls, long *sum)
{
    double start = now_ns();
    for (long i = 0; i < calls; i++)
        *sum += raw_getpid();
    return (now_ns() - start) / (double)calls;
}

__attribute__((noinline)) static double time_call(getpid_fn fn, long calls, long *sum)
{
    double start = now_ns();
    for (long i = 0; i < calls; i++)
        *sum += fn();
    return (now_ns() - start) / (double)calls;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 20000000L;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (calls <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: %s [calls_per_round > 0] [rounds 1..%d]\n", argv[0], MAX_ROUNDS);
        return 2;
    }

    static const unsigned char stub_ret[] = { 0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3 };
    static const unsigned char stub_popjmp[] = { 0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x59, 0xFF, 0xE1 };
    /* volatile: the compiler must call through the pointer, not inline what it points to. */
    getpid_fn volatile call_ret = map_stub(stub_ret, sizeof stub_ret);
    getpid_fn volatile call_popjmp = map_stub(stub_popjmp, sizeof stub_popjmp);

    /* Self-check: every variant really is getpid. */
    long pid = (long)getpid();
    if (raw_getpid() != pid || call_ret() != pid || call_popjmp() != pid) {
        fprintf(stderr, "a variant of syscall 39 did not return getpid() = %ld\n", pid);
        return 1;
    }

    static double inline_ns[MAX_ROUNDS], ret_ns[MAX_ROUNDS], popjmp_ns[MAX_ROUNDS];
    long sum = 0;
    /* Warm-up, not counted. */
    time_inline(calls / 10, &sum);
    time_call(call_ret, calls / 10, &sum);
    time_call(call_popjmp, calls / 10, &sum);

    for (int r = 0; r < rounds; r++) {
        inline_ns[r] = time_inline(calls, &sum);
        ret_ns[r] = time_call(call_ret, calls, &sum);
        popjmp_ns[r] = time_call(call_popjmp, calls, &sum);
        fprintf(stderr, "round %d/%d, %ld calls each: inline %.2f ns, stub (ret) %.2f ns, stub (pop/jmp) %.2f ns\n",
                r + 1, rounds, calls, inline_ns[r], ret_ns[r], popjmp_ns[r]);
    }

    if (sum != pid * 3 * (calls / 10 + calls * (long)rounds)) {
        fprintf(stderr, "checksum mismatch\n");
        return 1;
    }

    printf("c_raw_syscall_getpid_ns %.2f\n", median(inline_ns, rounds));
    printf("c_stub_call_getpid_ns %.2f\n", median(ret_ns, rounds));
    printf("c_stub_popjmp_getpid_ns %.2f\n", median(popjmp_ns, rounds));
    return 0;
}

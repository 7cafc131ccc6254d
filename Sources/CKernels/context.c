// The context: instruction-set dispatch, the persistent thread pool and per-worker scratch.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 // clock_gettime, sysconf(_SC_NPROCESSORS_ONLN) even under a strict -std
#endif
#include "ck_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define CK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define CK_PAUSE() __asm__ __volatile__("yield")
#else
#define CK_PAUSE() ((void)0)
#endif

// ---------------------------------------------------------------------------------------------
// Reaching AVX2/FMA: runtime dispatch.
//
// Swift and this C target are compiled for the baseline of the platform (x86-64 = SSE2), so the
// one binary runs on any x86-64 CPU. The hot loops are compiled a second time inside functions
// carrying __attribute__((target("avx2,fma"))) (ops_avx2.c: hand-written 6×16 micro-kernel, and
// the packers/FIR/epilogue bodies re-compiled from kernels_body.h), and a context picks one
// function table when it is created. Alternatives rejected: building the whole package with
// -mavx2 -mfma (the binary would die with SIGILL on older CPUs, and SwiftPM only passes such
// flags as unsafeFlags); per-target builds / ifunc (more build plumbing, Linux-only). The check
// runs once (__builtin_cpu_supports reads the cpuid data libgcc/compiler-rt cached at start-up;
// we cache our answer as well), and the cost of dispatch is one indirect call per micro-kernel
// invocation (~6·16·KC = 24k FMAs), which is unmeasurable. On arm64 (and anything else) only
// the portable table exists: plain C the compiler vectorises for NEON.
// ---------------------------------------------------------------------------------------------
static int detect_host_isa(void) {
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_ISA_AVX2_FMA;
#endif
    return CK_ISA_PORTABLE;
}

static pthread_once_t host_isa_once = PTHREAD_ONCE_INIT;
static int host_isa_value = CK_ISA_PORTABLE;
static void host_isa_init(void) { host_isa_value = detect_host_isa(); }

int ck_host_isa(void) {
    pthread_once(&host_isa_once, host_isa_init);
    return host_isa_value;
}

int ck_online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > CK_MAX_THREADS ? CK_MAX_THREADS : (int)n);
}

// ---------------------------------------------------------------------------------------------
// Thread pool. Workers spin briefly on a generation counter (kernels are issued back to back, so
// most wake-ups are caught while spinning), then sleep on a condition variable.
//
// Tasks are claimed from one 64-bit word holding (generation << 32 | next task index), so a
// worker that wakes late can only claim tasks of the region it belongs to, and the caller waits
// for its tasks to complete, not for every worker to check in: when the caller ran all the tasks
// itself (small kernels, a busy machine) it returns at once instead of waiting for a sleeping
// worker to wake up and find nothing to do.
// ---------------------------------------------------------------------------------------------

#define CK_SPIN_NS 200000 // 0.2 ms of spinning before sleeping

struct ck_context {
    int threads;
    int isa;
    const ck_ops *ops;
    pthread_t *workers;
    pthread_mutex_t run_lock; // one parallel region at a time per context
    pthread_mutex_t mu;
    pthread_cond_t start_cv, done_cv;
    _Atomic unsigned generation;   // wakes the workers
    _Atomic uint64_t claim;        // generation << 32 | next task index
    _Atomic int ntasks;
    _Atomic int completed;         // tasks of the current region that have finished
    unsigned last_generation;      // the caller's count, under run_lock
    ck_task_fn fn;                 // fn and arg are read only after a task of their region is
    void *arg;                     // claimed, and rewritten only after all of them completed
    int stop;
    ck_scratch scratch[CK_MAX_THREADS][CK_SCRATCH_SLOTS];
};

typedef struct worker_start {
    struct ck_context *ctx;
    int index;
} worker_start;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// Runs tasks of region `generation` until none is left. A claimed task keeps its region open
/// (the caller waits for it), so `fn`, `arg` and `ntasks` are stable while it runs.
static void run_tasks(struct ck_context *ctx, int worker, unsigned generation) {
    for (;;) {
        uint64_t v = atomic_load_explicit(&ctx->claim, memory_order_acquire);
        int task;
        do {
            task = (int)(uint32_t)v;
            if ((unsigned)(v >> 32) != generation ||
                task >= atomic_load_explicit(&ctx->ntasks, memory_order_relaxed)) return;
        } while (!atomic_compare_exchange_weak_explicit(&ctx->claim, &v, v + 1, memory_order_acq_rel,
                                                        memory_order_acquire));
        int n = atomic_load_explicit(&ctx->ntasks, memory_order_relaxed);
        ctx->fn(ctx->arg, task, worker);
        if (atomic_fetch_add_explicit(&ctx->completed, 1, memory_order_acq_rel) + 1 == n && worker != 0) {
            pthread_mutex_lock(&ctx->mu);
            pthread_cond_signal(&ctx->done_cv);
            pthread_mutex_unlock(&ctx->mu);
        }
    }
}

static void *worker_main(void *p) {
    worker_start start = *(worker_start *)p;
    free(p);
    struct ck_context *ctx = start.ctx;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&ctx->generation, memory_order_acquire);
        if (g == seen) {
            uint64_t t0 = now_ns();
            int spins = 0;
            while ((g = atomic_load_explicit(&ctx->generation, memory_order_acquire)) == seen) {
                CK_PAUSE();
                if (++spins == 64) {
                    spins = 0;
                    if (now_ns() - t0 > CK_SPIN_NS) break;
                }
            }
            if (g == seen) {
                pthread_mutex_lock(&ctx->mu);
                while ((g = atomic_load_explicit(&ctx->generation, memory_order_acquire)) == seen)
                    pthread_cond_wait(&ctx->start_cv, &ctx->mu);
                pthread_mutex_unlock(&ctx->mu);
            }
        }
        seen = g;
        if (ctx->stop) return NULL;
        run_tasks(ctx, start.index, g);
    }
}

ck_context *ck_context_create(int threads, int isa) {
    if (threads < 1) threads = 1;
    if (threads > CK_MAX_THREADS) threads = CK_MAX_THREADS;
    struct ck_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->threads = threads;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == CK_ISA_AVX2_FMA && ck_host_isa() == CK_ISA_AVX2_FMA) {
        ctx->isa = CK_ISA_AVX2_FMA;
        ctx->ops = &ck_ops_avx2;
    } else
#endif
    {
        (void)isa;
        ctx->isa = CK_ISA_PORTABLE;
        ctx->ops = &ck_ops_portable;
    }
    pthread_mutex_init(&ctx->run_lock, NULL);
    pthread_mutex_init(&ctx->mu, NULL);
    pthread_cond_init(&ctx->start_cv, NULL);
    pthread_cond_init(&ctx->done_cv, NULL);
    atomic_init(&ctx->generation, 0u);
    atomic_init(&ctx->claim, 0u);
    atomic_init(&ctx->ntasks, 0);
    atomic_init(&ctx->completed, 0);
    if (threads > 1) {
        ctx->workers = calloc((size_t)threads - 1, sizeof(pthread_t));
        for (int i = 1; i < threads; i++) {
            worker_start *s = malloc(sizeof *s);
            s->ctx = ctx;
            s->index = i;
            if (pthread_create(&ctx->workers[i - 1], NULL, worker_main, s) != 0) {
                // Could not start more threads: run with the ones we have.
                free(s);
                ctx->threads = i;
                break;
            }
        }
    }
    return ctx;
}

void ck_context_destroy(ck_context *ctx) {
    if (!ctx) return;
    if (ctx->threads > 1) {
        pthread_mutex_lock(&ctx->mu);
        ctx->stop = 1;
        atomic_fetch_add_explicit(&ctx->generation, 1u, memory_order_release);
        pthread_cond_broadcast(&ctx->start_cv);
        pthread_mutex_unlock(&ctx->mu);
        for (int i = 1; i < ctx->threads; i++) pthread_join(ctx->workers[i - 1], NULL);
    }
    free(ctx->workers);
    for (int t = 0; t < CK_MAX_THREADS; t++)
        for (int s = 0; s < CK_SCRATCH_SLOTS; s++) free(ctx->scratch[t][s].ptr);
    pthread_cond_destroy(&ctx->start_cv);
    pthread_cond_destroy(&ctx->done_cv);
    pthread_mutex_destroy(&ctx->mu);
    pthread_mutex_destroy(&ctx->run_lock);
    free(ctx);
}

int ck_context_threads(const ck_context *ctx) { return ctx->threads; }
int ck_context_isa(const ck_context *ctx) { return ctx->isa; }
const ck_ops *ck_context_ops(const struct ck_context *ctx) { return ctx->ops; }

size_t ck_context_scratch_bytes(const ck_context *ctx) {
    size_t total = 0;
    for (int t = 0; t < CK_MAX_THREADS; t++)
        for (int s = 0; s < CK_SCRATCH_SLOTS; s++) total += ctx->scratch[t][s].count * sizeof(float);
    return total;
}

float *ck_scratch_get(struct ck_context *ctx, int worker, int slot, size_t count) {
    ck_scratch *s = &ctx->scratch[worker][slot];
    if (s->count < count) {
        free(s->ptr);
        size_t bytes = ck_round_up((ptrdiff_t)(count * sizeof(float)), 64);
        s->ptr = aligned_alloc(64, bytes);
        if (!s->ptr) abort();
        s->count = bytes / sizeof(float);
    }
    return s->ptr;
}

void ck_scratch_reserve(struct ck_context *ctx, int slot, size_t count) {
    for (int w = 0; w < ctx->threads; w++) (void)ck_scratch_get(ctx, w, slot, count);
}

void ck_parallel(struct ck_context *ctx, int ntasks, ck_task_fn fn, void *arg) {
    if (ntasks <= 0) return;
    if (ctx->threads == 1 || ntasks == 1) {
        pthread_mutex_lock(&ctx->run_lock);
        for (int t = 0; t < ntasks; t++) fn(arg, t, 0);
        pthread_mutex_unlock(&ctx->run_lock);
        return;
    }
    pthread_mutex_lock(&ctx->run_lock);
    ctx->fn = fn;
    ctx->arg = arg;
    atomic_store_explicit(&ctx->ntasks, ntasks, memory_order_relaxed);
    atomic_store_explicit(&ctx->completed, 0, memory_order_relaxed);
    unsigned generation = ++ctx->last_generation;
    atomic_store_explicit(&ctx->claim, (uint64_t)generation << 32, memory_order_release);
    pthread_mutex_lock(&ctx->mu);
    atomic_store_explicit(&ctx->generation, generation, memory_order_release);
    pthread_cond_broadcast(&ctx->start_cv);
    pthread_mutex_unlock(&ctx->mu);

    run_tasks(ctx, 0, generation);

    if (atomic_load_explicit(&ctx->completed, memory_order_acquire) != ntasks) {
        uint64_t t0 = now_ns();
        int spins = 0;
        while (atomic_load_explicit(&ctx->completed, memory_order_acquire) != ntasks) {
            CK_PAUSE();
            if (++spins == 64) {
                spins = 0;
                if (now_ns() - t0 > CK_SPIN_NS) break;
            }
        }
        pthread_mutex_lock(&ctx->mu);
        while (atomic_load_explicit(&ctx->completed, memory_order_acquire) != ntasks)
            pthread_cond_wait(&ctx->done_cv, &ctx->mu);
        pthread_mutex_unlock(&ctx->mu);
    }
    pthread_mutex_unlock(&ctx->run_lock);
}

// ---------------------------------------------------------------------------------------------
// Probes.
// ---------------------------------------------------------------------------------------------

typedef struct probe_arg {
    const ck_ops *ops;
    long iterations;
    double flops[CK_MAX_THREADS];
} probe_arg;

static void probe_task(void *p, int task, int worker) {
    (void)task;
    probe_arg *a = p;
    a->flops[worker] += a->ops->fma_probe(a->iterations);
}

double ck_fma_peak_gflops(ck_context *ctx, long iterations) {
    probe_arg a;
    memset(&a, 0, sizeof a);
    a.ops = ctx->ops;
    a.iterations = iterations / 10 + 1;
    ck_parallel(ctx, ctx->threads, probe_task, &a); // warm up (clock ramp)
    memset(a.flops, 0, sizeof a.flops);
    a.iterations = iterations;
    uint64_t t0 = now_ns();
    ck_parallel(ctx, ctx->threads, probe_task, &a);
    uint64_t t1 = now_ns();
    double flops = 0;
    for (int i = 0; i < CK_MAX_THREADS; i++) flops += a.flops[i];
    return flops / (double)(t1 - t0);
}

double ck_fma_probe_flops(ck_context *ctx, long iterations) { return ctx->ops->fma_probe(iterations); }

static void empty_task(void *p, int task, int worker) {
    (void)p; (void)task; (void)worker;
}

double ck_parallel_overhead_seconds(ck_context *ctx, int repeats) {
    if (repeats < 1) repeats = 1;
    ck_parallel(ctx, ctx->threads, empty_task, NULL);
    uint64_t t0 = now_ns();
    for (int r = 0; r < repeats; r++) ck_parallel(ctx, ctx->threads, empty_task, NULL);
    return (double)(now_ns() - t0) * 1e-9 / repeats;
}

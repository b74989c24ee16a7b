/* bench_mpi.c: distributed runs (docs/distributed.md) against one server on 127.0.0.1.
 * Starts `loadgen serve` (KServe v2, 2 threads), then, in rounds, runs an Offline test of
 * the KServe SUT from 1 rank and from 2 ranks (`mpirun --allow-run-as-root
 * --oversubscribe -np N loadgen run --distributed`), each as many samples as the client
 * can send (a closed loop on its connections: the client-bound rate), and prints the
 * median rates, their ratio, and the largest start skew and clock-offset error bound the
 * 2-rank runs reported. Prints one line per figure:
 *   bench_mpi figure=<name> value=<number> unit=<unit>
 * Usage: bench_mpi [--quick] [--rounds N] [--samples N]
 * The program is $LOADGEN_BIN, else build/bin/loadgen. Says so and exits 0 when mpirun
 * is not installed. */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MPIRUN "/usr/bin/mpirun"

static const char *program(void)
{
    const char *p = getenv("LOADGEN_BIN");
    return p && *p ? p : "build/bin/loadgen";
}

static pid_t serve_start(unsigned *port)
{
    int out[2];
    if (pipe(out))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(program(), "loadgen", "serve", "--port", "0", "--threads", "2", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    struct pollfd pfd = {out[0], POLLIN, 0};
    char line[256] = "";
    if (poll(&pfd, 1, 10000) == 1) {
        ssize_t n = read(out[0], line, sizeof line - 1);
        line[n > 0 ? n : 0] = '\0';
    }
    close(out[0]);
    if (sscanf(line, "listening on http://127.0.0.1:%u", port) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

/* One run on np ranks into dir; returns results.json (NULL on failure). */
static json_t *run(int np, const char *url, const char *samples, const char *dir)
{
    char nps[8], qps[32];
    snprintf(nps, sizeof nps, "%d", np);
    snprintf(qps, sizeof qps, "%s", samples);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        return NULL;
    char log[512];
    snprintf(log, sizeof log, "%s.log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        /* Offline: one query of --target-qps x 1 s samples. */
        execl(MPIRUN, "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", nps,
              program(), "run", "--distributed", "--distributed-start-lead-ms", "1000",
              "--sut", "kserve", "--url", url, "--model-name", "model", "--input-shape", "4",
              "--connections", "32", "--scenario", "Offline", "--target-qps", qps,
              "--min-duration-ms", "1000", "--out", dir, "--quiet", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    if (!j) {
        /* What mpirun and the ranks said, for the failure's message. */
        snprintf(cmd, sizeof cmd, "tail -5 '%s' >&2", log);
        if (system(cmd))
            fprintf(stderr, "bench_mpi: %s: no output\n", log);
    }
    unlink(log);
    return j;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = 3;
    const char *samples = "40000";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            rounds = 1;
            samples = "10000";
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_mpi [--quick] [--rounds N] [--samples N]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 50)
        rounds = 3;
    if (access(MPIRUN, X_OK)) {
        printf("bench_mpi skipped: mpirun is not installed (sh scripts/setup.sh test)\n");
        return 0;
    }
    unsigned port;
    pid_t srv = serve_start(&port);
    if (srv < 0) {
        fprintf(stderr, "bench_mpi: loadgen serve did not start (%s)\n", program());
        return 1;
    }
    char url[64], dir[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    snprintf(dir, sizeof dir, "/tmp/bench_mpi.%ld", (long)getpid());
    double r1[50], r2[50], skew = 0, cerr = 0;
    int ok = 0;
    for (int k = 0; k < rounds; k++) {
        json_t *a = run(1, url, samples, dir);
        json_t *b = run(2, url, samples, dir);
        if (!a || !b) {
            json_decref(a);
            json_decref(b);
            fprintf(stderr, "bench_mpi: round %d failed\n", k + 1);
            continue;
        }
        r1[ok] = json_real_value(json_object_get(json_object_get(a, "metric"), "value"));
        r2[ok] = json_real_value(json_object_get(json_object_get(b, "metric"), "value"));
        json_t *pr = json_object_get(json_object_get(b, "distributed"), "per_rank");
        for (size_t r = 0; r < json_array_size(pr); r++) {
            json_t *o = json_array_get(pr, r);
            double s = (double)json_integer_value(json_object_get(o, "start_skew_ns"));
            double e = (double)json_integer_value(json_object_get(o, "clock_offset_error_ns"));
            skew = s < 0 ? (-s > skew ? -s : skew) : (s > skew ? s : skew);
            cerr = e > cerr ? e : cerr;
        }
        ok++;
        json_decref(a);
        json_decref(b);
    }
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        fprintf(stderr, "bench_mpi: could not remove %s\n", dir);
    if (!ok) {
        fprintf(stderr, "bench_mpi: no round finished\n");
        return 1;
    }
    qsort(r1, (size_t)ok, sizeof *r1, cmp_d);
    qsort(r2, (size_t)ok, sizeof *r2, cmp_d);
    double m1 = r1[ok / 2], m2 = r2[ok / 2];
    printf("bench_mpi figure=rate_1_rank value=%.0f unit=samples/s rounds=%d\n", m1, ok);
    printf("bench_mpi figure=rate_2_ranks value=%.0f unit=samples/s rounds=%d\n", m2, ok);
    printf("bench_mpi figure=ratio_2_to_1 value=%.3f unit=x\n", m2 / m1);
    printf("bench_mpi figure=start_skew_max value=%.0f unit=ns\n", skew);
    printf("bench_mpi figure=clock_offset_error_max value=%.0f unit=ns\n", cerr);
    return 0;
}

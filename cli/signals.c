/* cli/signals.c: how the run commands stop: Ctrl-C, SIGTERM and SIGHUP end the test
 * with its logs written, and a reader that went away stops the printing, not the run. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"

/* SIGINT, SIGTERM or SIGHUP asks the running test to stop (lg_abort: it stops issuing,
 * waits for outstanding samples up to the sample timeout and writes complete logs
 * marked aborted). SIGHUP is there because a closed terminal or ssh session would
 * otherwise kill the run with nothing written; the message below then goes to a dead
 * terminal, and write() fails with EIO (or EPIPE, SIGPIPE being ignored), harmlessly.
 *
 * A second SIGINT or SIGTERM exits at once. The log being written at that moment has
 * only its temporary name (NAME.tmp.PID): lg_log_discard_partial() removes it, so the
 * folder holds whole files only, and without results.json (written last) it reads as
 * an incomplete run. A second SIGHUP is ignored: a hang-up delivers it twice (from the
 * kernel and from the shell) and nobody is left at the terminal to ask for "now". */
static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    if (g_signals++ == 0) {
        static const char msg[] = "\nloadgen: stopping: finishing outstanding samples and "
                                  "writing the logs (press Ctrl-C again to quit now)\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        lg_abort();
        return;
    }
    if (sig == SIGHUP)
        return;
    lg_log_discard_partial();
    _exit(128 + sig);
}

bool cli_stop_requested(void)
{
    return g_signals != 0;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Under nohup SIGHUP arrives ignored: the user asked for the run to go on after a
     * hang-up, not to stop, so the disposition is kept. */
    struct sigaction old;
    if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
}

/* Once a reader such as `head -1` has gone, writes to stdout fail with EPIPE (SIGPIPE is
 * ignored, see main); the run goes on and writes its files, and the caller stops
 * printing. */
bool cli_stdout_open(void)
{
    return !ferror(stdout);
}

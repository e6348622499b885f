/* supervise: the process that runs one local build. The local executor starts
 * it detached (its own session) as `aftomato __supervise RUN_DIR`, so a build
 * keeps running, logging and timing out when the console exits or is killed,
 * and any console can re-attach to it.
 *
 * RUN_DIR holds (DESIGN: data_dir/run/<buildID>/):
 *   spec.json    what to run (written by the executor before the start)
 *   lock         flock-ed by the supervisor while it lives
 *   control      a FIFO; "cancel\n" asks the build to stop
 *   status.json  written (atomically) when the build has ended:
 *                {"status","exitCode","message","startedMs","finishedMs"}
 *   artifacts/   ARTIFACTS_DIR of the build
 * The build's output (stdout and stderr, in order) goes to the spool named in
 * spec.json through a logstore, with arrival times. */
#ifndef AFTOMATO_SUPERVISE_H
#define AFTOMATO_SUPERVISE_H

#include <stdint.h>

/* Runs the build described by RUN_DIR/spec.json to its end and writes
 * status.json. lock_fd is RUN_DIR/lock, already flock-ed by the executor and
 * inherited, or -1 to lock it here. Returns the process exit status (0 when
 * status.json was written). Afterwards, when spec.json names a follow-up command ("thenExec",
 * an argv array), it execs that instead of returning. */
int supervise_main(const char *run_dir, int lock_fd);

/* Grace period between SIGTERM and SIGKILL when a build is cancelled or times
 * out. */
#define SUPERVISE_KILL_GRACE_MS 5000

/* The nice value local builds (and their supervisor) run at. */
#define SUPERVISE_NICE 10

#endif

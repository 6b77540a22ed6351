/**
 * Child processes (emulators, PostgreSQL) must not outlive the process that
 * started them. Their cleanup runs in `process.on("exit")` handlers
 * (LambdaStandIn, startPostgres), but Node runs those only on a normal exit
 * or `process.exit()`: a process ended by SIGTERM or SIGHUP, with no listener
 * for it, dies without them (Node.js docs, process, "Signal events": SIGTERM's
 * default handler only resets the terminal mode and exits with 128 + signal
 * number; SIGHUP's default is to terminate; checked here: `kill -TERM` on a
 * Node 24 process exits 143 and its "exit" listener never runs). Jest ends a worker with SIGTERM and,
 * 500 ms later, SIGKILL (jest-worker's SIGKILL_DELAY), which orphaned the
 * stand-ins' processes.
 *
 * `exitOnTermination()` turns SIGTERM and SIGHUP into `process.exit(128 +
 * signal)`, so the exit handlers run (they are synchronous: killing the
 * emulators' process trees and asking PostgreSQL's fast shutdown take well
 * under 500 ms). The exit code is the one a shell reports for a process killed
 * by that signal, which jest-worker treats as an expected termination. When
 * another handler for the signal exists (a CLI's own graceful shutdown), it
 * is left to decide. Installed once per process; harmless afterwards, since
 * exiting on SIGTERM is what the process would have done anyway.
 * A SIGKILL cannot be caught: only a watchdog process could clean up after
 * one, which this does not attempt.
 */
import * as os from "node:os";

const SIGNALS = ["SIGTERM", "SIGHUP"] as const;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
    // Another part of the process handles this signal itself: let it (it exits when it is done).
    if (process.listenerCount(signal) > 1) return;
    process.exit(128 + (os.constants.signals[signal] ?? 15));
}

export function exitOnTermination(): void {
    if (installed) return;
    installed = true;
    for (const signal of SIGNALS) process.on(signal, onSignal);
}

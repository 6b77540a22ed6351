/**
 * The environment spawner: a small process that starts emulators for the Lambda stand-in, so that starting one
 * never stalls the process serving users.
 *
 * Why a process of its own: Node starts a child with fork(2) then exec, and fork copies the parent's page
 * tables, so its cost grows with the parent's memory. In the stand-in, which also serves every user request,
 * it was about 8 ms per environment (`node --cpu-prof` of `npm run bench`, section 5), and a pre-traffic
 * warm-up of 30 environments stalled users for about 250 ms at once. On Lambda, placing an environment never
 * delays requests already being served by other environments. This process stays small, so its forks are cheap,
 * and only its own event loop waits for them.
 *
 * Run as: node spawner.js. Protocol, one JSON document per line:
 * - stdin:  `{"id": N, "program": "...", "argv": [...], "cwd": "...", "env": {...}, "nice": 19}` (`nice` optional)
 * - stdout: `{"id": N, "pid": P}` once started, or `{"id": N, "error": "..."}` when it could not be;
 *           `{"id": N, "line": "..."}` for every line it prints on stdout or stderr;
 *           `{"id": N, "exit": true}` when it exited, and `{"id": N, "close": true}` once its output is drained.
 * When stdin ends (the stand-in stopped, or died), every emulator it started is killed with its whole tree:
 * nothing outlives the stand-in, even after a SIGKILL of it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";
import { killTree } from "../support/proc";

export interface SpawnRequest {
    id: number;
    program: string;
    argv: string[];
    cwd: string;
    env: Record<string, string>;
    /** Start it at this nice value, its session (autogroup) too: an environment's init must not take the users' CPU. */
    nice?: number;
}

export type SpawnerMessage =
    | { id: number; pid: number }
    | { id: number; error: string }
    | { id: number; line: string }
    | { id: number; exit: true }
    | { id: number; close: true };

/** Whether `value` is a well-formed request; the spawner ignores anything else (it only ever talks to its parent). */
export function isSpawnRequest(value: unknown): value is SpawnRequest {
    if (typeof value !== "object" || value === null) return false;
    const r = value as Record<string, unknown>;
    return (
        Number.isSafeInteger(r.id) &&
        typeof r.program === "string" &&
        Array.isArray(r.argv) &&
        r.argv.every((a) => typeof a === "string") &&
        typeof r.cwd === "string" &&
        typeof r.env === "object" &&
        r.env !== null &&
        Object.values(r.env).every((v) => typeof v === "string") &&
        (r.nice === undefined || (Number.isInteger(r.nice) && (r.nice as number) >= -20 && (r.nice as number) <= 19))
    );
}

/**
 * Starts `request` as its own session, at its nice value when it has one. Through nice(1), which execs the
 * program with the value already set: every thread it ever starts inherits it (clone(2) copies the nice
 * value), where setting it after the fact would race the Go runtime's first threads. The session's autogroup
 * is new (setsid) and at 0; it is set right after the fork, before the program has done any work worth
 * naming, so that the session as a whole also yields to the users' (sched(7), "The autogroup feature"). A
 * refused autogroup write (EAGAIN without CAP_SYS_ADMIN) is left to the stand-in, which sets it again once
 * the emulator listens and reports a failure (environment.ts).
 */
export function startSession(request: Omit<SpawnRequest, "id">): ChildProcess {
    const [program, argv] = request.nice === undefined ? [request.program, request.argv] : ["nice", ["-n", String(request.nice), request.program, ...request.argv]];
    const child = spawn(program, argv, {
        cwd: request.cwd,
        env: request.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Own session and process group: a Ctrl-C in the terminal reaches only the rehearsal, which stops every
        // environment; and its own autogroup, so its CPU share can be set apart from the users'.
        detached: true,
    });
    if (request.nice !== undefined && child.pid !== undefined) {
        try {
            fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(request.nice));
        } catch {
            // no autogroups here, or EAGAIN: see above
        }
    }
    return child;
}

function send(message: SpawnerMessage): void {
    process.stdout.write(JSON.stringify(message) + "\n");
}

function serve(): void {
    const children = new Map<number, ChildProcess>();
    const start = (request: SpawnRequest): void => {
        const { id: _id, ...launch } = request;
        const child = startSession(launch);
        child.once("error", (err) => {
            children.delete(request.id);
            send({ id: request.id, error: err.message });
        });
        if (child.pid === undefined) return; // the error event follows
        children.set(request.id, child);
        send({ id: request.id, pid: child.pid });
        for (const stream of [child.stdout, child.stderr]) {
            if (stream === null) continue;
            readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => send({ id: request.id, line }));
        }
        child.once("exit", () => send({ id: request.id, exit: true }));
        child.once("close", () => {
            children.delete(request.id);
            send({ id: request.id, close: true });
        });
    };
    readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (text) => {
        let request: unknown;
        try {
            request = JSON.parse(text);
        } catch {
            return;
        }
        if (isSpawnRequest(request)) start(request);
        // A request with an id but a bad shape is answered, so that no launch waits for ever on it.
        else if (typeof request === "object" && request !== null && Number.isSafeInteger((request as { id?: unknown }).id)) {
            send({ id: (request as { id: number }).id, error: "malformed spawn request (program, argv, cwd and env as strings; nice an integer from -20 to 19)" });
        }
    });
    // The stand-in gone, writes fail with EPIPE: that must not end this process before it kills what it started.
    process.stdout.on("error", () => undefined);
    process.stdin.once("end", () => {
        for (const child of children.values()) if (child.pid !== undefined && child.exitCode === null) killTree(child.pid);
        process.exit(0);
    });
}

if (require.main === module) serve();

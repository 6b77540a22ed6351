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
 * - stdin:  `{"id": N, "program": "...", "argv": [...], "cwd": "...", "env": {...}}`
 * - stdout: `{"id": N, "pid": P}` once started, or `{"id": N, "error": "..."}` when it could not be;
 *           `{"id": N, "line": "..."}` for every line it prints on stdout or stderr;
 *           `{"id": N, "exit": true}` when it exited, and `{"id": N, "close": true}` once its output is drained.
 * When stdin ends (the stand-in stopped, or died), every emulator it started is killed with its whole tree:
 * nothing outlives the stand-in, even after a SIGKILL of it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import { killTree } from "../support/proc";

export interface SpawnRequest {
    id: number;
    program: string;
    argv: string[];
    cwd: string;
    env: Record<string, string>;
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
        Object.values(r.env).every((v) => typeof v === "string")
    );
}

function send(message: SpawnerMessage): void {
    process.stdout.write(JSON.stringify(message) + "\n");
}

function serve(): void {
    const children = new Map<number, ChildProcess>();
    const start = (request: SpawnRequest): void => {
        const child = spawn(request.program, request.argv, {
            cwd: request.cwd,
            env: request.env,
            stdio: ["ignore", "pipe", "pipe"],
            // Own process group: a Ctrl-C in the terminal reaches only the rehearsal, which stops every environment.
            detached: true,
        });
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
    });
    // The stand-in gone, writes fail with EPIPE: that must not end this process before it kills what it started.
    process.stdout.on("error", () => undefined);
    process.stdin.once("end", () => {
        for (const child of children.values()) if (child.pid !== undefined && child.exitCode === null) killTree(child.pid);
        process.exit(0);
    });
}

if (require.main === module) serve();

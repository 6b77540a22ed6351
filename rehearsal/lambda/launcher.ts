/**
 * How the Lambda stand-in starts an environment's emulator: here, with a fork of this very process, or through
 * the spawner process (spawner.ts), which keeps fork's cost off the event loop that serves users.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import { killTree } from "../support/proc";
import { startSession, type SpawnerMessage, type SpawnRequest } from "./spawner";

export type LaunchRequest = Omit<SpawnRequest, "id">;

/** What the launcher reports about a started emulator; given before it starts, so nothing it prints is missed. */
export interface LaunchEvents {
    /** Each line it printed, stdout and stderr alike. */
    line(line: string): void;
    /** It exited. */
    exit(): void;
    /** Its output is drained (after `exit`). */
    close(): void;
}

export interface Launcher {
    /** Starts the program and resolves with its pid; rejects when it could not be started at all (no such file). */
    launch(request: LaunchRequest, events: LaunchEvents): Promise<number>;
    /** Stops the launcher itself; environments still running are killed where the launcher owns them. */
    close(): Promise<void>;
}

/** Forks this process: the simplest way, and what unit tests of one environment use. */
export class DirectLauncher implements Launcher {
    async launch(request: LaunchRequest, events: LaunchEvents): Promise<number> {
        const child: ChildProcess = startSession(request);
        if (child.pid === undefined) {
            throw await new Promise<Error>((resolve) => child.once("error", resolve));
        }
        for (const stream of [child.stdout, child.stderr]) {
            if (stream === null) continue;
            readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => events.line(line));
        }
        child.once("exit", () => events.exit());
        child.once("close", () => events.close());
        return child.pid;
    }

    async close(): Promise<void> {}
}

/**
 * Starts emulators through one spawner process (spawner.ts). If the spawner dies, every environment it started is
 * killed here and counts as exited, and later launches are refused with that reason.
 */
export class SpawnerLauncher implements Launcher {
    private readonly child: ChildProcess;
    private nextId = 1;
    private readonly pending = new Map<number, { resolve: (pid: number) => void; reject: (e: Error) => void }>();
    /** Started or starting, with whether it has exited yet. */
    private readonly running = new Map<number, { events: LaunchEvents; exited: boolean; pid?: number }>();
    private gone?: Error;
    private readonly ended: Promise<void>;

    /** `script` is the compiled spawner (bin/rehearsal/lambda/spawner.js); `node` runs it. */
    constructor(script: string, node: string = process.execPath) {
        this.child = spawn(node, [script], { stdio: ["pipe", "pipe", "inherit"] });
        this.ended = new Promise((resolve) => {
            this.child.once("close", () => resolve());
            this.child.once("error", () => resolve());
        });
        this.child.once("error", (err) => this.fail(new Error(`the environment spawner could not start: ${err.message}`)));
        // On close, not exit: what it printed before it died (the last exits) is read first.
        this.child.once("close", (code, signal) => this.fail(new Error(`the environment spawner exited (${signal ?? `code ${code}`})`)));
        // A write to a spawner that just died must not crash the stand-in: `fail` reports it.
        this.child.stdin?.on("error", () => undefined);
        if (this.child.stdout) {
            readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on("line", (text) => this.receive(text));
        }
    }

    async launch(request: LaunchRequest, events: LaunchEvents): Promise<number> {
        if (this.gone) throw this.gone;
        const id = this.nextId++;
        const started = new Promise<number>((resolve, reject) => this.pending.set(id, { resolve, reject }));
        this.running.set(id, { events, exited: false });
        this.child.stdin?.write(JSON.stringify({ id, ...request } satisfies SpawnRequest) + "\n");
        return started;
    }

    async close(): Promise<void> {
        this.child.stdin?.end();
        await this.ended;
    }

    private receive(text: string): void {
        let message: SpawnerMessage;
        try {
            message = JSON.parse(text) as SpawnerMessage;
        } catch {
            return; // not ours: the spawner prints nothing else
        }
        const entry = this.running.get(message.id);
        if ("pid" in message) {
            if (entry) entry.pid = message.pid;
            this.pending.get(message.id)?.resolve(message.pid);
            this.pending.delete(message.id);
        } else if ("error" in message) {
            this.pending.get(message.id)?.reject(new Error(message.error));
            this.pending.delete(message.id);
            this.running.delete(message.id);
        } else if ("line" in message) {
            entry?.events.line(message.line);
        } else if ("exit" in message) {
            if (entry) entry.exited = true;
            entry?.events.exit();
        } else if ("close" in message) {
            entry?.events.close();
            this.running.delete(message.id);
        }
    }

    private fail(reason: Error): void {
        this.gone ??= reason;
        for (const { reject } of this.pending.values()) reject(reason);
        this.pending.clear();
        for (const entry of this.running.values()) {
            // A spawner killed outright could not kill them itself: nothing may outlive the stand-in's view of it.
            if (!entry.exited && entry.pid !== undefined) killTree(entry.pid);
            if (!entry.exited) entry.events.exit();
            entry.events.close();
        }
        this.running.clear();
    }
}

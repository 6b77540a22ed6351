/**
 * The environment spawner (rehearsal/lambda/spawner.ts) and its client (launcher.ts): emulators started out of
 * the stand-in's process, with their output, their exit, and nothing left running when either side goes.
 * These run the compiled spawner (bin/), as the rehearsal does.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DirectLauncher, SpawnerLauncher, type LaunchEvents, type Launcher } from "../../rehearsal/lambda/launcher";
import { isSpawnRequest } from "../../rehearsal/lambda/spawner";
import { isRunning, waitGone } from "../../rehearsal/support/proc";
import { resolvePaths } from "../../rehearsal/scenarios/stage";

jest.setTimeout(30_000);

const paths = resolvePaths();
let work: string;
const launchers: Launcher[] = [];

beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-launcher-test-"));
});

afterEach(async () => {
    await Promise.all(launchers.splice(0).map((l) => l.close()));
});

afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
});

/** Records what a launch reports, in order; `exited` resolves on `exit`, `closed` on `close`. */
function recorder(): LaunchEvents & { seen: string[]; exited: Promise<void>; closed: Promise<void> } {
    const seen: string[] = [];
    let onExit!: () => void;
    let onClose!: () => void;
    const exited = new Promise<void>((resolve) => (onExit = resolve));
    const closed = new Promise<void>((resolve) => (onClose = resolve));
    return {
        seen,
        exited,
        closed,
        line: (line) => seen.push(`line:${line}`),
        exit: () => (seen.push("exit"), onExit()),
        close: () => (seen.push("close"), onClose()),
    };
}

const SH = "/bin/sh";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", WHO: "environment" };

describe.each([
    ["the spawner", () => new SpawnerLauncher(paths.spawner)],
    ["a direct fork", () => new DirectLauncher()],
])("%s", (_name, make) => {
    test("reports the pid, every line of stdout and stderr, then exit and close", async () => {
        // Prepare
        const launcher = make();
        launchers.push(launcher);
        const events = recorder();

        // Act
        const pid = await launcher.launch({ program: SH, argv: ["-c", 'echo "out $WHO in $(pwd)"; echo err >&2; echo $$'], cwd: work, env }, events);
        await events.closed;

        // Assess: its own cwd and env; its pid is the one it printed.
        expect(events.seen).toContain(`line:out environment in ${fs.realpathSync(work)}`);
        expect(events.seen).toContain("line:err");
        expect(events.seen).toContain(`line:${pid}`);
        // `exit` may come before the last lines (a process can exit before its pipes are read); `close` after all.
        expect(events.seen.at(-1)).toBe("close");
        expect(events.seen.filter((e) => e === "exit")).toHaveLength(1);
    });

    test("with a nice value, the program runs at it from its first instruction, and its session too", async () => {
        const launcher = make();
        launchers.push(launcher);
        const events = recorder();
        // The program reports its own nice value (nice(1) prints it) and its session's autogroup line.
        const pid = await launcher.launch({ program: SH, argv: ["-c", "nice; cat /proc/self/autogroup 2>/dev/null || true"], cwd: work, env, nice: 19 }, events);
        await events.closed;
        expect(pid).toBeGreaterThan(0);
        expect(events.seen[0]).toBe("line:19");
        const autogroups = fs.existsSync("/proc/sys/kernel/sched_autogroup_enabled") && fs.readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
        if (autogroups) expect(events.seen[1]).toMatch(/^line:\/autogroup-\d+ nice 19$/);
    });

    test("a program that does not exist is refused with the reason, and the launcher still works", async () => {
        const launcher = make();
        launchers.push(launcher);
        const missing = path.join(work, "no-such-emulator");
        await expect(launcher.launch({ program: missing, argv: [], cwd: work, env }, recorder())).rejects.toThrow(/ENOENT/);
        const events = recorder();
        await launcher.launch({ program: SH, argv: ["-c", "echo fine"], cwd: work, env }, events);
        await events.closed;
        expect(events.seen.filter((e) => e !== "exit")).toEqual(["line:fine", "close"]);
        expect(events.seen).toContain("exit");
    });
});

describe("the spawner", () => {
    test("closing it kills what it started, with their children, and each counts as exited", async () => {
        // Prepare: a program with a child of its own, as the emulator has its runtime.
        const launcher = new SpawnerLauncher(paths.spawner);
        const events = recorder();
        const pid = await launcher.launch({ program: SH, argv: ["-c", "sleep 300 & echo child $!; wait"], cwd: work, env }, events);
        const child = await new Promise<number>((resolve) => {
            const poll = () => {
                const line = events.seen.find((l) => l.startsWith("line:child "));
                if (line) resolve(Number(line.slice("line:child ".length)));
                else setTimeout(poll, 10);
            };
            poll();
        });
        expect(isRunning(pid)).toBe(true);
        expect(isRunning(child)).toBe(true);

        // Act
        await launcher.close();
        await events.exited;

        // Assess
        await waitGone([pid, child], 5000);
        expect([isRunning(pid), isRunning(child)]).toEqual([false, false]);
        await expect(launcher.launch({ program: SH, argv: [], cwd: work, env }, recorder())).rejects.toThrow("the environment spawner exited (code 0)");
    });

    test("when the stand-in's process is killed outright, the spawner kills every environment it started", async () => {
        // Prepare: a stand-in of the stand-in, which starts a long-running environment through a spawner and
        // prints its pid, then is SIGKILLed (no exit handler of it runs).
        const parentScript = path.join(work, "parent.js");
        const launcherModule = path.join(paths.root, "bin", "rehearsal", "lambda", "launcher.js");
        fs.writeFileSync(
            parentScript,
            `const { SpawnerLauncher } = require(${JSON.stringify(launcherModule)});
const launcher = new SpawnerLauncher(${JSON.stringify(paths.spawner)});
launcher.launch({ program: "/bin/sh", argv: ["-c", "sleep 300"], cwd: "/", env: {} }, { line() {}, exit() {}, close() {} })
    .then((pid) => process.stdout.write(pid + "\\n"));
setInterval(() => {}, 1000);
`,
        );
        const parent = spawn(process.execPath, [parentScript], { stdio: ["ignore", "pipe", "inherit"] });
        const pid = await new Promise<number>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
        expect(isRunning(pid)).toBe(true);

        // Act
        parent.kill("SIGKILL");

        // Assess
        await waitGone([pid], 10_000);
        expect(isRunning(pid)).toBe(false);
    });

    test("when the spawner itself dies, the stand-in kills what it had started and counts them as exited", async () => {
        const launcher = new SpawnerLauncher(paths.spawner);
        const events = recorder();
        const pid = await launcher.launch({ program: SH, argv: ["-c", "sleep 300"], cwd: work, env }, events);
        const spawnerPid = (launcher as unknown as { child: { pid: number } }).child.pid;

        process.kill(spawnerPid, "SIGKILL");
        await events.closed;

        await waitGone([pid], 5000);
        expect(isRunning(pid)).toBe(false);
        expect(events.seen).toEqual(["exit", "close"]);
        await expect(launcher.launch({ program: SH, argv: [], cwd: work, env }, recorder())).rejects.toThrow("the environment spawner exited (SIGKILL)");
        await launcher.close();
    });

    test("a malformed request is refused with the reason, not left waiting", async () => {
        const launcher = new SpawnerLauncher(paths.spawner);
        launchers.push(launcher);
        await expect(launcher.launch({ program: SH, argv: [], cwd: work, env, nice: 20 }, recorder())).rejects.toThrow(
            "malformed spawn request (program, argv, cwd and env as strings; nice an integer from -20 to 19)",
        );
        const events = recorder();
        await launcher.launch({ program: SH, argv: ["-c", "echo fine"], cwd: work, env }, events);
        await events.closed;
        expect(events.seen).toContain("line:fine");
    });

    test("only well-formed requests are acted on", () => {
        const good = { id: 1, program: "/bin/true", argv: ["a"], cwd: "/", env: { A: "b" } };
        expect(isSpawnRequest(good)).toBe(true);
        expect(isSpawnRequest({ ...good, nice: 19 })).toBe(true);
        for (const bad of [null, "x", { ...good, id: "1" }, { ...good, id: 1.5 }, { ...good, argv: [1] }, { ...good, env: { A: 1 } }, { ...good, env: null }, { ...good, cwd: undefined }, { ...good, nice: 20 }, { ...good, nice: 1.5 }, { ...good, nice: "19" }]) {
            expect(isSpawnRequest(bad)).toBe(false);
        }
    });
});

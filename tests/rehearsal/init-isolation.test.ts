/**
 * CPU isolation of an execution environment's init (`isolateInit`): the real
 * emulator and awslambdaric, their niceness read from /proc (every thread:
 * /proc/<pid>/task/<tid>/stat) and from inside the function (os.nice(0)).
 * Requires a provisioned machine (`npm test` does it): never skipped for that.
 * The cases that need the host to raise a process back (CAP_SYS_NICE) are
 * skipped, visibly, where the probe says it cannot: there the feature is off
 * by design, which the injected-probe cases cover.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "../../hooks/log";
import { ExecutionEnvironment, initIsolationAvailable, probeInitIsolation, setTreeNice, type EnvironmentSpec } from "../../rehearsal/lambda/environment";
import { LambdaStandIn } from "../../rehearsal/lambda/service";
import { processTree } from "../../rehearsal/support/proc";
import { resolvePaths, type Paths } from "../../rehearsal/scenarios/stage";

jest.setTimeout(120_000);

// INIT_NICE is read while the module is imported, i.e. during the init the first invoke carries.
const PYTHON_FN = `
import os, time
INIT_NICE = os.nice(0)
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"echo": event.get("echo"), "initNice": INIT_NICE, "nice": os.nice(0), "pid": os.getpid()}
`;

/** What the stand-in raises environments back to: its own niceness (0 unless the test runner is niced). */
const BASE = os.getPriority();
const capable = initIsolationAvailable();
const ifCapable = capable ? test : test.skip;

let paths: Paths;
let work: string;
const started: ExecutionEnvironment[] = [];
let counter = 0;

beforeAll(() => {
    paths = resolvePaths();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-init-isolation-test-"));
    fs.mkdirSync(path.join(work, "py"));
    fs.writeFileSync(path.join(work, "py", "main.py"), PYTHON_FN);
});

afterAll(async () => {
    for (const env of started) env.kill();
    await Promise.all(started.map((env) => env.stopped()));
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

function spec(overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
    return {
        rie: paths.rie,
        command: [paths.python, "-m", "awslambdaric", "main.handler"],
        cwd: path.join(work, "py"),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), LANG: "C.UTF-8", PYTHONUNBUFFERED: "1" },
        timeoutSec: 30,
        logFile: path.join(work, `env-${++counter}.log`),
        ...overrides,
    };
}

async function startEnv(overrides: Partial<EnvironmentSpec> = {}): Promise<ExecutionEnvironment> {
    const env = new ExecutionEnvironment(`py#${counter + 1}`, "py", "1", spec(overrides));
    started.push(env);
    await env.start();
    return env;
}

async function call(env: ExecutionEnvironment, event: object): Promise<Record<string, unknown>> {
    const answer = await env.invoke(Buffer.from(JSON.stringify(event)), `req-${Date.now()}`);
    return JSON.parse(answer.payload.toString("utf8")) as Record<string, unknown>;
}

/** The nice value (stat field 19) of every thread of every process in the tree under `pid`, by pid. */
function niceness(pid: number): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const p of processTree(pid)) {
        const values: number[] = [];
        let tasks: string[];
        try {
            tasks = fs.readdirSync(`/proc/${p}/task`);
        } catch {
            continue; // exited while we looked
        }
        for (const tid of tasks) {
            try {
                const stat = fs.readFileSync(`/proc/${p}/task/${tid}/stat`, "utf8");
                // Fields after the command name's ')' start at field 3.
                values.push(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]));
            } catch {
                // thread ended while we looked
            }
        }
        out.set(p, values);
    }
    return out;
}

/** Whether this kernel groups tasks by session (CONFIG_SCHED_AUTOGROUP, enabled). */
const AUTOGROUPS = (() => {
    try {
        return fs.readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
    } catch {
        return false;
    }
})();

/**
 * The nice value of the autogroup (session) `pid` belongs to, or null without autogroups. A task still in the
 * kernel's default autogroup (a session never started with setsid, as under some CI runners) has an empty file
 * (proc_sched_autogroup_show_task prints nothing when the group is the root task group): it competes at nice 0.
 */
function autogroupNice(pid: number): number | null {
    if (!AUTOGROUPS) return null;
    const m = /nice (-?\d+)/.exec(fs.readFileSync(`/proc/${pid}/autogroup`, "utf8"));
    return m ? Number(m[1]) : 0;
}

function ownAutogroupNice(): number | null {
    return autogroupNice(process.pid);
}

/** Every thread of the tree, flattened, with how many processes were seen. */
function allNice(pid: number): { processes: number; values: number[] } {
    const map = niceness(pid);
    return { processes: map.size, values: [...map.values()].flat() };
}

describe("CPU isolation of init", () => {
    ifCapable("with isolateInit the emulator waits at nice 19, the init and first invoke run at 19, and everything is raised back after it", async () => {
        const warnings: string[] = [];
        const env = await startEnv({ isolateInit: true, onWarning: (event) => warnings.push(event) });
        const pid = env.pid as number;

        const before = allNice(pid);
        // The runtime starts lazily: only the emulator (several Go threads) exists yet.
        expect(before.processes).toBe(1);
        expect(before.values.length).toBeGreaterThan(1);
        expect(new Set(before.values)).toEqual(new Set([19]));
        // Where the kernel groups tasks by session, nice alone ranks tasks only inside the session: the
        // emulator's own session (its autogroup) must be at 19 too, or 30 inits still share the CPU equally.
        expect(autogroupNice(pid)).toBe(AUTOGROUPS ? 19 : null);

        const first = await call(env, { echo: "cold" });
        expect(first).toMatchObject({ echo: "cold", initNice: 19, nice: 19 });

        const after = allNice(pid);
        // The emulator and its runtime child, which sits in a process group of its own.
        expect(after.processes).toBeGreaterThanOrEqual(2);
        expect(processTree(pid)).toContain(first.pid);
        expect(new Set(after.values)).toEqual(new Set([BASE]));
        expect(autogroupNice(pid)).toBe(AUTOGROUPS ? ownAutogroupNice() : null);
        expect(autogroupNice(first.pid as number)).toBe(AUTOGROUPS ? ownAutogroupNice() : null);

        const second = await call(env, { echo: "warm" });
        expect(second).toMatchObject({ echo: "warm", initNice: 19, nice: BASE, pid: first.pid });
        expect(warnings).toEqual([]);
    });

    test("without isolateInit nothing is ever niced", async () => {
        const env = await startEnv();
        const pid = env.pid as number;
        expect(new Set(allNice(pid).values)).toEqual(new Set([BASE]));
        expect(await call(env, { echo: "plain" })).toMatchObject({ echo: "plain", initNice: BASE, nice: BASE });
        expect(new Set(allNice(pid).values)).toEqual(new Set([BASE]));
    });

    test("when the host cannot raise a process back, isolateInit nices nothing", async () => {
        const env = await startEnv({ isolateInit: true, isolationProbe: () => false });
        const pid = env.pid as number;
        expect(new Set(allNice(pid).values)).toEqual(new Set([BASE]));
        expect(await call(env, { echo: "degraded" })).toMatchObject({ echo: "degraded", initNice: BASE, nice: BASE });
        expect(new Set(allNice(pid).values)).toEqual(new Set([BASE]));
    });

    ifCapable("a first invoke that times out still answers Sandbox.Timedout, with no renice warning", async () => {
        const warnings: string[] = [];
        const env = await startEnv({ isolateInit: true, timeoutSec: 1, onWarning: (event) => warnings.push(event) });
        const answer = await env.invoke(Buffer.from(JSON.stringify({ sleep: 5 })), "req-timeout");
        expect(answer.broken).toBe(true);
        expect(JSON.parse(answer.payload.toString("utf8"))).toMatchObject({ errorType: "Sandbox.Timedout" });
        expect(warnings).toEqual([]);
    });

    ifCapable("an environment killed during its first invoke answers Runtime.ExitError and is not reniced", async () => {
        const warnings: string[] = [];
        const env = await startEnv({ isolateInit: true, onWarning: (event) => warnings.push(event) });
        const pending = env.invoke(Buffer.from(JSON.stringify({ sleep: 5 })), "req-killed");
        // Reaped mid-init/invoke, as the stand-in's stop() or maxEnvironments would.
        await new Promise((resolve) => setTimeout(resolve, 300));
        env.kill();
        const answer = await pending;
        expect(answer.broken).toBe(true);
        expect(JSON.parse(answer.payload.toString("utf8"))).toMatchObject({ errorType: "Runtime.ExitError" });
        expect(warnings).toEqual([]);
        expect(env.busy).toBe(false);
    });

    ifCapable("a failing raise is reported once and the invoke's answer stands", async () => {
        // Lowering to 19 works; raising back is refused, as setpriority(2) refuses it without CAP_SYS_NICE.
        const setPriority = (tid: number, nice: number): void => {
            if (nice < 19) throw Object.assign(new Error("setpriority: EACCES: permission denied"), { code: "ERR_SYSTEM_ERROR", info: { code: "EACCES" } });
            os.setPriority(tid, nice);
        };
        const warnings: { event: string; fields: Record<string, unknown> }[] = [];
        const env = await startEnv({ isolateInit: true, setPriority, onWarning: (event, fields) => warnings.push({ event, fields }) });
        const first = await call(env, { echo: "still here" });
        expect(first).toMatchObject({ echo: "still here", initNice: 19 });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ event: "lambda.environment.renice-failed", fields: { environmentId: env.id } });
        expect(String(warnings[0]?.fields.error)).toContain("permission denied");
        // It keeps serving; only the first invoke tries to raise it.
        expect(await call(env, { echo: "again" })).toMatchObject({ echo: "again" });
        expect(warnings).toHaveLength(1);
    });

    ifCapable("a failing re-lowering is reported once, and the environment, started at 19 by nice(1), is still raised back after its first invoke", async () => {
        // Lowering again once it listens is refused; raising back works.
        const setPriority = (tid: number, nice: number): void => {
            if (nice === 19) throw Object.assign(new Error("setpriority: EPERM: operation not permitted"), { code: "ERR_SYSTEM_ERROR", info: { code: "EPERM" } });
            os.setPriority(tid, nice);
        };
        const warnings: { event: string; fields: Record<string, unknown> }[] = [];
        const env = await startEnv({ isolateInit: true, setPriority, onWarning: (event, fields) => warnings.push({ event, fields }) });
        // Every thread is at 19 already: the emulator was started at 19, and threads inherit it.
        expect(new Set(allNice(env.pid as number).values)).toEqual(new Set([19]));
        const first = await call(env, { echo: "still here" });
        expect(first).toMatchObject({ echo: "still here", initNice: 19, nice: 19 });
        expect(new Set(allNice(env.pid as number).values)).toEqual(new Set([BASE]));
        expect(autogroupNice(env.pid as number)).toBe(AUTOGROUPS ? ownAutogroupNice() : null);
        expect(await call(env, { echo: "again" })).toMatchObject({ echo: "again", nice: BASE });
        expect(warnings.map((w) => w.event)).toEqual(["lambda.environment.renice-failed"]);
    });
});

describe("setTreeNice", () => {
    // A process that starts a worker thread (several OS threads) when it reads a line, and says so.
    const SPAWNER = `
const { Worker } = require("node:worker_threads");
process.stdin.once("data", () => {
    new Worker("setInterval(() => {}, 1000)", { eval: true }).once("online", () => process.stdout.write("online\\n"));
});
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);
`;

    function threadCount(pid: number): number {
        return fs.readdirSync(`/proc/${pid}/task`).length;
    }

    ifCapable("a thread created by one not yet lowered, after the tree was listed, is lowered too", async () => {
        // Prepare: a child whose main thread will create new threads while setTreeNice walks the first listing.
        const child = spawn(process.execPath, ["-e", SPAWNER], { stdio: ["pipe", "pipe", "inherit"] });
        try {
            const lines: string[] = [];
            const seen = (word: string) =>
                new Promise<void>((resolve) => {
                    const check = () => (lines.includes(word) ? resolve() : child.stdout.once("data", (d: Buffer) => (lines.push(...d.toString().split("\n")), check())));
                    check();
                });
            await seen("ready");
            const pid = child.pid as number;
            const before = threadCount(pid);
            let triggered = false;
            let during = 0;
            // The first thread set is the main thread: before setting it, make it start the worker and wait (the
            // worker's threads exist once it is online), so they inherit the base value from a thread not yet set.
            const set = (tid: number, nice: number): void => {
                if (!triggered) {
                    triggered = true;
                    child.stdin.write("go\n");
                    const until = Date.now() + 10_000;
                    while (threadCount(pid) <= before && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
                    during = threadCount(pid);
                }
                os.setPriority(tid, nice);
            };

            // Act
            const error = setTreeNice(pid, 19, set);
            await seen("online");

            // Assess: every thread the child has, including those created mid-walk, is at 19.
            expect(error).toBeUndefined();
            expect(during).toBeGreaterThan(before);
            const values = niceness(pid).get(pid) ?? [];
            expect(values.length).toBeGreaterThanOrEqual(during);
            expect(new Set(values)).toEqual(new Set([19]));
        } finally {
            child.kill("SIGKILL");
        }
    });
});

describe("the capability probe", () => {
    function binWith(name: string, tools: Record<string, string>): string {
        const bin = path.join(work, name);
        fs.mkdirSync(bin);
        for (const [tool, target] of Object.entries(tools)) {
            if (target.startsWith("#!")) fs.writeFileSync(path.join(bin, tool), target, { mode: 0o755 });
            else fs.symlinkSync(target, path.join(bin, tool));
        }
        return bin;
    }
    const which = (tool: string): string => {
        for (const dir of (process.env.PATH ?? "").split(":")) {
            if (fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
        }
        throw new Error(`${tool} is not on PATH`);
    };

    test("is false without nice, or without renice", () => {
        expect(probeInitIsolation({ PATH: binWith("empty-bin", {}) })).toBe(false);
        expect(probeInitIsolation({ PATH: binWith("no-renice", { nice: which("nice"), sh: which("sh") }) })).toBe(false);
    });

    test("is false when renice exits 0 without raising the process (a renice that reads -n as an increment)", () => {
        const bin = binWith("noop-renice", { nice: which("nice"), sh: which("sh"), renice: "#!/bin/sh\nexit 0\n" });
        expect(probeInitIsolation({ PATH: bin })).toBe(false);
    });

    ifCapable("is true with the real tools on this host", () => {
        expect(probeInitIsolation()).toBe(true);
    });
});

describe("the Lambda stand-in's isolateInit", () => {
    async function standIn(isolateInit: boolean | undefined, probe?: () => boolean): Promise<{ lambda: LambdaStandIn; warnings: string[] }> {
        const warnings: string[] = [];
        const log = createLogger({}, (line) => {
            const record = JSON.parse(line) as { level: string; event: string };
            if (record.level === "warn") warnings.push(record.event);
        });
        const lambda = new LambdaStandIn({
            rie: paths.rie,
            python: paths.python,
            nodeRuntime: paths.nodeRuntime,
            workDir: fs.mkdtempSync(path.join(work, "stand-in-")),
            baseEnv: {},
            ...(isolateInit === undefined ? {} : { isolateInit }),
            ...(probe ? { initIsolationProbe: probe } : {}),
            log,
        });
        await lambda.start();
        lambda.createFunction({ name: "py", runtime: "python", codeDir: path.join(work, "py"), handler: "main.handler" });
        return { lambda, warnings };
    }

    test("is off unless asked for, and unavailable (with one warning, nothing niced) where the probe says no", async () => {
        const off = await standIn(undefined);
        const unavailable = await standIn(true, () => false);
        try {
            expect(off.lambda.initIsolation).toBe("off");
            expect(unavailable.lambda.initIsolation).toBe("unavailable");
            expect(unavailable.warnings).toEqual(["lambda.init-isolation.unavailable"]);
            const out = await unavailable.lambda.invoke("py", undefined, Buffer.from(JSON.stringify({ echo: "x" })));
            expect(JSON.parse(out.payload.toString("utf8"))).toMatchObject({ echo: "x", initNice: BASE, nice: BASE });
            expect(unavailable.warnings).toEqual(["lambda.init-isolation.unavailable"]);
        } finally {
            await off.lambda.stop();
            await unavailable.lambda.stop();
        }
    });

    ifCapable("when on, every environment it starts inits at 19 and serves warm at the base priority", async () => {
        const { lambda, warnings } = await standIn(true);
        try {
            expect(lambda.initIsolation).toBe("on");
            const [a, b] = await Promise.all([0.3, 0.3].map((sleep) => lambda.invoke("py", undefined, Buffer.from(JSON.stringify({ sleep, echo: "cold" })))));
            for (const out of [a, b]) expect(JSON.parse(out?.payload.toString("utf8") ?? "{}")).toMatchObject({ echo: "cold", initNice: 19, nice: 19 });
            const envs = lambda.environmentsInfo();
            expect(envs).toHaveLength(2);
            for (const env of envs) expect(new Set(allNice(env.pid as number).values)).toEqual(new Set([BASE]));
            const warm = await lambda.invoke("py", undefined, Buffer.from(JSON.stringify({ echo: "warm" })));
            expect(JSON.parse(warm.payload.toString("utf8"))).toMatchObject({ echo: "warm", initNice: 19, nice: BASE });
            expect(warnings).toEqual([]);
        } finally {
            await lambda.stop();
        }
    });
});

/**
 * One execution environment = one process of the official AWS Lambda Runtime
 * Interface Emulator (aws-lambda-rie) with its runtime as a child.
 *
 * What the emulator does and does not do, read from its source and checked by
 * hand (see docs/rehearsal.md):
 * - it forwards its *whole* process environment to the runtime, so the
 *   environment given here is exactly what the function sees;
 * - it starts the runtime lazily, on the first invoke, so the first invoke
 *   carries the whole init (that is our cold start);
 * - a second request while one is in flight makes it panic (SIGSEGV), so the
 *   caller must never send two at once: `invoke` refuses to;
 * - a function error comes back as HTTP 200 with the runtime's
 *   `{errorType, errorMessage}` body and no `X-Amz-Function-Error` header;
 *   a timeout as 200 with the text "Task timed out after N.00 seconds".
 * - it takes the request id from `X-Amzn-RequestId`, so logs, the runtime's
 *   context and our records share one id.
 *
 * CPU isolation during init (`isolateInit`): on AWS every environment is a
 * Firecracker microVM with its own CPU share, so one environment's init never
 * slows another's requests; here all emulators share the host's cores. The
 * closest one host gets: the emulator starts at 19 (nice(1); spawner.ts), is
 * lowered again once it listens (the runtime it starts on the first invoke
 * inherits 19), and
 * once its first invoke (the one carrying the init) has returned, every thread
 * of its whole tree is raised back. Every thread, walked through /proc: on
 * Linux PRIO_PROCESS names one thread only, and the emulator puts its runtime
 * in a process group of its own (Setpgid), so neither the emulator's pid nor
 * its group reaches the runtime.
 *
 * Nice values alone do nothing across sessions when the kernel groups tasks
 * by session (CONFIG_SCHED_AUTOGROUP, /proc/sys/kernel/sched_autogroup_enabled
 * = 1, the default of most distributions): CFS then shares the CPU fairly
 * between autogroups first, and nice only ranks the tasks inside one
 * (sched(7), "The autogroup feature"). Every emulator starts its own session
 * (`detached`), so it is its own autogroup: its autogroup's nice value
 * (/proc/PID/autogroup) is set to 19 with its tasks' and raised back with
 * them. Measured here: with task nice alone, 30 inits still took the users'
 * warm requests from 105 ms to a p50 of 564 ms.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { DirectLauncher, type Launcher } from "./launcher";
import { killTree, processTree, waitGone } from "../support/proc";
import { freePort, LOOPBACK, post, releasePort, waitForPort } from "../support/net";

/** What the emulator reported for one invoke, before Lambda semantics are applied. */
export interface EmulatorAnswer {
    /** The function's payload, or the runtime's error document. */
    payload: Buffer;
    /** Set when the function failed: Lambda's `X-Amz-Function-Error` value. */
    functionError?: "Unhandled";
    /** The environment cannot serve again (timeout, crash, failed init): discard it. */
    broken: boolean;
}

export interface EnvironmentSpec {
    /** Emulator binary. */
    rie: string;
    /** Bootstrap command: the runtime and its arguments; the last one is the handler. */
    command: string[];
    /** Working directory = the version's code snapshot (Lambda's /var/task). */
    cwd: string;
    /** The complete environment of the emulator, and so of the function. */
    env: Record<string, string>;
    /** Function timeout in seconds (AWS_LAMBDA_FUNCTION_TIMEOUT). */
    timeoutSec: number;
    /** File that receives the emulator's and the function's output. */
    logFile: string;
    /** Called with every output line as it arrives, like CloudWatch Logs ingesting it. */
    onLine?: (line: string) => void;
    /**
     * Run the init at the lowest CPU priority and raise the environment back after its first invoke (see the top
     * of this file). Without the capability (`initIsolationAvailable`) it is ignored: nothing is niced at all.
     */
    isolateInit?: boolean;
    /** Replaces `initIsolationAvailable` (tests). */
    isolationProbe?: () => boolean;
    /** Sets one thread's nice value; default os.setPriority (tests give a failing one). */
    setPriority?: (tid: number, nice: number) => void;
    /** Where a failed raise is reported; the invoke carries on either way. */
    onWarning?: (event: string, fields: Record<string, unknown>) => void;
    /** How the emulator is started; default a fork of this process (the stand-in passes its spawner, launcher.ts). */
    launcher?: Launcher;
}

/**
 * Whether this host can raise a niced process back: lowering a nice value needs CAP_SYS_NICE (or an RLIMIT_NICE
 * allowance). A child niced to 19 renices itself to our own nice value, in the exact form `raise` uses, and
 * checks that it took: some renice builds read `-n` as an increment (toybox, BSD, POSIX), where "-n 0" would
 * exit 0 and change nothing. Uncached; `initIsolationAvailable` caches it.
 */
export function probeInitIsolation(env: NodeJS.ProcessEnv = process.env): boolean {
    const base = os.getPriority();
    const script = `renice ${base} -p $$ >/dev/null 2>&1 && [ "$(nice)" = "${base}" ]`;
    const probe = spawnSync("nice", ["-n", "19", "sh", "-c", script], { env, stdio: "ignore", timeout: 5000 });
    return probe.error === undefined && probe.status === 0;
}

/** This process's autogroup nice value (0 when the kernel has no autogroups or does not say). */
function ownAutogroupNice(): number {
    try {
        const m = /nice (-?\d+)/.exec(fs.readFileSync("/proc/self/autogroup", "utf8"));
        return m ? Number(m[1]) : 0;
    } catch {
        return 0;
    }
}

let isolationAvailable: boolean | undefined;

/** `probeInitIsolation` for this process, asked once. */
export function initIsolationAvailable(): boolean {
    isolationAvailable ??= probeInitIsolation();
    return isolationAvailable;
}

/** Every thread of `pid` and of its descendants (processTree walks /proc/PID/task/TID/children where it can). */
function threadsOfTree(pid: number): number[] {
    return processTree(pid).flatMap((p) => {
        try {
            return fs.readdirSync(`/proc/${p}/task`).map(Number);
        } catch {
            return []; // exited while we looked
        }
    });
}

/**
 * Sets every thread of the tree under `pid` to `nice` with setpriority(2) (Node's os.setPriority): on Linux
 * PRIO_PROCESS names one thread, so each is set. In this process, not through `renice`: a renice process per
 * environment, twice, was itself a visible share of the stand-in's event loop when 30 environments started at
 * once. Returns the first error, ignoring threads that exited meanwhile (ESRCH).
 *
 * The tree is listed again until a pass finds no thread it had not set: a thread created by one not yet set
 * inherits the old value (clone(2) copies the creator's nice), and the Go runtime starts threads whenever it
 * likes (seen once in 16 runs of init-isolation.test.ts before this loop). Once a pass finds nothing new, every
 * later thread is created by one already set. Bounded, as a tree that spawns threads without end would
 * otherwise hold this loop.
 */
export function setTreeNice(pid: number, nice: number, set: (tid: number, nice: number) => void = os.setPriority): string | undefined {
    const done = new Set<number>();
    for (let pass = 0; pass < 8; pass++) {
        const fresh = threadsOfTree(pid).filter((tid) => !done.has(tid));
        if (fresh.length === 0) return undefined;
        for (const tid of fresh) {
            done.add(tid);
            try {
                set(tid, nice);
            } catch (err) {
                if ((err as { info?: { code?: string }; code?: string }).info?.code === "ESRCH" || (err as { code?: string }).code === "ESRCH") continue;
                return (err as Error).message;
            }
        }
    }
    return undefined;
}

const directLauncher = new DirectLauncher();

const INVOKE_PATH = "/2015-03-31/functions/function/invocations";
const TIMEOUT_TEXT = /^Task timed out after [\d.]+ seconds$/;
const ERROR_KEYS = new Set(["errorMessage", "errorType", "stackTrace", "requestId", "cause"]);

/**
 * The emulator answers a function error like a success. Lambda would set
 * `X-Amz-Function-Error: Unhandled`; recover it from the runtime's error
 * document (both awslambdaric and our Node client post exactly these keys).
 * A function that *returns* such a document on purpose is misread; no real
 * app does.
 */
export function isRuntimeErrorDocument(payload: Buffer): boolean {
    let doc: unknown;
    try {
        doc = JSON.parse(payload.toString("utf8"));
    } catch {
        return false;
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return false;
    const record = doc as Record<string, unknown>;
    return typeof record.errorMessage === "string" && typeof record.errorType === "string" && Object.keys(record).every((k) => ERROR_KEYS.has(k));
}

export class ExecutionEnvironment {
    /** The emulator's pid once started. */
    private emulatorPid?: number;
    private readonly exitWaiters: (() => void)[] = [];
    private invokePort = 0;
    private apiPort = 0;
    private exited = false;
    /** Every pid `kill` signalled: the emulator, its runtime and anything they started. */
    private readonly killed: number[] = [];
    private inFlight = false;
    /** The emulator was started at nice 19 and has not been raised back yet. */
    private niced = false;
    /** Invocations this environment has started; 0 means the next one is cold. */
    invocations = 0;
    lastUsed = Date.now();

    constructor(
        readonly id: string,
        readonly functionName: string,
        readonly version: string,
        private readonly spec: EnvironmentSpec,
    ) {}

    get busy(): boolean {
        return this.inFlight;
    }

    get alive(): boolean {
        return this.emulatorPid !== undefined && !this.exited;
    }

    get pid(): number | undefined {
        return this.emulatorPid;
    }

    /** Starts the emulator and waits until it accepts invokes. The runtime itself starts on the first invoke. */
    async start(): Promise<void> {
        this.invokePort = await freePort();
        this.apiPort = await freePort();
        const [bootstrap, ...args] = this.spec.command;
        if (bootstrap === undefined) throw new Error(`function ${this.functionName} has an empty bootstrap command`);
        const emulator = [
            this.spec.rie,
            "--runtime-interface-emulator-address", `${LOOPBACK}:${this.invokePort}`,
            "--runtime-api-address", `${LOOPBACK}:${this.apiPort}`,
            "--log-level", "error",
            bootstrap, ...args,
        ];
        // Never nice what cannot be raised back: a warm environment must not serve at 19.
        this.niced = this.spec.isolateInit === true && (this.spec.isolationProbe ?? initIsolationAvailable)();
        // Started at 19, its session too, so that neither the emulator's own start nor the init it runs on the
        // first invoke takes CPU from environments serving users: 30 emulators starting at normal priority, each
        // its own session, took the users' warm requests from 105 to about 310 ms for 200 ms (npm run bench,
        // section 5, once environments no longer started by forking the stand-in). Lowered again once it listens,
        // which also covers a session whose autogroup could not be set at once.
        const [program, ...argv] = emulator;
        const file = fs.createWriteStream(this.spec.logFile, { flags: "a" });
        this.emulatorPid = await (this.spec.launcher ?? directLauncher).launch(
            {
                program: program as string,
                argv,
                cwd: this.spec.cwd,
                env: { ...this.spec.env, AWS_LAMBDA_FUNCTION_TIMEOUT: String(this.spec.timeoutSec) },
                ...(this.niced ? { nice: 19 } : {}),
            },
            {
                line: (line) => {
                    file.write(line + "\n");
                    this.spec.onLine?.(line);
                },
                exit: () => {
                    this.exited = true;
                    releasePort(this.invokePort);
                    releasePort(this.apiPort);
                    for (const resolve of this.exitWaiters.splice(0)) resolve();
                },
                close: () => file.end(),
            },
        ).catch((err: unknown) => {
            file.end();
            throw err;
        });
        // At 19 behind a warm-up's 30 inits on 2 cores, an emulator takes longer to listen than it would alone.
        await waitForPort(this.invokePort, this.niced ? 30_000 : 10_000, () => !this.exited);
        if (this.niced) await this.lower(this.emulatorPid);
    }

    /**
     * The autogroup's nice value, when the kernel has autogroups (see the top of this file). Raising it back
     * below 19 needs no privilege for values >= 0, but without CAP_SYS_ADMIN the kernel allows one change per
     * 100 ms machine-wide (EAGAIN; kernel/sched/autogroup.c, proc_sched_autogroup_set_nice). Never throws.
     */
    private setAutogroupNice(pid: number, nice: number): void {
        const file = `/proc/${pid}/autogroup`;
        if (!fs.existsSync(file)) return;
        try {
            fs.writeFileSync(file, String(nice));
        } catch (err) {
            if (this.alive && this.killed.length === 0) {
                this.spec.onWarning?.("lambda.environment.autogroup-failed", { environmentId: this.id, nice, error: (err as Error).message });
            }
        }
    }

    /** Sends one invoke. Never call it while another is in flight: the emulator would crash. */
    async invoke(payload: Buffer, requestId: string): Promise<EmulatorAnswer> {
        if (this.inFlight) throw new Error(`environment ${this.id} is busy: the emulator serves one request at a time`);
        if (!this.alive) throw new Error(`environment ${this.id} is not running`);
        this.inFlight = true;
        this.invocations += 1;
        try {
            const res = await post(
                this.invokePort,
                INVOKE_PATH,
                payload,
                { "content-type": "application/json", "x-amzn-requestid": requestId },
                // The emulator enforces the function timeout itself; this only catches a hung emulator.
                this.spec.timeoutSec * 1000 + 5000,
            );
            return this.interpret(res.status, res.body, requestId);
        } catch (err) {
            // The emulator died or hung mid-invoke: Lambda reports that as Runtime.ExitError.
            this.kill();
            const message = `RequestId: ${requestId} Error: Runtime exited without providing a reason (${(err as Error).message})`;
            return { payload: Buffer.from(JSON.stringify({ errorType: "Runtime.ExitError", errorMessage: message })), functionError: "Unhandled", broken: true };
        } finally {
            // Before the environment counts as idle, so that no request is ever served at 19.
            if (this.niced) await this.raise();
            this.inFlight = false;
            this.lastUsed = Date.now();
        }
    }

    /**
     * Lowers the emulator to 19 again (its threads, and its session where the kernel has autogroups) before its
     * first invoke. Lowering needs no privilege. A failure is a warning.
     */
    private async lower(pid: number): Promise<void> {
        const error = setTreeNice(pid, 19, this.spec.setPriority);
        this.setAutogroupNice(pid, 19);
        // It started at 19 (nice(1)) whatever happened here: it is still raised back after its first invoke.
        if (error !== undefined && this.alive) this.spec.onWarning?.("lambda.environment.renice-failed", { environmentId: this.id, pid, error });
    }

    /** Brings every process group of the environment back to our own priority, once. Never throws. */
    private async raise(): Promise<void> {
        this.niced = false;
        const pid = this.emulatorPid;
        // A killed environment serves nothing more: no priority to restore.
        if (pid === undefined || !this.alive || this.killed.length > 0) return;
        this.setAutogroupNice(pid, ownAutogroupNice());
        const error = setTreeNice(pid, os.getPriority(), this.spec.setPriority);
        if (error !== undefined && this.alive && this.killed.length === 0) {
            this.spec.onWarning?.("lambda.environment.renice-failed", { environmentId: this.id, pid, error });
        }
    }

    private interpret(status: number, body: Buffer, requestId: string): EmulatorAnswer {
        const text = body.toString("utf8");
        if (TIMEOUT_TEXT.test(text.trim())) {
            const doc = { errorType: "Sandbox.Timedout", errorMessage: `RequestId: ${requestId} Error: ${text.trim()}` };
            return { payload: Buffer.from(JSON.stringify(doc)), functionError: "Unhandled", broken: true };
        }
        if (status !== 200) {
            // 502 = the runtime failed its init or crashed; the body, if any, is its error document.
            const payload = isRuntimeErrorDocument(body)
                ? body
                : Buffer.from(JSON.stringify({ errorType: "Runtime.Unknown", errorMessage: `the emulator answered HTTP ${status}: ${text.slice(0, 200)}` }));
            return { payload, functionError: "Unhandled", broken: true };
        }
        if (isRuntimeErrorDocument(body)) return { payload: body, functionError: "Unhandled", broken: false };
        return { payload: body, broken: false };
    }

    /** Ends the emulator and its runtime at once (nothing here needs a graceful stop, like Lambda's reaper). */
    kill(): void {
        if (this.emulatorPid === undefined || this.exited) return;
        this.killed.push(...killTree(this.emulatorPid));
    }

    /** Resolves when the emulator and every process it started have exited (after `kill`). */
    async stopped(): Promise<void> {
        if (this.emulatorPid !== undefined && !this.exited) {
            await new Promise<void>((resolve) => this.exitWaiters.push(resolve));
        }
        await waitGone(this.killed, 5000);
    }
}

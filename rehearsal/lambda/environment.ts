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
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";
import { killTree, waitGone } from "../support/proc";
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
}

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
    private process?: ChildProcess;
    private invokePort = 0;
    private apiPort = 0;
    private exited = false;
    /** Every pid `kill` signalled: the emulator, its runtime and anything they started. */
    private readonly killed: number[] = [];
    private inFlight = false;
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
        return this.process !== undefined && !this.exited;
    }

    get pid(): number | undefined {
        return this.process?.pid;
    }

    /** Starts the emulator and waits until it accepts invokes. The runtime itself starts on the first invoke. */
    async start(): Promise<void> {
        this.invokePort = await freePort();
        this.apiPort = await freePort();
        const [bootstrap, ...args] = this.spec.command;
        if (bootstrap === undefined) throw new Error(`function ${this.functionName} has an empty bootstrap command`);
        this.process = spawn(
            this.spec.rie,
            [
                "--runtime-interface-emulator-address", `${LOOPBACK}:${this.invokePort}`,
                "--runtime-api-address", `${LOOPBACK}:${this.apiPort}`,
                "--log-level", "error",
                bootstrap, ...args,
            ],
            {
                cwd: this.spec.cwd,
                env: { ...this.spec.env, AWS_LAMBDA_FUNCTION_TIMEOUT: String(this.spec.timeoutSec) },
                stdio: ["ignore", "pipe", "pipe"],
                // Own process group: a Ctrl-C in the terminal reaches only the
                // rehearsal, which then stops every environment itself.
                detached: true,
            },
        );
        const file = fs.createWriteStream(this.spec.logFile, { flags: "a" });
        for (const stream of [this.process.stdout, this.process.stderr]) {
            if (stream === null) continue;
            readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
                file.write(line + "\n");
                this.spec.onLine?.(line);
            });
        }
        this.process.once("close", () => file.end());
        this.process.once("exit", () => {
            this.exited = true;
            releasePort(this.invokePort);
            releasePort(this.apiPort);
        });
        await waitForPort(this.invokePort, 10_000, () => !this.exited);
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
            this.inFlight = false;
            this.lastUsed = Date.now();
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
        if (this.process?.pid === undefined || this.exited) return;
        this.killed.push(...killTree(this.process.pid));
    }

    /** Resolves when the emulator and every process it started have exited (after `kill`). */
    async stopped(): Promise<void> {
        if (this.process !== undefined && !this.exited) {
            await new Promise<void>((resolve) => this.process?.once("exit", () => resolve()));
        }
        await waitGone(this.killed, 5000);
    }
}

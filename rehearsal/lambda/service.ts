/**
 * The Lambda stand-in: functions, published versions, aliases with weighted
 * routing, and a pool of execution environments per version, each one a real
 * `aws-lambda-rie` process (see environment.ts). Its HTTP side speaks the
 * parts of the Lambda REST API the hooks call with the real SDK v3 client
 * (Invoke, GetAlias, UpdateAlias).
 *
 * Orchestration follows Lambda's: a request goes to an idle environment of the
 * version it resolves to; when none is idle a new one starts (a cold start);
 * an environment never serves two requests at once; environments idle for
 * `idleTimeoutMs` are reaped; at most `concurrency` requests of a function
 * run at once (reserved concurrency), beyond it → 429 TooManyRequestsException.
 * Idle environments do not count against concurrency, as in Lambda; only the
 * machine-wide `maxEnvironments` makes room by reaping the least recently used.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import type { Logger } from "../../hooks/log";
import { ExecutionEnvironment, type EmulatorAnswer } from "./environment";
import { LoopbackApi, readBody, sleep } from "../support/net";

export const ACCOUNT = "000000000000";
export const REGION = "us-east-1";

export type Runtime = "python" | "node";
export type InvocationType = "RequestResponse" | "Event";

export interface FunctionConfig {
    name: string;
    runtime: Runtime;
    /** Directory holding the function's code; each published version snapshots it. */
    codeDir: string;
    /** `module.export`, resolved inside the code directory, as in Lambda. */
    handler: string;
    /** The function's own environment variables (part of each published version). */
    env?: Record<string, string>;
    timeoutSec?: number;
    memoryMb?: number;
    /** Reserved concurrency: requests of this function running at once. */
    concurrency?: number;
}

export interface LambdaOptions {
    /** aws-lambda-rie binary. */
    rie: string;
    /** Python interpreter that has awslambdaric and the app's dependencies. */
    python: string;
    /** The compiled Node Runtime API client (bin/rehearsal/lambda/node-runtime.js). */
    nodeRuntime: string;
    /** Scratch directory: version snapshots and environment logs. */
    workDir: string;
    /** Variables every environment gets under the function's own (credentials, region, endpoints). */
    baseEnv: Record<string, string>;
    idleTimeoutMs?: number;
    /** Environments alive at once on this machine, all functions together (Lambda has no such limit; a laptop does). */
    maxEnvironments?: number;
    /** Retries of a failed asynchronous (Event) invocation and the wait before each; Lambda waits 1 and 2 minutes. */
    asyncRetryDelaysMs?: number[];
    /** Picks a number in [0, 1) for weighted alias routing; injectable for tests. */
    random?: () => number;
    log: Logger;
}

/** One invocation as this stand-in saw it; what tests and the benchmark read. */
export interface InvocationRecord {
    requestId: string;
    functionName: string;
    /** What the caller asked for: alias, version, `$LATEST` or nothing. */
    qualifier?: string;
    /** The version that ran it. */
    version: string;
    invocationType: InvocationType;
    environmentId?: string;
    /** The request started a new environment. */
    cold: boolean;
    throttled: boolean;
    functionError?: string;
    /** Epoch ms. */
    startedAt: number;
    endedAt: number;
    durationMs: number;
    /** 1 for the first delivery of an Event invocation, 2–3 for Lambda's retries. */
    attempt: number;
}

export interface EnvironmentInfo {
    id: string;
    functionName: string;
    version: string;
    invocations: number;
    alive: boolean;
    busy: boolean;
    /** The emulator's process id. */
    pid?: number;
}

/** One output line of an environment, as CloudWatch Logs would store it. */
export interface LogEvent {
    functionName: string;
    /** The environment's log stream (its id, also its AWS_LAMBDA_LOG_STREAM_NAME). */
    logStreamName: string;
    timestamp: number;
    message: string;
}

export interface InvokeOutcome {
    requestId: string;
    version: string;
    statusCode: number;
    payload: Buffer;
    functionError?: string;
}

interface Version {
    version: string;
    codeDir: string;
    config: FunctionConfig;
}

interface Alias {
    name: string;
    functionVersion: string;
    weights: Record<string, number>;
    revisionId: string;
    description: string;
}

interface FunctionState {
    config: FunctionConfig;
    versions: Map<string, Version>;
    aliases: Map<string, Alias>;
    nextVersion: number;
}

/** An error Lambda's API returns, in its REST-JSON shape. */
export class LambdaApiError extends Error {
    constructor(
        readonly status: number,
        readonly type: string,
        message: string,
        readonly reason?: string,
    ) {
        super(message);
        this.name = type;
    }
}

const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/(invocations|aliases\/([^/]+))$/;

export function functionArn(name: string, qualifier?: string): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

/** Splits `name`, `name:qualifier`, a partial ARN or a full ARN into name and qualifier, as Lambda accepts them. */
export function parseFunctionName(raw: string): { name: string; qualifier?: string } {
    const parts = raw.split(":");
    if (parts[0] === "arn") {
        // arn:aws:lambda:region:account:function:name[:qualifier]
        return { name: parts[6] ?? "", qualifier: parts[7] };
    }
    if (parts[1] === "function") {
        // account:function:name[:qualifier]
        return { name: parts[2] ?? "", qualifier: parts[3] };
    }
    return { name: parts[0] ?? "", qualifier: parts[1] };
}

export class LambdaStandIn extends LoopbackApi {
    readonly records: InvocationRecord[] = [];
    /** Every environment's output, oldest first, kept after the environment is reaped. */
    readonly logEvents: LogEvent[] = [];
    private readonly functions = new Map<string, FunctionState>();
    private readonly environments: ExecutionEnvironment[] = [];
    /** Environments handed to a request (starting or running); an environment in here gets no other request. */
    private readonly claimed = new Set<ExecutionEnvironment>();
    private readonly pendingAsync = new Set<Promise<void>>();
    private envCounter = 0;
    private reaper?: NodeJS.Timeout;
    private stopping = false;
    private readonly random: () => number;
    private readonly exitHandler = (): void => this.killAll();

    constructor(private readonly options: LambdaOptions) {
        super();
        this.random = options.random ?? Math.random;
        fs.mkdirSync(path.join(options.workDir, "logs"), { recursive: true });
    }

    async start(): Promise<void> {
        await this.listen();
        const idle = this.options.idleTimeoutMs ?? 60_000;
        this.reaper = setInterval(() => this.reapIdle(idle), Math.min(1000, idle));
        this.reaper.unref();
        // Children must not outlive us, whatever ends this process.
        process.on("exit", this.exitHandler);
    }

    /** Kills every environment and stops serving. Pending Event deliveries are dropped. */
    async stop(): Promise<void> {
        this.stopping = true;
        if (this.reaper) clearInterval(this.reaper);
        this.killAll();
        await Promise.all(this.environments.map((env) => env.stopped()));
        await this.close();
        process.off("exit", this.exitHandler);
    }

    // ---- control plane (what `pulumi up` would do through the Lambda API) ----

    createFunction(config: FunctionConfig): void {
        if (this.functions.has(config.name)) throw new Error(`function ${config.name} already exists`);
        this.functions.set(config.name, { config: { ...config }, versions: new Map(), aliases: new Map(), nextVersion: 1 });
    }

    /** `$LATEST`'s configuration (a copy). */
    functionConfig(name: string): FunctionConfig {
        const config = this.fn(name).config;
        return { ...config, env: { ...config.env } };
    }

    /** UpdateFunctionCode + UpdateFunctionConfiguration: changes `$LATEST` only. */
    updateFunction(name: string, changes: Partial<Omit<FunctionConfig, "name">>): void {
        const fn = this.fn(name);
        fn.config = { ...fn.config, ...changes };
    }

    /** PublishVersion: snapshots `$LATEST`'s code directory and configuration as the next version. */
    publishVersion(name: string): string {
        const fn = this.fn(name);
        const version = String(fn.nextVersion++);
        const codeDir = path.join(this.options.workDir, "versions", name, version);
        fs.rmSync(codeDir, { recursive: true, force: true });
        fs.cpSync(fn.config.codeDir, codeDir, { recursive: true, filter: (src) => !src.includes("__pycache__") });
        fn.versions.set(version, { version, codeDir, config: { ...fn.config, env: { ...fn.config.env } } });
        this.options.log.info("lambda.version.published", { functionName: name, version });
        return version;
    }

    createAlias(name: string, alias: string, functionVersion: string): void {
        const fn = this.fn(name);
        this.version(fn, functionVersion);
        fn.aliases.set(alias, { name: alias, functionVersion, weights: {}, revisionId: randomUUID(), description: "" });
    }

    /** Where an alias points: its version and the weights of any additional version. */
    aliasState(name: string, alias: string): { functionVersion: string; weights: Record<string, number> } {
        const a = this.alias(this.fn(name), alias);
        return { functionVersion: a.functionVersion, weights: { ...a.weights } };
    }

    /** UpdateAlias, as CodeDeploy calls it while shifting traffic. */
    updateAlias(name: string, alias: string, functionVersion: string | undefined, weights: Record<string, number> | undefined): void {
        const fn = this.fn(name);
        const a = this.alias(fn, alias);
        if (functionVersion !== undefined) {
            this.version(fn, functionVersion);
            a.functionVersion = functionVersion;
        }
        if (weights !== undefined) {
            for (const [v, w] of Object.entries(weights)) {
                this.version(fn, v);
                if (!(w >= 0 && w <= 1)) throw new LambdaApiError(400, "InvalidParameterValueException", `Invalid weight ${w} for version ${v}: must be in [0.0, 1.0]`);
                if (v === a.functionVersion) throw new LambdaApiError(400, "InvalidParameterValueException", `Invalid routing config: version ${v} is the alias's primary version`);
            }
            a.weights = { ...weights };
        }
        a.revisionId = randomUUID();
        this.options.log.info("lambda.alias.updated", { functionName: name, alias, functionVersion: a.functionVersion, weights: a.weights });
    }

    environmentsInfo(): EnvironmentInfo[] {
        return this.environments.map((env) => ({
            id: env.id,
            functionName: env.functionName,
            version: env.version,
            invocations: env.invocations,
            alive: env.alive,
            busy: this.claimed.has(env),
            pid: env.pid,
        }));
    }

    /** Kills idle environments (all of them by default), as Lambda's reaper would over time. */
    reapIdle(olderThanMs = 0, filter: (env: ExecutionEnvironment) => boolean = () => true): number {
        const now = Date.now();
        let reaped = 0;
        for (const env of [...this.environments]) {
            if (this.claimed.has(env) || !filter(env)) continue;
            if (env.alive && now - env.lastUsed < olderThanMs) continue;
            this.discard(env);
            reaped += 1;
        }
        return reaped;
    }

    /** Waits until every accepted Event invocation has been delivered (retries included). */
    async drainAsync(): Promise<void> {
        while (this.pendingAsync.size > 0) await Promise.all([...this.pendingAsync]);
    }

    // ---- data plane ----

    /**
     * Runs one invocation the way Lambda does and records it. Throttling and
     * unknown functions throw {@link LambdaApiError}; function errors are
     * returned, with `functionError` set.
     */
    async invoke(functionName: string, qualifier: string | undefined, payload: Buffer, attempt = 1, invocationType: InvocationType = "RequestResponse"): Promise<InvokeOutcome> {
        if (this.stopping) throw new LambdaApiError(503, "ServiceException", "the Lambda stand-in is stopping");
        const fn = this.fn(functionName, qualifier);
        const version = this.resolve(fn, functionName, qualifier);
        const requestId = randomUUID();
        const startedAt = Date.now();
        const base = { requestId, functionName, qualifier, version: version.version, invocationType, startedAt, attempt };
        let env: ExecutionEnvironment;
        let cold: boolean;
        try {
            ({ env, cold } = await this.acquire(fn, version));
        } catch (err) {
            const endedAt = Date.now();
            this.record({ ...base, cold: false, throttled: err instanceof LambdaApiError && err.status === 429, endedAt, durationMs: endedAt - startedAt });
            throw err;
        }
        let answer: EmulatorAnswer;
        try {
            answer = await env.invoke(payload, requestId);
        } finally {
            this.claimed.delete(env);
        }
        if (answer.broken) this.discard(env);
        const endedAt = Date.now();
        this.record({ ...base, environmentId: env.id, cold, throttled: false, functionError: answer.functionError, endedAt, durationMs: endedAt - startedAt });
        return { requestId, version: version.version, statusCode: 200, payload: answer.payload, functionError: answer.functionError };
    }

    /**
     * Accepts an Event invocation: answered at once, delivered in the
     * background, retried after a function error (twice, like Lambda) or a
     * throttle.
     */
    invokeAsync(functionName: string, qualifier: string | undefined, payload: Buffer): string {
        const fn = this.fn(functionName, qualifier);
        this.resolve(fn, functionName, qualifier);
        const delays = this.options.asyncRetryDelaysMs ?? [1000, 2000];
        const deliver = async (): Promise<void> => {
            let attempt = 1;
            while (!this.stopping) {
                try {
                    const outcome = await this.invoke(functionName, qualifier, payload, attempt, "Event");
                    if (outcome.functionError === undefined || attempt > delays.length) return;
                    await sleep(delays[attempt - 1] ?? 0);
                    attempt += 1;
                } catch (err) {
                    if (!(err instanceof LambdaApiError && err.status === 429)) {
                        this.options.log.error("lambda.async.dropped", { functionName, error: err });
                        return;
                    }
                    // A throttle does not use up a retry: Lambda keeps an event for hours.
                    await sleep(100);
                }
            }
        };
        const done = deliver().finally(() => this.pendingAsync.delete(done));
        this.pendingAsync.add(done);
        return randomUUID();
    }

    private record(record: InvocationRecord): void {
        this.records.push(record);
        this.options.log.info("lambda.invocation", { ...record });
    }

    private fn(name: string, qualifierForMessage?: string): FunctionState {
        const fn = this.functions.get(name);
        if (!fn) throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${functionArn(name, qualifierForMessage)}`);
        return fn;
    }

    private version(fn: FunctionState, version: string): Version {
        const v = fn.versions.get(version);
        if (!v) throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${functionArn(fn.config.name, version)}`);
        return v;
    }

    private alias(fn: FunctionState, alias: string): Alias {
        const a = fn.aliases.get(alias);
        if (!a) throw new LambdaApiError(404, "ResourceNotFoundException", `Alias not found: ${functionArn(fn.config.name, alias)}`);
        return a;
    }

    /** Qualifier → version: `$LATEST`, a number, or an alias routed by its weights. */
    private resolve(fn: FunctionState, name: string, qualifier: string | undefined): Version {
        if (qualifier === undefined || qualifier === "$LATEST") {
            return { version: "$LATEST", codeDir: fn.config.codeDir, config: fn.config };
        }
        if (/^\d+$/.test(qualifier)) return this.version(fn, qualifier);
        const alias = fn.aliases.get(qualifier);
        if (!alias) throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${functionArn(name, qualifier)}`);
        let roll = this.random();
        for (const [v, weight] of Object.entries(alias.weights)) {
            if (roll < weight) return this.version(fn, v);
            roll -= weight;
        }
        return this.version(fn, alias.functionVersion);
    }

    /** An idle environment of the version, or a new one (cold) if the function's concurrency allows it. */
    private async acquire(fn: FunctionState, version: Version): Promise<{ env: ExecutionEnvironment; cold: boolean }> {
        const name = fn.config.name;
        const idle = this.environments.find((e) => e.functionName === name && e.version === version.version && e.alive && !this.claimed.has(e));
        if (idle) {
            this.claimed.add(idle);
            return { env: idle, cold: false };
        }
        const limit = fn.config.concurrency ?? 10;
        const running = [...this.claimed].filter((e) => e.functionName === name).length;
        if (running >= limit) {
            throw new LambdaApiError(429, "TooManyRequestsException", "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded");
        }
        // The machine, not Lambda, has a limit: past it the least recently used idle environment goes.
        const max = this.options.maxEnvironments ?? 24;
        const idleAll = this.environments.filter((e) => !this.claimed.has(e)).sort((a, b) => a.lastUsed - b.lastUsed);
        for (let i = 0; this.environments.length >= max && i < idleAll.length; i++) this.discard(idleAll[i] as ExecutionEnvironment);
        const env = this.newEnvironment(version);
        this.claimed.add(env);
        this.environments.push(env);
        try {
            await env.start();
        } catch (err) {
            this.claimed.delete(env);
            this.discard(env);
            throw new LambdaApiError(502, "ServiceException", `could not start an execution environment for ${name}:${version.version}: ${(err as Error).message}`);
        }
        return { env, cold: true };
    }

    private newEnvironment(version: Version): ExecutionEnvironment {
        const config = version.config;
        const id = `${config.name}:${version.version}#${++this.envCounter}`;
        const command = config.runtime === "python"
            ? [this.options.python, "-m", "awslambdaric", config.handler]
            : [process.execPath, this.options.nodeRuntime, config.handler];
        const env: Record<string, string> = {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: process.env.HOME ?? "/tmp",
            LANG: "C.UTF-8",
            TZ: ":UTC",
            PYTHONUNBUFFERED: "1",
            ...this.options.baseEnv,
            ...config.env,
            AWS_LAMBDA_FUNCTION_NAME: config.name,
            AWS_LAMBDA_FUNCTION_VERSION: version.version,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb ?? 512),
            AWS_LAMBDA_LOG_STREAM_NAME: id,
            LAMBDA_TASK_ROOT: version.codeDir,
            AWS_REGION: REGION,
            AWS_DEFAULT_REGION: REGION,
        };
        const logFile = path.join(this.options.workDir, "logs", `${id.replace(/[^\w.-]+/g, "_")}.log`);
        this.options.log.info("lambda.environment.starting", { environmentId: id });
        return new ExecutionEnvironment(id, config.name, version.version, { rie: this.options.rie, command, cwd: version.codeDir, env, timeoutSec: config.timeoutSec ?? 30, logFile,
            onLine: (message) => this.logEvents.push({ functionName: config.name, logStreamName: id, timestamp: Date.now(), message }),
        });
    }

    private discard(env: ExecutionEnvironment): void {
        env.kill();
        const i = this.environments.indexOf(env);
        if (i >= 0) this.environments.splice(i, 1);
        this.options.log.info("lambda.environment.reaped", { environmentId: env.id, invocations: env.invocations });
    }

    private killAll(): void {
        for (const env of this.environments) env.kill();
    }

    // ---- HTTP: the Lambda REST API ----

    protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        try {
            const url = new URL(req.url ?? "/", "http://localhost");
            const match = FUNCTION_PATH.exec(url.pathname);
            if (!match) throw new LambdaApiError(404, "UnknownOperationException", `Unknown operation ${req.method} ${url.pathname}`);
            const body = await readBody(req);
            const { name, qualifier: fromName } = parseFunctionName(decodeURIComponent(match[1] ?? ""));
            const fromQuery = url.searchParams.get("Qualifier") ?? undefined;
            if (fromName !== undefined && fromQuery !== undefined && fromName !== fromQuery) {
                throw new LambdaApiError(400, "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.");
            }
            const qualifier = fromQuery ?? fromName;
            if (match[2] === "invocations" && req.method === "POST") {
                await this.httpInvoke(name, qualifier, req, res, body);
                return;
            }
            const aliasName = decodeURIComponent(match[3] ?? "");
            if (req.method === "GET") return this.json(res, 200, this.aliasJson(name, aliasName));
            if (req.method === "PUT") {
                const input = JSON.parse(body.toString("utf8") || "{}") as { FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } };
                // Lambda treats a RoutingConfig without weights as "clear the routing".
                const weights = input.RoutingConfig === undefined ? undefined : (input.RoutingConfig.AdditionalVersionWeights ?? {});
                this.updateAlias(name, aliasName, input.FunctionVersion, weights);
                return this.json(res, 200, this.aliasJson(name, aliasName));
            }
            throw new LambdaApiError(405, "UnknownOperationException", `Unsupported method ${req.method} on ${url.pathname}`);
        } catch (err) {
            const e = err instanceof LambdaApiError ? err : new LambdaApiError(500, "ServiceException", (err as Error).message);
            res.setHeader("x-amzn-ErrorType", e.type);
            this.json(res, e.status, { Type: e.status >= 500 ? "Service" : "User", Message: e.message, ...(e.reason ? { Reason: e.reason } : {}) });
        }
    }

    private async httpInvoke(name: string, qualifier: string | undefined, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
        const type = (req.headers["x-amz-invocation-type"] as string | undefined) ?? "RequestResponse";
        if (type === "Event") {
            const requestId = this.invokeAsync(name, qualifier, body);
            res.writeHead(202, { "x-amzn-RequestId": requestId, "content-length": "0" });
            res.end();
            return;
        }
        if (type !== "RequestResponse") throw new LambdaApiError(400, "InvalidParameterValueException", `Unsupported InvocationType ${type}`);
        const outcome = await this.invoke(name, qualifier, body);
        const headers: Record<string, string> = {
            "content-type": "application/json",
            "x-amzn-RequestId": outcome.requestId,
            "X-Amz-Executed-Version": outcome.version,
            "content-length": String(outcome.payload.length),
        };
        if (outcome.functionError) headers["X-Amz-Function-Error"] = outcome.functionError;
        res.writeHead(outcome.statusCode, headers);
        res.end(outcome.payload);
    }

    private aliasJson(name: string, aliasName: string): object {
        const a = this.alias(this.fn(name), aliasName);
        return {
            AliasArn: functionArn(name, aliasName),
            Name: a.name,
            FunctionVersion: a.functionVersion,
            Description: a.description,
            ...(Object.keys(a.weights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: a.weights } } : {}),
            RevisionId: a.revisionId,
        };
    }

    private json(res: http.ServerResponse, status: number, body: object): void {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
    }
}

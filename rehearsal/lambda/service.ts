/**
 * The Lambda stand-in: functions, published versions, aliases with weighted
 * routing, and a pool of execution environments per version, each one a real
 * `aws-lambda-rie` process (see environment.ts). Its HTTP side speaks the
 * parts of the Lambda REST API the hooks call with the real SDK v3 client
 * (Invoke, GetAlias, UpdateAlias, ListAliases, GetFunctionConfiguration).
 *
 * With an IAM gate (rehearsal/iam), every request is authorized as the role
 * session whose access key signed it, and a function runs with its execution
 * role's credentials in its environment, as Lambda gives them (Lambda
 * developer guide, "Defining Lambda function permissions with an execution
 * role"; the session is named after the function). Lambda's own delivery of a
 * function's output to CloudWatch Logs is authorized with the same role: when
 * it is denied, the lines never reach the Logs stand-in, as they never reach
 * CloudWatch.
 *
 * Orchestration follows Lambda's: a request goes to an idle environment of the
 * version it resolves to; when none is idle a new one starts (a cold start);
 * an environment never serves two requests at once; environments idle for
 * `idleTimeoutMs` are reaped; at most `concurrency` requests of a function
 * run at once (reserved concurrency), beyond it → 429 TooManyRequestsException.
 * Idle environments do not count against concurrency, as in Lambda; only the
 * machine-wide `maxEnvironments` makes room by reaping the least recently used.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import type { Logger } from "../../hooks/log";
import { ACCOUNT, REGION, functionArn } from "../iam/arns";
import { RoleNotAssumableError, type Principal } from "../iam/authorize";
import { IamDenied, type IamGate } from "../iam/gate";
import { ExecutionEnvironment, initIsolationAvailable, type EmulatorAnswer } from "./environment";
import { SpawnerLauncher } from "./launcher";
import { LoopbackApi, readBody, sleep } from "../support/net";
import { exitOnTermination } from "../support/signals";

export { ACCOUNT, REGION, functionArn };

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
    /** The execution role (with an IAM gate: its session's credentials are the function's, and its policies decide its calls). */
    roleArn?: string;
    /** The log group Lambda sends the output to (loggingConfig.logGroup); default `/aws/lambda/<name>`. */
    logGroup?: string;
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
    /** Picks a number in [0, 1) for weighted alias routing and `placement: "random"`; injectable for tests. */
    random?: () => number;
    /**
     * Which idle environment of a version an invocation gets. Lambda does not document its choice, and a keep-warm
     * cannot steer it (docs/warmup-protocol.md, "Yielding to users"), so the benchmark can be run under each.
     * @default "first-started"
     */
    placement?: Placement;
    /** Authorizes every API request and each environment's log delivery; without it every signed request is served. */
    iam?: IamGate;
    /**
     * Every environment (app and hooks alike) runs its init at nice 19 and is raised back after its first invoke,
     * approximating Firecracker's per-environment CPU (environment.ts). Only where the host can raise a process
     * back (`initIsolationAvailable`); otherwise it is off, and the log says so once.
     */
    isolateInit?: boolean;
    /** Replaces `initIsolationAvailable` (tests). */
    initIsolationProbe?: () => boolean;
    /**
     * The compiled spawner (spawner.ts) that starts every emulator out of this process, or false to fork this
     * process for each one. A fork of the stand-in costs it about 8 ms of its event loop per environment at its
     * size, which no Lambda front end pays; started on the first environment.
     * @default spawner.js beside `nodeRuntime`
     */
    spawner?: string | false;
    log: Logger;
}

/**
 * How an invocation picks among its version's idle environments: the one started first (the oldest alive), the
 * one used last (a warm cache's favourite), or any of them.
 */
export type Placement = "first-started" | "most-recent" | "random";

export const PLACEMENTS: readonly Placement[] = ["first-started", "most-recent", "random"];

/** The idle environment `placement` gives an invocation; `idle` is in start order and never empty. */
export function chooseIdle<T extends { lastUsed: number }>(idle: readonly T[], placement: Placement, random: () => number): T {
    if (placement === "most-recent") return idle.reduce((best, e) => (e.lastUsed > best.lastUsed ? e : best));
    if (placement === "random") return idle[Math.min(idle.length - 1, Math.floor(random() * idle.length))] as T;
    return idle[0] as T;
}

/** Whether environments run their init at the lowest CPU priority: asked for and possible, not asked for, or asked for on a host that cannot. */
export type InitIsolation = "on" | "off" | "unavailable";

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
    /** That environment's log stream (its AWS_LAMBDA_LOG_STREAM_NAME). */
    logStreamName?: string;
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
    logStreamName?: string;
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
    /** The log group the function's output goes to. */
    logGroupName: string;
    /** The environment's log stream, named as Lambda names it (see `logStreamNameFor`), also its AWS_LAMBDA_LOG_STREAM_NAME. */
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

/** Lambda's function states (Lambda developer guide, "Lambda function states"); a version is Active unless a test says otherwise. */
export type VersionState = "Pending" | "Active" | "Inactive" | "Failed";

interface Version {
    version: string;
    codeDir: string;
    config: FunctionConfig;
    state?: { state: VersionState; reason?: string; reasonCode?: string };
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
    /** The execution role's session, with an IAM gate. */
    principal?: Principal;
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

/**
 * `/2015-03-31/functions/{FunctionName}/` + `invocations` (POST: Invoke), `aliases/{Name}` (GET: GetAlias, PUT:
 * UpdateAlias), `aliases` (GET: ListAliases), `configuration` (GET: GetFunctionConfiguration): the request syntax
 * of each operation in the Lambda API reference.
 */
const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/(invocations|configuration|aliases)(?:\/([^/]+))?\/?$/;

type LambdaOperation = "Invoke" | "GetAlias" | "UpdateAlias" | "ListAliases" | "GetFunctionConfiguration";

function operationOf(method: string | undefined, resource: string, aliasName: string | undefined): LambdaOperation | undefined {
    if (resource === "invocations") return method === "POST" && aliasName === undefined ? "Invoke" : undefined;
    if (resource === "configuration") return method === "GET" && aliasName === undefined ? "GetFunctionConfiguration" : undefined;
    if (aliasName === undefined) return method === "GET" ? "ListAliases" : undefined;
    return method === "GET" ? "GetAlias" : method === "PUT" ? "UpdateAlias" : undefined;
}

/**
 * A log stream name as Lambda gives each execution environment: `YYYY/MM/DD/[<version>]<environment id>`, the
 * date the environment started (UTC) and 32 hex digits ("How CloudWatch structures logs", Lambda operator guide,
 * log-structure). The deployer only trusts a verdict line from a stream named this way (hooks/hook-report.ts).
 */
export function logStreamNameFor(version: string, at = new Date()): string {
    const day = at.toISOString().slice(0, 10).replace(/-/g, "/");
    return `${day}/[${version}]${randomBytes(16).toString("hex")}`;
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
    private readonly recordsById = new Map<string, InvocationRecord>();
    /** Every environment's output, oldest first, kept after the environment is reaped. */
    readonly logEvents: LogEvent[] = [];
    private readonly functions = new Map<string, FunctionState>();
    private readonly environments: ExecutionEnvironment[] = [];
    /** Environments handed to a request (starting or running); an environment in here gets no other request. */
    private readonly claimed = new Set<ExecutionEnvironment>();
    /** Busy environments of a configuration that was updated since they started: discarded when they finish. */
    private readonly retired = new Set<ExecutionEnvironment>();
    private readonly pendingAsync = new Set<Promise<void>>();
    private envCounter = 0;
    /** Each environment's log stream name. */
    private readonly streams = new WeakMap<ExecutionEnvironment, string>();
    private reaper?: NodeJS.Timeout;
    private stopping = false;
    private readonly random: () => number;
    private readonly exitHandler = (): void => this.killAll();
    readonly initIsolation: InitIsolation;
    private reniceWarned = false;
    private launcher?: SpawnerLauncher;

    constructor(private readonly options: LambdaOptions) {
        super();
        this.random = options.random ?? Math.random;
        this.initIsolation = !options.isolateInit ? "off" : (options.initIsolationProbe ?? initIsolationAvailable)() ? "on" : "unavailable";
        if (this.initIsolation === "unavailable") {
            options.log.warn("lambda.init-isolation.unavailable", { reason: "nice/renice missing or no CAP_SYS_NICE to raise a niced process back; environments init at normal priority" });
        }
        fs.mkdirSync(path.join(options.workDir, "logs"), { recursive: true });
    }

    override async start(): Promise<void> {
        await this.listen();
        const idle = this.options.idleTimeoutMs ?? 60_000;
        this.reaper = setInterval(() => this.reapIdle(idle), Math.min(1000, idle));
        this.reaper.unref();
        // Children must not outlive us, whatever ends this process.
        process.on("exit", this.exitHandler);
        // ... including SIGTERM/SIGHUP (jest ending a worker), which skip "exit" listeners otherwise.
        exitOnTermination();
    }

    /** Kills every environment and stops serving. Pending Event deliveries are dropped. */
    override async stop(): Promise<void> {
        this.stopping = true;
        if (this.reaper) clearInterval(this.reaper);
        this.killAll();
        await Promise.all(this.environments.map((env) => env.stopped()));
        await this.launcher?.close();
        await this.close();
        process.off("exit", this.exitHandler);
    }

    // ---- control plane (what `pulumi up` would do through the Lambda API) ----

    createFunction(config: FunctionConfig): void {
        if (this.functions.has(config.name)) throw new Error(`function ${config.name} already exists`);
        let principal: Principal | undefined;
        if (this.options.iam && config.roleArn !== undefined) {
            try {
                // Lambda assumes the execution role with the function's name as session name (as CloudTrail and
                // AccessDenied messages show: assumed-role/ROLE/FUNCTION, e.g. intuit/costBuddy#15); CreateFunction
                // refuses a role Lambda cannot assume.
                principal = this.options.iam.principals.assume(config.roleArn, config.name, "lambda.amazonaws.com");
            } catch (err) {
                if (err instanceof RoleNotAssumableError) throw new LambdaApiError(400, "InvalidParameterValueException", err.message);
                throw err;
            }
        }
        this.functions.set(config.name, { config: { ...config }, versions: new Map(), aliases: new Map(), nextVersion: 1, principal });
    }

    /** The execution role's session of a function (with an IAM gate), e.g. to sign as it. */
    sessionOf(name: string): Principal | undefined {
        return this.fn(name).principal;
    }

    /**
     * Sets a published version's state, as Lambda reports it in GetFunctionConfiguration (a SnapStart version
     * stays Pending while its snapshot is made; Lambda developer guide, "Lambda function states").
     */
    setVersionState(name: string, version: string, state: VersionState, reason?: string, reasonCode?: string): void {
        this.version(this.fn(name), version).state = { state, reason, reasonCode };
    }

    /** `$LATEST`'s configuration (a copy). */
    functionConfig(name: string): FunctionConfig {
        const config = this.fn(name).config;
        return { ...config, env: { ...config.env } };
    }

    /** UpdateFunctionCode + UpdateFunctionConfiguration: changes `$LATEST` only. */
    updateFunction(name: string, changes: Partial<Omit<FunctionConfig, "name">>): void {
        const fn = this.fn(name);
        if (this.options.iam && changes.roleArn !== undefined && changes.roleArn !== fn.config.roleArn) {
            // UpdateFunctionConfiguration with a new Role: Lambda assumes it, and refuses one it cannot assume (as CreateFunction).
            try {
                fn.principal = this.options.iam.principals.assume(changes.roleArn, name, "lambda.amazonaws.com");
            } catch (err) {
                if (err instanceof RoleNotAssumableError) throw new LambdaApiError(400, "InvalidParameterValueException", err.message);
                throw err;
            }
        }
        fn.config = { ...fn.config, ...changes };
        // "When you update a function, Lambda provisions an instance of the function … and the function is
        // processing events with the new configuration" (UpdateFunctionConfiguration, Lambda API reference):
        // no invocation of $LATEST runs in an environment started with the old configuration again. An idle one
        // goes now; a busy one finishes its invocation first.
        for (const env of [...this.environments]) {
            if (env.functionName !== name || env.version !== "$LATEST") continue;
            if (this.claimed.has(env)) this.retired.add(env);
            else this.discard(env);
        }
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

    createAlias(name: string, alias: string, functionVersion: string, description = ""): void {
        const fn = this.fn(name);
        this.version(fn, functionVersion);
        // CreateAlias on an existing name: ResourceConflictException "Alias already exists" (Lambda API reference, CreateAlias errors).
        if (fn.aliases.has(alias)) throw new LambdaApiError(409, "ResourceConflictException", `Alias already exists: ${functionArn(name, alias)}`);
        fn.aliases.set(alias, { name: alias, functionVersion, weights: {}, revisionId: randomUUID(), description });
    }

    // ---- control plane used by the local `aws` provider (rehearsal/provider) ----

    hasFunction(name: string): boolean {
        return this.functions.has(name);
    }

    /** DeleteFunction without a qualifier: the function, all its versions and aliases go, and their environments. */
    deleteFunction(name: string): void {
        this.fn(name);
        for (const env of [...this.environments]) if (env.functionName === name && !this.claimed.has(env)) this.discard(env);
        this.functions.delete(name);
        this.options.log.info("lambda.function.deleted", { functionName: name });
    }

    deleteAlias(name: string, alias: string): void {
        const fn = this.fn(name);
        this.alias(fn, alias);
        fn.aliases.delete(alias);
        this.options.log.info("lambda.alias.deleted", { functionName: name, alias });
    }

    /** UpdateAlias's Description field. */
    setAliasDescription(name: string, alias: string, description: string): void {
        const a = this.alias(this.fn(name), alias);
        a.description = description;
        a.revisionId = randomUUID();
    }

    /** ListAliases: every alias of the function, as the API returns them. */
    listAliases(name: string): { Name: string; FunctionVersion: string; Description: string; AliasArn: string; RoutingConfig?: { AdditionalVersionWeights: Record<string, number> }; RevisionId: string }[] {
        return [...this.fn(name).aliases.keys()].map((a) => this.aliasJson(name, a) as ReturnType<LambdaStandIn["listAliases"]>[number]);
    }

    /** Published version numbers, oldest first (ListVersionsByFunction without $LATEST), with each one's configuration. */
    versionsOf(name: string): { version: string; config: FunctionConfig; codeDir: string }[] {
        return [...this.fn(name).versions.values()].map((v) => ({ version: v.version, config: { ...v.config, env: { ...v.config.env } }, codeDir: v.codeDir }));
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
            logStreamName: this.streams.get(env),
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
        const state = version.state?.state ?? "Active";
        if (state !== "Active") {
            // Lambda developer guide, "Lambda function states": a function that is not Active cannot be invoked.
            throw new LambdaApiError(409, "ResourceConflictException", `The operation cannot be performed at this time. The function is currently in the following state: ${state}`);
        }
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
        if (answer.broken || this.retired.delete(env)) this.discard(env);
        const endedAt = Date.now();
        this.record({ ...base, environmentId: env.id, logStreamName: this.streams.get(env), cold, throttled: false, functionError: answer.functionError, endedAt, durationMs: endedAt - startedAt });
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

    /** The record of one invocation, by its request id (the benchmark asks for each of thousands). */
    recordOf(requestId: string): InvocationRecord | undefined {
        return this.recordsById.get(requestId);
    }

    private record(record: InvocationRecord): void {
        this.records.push(record);
        this.recordsById.set(record.requestId, record);
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
        const candidates = this.environments.filter((e) => e.functionName === name && e.version === version.version && e.alive && !this.claimed.has(e));
        const idle = candidates.length === 0 ? undefined : chooseIdle(candidates, this.options.placement ?? "first-started", this.random);
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
        const delivery = { allowed: true };
        const env = this.newEnvironment(version, fn.principal, delivery);
        this.claimed.add(env);
        this.environments.push(env);
        try {
            delivery.allowed = await this.logDeliveryAllowed(fn, version, this.streams.get(env) ?? env.id);
            await env.start();
        } catch (err) {
            this.claimed.delete(env);
            this.discard(env);
            throw new LambdaApiError(502, "ServiceException", `could not start an execution environment for ${name}:${version.version}: ${(err as Error).message}`);
        }
        return { env, cold: true };
    }

    /**
     * Lambda's delivery of the environment's output to its log group, with the execution role: one
     * CreateLogStream and one PutLogEvents authorization per environment (LAMBDA_LOGS in rehearsal/iam/table.ts).
     */
    private async logDeliveryAllowed(fn: FunctionState, version: Version, streamName: string): Promise<boolean> {
        if (!this.options.iam || !fn.principal) return true;
        const params = { logGroupName: this.logGroupOf(version.config), logStreamName: streamName };
        try {
            await this.options.iam.authorizeAs(fn.principal, "logs", "CreateLogStream", params);
            await this.options.iam.authorizeAs(fn.principal, "logs", "PutLogEvents", params);
            return true;
        } catch (err) {
            if (!(err instanceof IamDenied)) throw err;
            // Lambda drops the output silently; the stand-in says so in its own log.
            this.options.log.warn("lambda.logs.denied", { logStreamName: streamName, error: err.message });
            return false;
        }
    }

    private logGroupOf(config: FunctionConfig): string {
        return config.logGroup ?? `/aws/lambda/${config.name}`;
    }

    private newEnvironment(version: Version, principal?: Principal, delivery: { allowed: boolean } = { allowed: true }): ExecutionEnvironment {
        const config = version.config;
        const logGroupName = this.logGroupOf(config);
        const id = `${config.name}:${version.version}#${++this.envCounter}`;
        const stream = logStreamNameFor(version.version);
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
            AWS_LAMBDA_LOG_STREAM_NAME: stream,
            LAMBDA_TASK_ROOT: version.codeDir,
            AWS_REGION: REGION,
            AWS_DEFAULT_REGION: REGION,
            // The execution role's credentials, as Lambda puts them in every environment.
            ...(principal ? { AWS_ACCESS_KEY_ID: principal.accessKeyId, AWS_SECRET_ACCESS_KEY: principal.secretAccessKey } : {}),
        };
        const logFile = path.join(this.options.workDir, "logs", `${id.replace(/[^\w.-]+/g, "_")}.log`);
        this.options.log.info("lambda.environment.starting", { environmentId: id, logStreamName: stream });
        const environment = new ExecutionEnvironment(id, config.name, version.version, { rie: this.options.rie, command, cwd: version.codeDir, env, timeoutSec: config.timeoutSec ?? 30, logFile,
            onLine: (message) => {
                if (delivery.allowed) this.logEvents.push({ functionName: config.name, logGroupName, logStreamName: stream, timestamp: Date.now(), message });
            },
            isolateInit: this.initIsolation === "on",
            ...this.launcherOption(),
            // Decided once for the stand-in above; environments must not ask again.
            isolationProbe: () => true,
            onWarning: (event, fields) => {
                // One warning tells the story; the same failure on every environment would bury the rest of the log.
                if (this.reniceWarned) return this.options.log.debug(event, fields);
                this.reniceWarned = true;
                this.options.log.warn(event, fields);
            },
        });
        this.streams.set(environment, stream);
        return environment;
    }

    private launcherOption(): { launcher?: SpawnerLauncher } {
        if (this.options.spawner === false) return {};
        this.launcher ??= new SpawnerLauncher(this.options.spawner ?? path.join(path.dirname(this.options.nodeRuntime), "spawner.js"));
        return { launcher: this.launcher };
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
            const rawName = decodeURIComponent(match[1] ?? "");
            const aliasName = match[3] === undefined ? undefined : decodeURIComponent(match[3]);
            const operation = operationOf(req.method, match[2] ?? "", aliasName);
            if (operation === undefined) throw new LambdaApiError(405, "UnknownOperationException", `Unsupported method ${req.method} on ${url.pathname}`);
            const body = await readBody(req);
            const { name, qualifier: fromName } = parseFunctionName(rawName);
            const fromQuery = url.searchParams.get("Qualifier") ?? undefined;
            if (fromName !== undefined && fromQuery !== undefined && fromName !== fromQuery) {
                throw new LambdaApiError(400, "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.");
            }
            const qualifier = fromQuery ?? fromName;
            // IAM first, as AWS does: a caller without the grant learns nothing about the resource.
            await this.options.iam?.enforce(req.headers, "lambda", operation, { FunctionName: rawName, ...(fromQuery !== undefined ? { Qualifier: fromQuery } : {}) });
            switch (operation) {
                case "Invoke":
                    return await this.httpInvoke(name, qualifier, req, res, body);
                case "GetFunctionConfiguration":
                    return this.json(res, 200, this.configurationJson(name, qualifier));
                case "ListAliases": {
                    const version = url.searchParams.get("FunctionVersion");
                    const aliases = this.listAliases(name).filter((a) => version === null || a.FunctionVersion === version);
                    return this.json(res, 200, { Aliases: aliases });
                }
                case "GetAlias":
                    return this.json(res, 200, this.aliasJson(name, aliasName as string));
                case "UpdateAlias": {
                    const input = JSON.parse(body.toString("utf8") || "{}") as { FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } };
                    // Lambda treats a RoutingConfig without weights as "clear the routing".
                    const weights = input.RoutingConfig === undefined ? undefined : (input.RoutingConfig.AdditionalVersionWeights ?? {});
                    this.updateAlias(name, aliasName as string, input.FunctionVersion, weights);
                    return this.json(res, 200, this.aliasJson(name, aliasName as string));
                }
            }
        } catch (err) {
            const e = err instanceof IamDenied ? lambdaDenial(err) : err instanceof LambdaApiError ? err : new LambdaApiError(500, "ServiceException", (err as Error).message);
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

    /**
     * GetFunctionConfiguration of `$LATEST`, a version or an alias. Versions here are
     * ready as soon as they are published: State is "Active" unless `setVersionState`
     * says otherwise (as SnapStart's Pending would), LastUpdateStatus "Successful".
     */
    private configurationJson(name: string, qualifier: string | undefined): object {
        const fn = this.fn(name, qualifier);
        const v = this.resolveWithoutRouting(fn, name, qualifier);
        return {
            FunctionName: name,
            FunctionArn: functionArn(name, qualifier),
            Version: v.version,
            Handler: v.config.handler,
            Timeout: v.config.timeoutSec ?? 30,
            MemorySize: v.config.memoryMb ?? 512,
            ...(v.config.roleArn !== undefined ? { Role: v.config.roleArn } : {}),
            State: v.state?.state ?? "Active",
            ...(v.state?.reason !== undefined ? { StateReason: v.state.reason } : {}),
            ...(v.state?.reasonCode !== undefined ? { StateReasonCode: v.state.reasonCode } : {}),
            LastUpdateStatus: "Successful",
        };
    }

    private resolveWithoutRouting(fn: FunctionState, name: string, qualifier: string | undefined): Version {
        if (qualifier === undefined || qualifier === "$LATEST") return { version: "$LATEST", codeDir: fn.config.codeDir, config: fn.config };
        if (/^\d+$/.test(qualifier)) return this.version(fn, qualifier);
        const alias = fn.aliases.get(qualifier);
        if (!alias) throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${functionArn(name, qualifier)}`);
        return this.version(fn, alias.functionVersion);
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

/**
 * Lambda's REST-JSON answer to a refused request: HTTP 403 with `x-amzn-ErrorType: AccessDeniedException`
 * (Lambda API reference, Common Errors: AccessDeniedException 403; UnrecognizedClientException 403).
 */
function lambdaDenial(err: IamDenied): LambdaApiError {
    return new LambdaApiError(403, err.code, err.message);
}

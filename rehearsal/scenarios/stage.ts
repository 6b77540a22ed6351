/**
 * The whole rehearsal stage on one machine: a real PostgreSQL, the Lambda,
 * CodeDeploy and CloudWatch Logs stand-ins, the app function (rehearsal/app
 * by default) and the bundled hooks (dist/hooks) registered as functions, and
 * real SDK v3 clients pointed at the stand-ins. `npm run rehearse`, `npm run
 * bench` and the end-to-end tests all build on it.
 *
 * IAM is enforced with the component's own policies: the stage renders
 * `MangumFunction` under Pulumi mocks with the rehearsal's settings
 * (rehearsal/iam/component.ts), registers every role it creates, and each
 * function runs as its role; CodeDeploy acts as the group's service role.
 * The stage's own callers are outside the component's roles and are counted
 * apart: the stack's credentials that invoke the deployer (what
 * `aws.lambda.Invocation` does during `pulumi up`) and users' requests
 * through the front door.
 *
 * The deployer is driven as the Pulumi AWS provider drives it
 * (terraform-provider-aws internal/service/lambda/invocation.go, buildInput,
 * and the aws_lambda_invocation docs, "CRUD Lifecycle Scope"): with
 * `lifecycleScope: "CRUD"` the input gets `tf: {action, prev_input}`; a new
 * version changes `triggers` (ForceNew), so it is a replacement: a `create`
 * of the new input with `prev_input: null`, then, once that succeeded, a
 * `delete` carrying the old input both as the payload and as `prev_input`
 * (Pulumi creates a replacement before deleting the original unless
 * deleteBeforeReplace is set). A change of the input alone (warm-up settings)
 * is an `update` with `prev_input`. The `alias-origin` Invocation is
 * CREATE_ONLY: its input is sent as is, with no `tf` key, on create only.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WarmupSettings } from "../../hooks/contract";
import { WARMUP_CONFIG_ENV } from "../../hooks/contract";
import { createLogger, type Logger } from "../../hooks/log";
import { CloudWatchStandIn } from "../cloudwatch/service";
import { CodeDeployStandIn } from "../codedeploy/service";
import { Principals, type OutsideCaller, type RoleSpec } from "../iam/authorize";
import { COMPONENT_NAME, renderRehearsalComponent, type ComponentModel, type FunctionModel, type InvocationModel } from "../iam/component";
import { IamGate } from "../iam/gate";
import type { PolicyMutation } from "../iam/mutations";
import { LambdaStandIn, REGION, type Placement } from "../lambda/service";
import { LogsStandIn } from "../logs/service";
import { startPostgres, type Postgres } from "../support/postgres";

/** The app function: the component's own name. */
export const APP = COMPONENT_NAME;
export const ALIAS = "live";
export const PRE_TRAFFIC = `${COMPONENT_NAME}-pre-traffic`;
export const DEPLOYER = `${COMPONENT_NAME}-deployer`;
export const KEEP_WARM = `${COMPONENT_NAME}-keep-warm`;
/** The app's reserved concurrency in the rehearsal: the Lambda stand-in throttles beyond it. */
const APP_CONCURRENCY = 10;

/** A stand-in log line, as the stand-ins' structured loggers write them. */
export type StageEvent = { event: string; [field: string]: unknown };

export interface StageOptions {
    /** One CodeDeploy minute in real ms. */
    minuteMs?: number;
    /**
     * How long CodeDeploy waits for a hook's report. Default: the pre-traffic
     * hook's own timeout (the component's, 120 s), not 60 scaled minutes, so a
     * slow machine never fails a deployment that a real hour would have let finish.
     */
    hookTimeoutMs?: number;
    /** Idle environments are reaped after this long. */
    idleTimeoutMs?: number;
    /** The app's reserved concurrency, as a user would configure it (default 10). */
    appConcurrency?: number;
    /** Environments the machine may run at once, all functions together (the Lambda stand-in's default: 24). */
    maxEnvironments?: number;
    /**
     * Environments init at nice 19 and are raised back after their first invoke (LambdaOptions.isolateInit);
     * `stage.lambda.initIsolation` tells whether it took. Off by default: the test suite runs many suites at once
     * on few cores, where busy jest workers could starve a nice-19 init; the benchmark turns it on.
     */
    isolateInit?: boolean;
    /** Which idle environment an invocation gets (LambdaOptions.placement); default the first started. */
    placement?: Placement;
    /** CodeDeploy config of the deployment group (a predefined name). */
    deploymentConfigName?: string;
    /** Overrides of the warm-up settings (defaults: the component's, with the app's `db` check). */
    warmup?: Partial<WarmupSettings>;
    /** Waits before Lambda's async retries of a failed hook invocation. */
    asyncRetryDelaysMs?: number[];
    /** Directory of the app to rehearse, and its handler. */
    appDir?: string;
    appHandler?: string;
    /** Extra MangumFunction arguments for the render (e.g. `deployment: { errorAlarm: true }`). */
    componentArgs?: Record<string, unknown>;
    /** Breaks the component's policies before they are registered (mutation tests; `--drop-statement`). */
    mutatePolicies?: PolicyMutation;
    onEvent?: (event: StageEvent) => void;
}

export interface Paths {
    root: string;
    rie: string;
    python: string;
    nodeRuntime: string;
    /** The compiled environment spawner the Lambda stand-in starts emulators with (rehearsal/lambda/spawner.ts). */
    spawner: string;
    hooksDir: string;
}

/** Errors a user can fix by provisioning: each names the command that does it. */
export class PrerequisiteError extends Error {
    override readonly name = "PrerequisiteError";
}

/** The repository root: the nearest directory above this file with the project's package.json. */
export function findRoot(from = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        const pkg = path.join(dir, "package.json");
        if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-mangum") return dir;
        if (path.dirname(dir) === dir) throw new PrerequisiteError(`no pulumi-mangum package.json above ${from}`);
    }
}

/** Locates every prerequisite, failing with what to run when one is missing. */
export function resolvePaths(root = findRoot()): Paths {
    const venv = process.env.PM_VENV ?? path.join(root, ".venv");
    const paths: Paths = {
        root,
        rie: process.env.PM_RIE ?? path.join(root, ".toolchain", "go", "bin", "aws-lambda-rie"),
        python: path.join(venv, "bin", "python"),
        nodeRuntime: path.join(root, "bin", "rehearsal", "lambda", "node-runtime.js"),
        spawner: path.join(root, "bin", "rehearsal", "lambda", "spawner.js"),
        hooksDir: path.join(root, "dist", "hooks"),
    };
    const missing: string[] = [];
    if (!fs.existsSync(paths.rie)) missing.push(`the Lambda Runtime Interface Emulator (${paths.rie}): source scripts/toolchain.sh scripts/rie.sh and run pm_ensure_rie`);
    if (!fs.existsSync(paths.python)) missing.push(`the project virtualenv (${paths.python}): source scripts/toolchain.sh scripts/python.sh and run pm_ensure_venv`);
    if (!fs.existsSync(paths.nodeRuntime)) missing.push(`the compiled Node runtime client (${paths.nodeRuntime}): npm run build`);
    if (!fs.existsSync(paths.spawner)) missing.push(`the compiled environment spawner (${paths.spawner}): npm run build`);
    for (const hook of ["pre-traffic", "deployer", "keep-warm"]) {
        if (!fs.existsSync(path.join(paths.hooksDir, `${hook}.js`))) missing.push(`the ${hook} hook bundle (dist/hooks/${hook}.js): npm run build`);
    }
    if (missing.length > 0) {
        throw new PrerequisiteError(`the rehearsal needs:\n  - ${missing.join("\n  - ")}\n\`npm run rehearse\`, \`npm run bench\` and \`npm test\` provision all of it (scripts/run.sh).`);
    }
    return paths;
}

/** The warm-up settings the rehearsal gives the component: its defaults, the app's `db` check, and any overrides. */
export function rehearsalWarmupArgs(overrides: Partial<WarmupSettings> = {}): Partial<WarmupSettings> {
    const { functionName: _f, alias: _a, ...rest } = overrides;
    return { checks: ["db"], ...rest };
}

/** An API Gateway HTTP API (v2) GET, the event a user's request reaches Mangum as. */
export function httpEvent(pathWithQuery: string): object {
    const [rawPath = "/", rawQueryString = ""] = pathWithQuery.split("?");
    const now = new Date();
    return {
        version: "2.0",
        routeKey: "$default",
        rawPath,
        rawQueryString,
        headers: { host: "rehearsal.invalid", "user-agent": "pulumi-mangum-rehearsal" },
        requestContext: {
            accountId: "000000000000",
            apiId: "rehearsal",
            domainName: "rehearsal.invalid",
            domainPrefix: "rehearsal",
            http: { method: "GET", path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "pulumi-mangum-rehearsal" },
            requestId: `r-${now.getTime()}`,
            routeKey: "$default",
            stage: "$default",
            time: now.toUTCString(),
            timeEpoch: now.getTime(),
        },
        isBase64Encoded: false,
    };
}

export interface UserResponse {
    requestId: string;
    /** The Lambda stand-in started a new environment for it. */
    cold: boolean;
    statusCode: number;
    body: string;
    /** The version Lambda ran (X-Amz-Executed-Version). */
    version: string;
    /** Client-side: from sending the Invoke to reading its answer. */
    latencyMs: number;
    functionError?: string;
}

export type DeployerOutcome =
    | { ok: true; result: Record<string, unknown> }
    | { ok: false; errorType: string; errorMessage: string };

/** One invocation of the deployer, as the provider sent it. */
export interface DeployerCall {
    /** The Invocation resource (its logical name). */
    invocation: string;
    /** `tf.action`, or "create-only" for a CREATE_ONLY Invocation (no `tf` key). */
    action: "create" | "update" | "delete" | "create-only";
    payload: Record<string, unknown>;
    outcome: DeployerOutcome;
}

/** What a replacement of the deploy Invocation did: the create of the new input, then the delete of the old one (absent when the create failed). */
export interface Replacement {
    create: DeployerOutcome;
    delete?: DeployerOutcome;
}

export class Stage {
    /** The warm-up settings the hooks run with (MANGUM_WARMUP_CONFIG), as the component rendered them. */
    settings: WarmupSettings;
    /** The SDK v3 client users' requests come through (a caller outside the component's roles). */
    readonly client: LambdaClient;
    /** The SDK v3 client with the stack's credentials: what invokes the deployer during `pulumi up`. */
    readonly provider: LambdaClient;
    /** Every deployer invocation, in order: the provider's side of the story. */
    readonly deployerCalls: DeployerCall[] = [];
    /** The deploy Invocation as the stack's state holds it (its last successfully applied input). */
    private deployState: Record<string, unknown> | null = null;

    private constructor(
        readonly paths: Paths,
        readonly workDir: string,
        readonly pg: Postgres,
        readonly lambda: LambdaStandIn,
        readonly codedeploy: CodeDeployStandIn,
        readonly logs: LogsStandIn,
        readonly log: Logger,
        readonly model: ComponentModel,
        readonly gate: IamGate,
        readonly outside: { users: OutsideCaller; stack: OutsideCaller; operator: OutsideCaller },
        readonly cloudwatch: CloudWatchStandIn,
    ) {
        this.settings = model.warmup;
        const client = (caller: OutsideCaller, maxAttempts = 1): LambdaClient =>
            new LambdaClient({ endpoint: lambda.endpoint, region: REGION, credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey }, maxAttempts });
        this.client = client(outside.users);
        // The provider's own SDK client retries; the deployer answers within its timeout either way.
        this.provider = client(outside.stack);
    }

    static async start(options: StageOptions = {}): Promise<Stage> {
        const paths = resolvePaths();
        const appDir = options.appDir ?? path.join(paths.root, "rehearsal", "app");
        const model = await renderRehearsalComponent({
            appDir,
            deploymentConfigName: options.deploymentConfigName ?? "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            warmup: rehearsalWarmupArgs(options.warmup),
            reservedConcurrency: options.appConcurrency ?? APP_CONCURRENCY,
            ...(options.componentArgs ? { extraArgs: options.componentArgs } : {}),
        });
        const roles: RoleSpec[] = options.mutatePolicies ? options.mutatePolicies(model.roles) : model.roles;
        const principals = Principals.fromRoles(roles);
        const gate = new IamGate(principals);
        const outside = {
            users: principals.outside("users", "requests through the front door: AWS authorizes them by the function URL's (or API's) resource-based policy, not modelled"),
            stack: principals.outside("stack", "the stack's own credentials, with which the Pulumi AWS provider invokes the deployer (aws.lambda.Invocation): the user's, not the component's"),
            operator: principals.outside("operator", "an operator's or the benchmark's own calls (aws CLI by hand)"),
        };

        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-rehearsal-"));
        const logFile = path.join(workDir, "stand-ins.log");
        const log = createLogger({}, (line) => {
            fs.appendFileSync(logFile, line + "\n");
            if (options.onEvent) options.onEvent(JSON.parse(line) as StageEvent);
        });
        const pg = await startPostgres(paths.root);
        let lambda: LambdaStandIn | undefined;
        let codedeploy: CodeDeployStandIn | undefined;
        let logs: LogsStandIn | undefined;
        let cloudwatch: CloudWatchStandIn | undefined;
        try {
            lambda = new LambdaStandIn({
                rie: paths.rie,
                python: paths.python,
                nodeRuntime: paths.nodeRuntime,
                spawner: paths.spawner,
                workDir,
                baseEnv: {},
                idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
                asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [1000, 2000],
                ...(options.maxEnvironments !== undefined ? { maxEnvironments: options.maxEnvironments } : {}),
                isolateInit: options.isolateInit ?? false,
                ...(options.placement !== undefined ? { placement: options.placement } : {}),
                iam: gate,
                log,
            });
            await lambda.start();
            const lambdaRef = lambda;
            cloudwatch = new CloudWatchStandIn({ records: () => lambdaRef.records, logEvents: () => lambdaRef.logEvents }, gate);
            await cloudwatch.start();
            for (const f of model.metricFilters) cloudwatch.registerMetricFilter(f);
            for (const a of model.metricAlarms) {
                cloudwatch.registerAlarm({
                    ...a,
                    statistic: a.statistic === "Maximum" ? "Maximum" : "Sum",
                    comparisonOperator: a.comparisonOperator === "GreaterThanThreshold" ? "GreaterThanThreshold" : "GreaterThanOrEqualToThreshold",
                    treatMissingData: "notBreaching",
                });
            }
            const cloudwatchRef = cloudwatch;
            const preTraffic = model.functions.find((f) => f.hook === "pre-traffic");
            codedeploy = new CodeDeployStandIn({
                lambda,
                minuteMs: options.minuteMs ?? 1000,
                hookTimeoutMs: options.hookTimeoutMs ?? (preTraffic?.timeoutSec ?? 120) * 1000,
                iam: gate,
                log,
                alarmState: (name) => cloudwatchRef.alarmState(name),
            });
            await codedeploy.start();
            const standIn = lambda;
            logs = new LogsStandIn(() => standIn.logEvents, gate);
            await logs.start();
            if (model.deploymentGroup) {
                const g = model.deploymentGroup;
                codedeploy.registerDeploymentGroup({
                    applicationName: g.applicationName,
                    deploymentGroupName: g.deploymentGroupName,
                    deploymentConfigName: g.deploymentConfigName,
                    autoRollback: g.autoRollback,
                    serviceRoleArn: g.serviceRoleArn,
                    alarms: g.alarms,
                    triggers: g.triggers,
                });
            }
            // What every function gets besides its own variables and its role's credentials (which Lambda
            // injects): the region and the stand-ins' endpoints, on this machine only.
            const endpoints = {
                AWS_EC2_METADATA_DISABLED: "true",
                AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
                AWS_ENDPOINT_URL_CODEDEPLOY: codedeploy.endpoint,
                AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
                AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
            };
            for (const f of model.functions) {
                lambda.createFunction(functionConfig(f, paths, appDir, options.appHandler, { ...endpoints, ...(f.hook === undefined ? { DATABASE_URL: pg.url() } : {}) }));
            }
            return new Stage(paths, workDir, pg, lambda, codedeploy, logs, log, model, gate, outside, cloudwatch);
        } catch (err) {
            await codedeploy?.stop();
            await logs?.stop();
            await cloudwatch?.stop();
            await lambda?.stop();
            await pg.stop();
            fs.rmSync(workDir, { recursive: true, force: true });
            throw err;
        }
    }

    /** Stops everything this stage started; the work directory goes too unless `keepWorkDir`. */
    async stop(keepWorkDir = false): Promise<void> {
        this.client.destroy();
        this.provider.destroy();
        await this.codedeploy.stop();
        await this.logs.stop();
        await this.cloudwatch.stop();
        await this.lambda.stop();
        await this.pg.stop();
        if (!keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    }

    /** Credentials of an operator outside the component (the benchmark's own warm-ups, a person with the aws CLI). */
    get operatorCredentials(): { accessKeyId: string; secretAccessKey: string } {
        return { accessKeyId: this.outside.operator.accessKeyId, secretAccessKey: this.outside.operator.secretAccessKey };
    }

    /**
     * Changes the app's configuration and publishes a version: what `pulumi up` does with new code or settings.
     * The pre-traffic hook's MANGUM_TARGET_VERSION follows fn.version, as the component wires it.
     */
    publishApp(env: Record<string, string>): string {
        const current = this.lambda.functionConfig(APP);
        this.lambda.updateFunction(APP, { env: { ...current.env, ...env } });
        const version = this.lambda.publishVersion(APP);
        for (const f of this.model.functions) {
            if (f.environment.MANGUM_TARGET_VERSION !== undefined) {
                const hook = this.lambda.functionConfig(f.name);
                this.lambda.updateFunction(f.name, { env: { ...hook.env, MANGUM_TARGET_VERSION: version } });
            }
        }
        return version;
    }

    /** The deploy Invocation's input for a target version, exactly as the component writes it. */
    deployInput(targetVersion: string): Record<string, unknown> {
        return { ...this.deployInvocation().input, targetVersion, warmup: this.settings };
    }

    /**
     * The first `pulumi up`: the alias-origin Invocation (CREATE_ONLY) says which version a new alias starts on,
     * the alias is created there, then the deploy Invocation is created (`tf.action: "create"`, `prev_input: null`).
     */
    async firstDeploy(version: string): Promise<DeployerOutcome> {
        let startOn = version;
        const origin = this.model.invocations.find((i) => i.input.op === "alias-origin");
        if (origin) {
            const outcome = await this.invoke(origin, "create-only", origin.input);
            // A failed create stops everything that depends on it: the alias and the deploy Invocation.
            if (!outcome.ok) return outcome;
            const found = outcome.result.version;
            if (typeof found === "string") startOn = found;
        }
        this.lambda.createAlias(APP, this.model.alias.name, startOn, this.model.alias.description);
        return this.createDeployInvocation(this.deployInput(version));
    }

    /**
     * A `pulumi up` with a new version: `triggers` changed, so the deploy Invocation is replaced. The new one is
     * created first (`prev_input: null`); only when that succeeded is the old one deleted (its input, `tf.action:
     * "delete"`). A failed create leaves the old Invocation in the state and deletes nothing.
     */
    async newVersion(version: string): Promise<Replacement> {
        const old = this.deployState;
        const create = await this.createDeployInvocation(this.deployInput(version));
        if (!create.ok || old === null) return { create };
        const deleted = await this.invoke(this.deployInvocation(), "delete", old, old);
        return { create, delete: deleted };
    }

    /**
     * A `pulumi up` that changes warm-up settings only: the hooks' MANGUM_WARMUP_CONFIG is updated and the deploy
     * Invocation's input changes with the same `triggers`, so it is an `update` carrying `prev_input`.
     */
    async changeWarmupSettings(overrides: Partial<WarmupSettings>): Promise<DeployerOutcome> {
        if (this.deployState === null) throw new Error("no deploy Invocation exists yet: run the first deploy");
        this.settings = { ...this.settings, ...overrides };
        for (const f of this.model.functions) {
            if (f.environment[WARMUP_CONFIG_ENV] === undefined) continue;
            const hook = this.lambda.functionConfig(f.name);
            this.lambda.updateFunction(f.name, { env: { ...hook.env, [WARMUP_CONFIG_ENV]: JSON.stringify(this.settings) } });
        }
        const previous = this.deployState;
        return this.invoke(this.deployInvocation(), "update", { ...previous, warmup: this.settings }, previous);
    }

    /**
     * One tick of keep-warm schedule `index`: EventBridge invokes the keep-warm hook asynchronously with the
     * rule's constant input (authorized by the function's resource-based policy; recorded as an outside call).
     * Resolves with the hook's `keep-warm.result` log line once the delivery ended.
     */
    async keepWarmTick(index = 0): Promise<Record<string, unknown> | undefined> {
        const schedule = this.model.keepWarm[index];
        if (!schedule) throw new Error(`the component created ${this.model.keepWarm.length} keep-warm schedules, not ${index + 1}`);
        // Only lines written by this tick: a tick whose output never reached the Logs stand-in has none.
        const from = this.lambda.logEvents.length;
        this.gate.calls.push({ at: Date.now(), service: "lambda", operation: "Invoke", caller: "events.amazonaws.com", outside: true, allowed: true, checks: [] });
        this.lambda.invokeAsync(schedule.functionName, undefined, Buffer.from(JSON.stringify(schedule.input)));
        await this.lambda.drainAsync();
        return this.logRecords(schedule.functionName, from)
            .map((l) => l.record)
            .filter((r) => r.event === "keep-warm.result")
            .pop();
    }

    private deployInvocation(): InvocationModel {
        const found = this.model.invocations.find((i) => i.lifecycleScope === "CRUD" && i.input.op === undefined);
        if (!found) throw new Error(`the component created no CRUD Invocation of the deployer (found: ${this.model.invocations.map((i) => i.logicalName).join(", ") || "none"})`);
        return found;
    }

    private async createDeployInvocation(input: Record<string, unknown>): Promise<DeployerOutcome> {
        const outcome = await this.invoke(this.deployInvocation(), "create", input, null);
        // The provider saves a resource only when its create succeeded.
        if (outcome.ok) this.deployState = input;
        return outcome;
    }

    /** Invokes the deployer synchronously through the Lambda API, as the provider does (RequestResponse). */
    private async invoke(invocation: InvocationModel, action: DeployerCall["action"], input: Record<string, unknown>, prevInput?: Record<string, unknown> | null): Promise<DeployerOutcome> {
        const payload = action === "create-only" ? input : { ...input, tf: { action, prev_input: prevInput ?? null } };
        const out = await this.provider.send(new InvokeCommand({ FunctionName: invocation.functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
        const parsed = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8") || "null") as Record<string, unknown> | null;
        const outcome: DeployerOutcome =
            out.FunctionError !== undefined
                ? { ok: false, errorType: String(parsed?.errorType ?? out.FunctionError), errorMessage: String(parsed?.errorMessage ?? "") }
                : { ok: true, result: parsed ?? {} };
        if (outcome.ok && action === "update") this.deployState = input;
        if (outcome.ok && action === "delete" && this.deployState === input) this.deployState = null;
        this.deployerCalls.push({ invocation: invocation.logicalName, action, payload, outcome });
        return outcome;
    }

    /** One user request (GET path) through the alias, timed from the client's side. */
    async request(pathWithQuery: string, qualifier = ALIAS): Promise<UserResponse> {
        const started = performance.now();
        const out = await this.client.send(
            new InvokeCommand({ FunctionName: APP, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(httpEvent(pathWithQuery))) }),
        );
        const latencyMs = performance.now() - started;
        const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
        const requestId = out.$metadata.requestId ?? "";
        // The stand-in records an invocation before it answers it.
        const cold = this.lambda.recordOf(requestId)?.cold ?? false;
        const base = { requestId, cold, version: out.ExecutedVersion ?? "?", latencyMs };
        if (out.FunctionError !== undefined) return { ...base, statusCode: 502, body: text, functionError: out.FunctionError };
        const reply = JSON.parse(text) as { statusCode?: number; body?: string };
        return { ...base, statusCode: reply.statusCode ?? 0, body: reply.body ?? "" };
    }

    /** JSON lines a function's environments wrote: what CloudWatch Logs holds for it. */
    logRecords(functionName: string, fromEvent = 0): { logStreamName: string; record: Record<string, unknown> }[] {
        const out: { logStreamName: string; record: Record<string, unknown> }[] = [];
        for (const e of this.lambda.logEvents.slice(fromEvent)) {
            if (e.functionName !== functionName || !e.message.startsWith("{")) continue;
            try {
                out.push({ logStreamName: e.logStreamName, record: JSON.parse(e.message) as Record<string, unknown> });
            } catch {
                // a line that only looks like JSON
            }
        }
        return out;
    }

    /** The pre-traffic hook's result lines (event `pre-traffic.result`) for one deployment. */
    hookResults(deploymentId: string): Record<string, unknown>[] {
        return this.logRecords(PRE_TRAFFIC)
            .map((l) => l.record)
            .filter((r) => r.event === "pre-traffic.result" && r.deploymentId === deploymentId);
    }

    /** The app's own log line for every warm-up it answered during one deployment (mangum-warmup logs each reply). */
    warmupReplies(deploymentId: string): Record<string, unknown>[] {
        return this.logRecords(APP)
            .map((l) => l.record)
            .filter((r) => r.event === "mangum-warmup" && r.deploymentId === deploymentId);
    }
}

/** A function of the component as the Lambda stand-in runs it: the app from its directory, each hook from its bundle. */
function functionConfig(f: FunctionModel, paths: Paths, appDir: string, appHandler: string | undefined, extraEnv: Record<string, string>): Parameters<LambdaStandIn["createFunction"]>[0] {
    const common = {
        name: f.name,
        env: { ...f.environment, ...extraEnv },
        timeoutSec: f.timeoutSec,
        memoryMb: f.memoryMb,
        roleArn: f.roleArn,
        logGroup: f.logGroup,
    };
    if (f.hook === undefined) {
        return { ...common, runtime: "python", codeDir: appDir, handler: appHandler ?? f.handler, concurrency: f.reservedConcurrency ?? APP_CONCURRENCY };
    }
    // The component deploys each bundle as index.js; here the bundles stay side by side in dist/hooks.
    return { ...common, runtime: "node", codeDir: paths.hooksDir, handler: `${f.hook}.handler` };
}

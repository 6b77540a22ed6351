/**
 * The whole rehearsal stage on one machine: a real PostgreSQL, the Lambda and
 * CodeDeploy stand-ins, the app function (rehearsal/app by default) and the
 * bundled hooks (dist/hooks) registered as functions, and a real SDK v3 Lambda
 * client pointed at the stand-in. `npm run rehearse`, `npm run bench` and the
 * end-to-end tests all build on it.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WarmupSettings } from "../../hooks/contract";
import { createLogger, type Logger } from "../../hooks/log";
import { CodeDeployStandIn } from "../codedeploy/service";
import { LambdaStandIn, REGION } from "../lambda/service";
import { LogsStandIn } from "../logs/service";
import { startPostgres, type Postgres } from "../support/postgres";

export const APP = "app";
export const ALIAS = "live";
export const PRE_TRAFFIC = "pre-traffic";
export const DEPLOYER = "deployer";
export const APPLICATION = "rehearsal";
export const DEPLOYMENT_GROUP = "rehearsal-app-live";
/** The component's default pre-traffic hook timeout. */
const HOOK_TIMEOUT_SEC = 120;

/** A stand-in log line, as the stand-ins' structured loggers write them. */
export type StageEvent = { event: string; [field: string]: unknown };

export interface StageOptions {
    /** One CodeDeploy minute in real ms. */
    minuteMs?: number;
    /**
     * How long CodeDeploy waits for a hook's report. Default: the pre-traffic
     * hook's own timeout (120 s), not 60 scaled minutes, so a slow machine
     * never fails a deployment that a real hour would have let finish.
     */
    hookTimeoutMs?: number;
    /** Idle environments are reaped after this long. */
    idleTimeoutMs?: number;
    /** CodeDeploy config of the deployment group. */
    deploymentConfigName?: string;
    /** Overrides of the warm-up settings (defaults: the component's). */
    warmup?: Partial<WarmupSettings>;
    /** Waits before Lambda's async retries of a failed hook invocation. */
    asyncRetryDelaysMs?: number[];
    /** Directory of the app to rehearse, and its handler. */
    appDir?: string;
    appHandler?: string;
    onEvent?: (event: StageEvent) => void;
}

export interface Paths {
    root: string;
    rie: string;
    python: string;
    nodeRuntime: string;
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
        hooksDir: path.join(root, "dist", "hooks"),
    };
    const missing: string[] = [];
    if (!fs.existsSync(paths.rie)) missing.push(`the Lambda Runtime Interface Emulator (${paths.rie}): source scripts/toolchain.sh scripts/rie.sh and run pm_ensure_rie`);
    if (!fs.existsSync(paths.python)) missing.push(`the project virtualenv (${paths.python}): source scripts/toolchain.sh scripts/python.sh and run pm_ensure_venv`);
    if (!fs.existsSync(paths.nodeRuntime)) missing.push(`the compiled Node runtime client (${paths.nodeRuntime}): npm run build`);
    for (const hook of [PRE_TRAFFIC, DEPLOYER]) {
        if (!fs.existsSync(path.join(paths.hooksDir, `${hook}.js`))) missing.push(`the ${hook} hook bundle (dist/hooks/${hook}.js): npm run build`);
    }
    if (missing.length > 0) {
        throw new PrerequisiteError(`the rehearsal needs:\n  - ${missing.join("\n  - ")}\n\`npm run rehearse\`, \`npm run bench\` and \`npm test\` provision all of it (scripts/run.sh).`);
    }
    return paths;
}

/** The component's default warm-up, aimed at the rehearsal's app. */
export function defaultWarmup(overrides: Partial<WarmupSettings> = {}): WarmupSettings {
    const concurrency = overrides.concurrency ?? 5;
    return { functionName: APP, alias: ALIAS, concurrency, holdMs: [250, 400], checks: ["db"], mode: "helper", minDistinct: concurrency, failOnCheckError: true, ...overrides };
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

export class Stage {
    readonly settings: WarmupSettings;
    /** The SDK v3 client a user's API would use, pointed at the Lambda stand-in. */
    readonly client: LambdaClient;
    private previousInput: Record<string, unknown> | null = null;

    private constructor(
        readonly paths: Paths,
        readonly workDir: string,
        readonly pg: Postgres,
        readonly lambda: LambdaStandIn,
        readonly codedeploy: CodeDeployStandIn,
        readonly logs: LogsStandIn,
        readonly log: Logger,
        options: StageOptions,
    ) {
        this.settings = defaultWarmup(options.warmup);
        this.client = new LambdaClient({
            endpoint: lambda.endpoint,
            region: REGION,
            credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
            maxAttempts: 1,
        });
    }

    static async start(options: StageOptions = {}): Promise<Stage> {
        const paths = resolvePaths();
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-rehearsal-"));
        const logFile = path.join(workDir, "stand-ins.log");
        const log = createLogger({}, (line) => {
            fs.appendFileSync(logFile, line + "\n");
            if (options.onEvent) options.onEvent(JSON.parse(line) as StageEvent);
        });
        const pg = await startPostgres(paths.root);
        const settings = defaultWarmup(options.warmup);
        let lambda: LambdaStandIn | undefined;
        let codedeploy: CodeDeployStandIn | undefined;
        let logs: LogsStandIn | undefined;
        try {
            lambda = new LambdaStandIn({
                rie: paths.rie,
                python: paths.python,
                nodeRuntime: paths.nodeRuntime,
                workDir,
                baseEnv: {},
                idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
                asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [1000, 2000],
                log,
            });
            await lambda.start();
            codedeploy = new CodeDeployStandIn({ lambda, minuteMs: options.minuteMs ?? 1000, hookTimeoutMs: options.hookTimeoutMs ?? HOOK_TIMEOUT_SEC * 1000, log });
            await codedeploy.start();
            const standIn = lambda;
            logs = new LogsStandIn(() => standIn.logEvents);
            await logs.start();
            codedeploy.registerDeploymentGroup({
                applicationName: APPLICATION,
                deploymentGroupName: DEPLOYMENT_GROUP,
                deploymentConfigName: options.deploymentConfigName ?? "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                autoRollback: true,
            });
            // What the component gives every function: a role's credentials and
            // the region; here fake keys and endpoints on this machine only.
            const awsEnv = {
                AWS_ACCESS_KEY_ID: "rehearsal",
                AWS_SECRET_ACCESS_KEY: "rehearsal",
                AWS_EC2_METADATA_DISABLED: "true",
                AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
                AWS_ENDPOINT_URL_CODEDEPLOY: codedeploy.endpoint,
                AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
            };
            lambda.createFunction({
                name: APP,
                runtime: "python",
                codeDir: options.appDir ?? path.join(paths.root, "rehearsal", "app"),
                handler: options.appHandler ?? "main.handler",
                env: { ...awsEnv, DATABASE_URL: pg.url() },
                timeoutSec: 30,
                concurrency: 10,
            });
            const hookEnv = { ...awsEnv, MANGUM_WARMUP_CONFIG: JSON.stringify(settings) };
            lambda.createFunction({ name: PRE_TRAFFIC, runtime: "node", codeDir: paths.hooksDir, handler: `${PRE_TRAFFIC}.handler`, env: hookEnv, timeoutSec: HOOK_TIMEOUT_SEC });
            lambda.createFunction({ name: DEPLOYER, runtime: "node", codeDir: paths.hooksDir, handler: `${DEPLOYER}.handler`, env: hookEnv, timeoutSec: 300 });
            return new Stage(paths, workDir, pg, lambda, codedeploy, logs, log, options);
        } catch (err) {
            await codedeploy?.stop();
            await logs?.stop();
            await lambda?.stop();
            await pg.stop();
            fs.rmSync(workDir, { recursive: true, force: true });
            throw err;
        }
    }

    /** Stops everything this stage started; the work directory goes too unless `keepWorkDir`. */
    async stop(keepWorkDir = false): Promise<void> {
        this.client.destroy();
        await this.codedeploy.stop();
        await this.logs.stop();
        await this.lambda.stop();
        await this.pg.stop();
        if (!keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    }

    /** Changes the app's configuration and publishes a version: what `pulumi up` does with new code or settings. */
    publishApp(env: Record<string, string>): string {
        const current = this.lambda.functionConfig(APP);
        this.lambda.updateFunction(APP, { env: { ...current.env, ...env } });
        return this.lambda.publishVersion(APP);
    }

    /** Invokes the deployer synchronously through the Lambda API, as the component's aws.lambda.Invocation does. */
    async deploy(action: "create" | "update", targetVersion: string, useCodeDeploy = true): Promise<DeployerOutcome> {
        const input: Record<string, unknown> = {
            functionName: APP,
            alias: ALIAS,
            targetVersion,
            deployment: useCodeDeploy ? { applicationName: APPLICATION, deploymentGroupName: DEPLOYMENT_GROUP, beforeAllowTrafficHook: PRE_TRAFFIC } : null,
            warmup: this.settings,
        };
        const event = { ...input, tf: { action, prev_input: this.previousInput } };
        const out = await this.client.send(new InvokeCommand({ FunctionName: DEPLOYER, Payload: Buffer.from(JSON.stringify(event)) }));
        const payload = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8") || "null") as Record<string, unknown> | null;
        if (out.FunctionError !== undefined) {
            return { ok: false, errorType: String(payload?.errorType ?? out.FunctionError), errorMessage: String(payload?.errorMessage ?? "") };
        }
        this.previousInput = input;
        return { ok: true, result: payload ?? {} };
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
        const cold = this.lambda.records.find((r) => r.requestId === requestId)?.cold ?? false;
        const base = { requestId, cold, version: out.ExecutedVersion ?? "?", latencyMs };
        if (out.FunctionError !== undefined) return { ...base, statusCode: 502, body: text, functionError: out.FunctionError };
        const reply = JSON.parse(text) as { statusCode?: number; body?: string };
        return { ...base, statusCode: reply.statusCode ?? 0, body: reply.body ?? "" };
    }

    /** JSON lines a function's environments wrote: what CloudWatch Logs holds for it. */
    logRecords(functionName: string): { logStreamName: string; record: Record<string, unknown> }[] {
        const out: { logStreamName: string; record: Record<string, unknown> }[] = [];
        for (const e of this.lambda.logEvents) {
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

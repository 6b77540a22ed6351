/**
 * The deployer: what turns a `pulumi up` with new code into a traffic shift.
 *
 * The component invokes it synchronously through an `aws.lambda.Invocation`
 * with `lifecycleScope: "CRUD"`. The AWS provider then adds
 * `tf: {action, prev_input}` to the input (terraform-provider-aws,
 * internal/service/lambda/invocation.go, buildInput; Pulumi's
 * aws.lambda.Invocation docs, "CRUD Lifecycle Management"):
 * - `create`, `prev_input` null: the Invocation is new. Its `triggers`
 *   (`{version}`) force a replacement, so every new version arrives as a
 *   create of a new Invocation, and the old one is then deleted;
 * - `update`, `prev_input` = the previous input: the input changed but not
 *   the triggers, so the target version is the same (settings only);
 * - `delete`: the Invocation is removed (or replaced).
 * A failure thrown here fails the Invocation and therefore `pulumi up`, with
 * this module's message as the reason; a failed create is not saved, so the
 * next `pulumi up` creates (re-runs) it again. See docs/deployments.md.
 *
 * A second Invocation of the same function, `<name>-alias-origin` (the
 * provider's default CREATE_ONLY scope: the input is sent as is, with no
 * `tf`, on create and on every replacement, i.e. when its input changes;
 * never on delete), asks `op: "alias-origin"`: which version the alias being
 * replaced serves, so that a renamed alias starts there.
 */
import {
    CodeDeployClient,
    CreateDeploymentCommand,
    GetApplicationRevisionCommand,
    GetDeploymentCommand,
    GetDeploymentTargetCommand,
    ListDeploymentTargetsCommand,
    ListDeploymentsCommand,
    type DeploymentInfo,
    type DeploymentStatus,
    type LifecycleEvent,
} from "@aws-sdk/client-codedeploy";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetAliasCommand, LambdaClient, ListAliasesCommand, UpdateAliasCommand, type AliasConfiguration } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { appSpecContent, baseFunctionName, parseLambdaAppSpec, type LambdaAppSpec } from "./appspec";
import type { WarmupSettings } from "./contract";
import { WarmupSettingsError, describeError } from "./errors";
import { readHookReport, type HookReport } from "./hook-report";
import { createLogger, type Logger } from "./log";
import { safeText } from "./redact";
import { countColdStarts, type ColdStartCount, type ColdStartMetric } from "./traffic";
import {
    VersionNotActiveError,
    WARMUP_LAMBDA_CLIENT_CONFIG,
    judge,
    parseWarmupSettings,
    runWarmup,
    waitForActive,
    type EnvironmentErrorKind,
    type WarmupReport,
} from "./warm";

// ------------------------------------------------------------------ shapes

export type DeployerAction = "create" | "update" | "delete";

/** Where CodeDeploy runs the shift; null in the input when the component has `deployment: false`. */
export interface DeploymentSettings {
    applicationName: string;
    deploymentGroupName: string;
    /** Function name of the pre-traffic hook. */
    beforeAllowTrafficHook: string;
    /** Function name run after all traffic moved (a user function or the built-in smoke check). */
    afterAllowTrafficHook?: string;
    /** Log groups of the hooks: the pre-traffic hook's report is read from its group, others are quoted in failure messages; default `/aws/lambda/<hook name>`. */
    beforeAllowTrafficLogGroup?: string;
    afterAllowTrafficLogGroup?: string;
    /** The metric of user-facing cold starts (warmup.traffic); the result then counts them during the deployment. */
    coldStartMetric?: ColdStartMetric;
}

export interface DeployerInput {
    action: "create" | "update";
    /** Name or ARN of the app function (unqualified). */
    functionName: string;
    alias: string;
    /** The version just published, e.g. "8". */
    targetVersion: string;
    deployment: DeploymentSettings | null;
    warmup: WarmupSettings;
    /** `tf.prev_input.targetVersion` on an update; null on a create, or when the previous input named none. */
    previousTargetVersion: string | null;
    /** `tf.prev_input.functionName` on an update: a replaced function may start again at the same version number. */
    previousFunctionName: string | null;
}

/**
 * The warm-up report as the `deployment` output carries it: counts, times and
 * kinds, with no free text from the app (check and init messages, error
 * messages), since the output is stored in plain-text Pulumi state. The text
 * is in the hook's log line and in a failure's message, redacted.
 */
export interface PublicWarmupReport extends Omit<WarmupReport, "checks" | "init" | "errors"> {
    checks: Record<string, { passed: number; failed: number; maxMs: number }>;
    init: Record<string, { passed: number; failed: number; maxMs: number }>;
    errors: Array<{ invocation: number; kind: EnvironmentErrorKind; instanceId?: string }>;
}

/** The Invocation's `result`, surfaced as the component's `deployment` output. */
export interface DeployerResult {
    deploymentId: string | null;
    status: "Succeeded" | "InProgress" | "Skipped";
    fromVersion: string | null;
    toVersion: string;
    /**
     * The warm-up that cleared the version: the deployer's own (first deploy, or
     * `deployment: false`), or the pre-traffic hook's, read back from its logs;
     * null when none ran or the hook's report could not be read.
     */
    warmup: PublicWarmupReport | null;
    message: string;
    /**
     * Why nothing was shifted, when nothing was: the Invocation was deleted, a
     * settings-only update (same target version), or the alias already served
     * the version (a re-run after an earlier run moved it).
     */
    reason?: "delete" | "settings-only" | "already-live";
    /** True when this run followed a deployment an earlier run had started, instead of creating one. */
    attached?: boolean;
    /** User requests that met a cold start while the deployment ran, when the component publishes that metric. */
    userColdStarts?: ColdStartCount;
}

/** Input of the `alias-origin` Invocation (contract: docs/deployments.md, "Renaming the alias"). */
export interface AliasOriginInput {
    op: "alias-origin";
    functionName: string;
    /** The alias about to be created. */
    alias: string;
    /** Text that every alias the component creates has in its description. */
    marker: string;
}

/** The `alias-origin` Invocation's `result`: the version the new alias starts on, or null to start on the newest. */
export interface AliasOriginResult {
    version: string | null;
    fromAlias: string | null;
    message: string;
}

export interface DeployerDeps {
    lambda: LambdaClient;
    codedeploy: CodeDeployClient;
    /** Reads the pre-traffic hook's report; CodeDeploy itself carries only the hook's status. */
    logs: CloudWatchLogsClient;
    /** Reads the cold-start metric when deployment.coldStartMetric is set. */
    cloudwatch?: CloudWatchClient;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    log?: Logger;
}

export type DeployerContext = Pick<Context, "getRemainingTimeInMillis">;

/** Another deployment holds the deployment group (CodeDeploy runs one at a time per group). */
export class DeploymentConflictError extends Error {
    override readonly name = "DeploymentConflictError";
}

/** CodeDeploy ended the deployment Failed or Stopped. */
export class DeploymentFailedError extends Error {
    override readonly name = "DeploymentFailedError";
    constructor(
        message: string,
        readonly deploymentId: string,
        readonly rollbackDeploymentId: string | null,
    ) {
        super(message);
    }
}

/** The deployer's own warm-up of the target version failed its verdict. */
export class WarmupFailedError extends Error {
    override readonly name = "WarmupFailedError";
    constructor(
        message: string,
        readonly report: PublicWarmupReport,
    ) {
        super(message);
    }
}

/** Several aliases carry the marker and serve different versions: the renamed alias's origin is ambiguous. */
export class AliasOriginError extends Error {
    override readonly name = "AliasOriginError";
}

/** Statuses in which a deployment still holds its group. */
export const ACTIVE_DEPLOYMENT_STATUSES: DeploymentStatus[] = ["Created", "Queued", "InProgress", "Baking", "Ready"];
const ENDED_STATUSES: DeploymentStatus[] = ["Succeeded", "Failed", "Stopped"];
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(ENDED_STATUSES);

export const POLL_START_MS = 2_000;
export const POLL_MAX_MS = 15_000;
/**
 * Kept free at the end of the deployer's own timeout: after the last sleep it
 * may still read the deployment, explain a failure (two more calls) and read
 * the alias, each with SDK retries. Lambda must never kill it mid-answer, or
 * `pulumi up` shows a timeout instead of the reason. Reading the hook's report
 * stops before the margin.
 */
export const BUDGET_MARGIN_MS = 10_000;
/** At most this long is spent waiting for the pre-traffic hook's report to reach CloudWatch Logs. */
export const HOOK_REPORT_BUDGET_MS = 20_000;
/** Kept for the warm-up after waiting for the version to become Active: the longest hold and this much more. */
const WARM_RESERVE_MS = 5_000;
/** Ended deployments of the group searched for an earlier run's deployment of the same version. */
export const HISTORY_LOOKUP_MAX = 10;
const MAX_ALIAS_PAGES = 100;
/** The longest message thrown: each part is cut already; this bounds their sum. */
export const MAX_MESSAGE_CHARS = 6_000;

// ------------------------------------------------------------------- input

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function render(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return safeText(text.length > 80 ? `${text.slice(0, 77)}...` : text, 80);
}

function requireString(raw: Record<string, unknown>, field: string, path = field): string {
    const value = raw[field];
    if (typeof value !== "string" || value.trim() === "") throw new WarmupSettingsError(path, "a non-empty string", render(value));
    return value;
}

/** Reads `tf.action` alone, so a delete never fails on input written by an older version of the component. */
export function parseAction(event: unknown): DeployerAction {
    const tf = isRecord(event) ? event.tf : undefined;
    const action = isRecord(tf) ? tf.action : undefined;
    if (action !== "create" && action !== "update" && action !== "delete") {
        throw new WarmupSettingsError(
            "tf.action",
            `"create", "update" or "delete" (the deployer runs from an aws.lambda.Invocation with lifecycleScope "CRUD")`,
            render(action),
        );
    }
    return action;
}

const VERSION = /^[1-9]\d*$/;

/** Validates the whole input of a create or update; throws WarmupSettingsError naming the field. */
export function parseDeployerInput(event: unknown): DeployerInput {
    const action = parseAction(event);
    if (action === "delete" || !isRecord(event)) throw new WarmupSettingsError("tf.action", `"create" or "update"`, render(action));
    const functionName = requireString(event, "functionName");
    const alias = requireString(event, "alias");
    const targetVersion = event.targetVersion;
    if (typeof targetVersion !== "string" || !VERSION.test(targetVersion)) {
        throw new WarmupSettingsError("targetVersion", `a published version number such as "8" (is publish off?)`, render(targetVersion));
    }
    const tf = event.tf as Record<string, unknown>;
    const previous = isRecord(tf.prev_input) ? tf.prev_input.targetVersion : undefined;
    const previousFunction = isRecord(tf.prev_input) ? tf.prev_input.functionName : undefined;
    return {
        action,
        functionName,
        alias,
        targetVersion,
        deployment: parseDeployment(event.deployment),
        warmup: parseWarmupSettings(event.warmup),
        previousTargetVersion: action === "update" && typeof previous === "string" && VERSION.test(previous) ? previous : null,
        previousFunctionName: action === "update" && typeof previousFunction === "string" ? previousFunction : null,
    };
}

function parseDeployment(raw: unknown): DeploymentSettings | null {
    if (raw === null) return null;
    if (!isRecord(raw)) throw new WarmupSettingsError("deployment", "an object, or null when CodeDeploy is off", render(raw));
    const settings: DeploymentSettings = {
        applicationName: requireString(raw, "applicationName", "deployment.applicationName"),
        deploymentGroupName: requireString(raw, "deploymentGroupName", "deployment.deploymentGroupName"),
        beforeAllowTrafficHook: requireString(raw, "beforeAllowTrafficHook", "deployment.beforeAllowTrafficHook"),
    };
    for (const field of ["afterAllowTrafficHook", "beforeAllowTrafficLogGroup", "afterAllowTrafficLogGroup"] as const) {
        if (raw[field] !== undefined && raw[field] !== null) settings[field] = requireString(raw, field, `deployment.${field}`);
    }
    const metric = raw.coldStartMetric;
    if (metric !== undefined && metric !== null) {
        if (!isRecord(metric)) throw new WarmupSettingsError("deployment.coldStartMetric", "an object {namespace, metricName}", render(metric));
        settings.coldStartMetric = {
            namespace: requireString(metric, "namespace", "deployment.coldStartMetric.namespace"),
            metricName: requireString(metric, "metricName", "deployment.coldStartMetric.metricName"),
        };
    }
    return settings;
}

const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;

/** Validates the `alias-origin` input; throws WarmupSettingsError naming the field. */
export function parseAliasOriginInput(event: Record<string, unknown>): AliasOriginInput {
    const functionName = requireString(event, "functionName");
    const alias = event.alias;
    if (typeof alias !== "string" || !ALIAS_NAME.test(alias)) {
        throw new WarmupSettingsError("alias", "an alias name of 1-128 letters, digits, '-' or '_', not all digits", render(alias));
    }
    return { op: "alias-origin", functionName, alias, marker: requireString(event, "marker") };
}

// ------------------------------------------------------------------ AppSpec

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name → NAME. */
export function shortFunctionName(nameOrArn: string): string {
    return baseFunctionName(nameOrArn);
}

/** The AppSpec of a Lambda deployment (CodeDeploy User Guide, "AppSpec File example for an AWS Lambda deployment"). */
export function buildAppSpec(input: DeployerInput, deployment: DeploymentSettings, currentVersion: string): string {
    const name = shortFunctionName(input.functionName);
    const hooks: Record<string, string>[] = [{ BeforeAllowTraffic: deployment.beforeAllowTrafficHook }];
    if (deployment.afterAllowTrafficHook !== undefined) hooks.push({ AfterAllowTraffic: deployment.afterAllowTrafficHook });
    const body = {
        Resources: [
            {
                [name]: {
                    Type: "AWS::Lambda::Function",
                    Properties: { Name: name, Alias: input.alias, CurrentVersion: currentVersion, TargetVersion: input.targetVersion },
                },
            },
        ],
        Hooks: hooks,
    };
    // Written `0.0` as in every AWS example; JSON.stringify would print `0`.
    return `{"version":0.0,${JSON.stringify(body).slice(1)}`;
}

/** Whether an AppSpec shifts this very function, alias and target version: then it is this deploy's deployment. */
function sameShift(appSpec: LambdaAppSpec, input: DeployerInput): boolean {
    return (
        appSpec.name !== undefined &&
        shortFunctionName(appSpec.name) === shortFunctionName(input.functionName) &&
        appSpec.alias === input.alias &&
        appSpec.targetVersion === input.targetVersion
    );
}

// ---------------------------------------------------------------- handler

interface Run {
    deps: DeployerDeps;
    log: Logger;
    input: DeployerInput;
    /** Epoch ms by which the handler must have answered. */
    deadline: number;
}

export function createHandler(deps: DeployerDeps): (event: unknown, context: DeployerContext) => Promise<DeployerResult | AliasOriginResult> {
    const baseLog = deps.log ?? createLogger({ hook: "deployer" });
    return async (event, context) => {
        try {
            if (isRecord(event) && event.op !== undefined) return await aliasOrigin(deps, baseLog, event);
            return await lifecycle(deps, baseLog, event, context);
        } catch (err) {
            // The message reaches `pulumi up` and the provider's logs: never a secret, never unbounded.
            if (err instanceof Error) err.message = safeText(err.message, MAX_MESSAGE_CHARS);
            throw err;
        }
    };
}

async function lifecycle(deps: DeployerDeps, baseLog: Logger, event: unknown, context: DeployerContext): Promise<DeployerResult> {
    const action = parseAction(event);
    if (action === "delete") {
        baseLog.info("deployer.skipped", { action });
        const toVersion = isRecord(event) && typeof event.targetVersion === "string" ? safeText(event.targetVersion, 20) : "";
        return {
            deploymentId: null,
            status: "Skipped",
            fromVersion: null,
            toVersion,
            warmup: null,
            message: "nothing to do on delete: the alias and its versions stay as they are",
            reason: "delete",
        };
    }
    const input = parseDeployerInput(event);
    const log = baseLog.child({ functionName: input.functionName, alias: input.alias, targetVersion: input.targetVersion });
    const run: Run = { deps, log, input, deadline: deps.now() + context.getRemainingTimeInMillis() - BUDGET_MARGIN_MS };
    log.info("deployer.start", { action, previousTargetVersion: input.previousTargetVersion, mode: input.deployment === null ? "direct" : "codedeploy" });
    try {
        const result = isSettingsOnly(input) ? await settingsOnly(run) : await deploy(run);
        log.info("deployer.done", { status: result.status, deploymentId: result.deploymentId, reason: result.reason, message: result.message });
        return result;
    } catch (err) {
        log.error("deployer.failed", { error: err });
        throw err;
    }
}

/**
 * The same version of the same function: a replaced function (another name)
 * numbers its versions from 1 again, so its "same" number is a new version.
 */
function isSettingsOnly(input: DeployerInput): boolean {
    return (
        input.action === "update" &&
        input.previousTargetVersion === input.targetVersion &&
        input.previousFunctionName !== null &&
        shortFunctionName(input.previousFunctionName) === shortFunctionName(input.functionName)
    );
}

/**
 * An update with the same target version: only settings changed (warm-up,
 * deployment config, hooks, the alias's name). Only a new version may start a
 * deployment, so nothing moves, even when the alias serves another version
 * (someone rolled it back by hand; docs/deployments.md, "Rolling back").
 */
async function settingsOnly(run: Run): Promise<DeployerResult> {
    const { input } = run;
    const name = shortFunctionName(input.functionName);
    let where: string;
    try {
        const alias = await run.deps.lambda.send(new GetAliasCommand({ FunctionName: input.functionName, Name: input.alias }));
        const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
        const split = Object.keys(weights).length > 0 ? ` and routes ${describeWeights(weights)}` : "";
        where =
            alias.FunctionVersion === input.targetVersion && split === ""
                ? `alias ${input.alias} serves version ${input.targetVersion}`
                : `alias ${input.alias} serves version ${alias.FunctionVersion ?? "unknown"}${split}, and stays there until a new version is published (or it is moved by hand)`;
    } catch (err) {
        run.log.warn("alias.unreadable", { error: err });
        where = `alias ${input.alias} was not read (${describeError(err)})`;
    }
    return {
        deploymentId: null,
        status: "Skipped",
        fromVersion: null,
        toVersion: input.targetVersion,
        warmup: null,
        reason: "settings-only",
        message: `settings-only change of ${name}: the target version ${input.targetVersion} is unchanged, so no deployment was started and no alias was moved; ${where}`,
    };
}

async function deploy(run: Run): Promise<DeployerResult> {
    const { input } = run;
    const alias = await run.deps.lambda.send(new GetAliasCommand({ FunctionName: input.functionName, Name: input.alias }));
    const current = alias.FunctionVersion ?? "";
    const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const split = Object.keys(weights).length > 0;

    if (current === input.targetVersion && !split) return alreadyServed(run);
    if (input.deployment === null) return moveAliasDirectly(run, current);
    return runCodeDeploy(run, input.deployment, current, split ? weights : undefined);
}

/**
 * The alias already serves the target version, with no split. On a first
 * deploy it was just created on it (so, too, after the function was replaced,
 * which arrives as an update when the new function's version has the old
 * one's number); on a re-run (a create that failed or was lost after an
 * earlier run moved the alias) an earlier deployment put it there.
 * CodeDeploy's history tells the two apart where there is one.
 */
async function alreadyServed(run: Run): Promise<DeployerResult> {
    const { input } = run;
    const name = shortFunctionName(input.functionName);
    let earlier: PastDeployment | undefined;
    if (input.deployment !== null) {
        const active = await findActiveDeployment(run, input.deployment);
        if (active !== undefined) {
            if (active.appSpec !== undefined && sameShift(active.appSpec, input)) {
                return followDeployment(run, input.deployment, active.id, active.appSpec.currentVersion ?? "unknown", run.deps.now(), true);
            }
            throw conflict(input.deployment, active);
        }
        earlier = await findEndedDeployment(run, input.deployment);
    }
    if (earlier?.status === "Succeeded") {
        return {
            deploymentId: earlier.id,
            status: "Succeeded",
            fromVersion: earlier.fromVersion,
            toVersion: input.targetVersion,
            warmup: null,
            reason: "already-live",
            message:
                `alias ${input.alias} of ${name} already serves version ${input.targetVersion}: CodeDeploy deployment ${earlier.id} of an earlier run shifted it` +
                `${earlier.fromVersion === null ? "" : ` from version ${earlier.fromVersion}`}; nothing to shift`,
        };
    }
    const why =
        earlier === undefined
            ? `The alias ${input.alias} already serves version ${input.targetVersion} (a new alias starts on the version just published, or an earlier run left it there), so nothing was moved`
            : `The alias ${input.alias} already serves version ${input.targetVersion}: CodeDeploy deployment ${earlier.id} of an earlier run ended ${earlier.status} and left it there without a rollback` +
              (earlier.fromVersion === null
                  ? ""
                  : `; move it back with \`aws lambda update-alias --function-name ${name} --name ${input.alias} --function-version ${earlier.fromVersion} --routing-config AdditionalVersionWeights={}\``);
    const report = await warmTarget(run, `${why}. Fix the cause and run \`pulumi up\` again.`);
    return {
        deploymentId: null,
        status: "Succeeded",
        fromVersion: null,
        toVersion: input.targetVersion,
        warmup: publicReport(report),
        message: `version ${input.targetVersion} of ${name} passed its warm-up (${summarize(report)}); alias ${input.alias} serves it`,
    };
}

function summarize(report: WarmupReport | PublicWarmupReport): string {
    const parts = [`${report.succeeded}/${report.requested} invocations succeeded`];
    if (report.distinctEnvironments !== null) parts.push(`${report.distinctEnvironments} distinct environments`);
    if (report.coldStarts !== null) parts.push(`${report.coldStarts} cold starts`);
    return parts.join(", ");
}

/** At most this many checks or init steps are listed in the output (their names come from the app's replies). */
const MAX_PUBLIC_STEPS = 100;

/**
 * The report without the app's free text, for the `deployment` output. The
 * strings left (check names, versions, instance ids) also come from the app's
 * replies, so they are cut short and redacted as well.
 */
export function publicReport(report: WarmupReport): PublicWarmupReport {
    const short = (text: string, max: number) => safeText(text, max);
    const counts = (summaries: WarmupReport["checks"]) =>
        Object.fromEntries(
            Object.entries(summaries)
                .slice(0, MAX_PUBLIC_STEPS)
                .map(([name, s]) => [short(name, 128), { passed: s.passed, failed: s.failed, maxMs: s.maxMs }]),
        );
    return {
        target: { functionName: short(report.target.functionName, 200), qualifier: short(report.target.qualifier, 130) },
        mode: report.mode,
        source: report.source,
        requested: report.requested,
        succeeded: report.succeeded,
        distinctEnvironments: report.distinctEnvironments,
        distinctnessVerifiable: report.distinctnessVerifiable,
        coldStarts: report.coldStarts,
        initMs: report.initMs,
        checks: counts(report.checks),
        init: counts(report.init),
        versions: report.versions.slice(0, 10).map((v) => short(v, 32)),
        wallMs: report.wallMs,
        errors: report.errors.map((e) => ({ invocation: e.invocation, kind: e.kind, ...(e.instanceId === undefined ? {} : { instanceId: short(e.instanceId, 64) }) })),
        // The hooks' own sentences (fallbacks, http mode), redacted again: nothing here comes from the app.
        notes: report.notes.map((n) => safeText(n, 500)),
        ...(report.retried === undefined ? {} : { retried: report.retried }),
        ...(report.topUps === undefined ? {} : { topUps: report.topUps }),
        // Which figure sized the warm-up and why: the hook's own sentence, numbers from CloudWatch.
        ...(report.sizing === undefined ? {} : { sizing: publicSizing(report.sizing) }),
    };
}

function publicSizing(s: NonNullable<WarmupReport["sizing"]>): NonNullable<WarmupReport["sizing"]> {
    const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
    const basis = (["minimum", "observed-peak", "maximum", "reserved-concurrency"] as const).find((b) => b === s.basis) ?? "minimum";
    return {
        concurrency: num(s.concurrency),
        basis,
        minimum: num(s.minimum),
        maximum: num(s.maximum),
        headroom: num(s.headroom),
        windowMinutes: num(s.windowMinutes),
        observedPeak: s.observedPeak === null ? null : num(s.observedPeak),
        reservedConcurrency: s.reservedConcurrency === null ? null : num(s.reservedConcurrency),
        reason: safeText(String(s.reason), 500),
    };
}

/** Waits for the target to be Active (bounded by the deadline, keeping `reserveMs` for what follows). */
async function ensureActive(run: Run, reserveMs: number): Promise<void> {
    const { input, deps } = run;
    try {
        const waited = await waitForActive(
            deps.lambda,
            { functionName: input.functionName, qualifier: input.targetVersion },
            { deadline: run.deadline - reserveMs, now: deps.now, sleep: deps.sleep, source: "deployer" },
        );
        if (waited.polls > 1) run.log.info("version.active", { ...waited });
    } catch (err) {
        if (err instanceof VersionNotActiveError) run.log.warn("version.not-active", { state: err.state });
        throw err;
    }
}

/** Waits for the version to be Active, warms and judges it; throws WarmupFailedError with the verdict's reasons and `where` (what became of the alias). */
async function warmTarget(run: Run, where: string): Promise<WarmupReport> {
    const { input, deps } = run;
    await ensureActive(run, input.warmup.holdMs[1] + WARM_RESERVE_MS);
    const report = await runWarmup(
        deps.lambda,
        { functionName: input.functionName, qualifier: input.targetVersion },
        input.warmup,
        { source: "deployer", deadline: run.deadline, now: deps.now },
    );
    const verdict = judge(report, input.warmup);
    run.log.info("warmup.report", { pass: verdict.pass, reasons: verdict.reasons, report });
    if (verdict.pass) return report;
    const name = shortFunctionName(input.functionName);
    throw new WarmupFailedError(`version ${input.targetVersion} of ${name} failed its warm-up: ${verdict.reasons.map(withoutFinalStop).join("; ")}. ${where}`, publicReport(report));
}

/** `deployment: false`: warm, judge, then point the alias at the target with no weighted routing left. */
async function moveAliasDirectly(run: Run, fromVersion: string): Promise<DeployerResult> {
    const { input } = run;
    const report = await warmTarget(run, `The alias ${input.alias} stays on version ${fromVersion}.`);
    await run.deps.lambda.send(
        new UpdateAliasCommand({
            FunctionName: input.functionName,
            Name: input.alias,
            FunctionVersion: input.targetVersion,
            RoutingConfig: { AdditionalVersionWeights: {} },
        }),
    );
    run.log.info("alias.updated", { fromVersion });
    return {
        deploymentId: null,
        status: "Succeeded",
        fromVersion,
        toVersion: input.targetVersion,
        warmup: publicReport(report),
        message: `alias ${input.alias} of ${shortFunctionName(input.functionName)} moved from version ${fromVersion} to version ${input.targetVersion} after its warm-up passed (${summarize(report)})`,
    };
}

// -------------------------------------------------------------- CodeDeploy

function conflict(deployment: DeploymentSettings, active: ActiveDeployment): DeploymentConflictError {
    return new DeploymentConflictError(
        `deployment ${active.id} is already in progress for deployment group ${deployment.deploymentGroupName} (status ${active.status}` +
            `${active.appSpec === undefined ? "" : `, shifting to version ${active.appSpec.targetVersion}`}); ` +
            `wait for it or stop it with: aws deploy stop-deployment --deployment-id ${active.id}`,
    );
}

async function runCodeDeploy(
    run: Run,
    deployment: DeploymentSettings,
    fromVersion: string,
    weights: Record<string, number> | undefined,
): Promise<DeployerResult> {
    const { input, deps } = run;
    const name = shortFunctionName(input.functionName);
    const active = await findActiveDeployment(run, deployment);
    if (active !== undefined) {
        // A retried or re-run deployer call finds the deployment its earlier run started: follow it.
        if (active.appSpec !== undefined && sameShift(active.appSpec, input)) {
            return followDeployment(run, deployment, active.id, active.appSpec.currentVersion ?? fromVersion, deps.now(), true);
        }
        throw conflict(deployment, active);
    }
    if (weights !== undefined && fromVersion === input.targetVersion) {
        // CodeDeploy cannot shift a version onto itself, and no deployment is
        // left to finish the split: someone set these weights by hand.
        throw new DeploymentConflictError(
            `alias ${input.alias} of ${name} points at version ${fromVersion} but still routes ${describeWeights(weights)}, and no deployment is running; ` +
                `clear the split with \`aws lambda update-alias --function-name ${name} --name ${input.alias} --routing-config AdditionalVersionWeights={}\` ` +
                `and run \`pulumi up\` again`,
        );
    }
    // The pre-traffic hook waits too, within its own short budget; the deployer has minutes to spare.
    await ensureActive(run, BUDGET_MARGIN_MS);

    const requestedAt = deps.now();
    const created = await deps.codedeploy.send(
        new CreateDeploymentCommand({
            applicationName: deployment.applicationName,
            deploymentGroupName: deployment.deploymentGroupName,
            revision: { revisionType: "AppSpecContent", appSpecContent: { content: buildAppSpec(input, deployment, fromVersion) } },
            description: `pulumi-mangum: shift alias ${input.alias} of ${name} from version ${fromVersion} to version ${input.targetVersion}`,
        }),
    );
    const deploymentId = created.deploymentId;
    if (deploymentId === undefined) throw new Error(`CodeDeploy created a deployment for group ${deployment.deploymentGroupName} but returned no deployment id`);
    run.log.info("deployment.created", { deploymentId, fromVersion });
    return followDeployment(run, deployment, deploymentId, fromVersion, requestedAt, false);
}

/** Polls a deployment (created by this run, or by an earlier one) and turns its end into a result or a thrown explanation. */
async function followDeployment(
    run: Run,
    deployment: DeploymentSettings,
    deploymentId: string,
    fromVersion: string,
    requestedAt: number,
    attached: boolean,
): Promise<DeployerResult> {
    const { input } = run;
    const name = shortFunctionName(input.functionName);
    const log = run.log.child({ deploymentId });
    if (attached) log.info("deployment.attached", { fromVersion });
    const { info, lastStatus } = await waitForDeployment({ ...run, log }, deploymentId);
    const config = info?.deploymentConfigName ?? "the deployment group's config";
    const base = { deploymentId, fromVersion, toVersion: input.targetVersion, warmup: null, ...(attached ? { attached } : {}) };
    const earlier = attached ? " (started by an earlier run of this deploy)" : "";
    const createdAt = info?.createTime?.getTime() ?? requestedAt;
    if (info === undefined) {
        return {
            ...base,
            status: "InProgress",
            message:
                `CodeDeploy deployment ${deploymentId}${earlier} is still shifting alias ${input.alias} of ${name} from version ${fromVersion} to version ${input.targetVersion} ` +
                `(${lastStatus ?? "not started"}); ` +
                `\`pulumi up\` does not wait for it. Follow it with: aws deploy get-deployment --deployment-id ${deploymentId}`,
        };
    }
    if (info.status === "Succeeded") {
        const preTraffic = hookOf(deployment, "BeforeAllowTraffic")!;
        const events = await lifecycleEvents({ ...run, log }, deploymentId);
        const found = await readReport({ ...run, log }, preTraffic.logGroup, deploymentId, "BeforeAllowTraffic", createdAt, events?.find((e) => e.lifecycleEventName === "BeforeAllowTraffic"), true);
        const report = found?.report ?? null;
        const warmedUp = report !== null ? ` after its pre-traffic warm-up passed (${summarize(report)})` : "";
        const cold =
            deployment.coldStartMetric !== undefined && run.deps.cloudwatch !== undefined
                ? await countColdStarts(run.deps.cloudwatch, deployment.coldStartMetric, createdAt, {
                      now: run.deps.now,
                      timeoutMs: Math.min(3_000, run.deadline - run.deps.now()),
                  })
                : undefined;
        return {
            ...base,
            status: "Succeeded",
            warmup: report === null ? null : publicReport(report),
            ...(cold !== undefined ? { userColdStarts: cold } : {}),
            message: `CodeDeploy deployment ${deploymentId}${earlier} shifted alias ${input.alias} of ${name} from version ${fromVersion} to version ${input.targetVersion} (${config})${warmedUp}`,
        };
    }
    const message = await explainFailure({ ...run, log }, deployment, info, { deploymentId, createdAt }, fromVersion);
    throw new DeploymentFailedError(message, deploymentId, info.rollbackInfo?.rollbackDeploymentId ?? null);
}

function describeWeights(weights: Record<string, number>): string {
    return Object.entries(weights)
        .map(([version, weight]) => `${Math.round(weight * 1000) / 10}% of traffic to version ${version}`)
        .join(" and ");
}

interface ActiveDeployment {
    id: string;
    status: string;
    /** Undefined when its AppSpec could not be read: then it is never taken for this deploy's. */
    appSpec: LambdaAppSpec | undefined;
}

/** The deployment holding the group, with its AppSpec (from GetDeployment, else GetApplicationRevision). */
async function findActiveDeployment(run: Run, deployment: DeploymentSettings): Promise<ActiveDeployment | undefined> {
    let nextToken: string | undefined;
    do {
        const page = await run.deps.codedeploy.send(
            new ListDeploymentsCommand({
                applicationName: deployment.applicationName,
                deploymentGroupName: deployment.deploymentGroupName,
                includeOnlyStatuses: ACTIVE_DEPLOYMENT_STATUSES,
                ...(nextToken === undefined ? {} : { nextToken }),
            }),
        );
        const id = page?.deployments?.[0];
        if (id !== undefined) {
            const deploymentInfo = (await run.deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: id })))?.deploymentInfo;
            return { id, status: deploymentInfo?.status ?? "unknown", appSpec: await readAppSpec(run, deployment, deploymentInfo) };
        }
        nextToken = page?.nextToken;
    } while (nextToken !== undefined);
    return undefined;
}

/**
 * The deployment's AppSpec. GetDeployment returns the revision with its
 * content for AppSpecContent revisions; otherwise GetApplicationRevision
 * reads the registered revision (CodeDeploy API Reference, GetDeployment and
 * GetApplicationRevision). Any failure yields undefined: an unreadable
 * deployment is not taken for this deploy's.
 */
async function readAppSpec(run: Run, deployment: DeploymentSettings, info: DeploymentInfo | undefined): Promise<LambdaAppSpec | undefined> {
    let content = appSpecContent(info?.revision);
    if (content === undefined && info?.revision !== undefined) {
        try {
            const revision = await run.deps.codedeploy.send(new GetApplicationRevisionCommand({ applicationName: deployment.applicationName, revision: info.revision }));
            content = appSpecContent(revision.revision);
        } catch (err) {
            run.log.warn("deployment.revision-unreadable", { deploymentId: info.deploymentId, error: err });
        }
    }
    if (content === undefined) return undefined;
    const appSpec = parseLambdaAppSpec(content);
    return typeof appSpec === "string" ? undefined : appSpec;
}

interface PastDeployment {
    id: string;
    status: string;
    fromVersion: string | null;
}

/**
 * An ended deployment of the group that shifted this function and alias to
 * this target version: the trace of an earlier run. CodeDeploy does not
 * document the order of ListDeployments; the first HISTORY_LOOKUP_MAX ids of
 * its first page are read (newest first in practice), within the deadline.
 */
async function findEndedDeployment(run: Run, deployment: DeploymentSettings): Promise<PastDeployment | undefined> {
    try {
        const page = await run.deps.codedeploy.send(
            new ListDeploymentsCommand({
                applicationName: deployment.applicationName,
                deploymentGroupName: deployment.deploymentGroupName,
                includeOnlyStatuses: ENDED_STATUSES,
            }),
        );
        for (const id of (page?.deployments ?? []).slice(0, HISTORY_LOOKUP_MAX)) {
            if (run.deps.now() >= run.deadline) break;
            const deploymentInfo = (await run.deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: id })))?.deploymentInfo;
            const appSpec = await readAppSpec(run, deployment, deploymentInfo);
            if (appSpec !== undefined && sameShift(appSpec, run.input)) {
                return { id, status: deploymentInfo?.status ?? "unknown", fromVersion: appSpec.currentVersion ?? null };
            }
        }
    } catch (err) {
        // History only words the message; without it the version is warmed like a first deploy's.
        run.log.warn("deployment.history-unreadable", { error: err });
    }
    return undefined;
}

/**
 * Polls with a doubling backoff until the deployment ends, or returns
 * `info: undefined` when the next sleep would overrun the deadline.
 */
async function waitForDeployment(run: Run, deploymentId: string): Promise<{ info?: DeploymentInfo; lastStatus?: string }> {
    let delay = POLL_START_MS;
    let lastStatus: string | undefined;
    for (;;) {
        if (run.deps.now() + delay > run.deadline) {
            run.log.info("deployment.outlives-budget", { lastStatus });
            return lastStatus === undefined ? {} : { lastStatus };
        }
        await run.deps.sleep(delay);
        const { deploymentInfo } = await run.deps.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
        lastStatus = deploymentInfo?.status ?? lastStatus;
        run.log.debug("deployment.poll", { status: lastStatus });
        if (deploymentInfo !== undefined && lastStatus !== undefined && TERMINAL_STATUSES.has(lastStatus)) {
            run.log.info("deployment.finished", { status: lastStatus });
            return { info: deploymentInfo, lastStatus };
        }
        delay = Math.min(delay * 2, POLL_MAX_MS);
    }
}

/**
 * The pre-traffic hook's result for one lifecycle event, within
 * HOOK_REPORT_BUDGET_MS and the deployer's own deadline. Only a line that
 * agrees with CodeDeploy's status for the event and was ingested while it ran
 * is taken (hooks/hook-report.ts, provenance).
 */
function readReport(
    run: Run,
    logGroup: string,
    deploymentId: string,
    eventName: string,
    createdAt: number,
    event: LifecycleEvent | undefined,
    pass: boolean,
): Promise<HookReport | undefined> {
    const { deps } = run;
    const from = event?.startTime?.getTime();
    const to = event?.endTime?.getTime();
    return readHookReport(deps.logs, logGroup, deploymentId, eventName, {
        createdAt,
        deadline: Math.min(run.deadline, deps.now() + HOOK_REPORT_BUDGET_MS),
        now: deps.now,
        sleep: deps.sleep,
        log: run.log,
        expectPass: pass,
        ...(from === undefined ? {} : { window: to === undefined ? { from } : { from, to } }),
    });
}

/** One paragraph a user can act on: what failed and why, what CodeDeploy did about it, where the alias is. */
async function explainFailure(
    run: Run,
    deployment: DeploymentSettings,
    info: DeploymentInfo,
    { deploymentId, createdAt }: { deploymentId: string; createdAt: number },
    fromVersion: string,
): Promise<string> {
    const causes: string[] = [];
    const verdicts: string[] = [];
    const hookLogGroups: string[] = [];
    let hookFailed = false;
    const events = await lifecycleEvents(run, deploymentId, causes);
    for (const event of (events ?? []).filter((e) => e.status === "Failed")) {
        const eventName = event.lifecycleEventName ?? "unknown";
        const detail = safeText(event.diagnostics?.message ?? "CodeDeploy gave no diagnostics");
        const hook = hookOf(deployment, eventName);
        if (hook === undefined) {
            causes.push(`the ${eventName} step failed: ${detail}`);
            continue;
        }
        hookFailed = true;
        causes.push(`the ${eventName} hook ${hook.name} failed: ${detail}`);
        // Only the pre-traffic hook's log lines are known; it also runs as the built-in smoke check.
        const ours = shortFunctionName(hook.name) === shortFunctionName(deployment.beforeAllowTrafficHook);
        const found = ours ? await readReport(run, hook.logGroup, deploymentId, eventName, createdAt, event, false) : undefined;
        if (found !== undefined && !found.verdict.pass && found.verdict.reasons.length > 0) {
            verdicts.push(`The ${eventName} hook's verdict: ${found.verdict.reasons.map(withoutFinalStop).join("; ")}.`);
        } else {
            hookLogGroups.push(hook.logGroup);
        }
    }
    const error = info.errorInformation;
    if (error?.code === "ALARM_ACTIVE") {
        causes.push(`an alarm fired: ${safeText(error.message ?? "CodeDeploy named no alarm")}`);
    } else if (!hookFailed && error !== undefined) {
        causes.push(safeText(`${error.code ?? "error"}: ${error.message ?? "no message"}`));
    }
    if (causes.length === 0) causes.push("CodeDeploy reported no cause");

    const verb = info.status === "Stopped" ? "was stopped" : "failed";
    let text = `CodeDeploy deployment ${deploymentId} ${verb}: ${causes.map(withoutFinalStop).join("; ")}.`;
    for (const verdict of verdicts) text += ` ${verdict}`;
    const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId !== undefined) {
        const why = info.rollbackInfo?.rollbackMessage;
        text += ` CodeDeploy rolled back with deployment ${rollbackId}${why === undefined ? "" : ` (${safeText(why)})`}; the alias ${run.input.alias} stays on version ${fromVersion}.`;
    } else {
        text += ` ${await describeAliasAfterFailure(run, fromVersion)}`;
    }
    for (const logGroup of new Set(hookLogGroups)) {
        text += ` The hook's logs have the details: \`aws logs filter-log-events --log-group-name ${logGroup} --filter-pattern '"${deploymentId}"'\`.`;
    }
    return text;
}

/** CodeDeploy's diagnostics are whole sentences; drop their full stop so causes join cleanly. */
function withoutFinalStop(text: string): string {
    return text.endsWith(".") ? text.slice(0, -1) : text;
}

function hookOf(deployment: DeploymentSettings, eventName: string): { name: string; logGroup: string } | undefined {
    const [name, logGroup] =
        eventName === "BeforeAllowTraffic"
            ? [deployment.beforeAllowTrafficHook, deployment.beforeAllowTrafficLogGroup]
            : eventName === "AfterAllowTraffic"
              ? [deployment.afterAllowTrafficHook, deployment.afterAllowTrafficLogGroup]
              : [undefined, undefined];
    if (name === undefined) return undefined;
    return { name, logGroup: logGroup ?? `/aws/lambda/${shortFunctionName(name)}` };
}

/**
 * The lifecycle events of the deployment's Lambda target; undefined when they
 * cannot be read. A lookup error becomes a cause (when `causes` is given)
 * instead of hiding the failure.
 */
async function lifecycleEvents(run: Run, deploymentId: string, causes?: string[]): Promise<LifecycleEvent[] | undefined> {
    try {
        const listed = await run.deps.codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
        const events: LifecycleEvent[] = [];
        for (const targetId of listed?.targetIds ?? []) {
            const { deploymentTarget } = await run.deps.codedeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }));
            events.push(...(deploymentTarget?.lambdaTarget?.lifecycleEvents ?? []));
        }
        return events;
    } catch (err) {
        run.log.warn("deployment.targets-unreadable", { error: err });
        causes?.push(`(the lifecycle events could not be read: ${safeText(describeError(err))})`);
        return undefined;
    }
}

/** Without a rollback, the alias may sit anywhere CodeDeploy left it: read it rather than guess. */
async function describeAliasAfterFailure(run: Run, fromVersion: string): Promise<string> {
    const { input } = run;
    const name = shortFunctionName(input.functionName);
    try {
        const alias = await run.deps.lambda.send(new GetAliasCommand({ FunctionName: input.functionName, Name: input.alias }));
        const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
        if (alias.FunctionVersion === fromVersion && Object.keys(weights).length === 0) {
            return `The alias ${input.alias} stays on version ${fromVersion}.`;
        }
        const split = Object.keys(weights).length === 0 ? "" : ` and routes ${describeWeights(weights)}`;
        return (
            `No rollback was made (is automatic rollback off for the deployment group?): the alias ${input.alias} points at version ${alias.FunctionVersion}${split}. ` +
            `Move it back with \`aws lambda update-alias --function-name ${name} --name ${input.alias} --function-version ${fromVersion} --routing-config AdditionalVersionWeights={}\`.`
        );
    } catch (err) {
        return `The alias ${input.alias} could not be read afterwards (${safeText(describeError(err))}); it was on version ${fromVersion} before the deployment.`;
    }
}

// ---------------------------------------------------------- alias origin

/**
 * `op: "alias-origin"`: the version the alias being replaced serves, so that
 * a renamed alias starts there instead of on the newest version (which may
 * have failed its checks, and would reach users with no warm-up). The old
 * alias still exists when this runs: the component creates the new alias
 * from this result, and Pulumi deletes a replaced resource only after its
 * replacement is created. ListAliases is authorized against the unqualified
 * function ARN ("Resources and conditions for Lambda actions",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
 */
async function aliasOrigin(deps: DeployerDeps, baseLog: Logger, event: Record<string, unknown>): Promise<AliasOriginResult> {
    if (event.op !== "alias-origin") throw new WarmupSettingsError("op", `"alias-origin", or absent for a deployment`, render(event.op));
    const tf = isRecord(event.tf) ? event.tf : undefined;
    if (tf?.action === "delete") {
        return { version: null, fromAlias: null, message: "nothing to do on delete" };
    }
    const input = parseAliasOriginInput(event);
    const log = baseLog.child({ op: input.op, functionName: input.functionName, alias: input.alias });
    const name = shortFunctionName(input.functionName);

    const candidates: AliasConfiguration[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
        const page = await deps.lambda.send(new ListAliasesCommand({ FunctionName: input.functionName, ...(marker === undefined ? {} : { Marker: marker }) }));
        for (const alias of page?.Aliases ?? []) {
            if (alias.Name !== input.alias && (alias.Description ?? "").includes(input.marker) && alias.FunctionVersion !== undefined) candidates.push(alias);
        }
        marker = page?.NextMarker;
        // Lambda allows a few thousand aliases at most; a marker that never ends must not spin.
        if (++pages >= MAX_ALIAS_PAGES) throw new AliasOriginError(`ListAliases of ${name} returned more than ${MAX_ALIAS_PAGES} pages`);
    } while (marker !== undefined);

    const unpublished = candidates.filter((a) => !VERSION.test(a.FunctionVersion!));
    if (unpublished.length > 0) {
        // The new alias would serve unpublished code that no warm-up or deployment ever checked.
        throw new AliasOriginError(
            `alias ${unpublished[0]!.Name} of ${name} carries pulumi-mangum's description but serves ${unpublished[0]!.FunctionVersion}, not a published version; ` +
                `point it at the version it should serve (\`aws lambda update-alias --function-name ${name} --name ${unpublished[0]!.Name} --function-version N\`) and run \`pulumi up\` again`,
        );
    }
    const versions = [...new Set(candidates.map((a) => a.FunctionVersion!))];
    if (versions.length > 1) {
        throw new AliasOriginError(
            `aliases ${candidates.map((a) => `${a.Name} (version ${a.FunctionVersion})`).join(", ")} of ${name} all carry pulumi-mangum's description and serve different versions, ` +
                `so the version alias ${input.alias} should start on is ambiguous; delete the stale ones (\`aws lambda delete-alias --function-name ${name} --name …\`) and run \`pulumi up\` again`,
        );
    }
    const result: AliasOriginResult =
        candidates.length === 0
            ? {
                  version: null,
                  fromAlias: null,
                  message: `no other alias of ${name} was moved by pulumi-mangum: alias ${input.alias} starts on the version just published`,
              }
            : {
                  version: versions[0]!,
                  fromAlias: candidates[0]!.Name ?? null,
                  message: `alias ${input.alias} of ${name} starts on version ${versions[0]}, which alias ${candidates[0]!.Name} serves; newer versions reach it only through a deployment`,
              };
    log.info("alias-origin.result", { version: result.version, fromAlias: result.fromAlias });
    return result;
}

// ------------------------------------------------------------ module entry

// Created once per execution environment. No endpoint is set, so the SDK's
// AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_CODEDEPLOY /
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS variables (used by the local rehearsal) apply.
const lambdaClient = new LambdaClient(WARMUP_LAMBDA_CLIENT_CONFIG);
const codedeployClient = new CodeDeployClient({});
const logsClient = new CloudWatchLogsClient({});
const cloudwatchClient = new CloudWatchClient({ maxAttempts: 2 });

export const handler = createHandler({
    lambda: lambdaClient,
    codedeploy: codedeployClient,
    logs: logsClient,
    cloudwatch: cloudwatchClient,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

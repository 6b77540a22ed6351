/**
 * The deployer: what turns a `pulumi up` with new code into a traffic shift.
 *
 * The component invokes it synchronously through an `aws.lambda.Invocation`
 * with `lifecycleScope: "CRUD"`, so the provider adds `tf.action` to the
 * input. A failure thrown here fails the Invocation and therefore `pulumi up`,
 * with this module's message as the reason. See docs/deployments.md.
 */
import {
    CodeDeployClient,
    CreateDeploymentCommand,
    GetDeploymentCommand,
    GetDeploymentTargetCommand,
    ListDeploymentTargetsCommand,
    ListDeploymentsCommand,
    type DeploymentInfo,
    type DeploymentStatus,
    type LifecycleEvent,
} from "@aws-sdk/client-codedeploy";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import type { WarmupSettings } from "./contract";
import { WarmupSettingsError, describeError } from "./errors";
import { readHookReport, type HookReport } from "./hook-report";
import { createLogger, type Logger } from "./log";
import { WARMUP_LAMBDA_CLIENT_CONFIG, judge, parseWarmupSettings, runWarmup, type WarmupReport } from "./warm";

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
    warmup: WarmupReport | null;
    message: string;
    /** Why nothing was shifted, when nothing was. */
    reason?: "delete" | "already-live";
}

export interface DeployerDeps {
    lambda: LambdaClient;
    codedeploy: CodeDeployClient;
    /** Reads the pre-traffic hook's report; CodeDeploy itself carries only the hook's status. */
    logs: CloudWatchLogsClient;
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
        readonly report: WarmupReport,
    ) {
        super(message);
    }
}

/** Statuses in which a deployment still holds its group. */
export const ACTIVE_DEPLOYMENT_STATUSES: DeploymentStatus[] = ["Created", "Queued", "InProgress", "Baking", "Ready"];
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["Succeeded", "Failed", "Stopped"]);

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

// ------------------------------------------------------------------- input

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function render(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
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

/** Validates the whole input of a create or update; throws WarmupSettingsError naming the field. */
export function parseDeployerInput(event: unknown): DeployerInput {
    const action = parseAction(event);
    if (action === "delete" || !isRecord(event)) throw new WarmupSettingsError("tf.action", `"create" or "update"`, render(action));
    const functionName = requireString(event, "functionName");
    const alias = requireString(event, "alias");
    const targetVersion = event.targetVersion;
    if (typeof targetVersion !== "string" || !/^[1-9]\d*$/.test(targetVersion)) {
        throw new WarmupSettingsError("targetVersion", `a published version number such as "8" (is publish off?)`, render(targetVersion));
    }
    return { action, functionName, alias, targetVersion, deployment: parseDeployment(event.deployment), warmup: parseWarmupSettings(event.warmup) };
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
    return settings;
}

// ------------------------------------------------------------------ AppSpec

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name → NAME. */
export function shortFunctionName(nameOrArn: string): string {
    return nameOrArn.startsWith("arn:") ? (nameOrArn.split(":")[6] ?? nameOrArn) : nameOrArn;
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

// ---------------------------------------------------------------- handler

interface Run {
    deps: DeployerDeps;
    log: Logger;
    input: DeployerInput;
    /** Epoch ms by which the handler must have answered. */
    deadline: number;
}

export function createHandler(deps: DeployerDeps): (event: unknown, context: DeployerContext) => Promise<DeployerResult> {
    const baseLog = deps.log ?? createLogger({ hook: "deployer" });
    return async (event, context) => {
        const action = parseAction(event);
        if (action === "delete") {
            baseLog.info("deployer.skipped", { action });
            const toVersion = isRecord(event) && typeof event.targetVersion === "string" ? event.targetVersion : "";
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
        log.info("deployer.start", { action, mode: input.deployment === null ? "direct" : "codedeploy" });
        try {
            const result = await deploy(run);
            log.info("deployer.done", { status: result.status, deploymentId: result.deploymentId, message: result.message });
            return result;
        } catch (err) {
            log.error("deployer.failed", { error: err });
            throw err;
        }
    };
}

async function deploy(run: Run): Promise<DeployerResult> {
    const { input } = run;
    const name = shortFunctionName(input.functionName);
    const alias = await run.deps.lambda.send(new GetAliasCommand({ FunctionName: input.functionName, Name: input.alias }));
    const current = alias.FunctionVersion ?? "";
    const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const split = Object.keys(weights).length > 0;

    if (current === input.targetVersion && !split) {
        if (input.action === "update") {
            return {
                deploymentId: null,
                status: "Succeeded",
                fromVersion: current,
                toVersion: input.targetVersion,
                warmup: null,
                message: `alias ${input.alias} of ${name} already serves version ${current}; nothing to shift`,
                reason: "already-live",
            };
        }
        // First deploy: the alias was just created on this version, so there
        // is nothing to shift, but the version must still prove it works.
        const report = await warmTarget(run, null);
        return {
            deploymentId: null,
            status: "Succeeded",
            fromVersion: null,
            toVersion: input.targetVersion,
            warmup: report,
            message: `version ${input.targetVersion} of ${name} passed its warm-up (${summarize(report)}); alias ${input.alias} serves it`,
        };
    }
    if (input.deployment === null) return moveAliasDirectly(run, current);
    return runCodeDeploy(run, input.deployment, current, split ? weights : undefined);
}

function summarize(report: WarmupReport): string {
    const parts = [`${report.succeeded}/${report.requested} invocations succeeded`];
    if (report.distinctEnvironments !== null) parts.push(`${report.distinctEnvironments} distinct environments`);
    if (report.coldStarts !== null) parts.push(`${report.coldStarts} cold starts`);
    return parts.join(", ");
}

/** Warms and judges the target version; throws WarmupFailedError with the verdict's reasons. */
async function warmTarget(run: Run, fromVersion: string | null): Promise<WarmupReport> {
    const { input, deps } = run;
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
    const where =
        fromVersion === null
            ? `The alias ${input.alias} was created on version ${input.targetVersion} and already serves it; fix the cause and run \`pulumi up\` again.`
            : `The alias ${input.alias} stays on version ${fromVersion}.`;
    throw new WarmupFailedError(`version ${input.targetVersion} of ${name} failed its warm-up: ${verdict.reasons.join("; ")}. ${where}`, report);
}

/** `deployment: false`: warm, judge, then point the alias at the target with no weighted routing left. */
async function moveAliasDirectly(run: Run, fromVersion: string): Promise<DeployerResult> {
    const { input } = run;
    const report = await warmTarget(run, fromVersion);
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
        warmup: report,
        message: `alias ${input.alias} of ${shortFunctionName(input.functionName)} moved from version ${fromVersion} to version ${input.targetVersion} after its warm-up passed (${summarize(report)})`,
    };
}

// -------------------------------------------------------------- CodeDeploy

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
        throw new DeploymentConflictError(
            `deployment ${active.id} is already in progress for deployment group ${deployment.deploymentGroupName} (status ${active.status}); ` +
                `wait for it or stop it with: aws deploy stop-deployment --deployment-id ${active.id}`,
        );
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
    const log = run.log.child({ deploymentId });
    log.info("deployment.created", { fromVersion });

    const { info, lastStatus } = await waitForDeployment({ ...run, log }, deploymentId);
    const config = info?.deploymentConfigName ?? "the deployment group's config";
    const base = { deploymentId, fromVersion, toVersion: input.targetVersion, warmup: null };
    const createdAt = info?.createTime?.getTime() ?? requestedAt;
    if (info === undefined) {
        return {
            ...base,
            status: "InProgress",
            message:
                `CodeDeploy deployment ${deploymentId} is still shifting alias ${input.alias} of ${name} from version ${fromVersion} to version ${input.targetVersion} ` +
                `(${lastStatus ?? "not started"}); \`pulumi up\` does not wait for it. Follow it with: aws deploy get-deployment --deployment-id ${deploymentId}`,
        };
    }
    if (info.status === "Succeeded") {
        const preTraffic = hookOf(deployment, "BeforeAllowTraffic")!;
        const found = await readReport({ ...run, log }, preTraffic.logGroup, deploymentId, "BeforeAllowTraffic", createdAt);
        const report = found?.report ?? null;
        const warmedUp = report !== null && found?.verdict.pass === true ? ` after its pre-traffic warm-up passed (${summarize(report)})` : "";
        return {
            ...base,
            status: "Succeeded",
            warmup: report,
            message: `CodeDeploy deployment ${deploymentId} shifted alias ${input.alias} of ${name} from version ${fromVersion} to version ${input.targetVersion} (${config})${warmedUp}`,
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

async function findActiveDeployment(run: Run, deployment: DeploymentSettings): Promise<{ id: string; status: string } | undefined> {
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
        const id = page.deployments?.[0];
        if (id !== undefined) {
            const { deploymentInfo } = await run.deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }));
            return { id, status: deploymentInfo?.status ?? "unknown" };
        }
        nextToken = page.nextToken;
    } while (nextToken !== undefined);
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

/** The pre-traffic hook's result for one lifecycle event, within HOOK_REPORT_BUDGET_MS and the deployer's own deadline. */
function readReport(run: Run, logGroup: string, deploymentId: string, eventName: string, createdAt: number): Promise<HookReport | undefined> {
    const { deps } = run;
    return readHookReport(deps.logs, logGroup, deploymentId, eventName, {
        createdAt,
        deadline: Math.min(run.deadline, deps.now() + HOOK_REPORT_BUDGET_MS),
        now: deps.now,
        sleep: deps.sleep,
        log: run.log,
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
    for (const event of await failedLifecycleEvents(run, deploymentId, causes)) {
        const eventName = event.lifecycleEventName ?? "unknown";
        const detail = event.diagnostics?.message ?? "CodeDeploy gave no diagnostics";
        const hook = hookOf(deployment, eventName);
        if (hook === undefined) {
            causes.push(`the ${eventName} step failed: ${detail}`);
            continue;
        }
        hookFailed = true;
        causes.push(`the ${eventName} hook ${hook.name} failed: ${detail}`);
        // Only the pre-traffic hook's log lines are known; it also runs as the built-in smoke check.
        const ours = shortFunctionName(hook.name) === shortFunctionName(deployment.beforeAllowTrafficHook);
        const found = ours ? await readReport(run, hook.logGroup, deploymentId, eventName, createdAt) : undefined;
        if (found !== undefined && !found.verdict.pass && found.verdict.reasons.length > 0) {
            verdicts.push(`The ${eventName} hook's verdict: ${found.verdict.reasons.map(withoutFinalStop).join("; ")}.`);
        } else {
            hookLogGroups.push(hook.logGroup);
        }
    }
    const error = info.errorInformation;
    if (error?.code === "ALARM_ACTIVE") {
        causes.push(`an alarm fired: ${error.message ?? "CodeDeploy named no alarm"}`);
    } else if (!hookFailed && error !== undefined) {
        causes.push(`${error.code ?? "error"}: ${error.message ?? "no message"}`);
    }
    if (causes.length === 0) causes.push("CodeDeploy reported no cause");

    const verb = info.status === "Stopped" ? "was stopped" : "failed";
    let text = `CodeDeploy deployment ${deploymentId} ${verb}: ${causes.map(withoutFinalStop).join("; ")}.`;
    for (const verdict of verdicts) text += ` ${verdict}`;
    const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId !== undefined) {
        const why = info.rollbackInfo?.rollbackMessage;
        text += ` CodeDeploy rolled back with deployment ${rollbackId}${why === undefined ? "" : ` (${why})`}; the alias ${run.input.alias} stays on version ${fromVersion}.`;
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

/** Failed lifecycle events of the deployment's Lambda target; a lookup error becomes a cause instead of hiding the failure. */
async function failedLifecycleEvents(run: Run, deploymentId: string, causes: string[]): Promise<LifecycleEvent[]> {
    try {
        const { targetIds = [] } = await run.deps.codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
        const failed: LifecycleEvent[] = [];
        for (const targetId of targetIds) {
            const { deploymentTarget } = await run.deps.codedeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }));
            for (const event of deploymentTarget?.lambdaTarget?.lifecycleEvents ?? []) if (event.status === "Failed") failed.push(event);
        }
        return failed;
    } catch (err) {
        run.log.warn("deployment.targets-unreadable", { error: err });
        causes.push(`(the lifecycle events could not be read: ${describeError(err)})`);
        return [];
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
        return `The alias ${input.alias} could not be read afterwards (${describeError(err)}); it was on version ${fromVersion} before the deployment.`;
    }
}

// ------------------------------------------------------------ module entry

// Created once per execution environment. No endpoint is set, so the SDK's
// AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_CODEDEPLOY /
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS variables (used by the local rehearsal) apply.
const lambdaClient = new LambdaClient(WARMUP_LAMBDA_CLIENT_CONFIG);
const codedeployClient = new CodeDeployClient({});
const logsClient = new CloudWatchLogsClient({});

export const handler = createHandler({
    lambda: lambdaClient,
    codedeploy: codedeployClient,
    logs: logsClient,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

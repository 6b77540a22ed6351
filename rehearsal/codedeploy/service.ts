/**
 * The CodeDeploy stand-in: the JSON 1.1 API (`X-Amz-Target:
 * CodeDeploy_20141006.<Op>`) for what the deployer and the pre-traffic hook
 * call, and the Lambda deployment lifecycle behind it:
 *
 *   BeforeAllowTraffic hook → AllowTraffic (alias weights per the config,
 *   minutes scaled to `minuteMs`) → AfterAllowTraffic hook → Succeeded
 *
 * A hook is invoked asynchronously with `{DeploymentId,
 * LifecycleEventHookExecutionId}` and must report through
 * PutLifecycleEventHookExecutionStatus; Failed, or no report within the hook
 * timeout, fails the deployment, and with automatic rollback on, the alias is
 * put back on the current version by a rollback deployment. One report per
 * hook execution: a second one gets LifecycleEventAlreadyCompletedException,
 * as from the real service. Error codes and names are CodeDeploy's; the
 * diagnostic sentences are this stand-in's own.
 */
import { randomBytes } from "node:crypto";
import type * as http from "node:http";
import type { Logger } from "../../hooks/log";
import { parseFunctionName } from "../lambda/service";
import { LoopbackApi, readBody } from "../support/net";
import { PREDEFINED_CONFIGS, routingProblem, shiftSteps, type TrafficRouting } from "./traffic";

/** What the stand-in needs from Lambda: the alias, and Event invokes of the hooks. */
export interface LambdaControl {
    aliasState(functionName: string, alias: string): { functionVersion: string; weights: Record<string, number> };
    updateAlias(functionName: string, alias: string, functionVersion: string | undefined, weights: Record<string, number> | undefined): void;
    invokeAsync(functionName: string, qualifier: string | undefined, payload: Buffer): string;
}

export interface CodeDeployOptions {
    lambda: LambdaControl;
    /** One CodeDeploy minute, in real milliseconds (traffic intervals are whole minutes). */
    minuteMs?: number;
    /** How long a hook may take to report; CodeDeploy allows one hour. Default: 60 scaled minutes. */
    hookTimeoutMs?: number;
    log: Logger;
}

export interface DeploymentGroupSettings {
    applicationName: string;
    deploymentGroupName: string;
    deploymentConfigName: string;
    /** Roll back automatically when a deployment fails (DEPLOYMENT_FAILURE), as the component configures it. */
    autoRollback?: boolean;
}

export type DeploymentStatus = "Created" | "InProgress" | "Succeeded" | "Failed" | "Stopped";
type EventStatus = "Pending" | "InProgress" | "Succeeded" | "Failed" | "Skipped";
const LAMBDA_EVENTS = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"] as const;
type LambdaEventName = (typeof LAMBDA_EVENTS)[number];

interface LifecycleEventState {
    lifecycleEventName: LambdaEventName;
    status: EventStatus;
    startTime?: number;
    endTime?: number;
    diagnostics?: { errorCode: string; scriptName: string; message: string; logTail: string };
}

/** One status report as received, accepted or not; what tests count. */
export interface StatusReport {
    deploymentId: string;
    lifecycleEventHookExecutionId: string;
    status: string;
    accepted: boolean;
    error?: string;
    at: number;
}

interface HookExecution {
    id: string;
    deploymentId: string;
    event: LambdaEventName;
    functionName: string;
    status: "Pending" | "Succeeded" | "Failed";
    settle: (status: "Succeeded" | "Failed") => void;
}

interface LambdaResource {
    functionName: string;
    alias: string;
    currentVersion: string;
    targetVersion: string;
}

export interface Deployment {
    deploymentId: string;
    applicationName: string;
    deploymentGroupName: string;
    deploymentConfigName: string;
    description?: string;
    revision: unknown;
    status: DeploymentStatus;
    createTime: number;
    startTime?: number;
    completeTime?: number;
    creator: "user" | "autoRollback";
    resource: LambdaResource;
    hooks: Partial<Record<LambdaEventName, string>>;
    events: LifecycleEventState[];
    targetVersionWeight: number;
    errorInformation?: { code: string; message: string };
    rollbackInfo?: { rollbackDeploymentId?: string; rollbackTriggeringDeploymentId?: string; rollbackMessage?: string };
    stopRequested: boolean;
    autoRollback: boolean;
}

/** An error CodeDeploy returns: `{__type, message}` with HTTP 400. */
export class CodeDeployApiError extends Error {
    constructor(
        readonly type: string,
        message: string,
    ) {
        super(message);
        this.name = type;
    }
}

const TARGET_PREFIX = "CodeDeploy_20141006.";
const ACTIVE: ReadonlySet<DeploymentStatus> = new Set(["Created", "InProgress"]);
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function deploymentIdNew(): string {
    // CodeDeploy ids are "d-" and nine upper-case alphanumerics.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return "d-" + Array.from(randomBytes(9), (b) => alphabet[b % alphabet.length]).join("");
}

export class CodeDeployStandIn extends LoopbackApi {
    readonly deployments = new Map<string, Deployment>();
    readonly statusReports: StatusReport[] = [];
    private readonly groups = new Map<string, Required<DeploymentGroupSettings>>();
    private readonly configs = new Map<string, TrafficRouting>(Object.entries(PREDEFINED_CONFIGS));
    private readonly executions = new Map<string, HookExecution>();
    private readonly running = new Set<Promise<void>>();
    private readonly wakeups = new Set<() => void>();
    private readonly minuteMs: number;
    private readonly hookTimeoutMs: number;

    constructor(private readonly options: CodeDeployOptions) {
        super();
        this.minuteMs = options.minuteMs ?? 1000;
        this.hookTimeoutMs = options.hookTimeoutMs ?? 60 * this.minuteMs;
    }

    async start(): Promise<void> {
        await this.listen();
    }

    async stop(): Promise<void> {
        for (const d of this.deployments.values()) d.stopRequested = true;
        for (const wake of this.wakeups) wake();
        for (const exec of this.executions.values()) if (exec.status === "Pending") exec.settle("Failed");
        await Promise.all([...this.running]);
        await this.close();
    }

    registerDeploymentGroup(settings: DeploymentGroupSettings): void {
        this.groups.set(`${settings.applicationName}/${settings.deploymentGroupName}`, { autoRollback: true, ...settings });
    }

    registerDeploymentConfig(name: string, routing: TrafficRouting): void {
        const problem = routingProblem(routing);
        if (problem) throw new CodeDeployApiError("InvalidDeploymentConfigNameException", problem);
        this.configs.set(name, routing);
    }

    /** Resolves when every deployment has ended. */
    async idle(): Promise<void> {
        while (this.running.size > 0) await Promise.all([...this.running]);
    }

    // ---------------------------------------------------------- operations

    createDeployment(input: Record<string, unknown>): { deploymentId: string } {
        const applicationName = String(input.applicationName ?? "");
        const deploymentGroupName = String(input.deploymentGroupName ?? "");
        const group = this.groups.get(`${applicationName}/${deploymentGroupName}`);
        if (!group) {
            throw new CodeDeployApiError("DeploymentGroupDoesNotExistException", `No Deployment Group found for name: ${deploymentGroupName} of application ${applicationName}`);
        }
        const deploymentConfigName = typeof input.deploymentConfigName === "string" ? input.deploymentConfigName : group.deploymentConfigName;
        if (!this.configs.has(deploymentConfigName)) throw new CodeDeployApiError("DeploymentConfigDoesNotExistException", `No deployment configuration found for name: ${deploymentConfigName}`);
        const { resource, hooks } = parseAppSpec(input.revision);
        const active = [...this.deployments.values()].find((d) => d.applicationName === applicationName && d.deploymentGroupName === deploymentGroupName && ACTIVE.has(d.status));
        if (active) {
            throw new CodeDeployApiError("DeploymentLimitExceededException", `The Deployment Group '${deploymentGroupName}' already has an active Deployment '${active.deploymentId}'`);
        }
        const deployment: Deployment = {
            deploymentId: deploymentIdNew(),
            applicationName,
            deploymentGroupName,
            deploymentConfigName,
            description: typeof input.description === "string" ? input.description : undefined,
            revision: input.revision,
            status: "Created",
            createTime: Date.now(),
            creator: "user",
            resource,
            hooks,
            events: LAMBDA_EVENTS.map((lifecycleEventName) => ({ lifecycleEventName, status: "Pending" })),
            targetVersionWeight: 0,
            stopRequested: false,
            autoRollback: group.autoRollback,
        };
        this.deployments.set(deployment.deploymentId, deployment);
        this.options.log.info("codedeploy.deployment.created", { deploymentId: deployment.deploymentId, ...resource, deploymentConfigName });
        const run = this.runLifecycle(deployment).finally(() => this.running.delete(run));
        this.running.add(run);
        return { deploymentId: deployment.deploymentId };
    }

    putLifecycleEventHookExecutionStatus(input: Record<string, unknown>): { lifecycleEventHookExecutionId: string } {
        const deploymentId = String(input.deploymentId ?? "");
        const executionId = String(input.lifecycleEventHookExecutionId ?? "");
        const status = String(input.status ?? "");
        const report: StatusReport = { deploymentId, lifecycleEventHookExecutionId: executionId, status, accepted: false, at: Date.now() };
        this.statusReports.push(report);
        try {
            if (!this.deployments.has(deploymentId)) throw new CodeDeployApiError("DeploymentDoesNotExistException", `The deployment ${deploymentId} could not be found`);
            const exec = this.executions.get(executionId);
            if (!exec || exec.deploymentId !== deploymentId) {
                throw new CodeDeployApiError("InvalidLifecycleEventHookExecutionIdException", `A lifecycle event hook execution with id ${executionId} does not exist for deployment ${deploymentId}`);
            }
            if (status !== "Succeeded" && status !== "Failed") {
                throw new CodeDeployApiError("InvalidLifecycleEventHookExecutionStatusException", `The status ${status} is not valid: report Succeeded or Failed`);
            }
            if (exec.status !== "Pending") {
                throw new CodeDeployApiError("LifecycleEventAlreadyCompletedException", `The lifecycle event ${exec.event} of deployment ${deploymentId} is already completed`);
            }
            exec.settle(status);
            report.accepted = true;
            return { lifecycleEventHookExecutionId: executionId };
        } catch (err) {
            report.error = (err as Error).name;
            throw err;
        } finally {
            this.options.log.info("codedeploy.hook.status-report", { ...report });
        }
    }

    stopDeployment(input: Record<string, unknown>): { status: string; statusMessage: string } {
        const d = this.get(String(input.deploymentId ?? ""));
        if (!ACTIVE.has(d.status)) throw new CodeDeployApiError("DeploymentAlreadyCompletedException", `The deployment ${d.deploymentId} is already completed`);
        d.stopRequested = true;
        if (input.autoRollbackEnabled === false) d.autoRollback = false;
        for (const wake of this.wakeups) wake();
        for (const exec of this.executions.values()) if (exec.deploymentId === d.deploymentId && exec.status === "Pending") exec.settle("Failed");
        return { status: "Pending", statusMessage: "Stopping the deployment" };
    }

    // ------------------------------------------------------------ lifecycle

    private async runLifecycle(d: Deployment): Promise<void> {
        d.status = "InProgress";
        d.startTime = Date.now();
        try {
            await this.runHook(d, "BeforeAllowTraffic");
            await this.allowTraffic(d);
            await this.runHook(d, "AfterAllowTraffic");
            this.finish(d, "Succeeded");
        } catch (err) {
            const failure = err instanceof LifecycleFailure ? err : new LifecycleFailure("InternalError", (err as Error).message);
            this.finish(d, d.stopRequested ? "Stopped" : "Failed", failure);
        }
    }

    private event(d: Deployment, name: LambdaEventName): LifecycleEventState {
        return d.events.find((e) => e.lifecycleEventName === name) as LifecycleEventState;
    }

    private async runHook(d: Deployment, name: "BeforeAllowTraffic" | "AfterAllowTraffic"): Promise<void> {
        const ev = this.event(d, name);
        const hook = d.hooks[name];
        ev.startTime = Date.now();
        if (hook === undefined) {
            ev.status = "Skipped";
            ev.endTime = ev.startTime;
            return;
        }
        ev.status = "InProgress";
        const id = randomBytes(36).toString("base64");
        const reported = new Promise<"Succeeded" | "Failed">((resolve) => {
            this.executions.set(id, { id, deploymentId: d.deploymentId, event: name, functionName: hook, status: "Pending", settle: (status) => {
                const exec = this.executions.get(id);
                if (exec && exec.status === "Pending") exec.status = status;
                resolve(status);
            } });
        });
        const fail = (message: string, code: string): LifecycleFailure => {
            ev.status = "Failed";
            ev.endTime = Date.now();
            ev.diagnostics = { errorCode: code, scriptName: hook, message, logTail: "" };
            return new LifecycleFailure("HOOK_EXECUTION_FAILURE", `The deployment failed because the ${name} lifecycle event hook ${hook} failed: ${message}`);
        };
        try {
            const { name: fn, qualifier } = parseFunctionName(hook);
            this.options.lambda.invokeAsync(fn, qualifier, Buffer.from(JSON.stringify({ DeploymentId: d.deploymentId, LifecycleEventHookExecutionId: id })));
        } catch (err) {
            (this.executions.get(id) as HookExecution).settle("Failed");
            throw fail(`the hook function could not be invoked: ${(err as Error).message}`, "ScriptMissing");
        }
        this.options.log.info("codedeploy.hook.invoked", { deploymentId: d.deploymentId, lifecycleEvent: name, hook, lifecycleEventHookExecutionId: id });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), this.hookTimeoutMs)));
        const result = await Promise.race([reported, timedOut]);
        clearTimeout(timer);
        if (result === "timeout") {
            // Late reports must now be rejected, as CodeDeploy does after the hour.
            (this.executions.get(id) as HookExecution).settle("Failed");
            throw fail(`the hook did not report a status within ${Math.round(this.hookTimeoutMs / 1000)} s`, "ScriptTimedOut");
        }
        if (d.stopRequested) throw new LifecycleFailure("MANUAL_STOP", "The deployment was stopped by a user");
        if (result === "Failed") throw fail("the hook reported Failed through PutLifecycleEventHookExecutionStatus", "ScriptFailed");
        ev.status = "Succeeded";
        ev.endTime = Date.now();
    }

    private async allowTraffic(d: Deployment): Promise<void> {
        const ev = this.event(d, "AllowTraffic");
        ev.status = "InProgress";
        ev.startTime = Date.now();
        const { functionName, alias, targetVersion } = d.resource;
        const routing = this.configs.get(d.deploymentConfigName) as TrafficRouting;
        for (const step of shiftSteps(routing)) {
            this.options.lambda.updateAlias(functionName, alias, undefined, { [targetVersion]: step.weight });
            d.targetVersionWeight = step.weight;
            this.options.log.info("codedeploy.traffic.shifted", { deploymentId: d.deploymentId, targetVersion, weight: step.weight });
            await this.wait(step.waitMinutes * this.minuteMs);
            if (d.stopRequested) {
                ev.status = "Failed";
                ev.endTime = Date.now();
                throw new LifecycleFailure("MANUAL_STOP", "The deployment was stopped by a user");
            }
        }
        this.options.lambda.updateAlias(functionName, alias, targetVersion, {});
        d.targetVersionWeight = 1;
        this.options.log.info("codedeploy.traffic.shifted", { deploymentId: d.deploymentId, targetVersion, weight: 1 });
        ev.status = "Succeeded";
        ev.endTime = Date.now();
    }

    private wait(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const wake = (): void => {
                clearTimeout(timer);
                this.wakeups.delete(wake);
                resolve();
            };
            const timer = setTimeout(wake, ms);
            this.wakeups.add(wake);
        });
    }

    private finish(d: Deployment, status: DeploymentStatus, failure?: LifecycleFailure): void {
        for (const ev of d.events) if (ev.status === "Pending" || ev.status === "InProgress") ev.status = "Skipped";
        if (failure) d.errorInformation = { code: failure.code, message: failure.message };
        if (status !== "Succeeded" && d.autoRollback) this.rollBack(d);
        d.status = status;
        d.completeTime = Date.now();
        this.options.log.info("codedeploy.deployment.finished", { deploymentId: d.deploymentId, status, error: d.errorInformation });
    }

    /** Puts the alias back on the current version and records the rollback as a deployment of its own. */
    private rollBack(d: Deployment): void {
        const { functionName, alias, currentVersion } = d.resource;
        this.options.lambda.updateAlias(functionName, alias, currentVersion, {});
        d.targetVersionWeight = 0;
        const now = Date.now();
        const rollback: Deployment = {
            ...d,
            deploymentId: deploymentIdNew(),
            status: "Succeeded",
            createTime: now,
            startTime: now,
            completeTime: now,
            creator: "autoRollback",
            description: `Rollback of ${d.deploymentId}`,
            events: LAMBDA_EVENTS.map((lifecycleEventName) => ({ lifecycleEventName, status: "Skipped" as const })),
            errorInformation: undefined,
            rollbackInfo: { rollbackTriggeringDeploymentId: d.deploymentId },
            resource: { ...d.resource, currentVersion: d.resource.targetVersion, targetVersion: currentVersion },
        };
        this.deployments.set(rollback.deploymentId, rollback);
        d.rollbackInfo = { rollbackDeploymentId: rollback.deploymentId, rollbackMessage: `Automatic rollback: alias ${alias} restored to version ${currentVersion}` };
        this.options.log.info("codedeploy.deployment.rolled-back", { deploymentId: d.deploymentId, rollbackDeploymentId: rollback.deploymentId });
    }

    // ---------------------------------------------------------------- reads

    private get(deploymentId: string): Deployment {
        const d = this.deployments.get(deploymentId);
        if (!d) throw new CodeDeployApiError("DeploymentDoesNotExistException", `The deployment ${deploymentId} could not be found`);
        return d;
    }

    deploymentInfo(d: Deployment): object {
        const count = (s: EventStatus): number => d.events.filter((e) => e.status === s).length;
        return {
            applicationName: d.applicationName,
            deploymentGroupName: d.deploymentGroupName,
            deploymentConfigName: d.deploymentConfigName,
            deploymentId: d.deploymentId,
            revision: d.revision,
            status: d.status,
            errorInformation: d.errorInformation,
            createTime: seconds(d.createTime),
            startTime: seconds(d.startTime),
            completeTime: seconds(d.completeTime),
            deploymentOverview: { Pending: count("Pending"), InProgress: count("InProgress"), Succeeded: count("Succeeded"), Failed: count("Failed"), Skipped: count("Skipped"), Ready: 0 },
            description: d.description,
            creator: d.creator,
            rollbackInfo: d.rollbackInfo,
            deploymentStatusMessages: [],
            computePlatform: "Lambda",
        };
    }

    private targetId(d: Deployment): string {
        return `${d.resource.functionName}:${d.resource.alias}`;
    }

    private lambdaTarget(d: Deployment): object {
        const { functionName, alias, currentVersion, targetVersion } = d.resource;
        return {
            deploymentTargetType: "LambdaTarget",
            lambdaTarget: {
                deploymentId: d.deploymentId,
                targetId: this.targetId(d),
                targetArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}:${alias}`,
                status: d.status === "Created" ? "Pending" : d.status === "Stopped" ? "Failed" : d.status,
                lastUpdatedAt: seconds(d.completeTime ?? Date.now()),
                lifecycleEvents: d.events.map((e) => ({ ...e, startTime: seconds(e.startTime), endTime: seconds(e.endTime) })),
                lambdaFunctionInfo: { functionName, functionAlias: alias, currentVersion, targetVersion, targetVersionWeight: d.targetVersionWeight },
            },
        };
    }

    private dispatch(op: string, input: Record<string, unknown>): object {
        switch (op) {
            case "CreateDeployment":
                return this.createDeployment(input);
            case "GetDeployment":
                return { deploymentInfo: this.deploymentInfo(this.get(String(input.deploymentId ?? ""))) };
            case "ListDeployments": {
                const statuses = Array.isArray(input.includeOnlyStatuses) ? (input.includeOnlyStatuses as string[]) : undefined;
                const ids = [...this.deployments.values()]
                    .filter((d) => input.applicationName === undefined || d.applicationName === input.applicationName)
                    .filter((d) => input.deploymentGroupName === undefined || d.deploymentGroupName === input.deploymentGroupName)
                    .filter((d) => statuses === undefined || statuses.includes(d.status))
                    .sort((a, b) => b.createTime - a.createTime)
                    .map((d) => d.deploymentId);
                return { deployments: ids };
            }
            case "ListDeploymentTargets":
                return { targetIds: [this.targetId(this.get(String(input.deploymentId ?? "")))] };
            case "GetDeploymentTarget": {
                const d = this.get(String(input.deploymentId ?? ""));
                if (input.targetId !== this.targetId(d)) throw new CodeDeployApiError("DeploymentTargetDoesNotExistException", `No target ${String(input.targetId)} in deployment ${d.deploymentId}`);
                return { deploymentTarget: this.lambdaTarget(d) };
            }
            case "PutLifecycleEventHookExecutionStatus":
                return this.putLifecycleEventHookExecutionStatus(input);
            case "StopDeployment":
                return this.stopDeployment(input);
            default:
                throw new CodeDeployApiError("UnknownOperationException", `The CodeDeploy stand-in does not implement ${op}`);
        }
    }

    protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        let status = 200;
        let out: object;
        try {
            const target = String(req.headers["x-amz-target"] ?? "");
            if (!target.startsWith(TARGET_PREFIX)) throw new CodeDeployApiError("UnknownOperationException", `Missing or foreign X-Amz-Target: ${target}`);
            const body = (await readBody(req)).toString("utf8");
            const input = JSON.parse(body || "{}") as Record<string, unknown>;
            out = this.dispatch(target.slice(TARGET_PREFIX.length), input);
        } catch (err) {
            status = 400;
            const e = err instanceof CodeDeployApiError ? err : new CodeDeployApiError("InvalidInputException", (err as Error).message);
            out = { __type: e.type, message: e.message };
        }
        const text = JSON.stringify(out);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
    }
}

class LifecycleFailure extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** Reads the Lambda resource and hooks from a JSON AppSpec, as CodeDeploy validates it at CreateDeployment. */
export function parseAppSpec(revision: unknown): { resource: LambdaResource; hooks: Partial<Record<LambdaEventName, string>> } {
    const invalid = (why: string): CodeDeployApiError => new CodeDeployApiError("InvalidRevisionException", `The AppSpec content is invalid: ${why}`);
    const rev = (revision ?? {}) as { revisionType?: string; appSpecContent?: { content?: string }; string?: { content?: string } };
    const content = rev.appSpecContent?.content ?? rev.string?.content;
    if (typeof content !== "string") throw invalid(`revisionType ${rev.revisionType ?? "(none)"} carries no AppSpec content`);
    let spec: { Resources?: unknown; Hooks?: unknown };
    try {
        spec = JSON.parse(content) as typeof spec;
    } catch {
        throw invalid("this stand-in reads JSON AppSpecs only");
    }
    const first = Array.isArray(spec.Resources) ? (spec.Resources[0] as Record<string, unknown> | undefined) : undefined;
    const res = first ? (Object.values(first)[0] as { Type?: string; Properties?: Record<string, unknown> } | undefined) : undefined;
    if (res?.Type !== "AWS::Lambda::Function") throw invalid("Resources[0] must be of Type AWS::Lambda::Function");
    const p = res.Properties ?? {};
    const fields = ["Name", "Alias", "CurrentVersion", "TargetVersion"].map((k) => String(p[k] ?? ""));
    if (fields.some((f) => f === "")) throw invalid("Properties needs Name, Alias, CurrentVersion and TargetVersion");
    const [functionName, alias, currentVersion, targetVersion] = fields as [string, string, string, string];
    if (currentVersion === targetVersion) throw invalid(`CurrentVersion and TargetVersion are both ${currentVersion}`);
    const hooks: Partial<Record<LambdaEventName, string>> = {};
    for (const entry of Array.isArray(spec.Hooks) ? (spec.Hooks as Record<string, unknown>[]) : []) {
        for (const [k, v] of Object.entries(entry)) {
            if (k !== "BeforeAllowTraffic" && k !== "AfterAllowTraffic") throw invalid(`unknown hook ${k} for a Lambda deployment`);
            hooks[k] = String(v);
        }
    }
    return { resource: { functionName, alias, currentVersion, targetVersion }, hooks };
}

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
 *
 * With an IAM gate, every API request is authorized as the role session that
 * signed it (rehearsal/iam/table.ts says which ARN each operation is checked
 * against), and a refusal is answered as CodeDeploy's JSON 1.1 protocol does:
 * HTTP 400 with `__type: AccessDeniedException`. CodeDeploy's own calls
 * (reading and shifting the alias, invoking the hooks, reading the watched
 * alarms, publishing to trigger topics) are authorized against the
 * deployment group's service role; a refused Lambda call fails the
 * deployment with IAM_ROLE_PERMISSIONS and the message CodeDeploy gives
 * ("The IAM role <arn> does not give you permission to perform operations in
 * the following AWS service: AWSLambda. ...", quoted in
 * aws/serverless-application-model#219 and amazon-archives/serverless-app-examples#21).
 */
import { randomBytes } from "node:crypto";
import type * as http from "node:http";
import type { Logger } from "../../hooks/log";
import { RoleNotAssumableError, type Principal } from "../iam/authorize";
import { IamDenied, type IamGate } from "../iam/gate";
import type { Lookup, Params, Service } from "../iam/table";
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
    /** Authorizes API requests and CodeDeploy's own calls (with each group's service role); without it nothing is checked. */
    iam?: IamGate;
    log: Logger;
    /** The state of a CloudWatch alarm (the CloudWatch stand-in's); without it every watched alarm is OK. */
    alarmState?: (name: string) => string;
}

/** A trigger of the deployment group: an SNS topic told about some deployment events (CodeDeploy TriggerConfig). */
export interface TriggerSettings {
    triggerName: string;
    triggerTargetArn: string;
    /** E.g. DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback. */
    triggerEvents: string[];
}

export interface DeploymentGroupSettings {
    applicationName: string;
    deploymentGroupName: string;
    deploymentConfigName: string;
    /** Roll back automatically when a deployment fails (DEPLOYMENT_FAILURE), as the component configures it. */
    autoRollback?: boolean;
    /** The service role CodeDeploy acts as (with an IAM gate, required for its calls to be authorized). */
    serviceRoleArn?: string;
    /** Names of the CloudWatch alarms the group watches (their state is always OK here: there is no CloudWatch stand-in). */
    alarms?: string[];
    /** alarmConfiguration.ignorePollAlarmFailure: go on when the alarms cannot be read (CodeDeploy API reference, AlarmConfiguration). Default false. */
    ignorePollAlarmFailure?: boolean;
    triggers?: TriggerSettings[];
}

interface GroupState extends DeploymentGroupSettings {
    autoRollback: boolean;
    /** CodeDeploy's session of the service role. */
    principal?: Principal;
}

/** One trigger notification CodeDeploy sent, or could not send. */
export interface Notification {
    deploymentId: string;
    triggerName: string;
    topicArn: string;
    event: string;
    delivered: boolean;
    error?: string;
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

/**
 * The session name CodeDeploy gives its service role session is not documented; CodeDeploy's CloudTrail
 * entries show "AWSCodeDeploy", used here only to name the caller in the report and in AccessDenied messages.
 */
export const CODEDEPLOY_SESSION = "AWSCodeDeploy";

/** The AWS service names CodeDeploy's IAM_ROLE_PERMISSIONS message uses, per IAM service prefix. */
const SERVICE_NAMES: Readonly<Record<string, string>> = { lambda: "AWSLambda", cloudwatch: "AmazonCloudWatch", sns: "AmazonSNS" };

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
    readonly notifications: Notification[] = [];
    /** Revisions registered per application (CreateDeployment registers its AppSpec as one). */
    private readonly revisions = new Map<string, unknown[]>();
    private readonly groups = new Map<string, GroupState>();
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

    override async stop(): Promise<void> {
        for (const d of this.deployments.values()) d.stopRequested = true;
        for (const wake of this.wakeups) wake();
        for (const exec of this.executions.values()) if (exec.status === "Pending") exec.settle("Failed");
        await Promise.all([...this.running]);
        await this.close();
    }

    registerDeploymentGroup(settings: DeploymentGroupSettings): void {
        let principal: Principal | undefined;
        if (this.options.iam && settings.serviceRoleArn !== undefined) {
            try {
                principal = this.options.iam.principals.assume(settings.serviceRoleArn, CODEDEPLOY_SESSION, "codedeploy.amazonaws.com");
            } catch (err) {
                // CreateDeploymentGroup refuses a service role CodeDeploy cannot assume (InvalidRoleException, CodeDeploy API reference).
                if (err instanceof RoleNotAssumableError) throw new CodeDeployApiError("InvalidRoleException", err.message);
                throw err;
            }
        }
        this.groups.set(`${settings.applicationName}/${settings.deploymentGroupName}`, { ...settings, autoRollback: settings.autoRollback ?? true, principal });
    }

    /** What the authorization table needs to name a request's resource. */
    readonly lookup: Lookup = {
        deploymentGroupOf: (deploymentId) => {
            const d = this.deployments.get(deploymentId);
            return d ? { applicationName: d.applicationName, deploymentGroupName: d.deploymentGroupName } : undefined;
        },
        deploymentConfigOf: (applicationName, deploymentGroupName) => this.groups.get(`${applicationName}/${deploymentGroupName}`)?.deploymentConfigName,
    };

    registerDeploymentConfig(name: string, routing: TrafficRouting): void {
        const problem = routingProblem(routing);
        if (problem) throw new CodeDeployApiError("InvalidDeploymentConfigNameException", problem);
        this.configs.set(name, routing);
    }

    /** DeleteDeploymentGroup / DeleteDeploymentConfig, for the local `aws` provider (rehearsal/provider). */
    deregisterDeploymentGroup(applicationName: string, deploymentGroupName: string): void {
        this.groups.delete(`${applicationName}/${deploymentGroupName}`);
    }

    deregisterDeploymentConfig(name: string): void {
        if (!(name in PREDEFINED_CONFIGS)) this.configs.delete(name);
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
        this.revisions.set(applicationName, [...(this.revisions.get(applicationName) ?? []), input.revision]);
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
            await this.notify(d, "DeploymentStart");
            const { functionName, alias } = d.resource;
            // CodeDeploy reads the alias and its provisioned concurrency before it shifts anything (CODEDEPLOY_ROLE in rehearsal/iam/table.ts).
            await this.asServiceRole(d, "lambda", "GetAlias", { FunctionName: functionName });
            await this.asServiceRole(d, "lambda", "GetProvisionedConcurrencyConfig", { FunctionName: functionName, Qualifier: alias });
            await this.runHook(d, "BeforeAllowTraffic");
            await this.allowTraffic(d);
            await this.runHook(d, "AfterAllowTraffic");
            await this.finish(d, "Succeeded");
        } catch (err) {
            const failure = err instanceof LifecycleFailure ? err : new LifecycleFailure("InternalError", (err as Error).message);
            await this.finish(d, d.stopRequested || failure.code === "ALARM_ACTIVE" ? "Stopped" : "Failed", failure);
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
            await this.asServiceRole(d, "lambda", "Invoke", { FunctionName: hook });
            this.options.lambda.invokeAsync(fn, qualifier, Buffer.from(JSON.stringify({ DeploymentId: d.deploymentId, LifecycleEventHookExecutionId: id })));
        } catch (err) {
            (this.executions.get(id) as HookExecution).settle("Failed");
            if (err instanceof LifecycleFailure) {
                ev.status = "Failed";
                ev.endTime = Date.now();
                ev.diagnostics = { errorCode: err.code, scriptName: hook, message: err.message, logTail: "" };
                throw err;
            }
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
            await this.readAlarms(d, ev);
            await this.asServiceRole(d, "lambda", "UpdateAlias", { FunctionName: functionName }, ev);
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
        await this.readAlarms(d, ev);
        await this.asServiceRole(d, "lambda", "UpdateAlias", { FunctionName: functionName }, ev);
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

    private async finish(d: Deployment, status: DeploymentStatus, failure?: LifecycleFailure): Promise<void> {
        for (const ev of d.events) if (ev.status === "Pending" || ev.status === "InProgress") ev.status = "Skipped";
        if (failure) d.errorInformation = { code: failure.code, message: failure.message };
        if (status !== "Succeeded" && d.autoRollback) await this.rollBack(d);
        d.status = status;
        d.completeTime = Date.now();
        this.options.log.info("codedeploy.deployment.finished", { deploymentId: d.deploymentId, status, error: d.errorInformation });
        await this.notify(d, status === "Succeeded" ? "DeploymentSuccess" : status === "Stopped" ? "DeploymentStop" : "DeploymentFailure");
    }

    // ------------------------------------------------------------- service role

    /**
     * Authorizes one of CodeDeploy's own calls against the group's service role. A refusal fails the
     * deployment (IAM_ROLE_PERMISSIONS, in CodeDeploy's words), and marks `ev` Failed when given.
     */
    private async asServiceRole(d: Deployment, service: Service, operation: string, params: Params, ev?: LifecycleEventState): Promise<void> {
        const principal = this.groupOf(d)?.principal;
        if (!this.options.iam || !principal) return;
        try {
            await this.options.iam.authorizeAs(principal, service, operation, params, this.lookup);
        } catch (err) {
            if (!(err instanceof IamDenied)) throw err;
            const message =
                `The IAM role ${principal.roleArn} does not give you permission to perform operations in the following AWS service: ${SERVICE_NAMES[service] ?? service}. ` +
                `Contact your AWS administrator if you need help. If you are an AWS administrator, you can grant permissions to your users or groups by creating IAM policies. (${err.message})`;
            this.options.log.warn("codedeploy.service-role.denied", { deploymentId: d.deploymentId, operation: `${service}:${operation}`, error: err.message });
            if (ev) {
                ev.status = "Failed";
                ev.endTime = Date.now();
            }
            throw new LifecycleFailure("IAM_ROLE_PERMISSIONS", message);
        }
    }

    private groupOf(d: Deployment): GroupState | undefined {
        return this.groups.get(`${d.applicationName}/${d.deploymentGroupName}`);
    }

    /**
     * Reads the watched alarms before each traffic step (all OK here). When they cannot be read the deployment
     * stops, unless the group says ignorePollAlarmFailure (CodeDeploy API reference, AlarmConfiguration).
     */
    private async readAlarms(d: Deployment, ev: LifecycleEventState): Promise<void> {
        const group = this.groupOf(d);
        if (!group?.alarms?.length) return;
        try {
            await this.asServiceRole(d, "cloudwatch", "DescribeAlarms", { AlarmNames: group.alarms });
        } catch (err) {
            if (!group.ignorePollAlarmFailure) {
                ev.status = "Failed";
                ev.endTime = Date.now();
                throw err;
            }
            return;
        }
        // An alarm in ALARM stops the deployment (status Stopped) and rolls it back when the group says so
        // (CodeDeploy user guide, "Monitoring deployments with CloudWatch alarms in CodeDeploy").
        const firing = group.alarms.filter((a) => this.options.alarmState?.(a) === "ALARM");
        if (firing.length > 0) {
            ev.status = "Failed";
            ev.endTime = Date.now();
            throw new LifecycleFailure(
                "ALARM_ACTIVE",
                `One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <${firing.join(", ")}>`,
            );
        }
    }

    /** Publishes a trigger event to every topic that asked for it; a refused publish is recorded and does not change the deployment. */
    private async notify(d: Deployment, event: string): Promise<void> {
        for (const t of this.groupOf(d)?.triggers ?? []) {
            if (!t.triggerEvents.includes(event)) continue;
            const note: Notification = { deploymentId: d.deploymentId, triggerName: t.triggerName, topicArn: t.triggerTargetArn, event, delivered: true };
            try {
                await this.asServiceRole(d, "sns", "Publish", { TopicArn: t.triggerTargetArn });
            } catch (err) {
                note.delivered = false;
                note.error = (err as Error).message;
            }
            this.notifications.push(note);
        }
    }

    /** Puts the alias back on the current version and records the rollback as a deployment of its own. */
    private async rollBack(d: Deployment): Promise<void> {
        const { functionName, alias, currentVersion } = d.resource;
        try {
            await this.asServiceRole(d, "lambda", "UpdateAlias", { FunctionName: functionName });
        } catch (err) {
            // Without the grant the alias stays where the failed deployment left it.
            d.rollbackInfo = { rollbackMessage: `Automatic rollback failed: ${(err as Error).message}` };
            return;
        }
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
        await this.notify(d, "DeploymentRollback");
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
            case "GetDeploymentConfig": {
                const name = String(input.deploymentConfigName ?? "");
                const routing = this.configs.get(name);
                if (!routing) throw new CodeDeployApiError("DeploymentConfigDoesNotExistException", `No deployment configuration found for name: ${name}`);
                return { deploymentConfigInfo: { deploymentConfigName: name, computePlatform: "Lambda", trafficRoutingConfig: routing } };
            }
            case "GetApplicationRevision": {
                const applicationName = String(input.applicationName ?? "");
                const wanted = JSON.stringify(input.revision ?? null);
                const found = (this.revisions.get(applicationName) ?? []).find((r) => JSON.stringify(r) === wanted);
                if (found === undefined) throw new CodeDeployApiError("RevisionDoesNotExistException", `No application revision found for application ${applicationName}`);
                return { applicationName, revision: found, revisionInfo: {} };
            }
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
            const op = target.slice(TARGET_PREFIX.length);
            await this.options.iam?.enforce(req.headers, "codedeploy", op, input, this.lookup);
            out = this.dispatch(op, input);
        } catch (err) {
            status = 400;
            const e =
                err instanceof IamDenied
                    ? new CodeDeployApiError(err.code, err.message)
                    : err instanceof CodeDeployApiError
                      ? err
                      : new CodeDeployApiError("InvalidInputException", (err as Error).message);
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

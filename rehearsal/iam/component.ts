/**
 * The component as the rehearsal deploys it: `MangumFunction` instantiated
 * under Pulumi mocks (pulumi.runtime.setMocks, as the component tests do in
 * tests/helpers/pulumi-mocks.ts) with the rehearsal's settings, and every
 * resource the stand-ins need read back from what it registered: each role
 * with its trust policy, inline policies and managed-policy attachments, each
 * function with its role and log group, the deployment group with its service
 * role, alarms and triggers, and the Invocations' inputs. Nothing in the
 * rehearsal grants by hand: the policies evaluated are the component's own.
 *
 * The mocks name resources as the stand-ins do (account 000000000000,
 * us-east-1; a function's log group `/aws/lambda/<function>`; physical names
 * are the logical names, without AWS's random suffixes), so the ARNs in the
 * policies are exactly those the stand-ins authorize against.
 *
 * Renders run one at a time and install process-wide mocks: never call this
 * inside a real Pulumi program.
 */
import * as fs from "node:fs";
import type { WarmupSettings } from "../../hooks/contract";
import { WARMUP_CONFIG_ENV } from "../../hooks/contract";
import { ACCOUNT, REGION, alarmArn, applicationArn, deploymentGroupArn, functionArn, logGroupArn, roleArn } from "./arns";
import type { PolicyDocument, RoleSpec } from "./authorize";

/** The component's name in the rehearsal: its app function is `app`, its hooks `app-pre-traffic`, `app-deployer`, `app-keep-warm`. */
export const COMPONENT_NAME = "app";

export interface RehearsalComponentOptions {
    /** Directory of the app (`code`). */
    appDir: string;
    /** A predefined CodeDeploy config name, e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes. */
    deploymentConfigName: string;
    warmup?: Partial<Pick<WarmupSettings, "concurrency" | "holdMs" | "checks" | "mode" | "path" | "minDistinct" | "failOnCheckError">>;
    /** The app's reserved concurrency (the stand-in's throttle). */
    reservedConcurrency: number;
    /** Extra MangumFunction arguments (e.g. `deployment.errorAlarm`, `deployment.triggers`), merged over the rehearsal's. */
    extraArgs?: Record<string, unknown>;
}

export type HookKind = "pre-traffic" | "deployer" | "keep-warm";

export interface FunctionModel {
    /** Physical name. */
    name: string;
    logicalName: string;
    /** The hook bundle it runs, or undefined for the app. */
    hook?: HookKind;
    roleArn: string;
    logGroup: string;
    handler: string;
    runtime: string;
    timeoutSec: number;
    memoryMb: number;
    reservedConcurrency?: number;
    environment: Record<string, string>;
}

export interface InvocationModel {
    logicalName: string;
    functionName: string;
    /** The `input` JSON as the component writes it (targetVersion is the mocks' version). */
    input: Record<string, unknown>;
    lifecycleScope: "CREATE_ONLY" | "CRUD";
}

export interface DeploymentGroupModel {
    applicationName: string;
    deploymentGroupName: string;
    arn: string;
    serviceRoleArn: string;
    deploymentConfigName: string;
    autoRollback: boolean;
    alarms: string[];
    triggers: { triggerName: string; triggerTargetArn: string; triggerEvents: string[] }[];
}

export interface KeepWarmModel {
    ruleName: string;
    schedule: string;
    functionName: string;
    /** The rule's constant input, as EventBridge delivers it. */
    input: Record<string, unknown>;
}

export interface ComponentModel {
    name: string;
    roles: RoleSpec[];
    functions: FunctionModel[];
    alias: { name: string; functionName: string; description: string };
    invocations: InvocationModel[];
    deploymentGroup?: DeploymentGroupModel;
    keepWarm: KeepWarmModel[];
    /** The warm-up settings the hooks get (MANGUM_WARMUP_CONFIG), as the component renders them. */
    warmup: WarmupSettings;
    /** Log metric filters the component created (the cold-start metric), for the CloudWatch stand-in. */
    metricFilters: { logGroupName: string; filterPattern: string; namespace: string; metricName: string; value: number }[];
    /** CloudWatch alarms the component created, by name. */
    metricAlarms: { name: string; namespace: string; metricName: string; statistic: string; period: number; evaluationPeriods: number; threshold: number; comparisonOperator: string }[];
    /** The arguments the component was given. */
    args: Record<string, unknown>;
}

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
    id: string;
}

/** The version the mocks report for a published function; the rehearsal replaces targetVersion with the real one. */
export const MOCK_VERSION = "1";

function physicalName(type: string, name: string, inputs: Record<string, any>): string {
    if (typeof inputs.name === "string" && inputs.name !== "") return inputs.name;
    // A function's log group is the one Lambda would use by default, so the rehearsal's logs read naturally.
    if (type === "aws:cloudwatch/logGroup:LogGroup" && name.endsWith("-logs")) return `/aws/lambda/${name.slice(0, -"-logs".length)}`;
    return name;
}

/** What AWS (through the provider) would report for each resource, in the rehearsal's account and region. */
function mockState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
    const physical = physicalName(type, name, inputs);
    switch (type) {
        case "aws:lambda/function:Function":
            return { id: physical, state: { name: physical, arn: functionArn(physical), qualifiedArn: functionArn(physical, MOCK_VERSION), version: MOCK_VERSION } };
        case "aws:lambda/alias:Alias":
            return { id: functionArn(inputs.functionName, inputs.name), state: { arn: functionArn(inputs.functionName, inputs.name) } };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { id: physical, state: { name: physical, arn: logGroupArn(physical) } };
        case "aws:iam/role:Role":
            // aws_iam_role's id is the role's name.
            return { id: physical, state: { name: physical, arn: roleArn(physical) } };
        case "aws:codedeploy/application:Application":
            return { id: physical, state: { name: physical, arn: applicationArn(physical) } };
        case "aws:codedeploy/deploymentGroup:DeploymentGroup":
            return { id: `${inputs.appName}:${inputs.deploymentGroupName}`, state: { arn: deploymentGroupArn(inputs.appName, inputs.deploymentGroupName) } };
        case "aws:codedeploy/deploymentConfig:DeploymentConfig":
            return { id: physical, state: { deploymentConfigName: inputs.deploymentConfigName ?? physical } };
        case "aws:cloudwatch/eventRule:EventRule":
            return { id: physical, state: { name: physical, arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${physical}` } };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { id: physical, state: { name: physical, arn: alarmArn(physical) } };
        case "aws:lambda/invocation:Invocation": {
            let input: Record<string, unknown> = {};
            try {
                input = JSON.parse(String(inputs.input)) as Record<string, unknown>;
            } catch {
                // left empty: the model reports the input as the component wrote it
            }
            // A first deploy: no previous alias (alias-origin answers null), version 1 deployed.
            const result =
                input.op === "alias-origin"
                    ? { version: null, fromAlias: null, message: "no previous alias (first deploy)" }
                    : { deploymentId: null, status: "Succeeded", fromVersion: null, toVersion: MOCK_VERSION, warmup: null, message: "rendered under mocks" };
            return { id: `${name}-id`, state: { result: JSON.stringify(result) } };
        }
        default:
            return { id: `${physical}-id`, state: {} };
    }
}

let queue: Promise<unknown> = Promise.resolve();

/** Renders the component under mocks and reads its model back; renders are serialized (the mocks are process-wide). */
export function renderRehearsalComponent(options: RehearsalComponentOptions): Promise<ComponentModel> {
    const next = queue.then(() => render(options));
    queue = next.catch(() => undefined);
    return next;
}

async function render(options: RehearsalComponentOptions): Promise<ComponentModel> {
    if (!fs.existsSync(options.appDir)) throw new Error(`the rehearsal's app directory ${options.appDir} does not exist`);
    // Imported here, not at module load: @pulumi/pulumi's runtime must see the mocks before the component registers anything.
    const pulumi = await import("@pulumi/pulumi");
    const registered: Registered[] = [];
    const failures: unknown[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                const { id, state } = mockState(args.type, args.name, args.inputs);
                const full = { ...args.inputs, ...state };
                registered.push({ type: args.type, name: args.name, inputs: args.inputs, state: full, id });
                return { id, state: full };
            },
            call(args) {
                throw new Error(`unmocked call ${args.token}: the component must not call data sources`);
            },
        },
        "pulumi-mangum-rehearsal",
        "rehearsal",
        false,
    );
    const onRejection = (reason: unknown): void => void failures.push(reason);
    process.on("unhandledRejection", onRejection);
    try {
        const { MangumFunction } = await import("../../components/mangumFunction");
        const { DeploymentConfig } = await import("../../components/deploymentConfig");
        const config = Object.values(DeploymentConfig).find((c) => typeof c === "object" && c !== null && (c as { name?: string }).name === options.deploymentConfigName);
        if (config === undefined) throw new Error(`${options.deploymentConfigName} is not one of the component's predefined DeploymentConfig constants`);
        const extra = options.extraArgs ?? {};
        const args: Record<string, unknown> = {
            code: options.appDir,
            handler: "main.handler",
            http: false,
            reservedConcurrency: options.reservedConcurrency,
            warmup: { checks: ["db"], ...options.warmup },
            keepWarm: { schedule: "rate(5 minutes)" },
            ...extra,
            deployment: { config, ...((extra.deployment as Record<string, unknown> | undefined) ?? {}) },
        };
        new MangumFunction(COMPONENT_NAME, args as unknown as ConstructorParameters<typeof MangumFunction>[1]);
        await settle(registered);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (failures.length > 0) {
        throw new Error(`rendering MangumFunction under mocks failed: ${failures.map((f) => (f instanceof Error ? f.message : String(f))).join("; ")}`);
    }
    return readModel(registered, options);
}

/** Waits until nothing new has been registered for a while (Outputs resolve over several ticks). */
async function settle(registered: Registered[]): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 10) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (registered.length === last) stable += 1;
        else {
            stable = 0;
            last = registered.length;
        }
    }
}

function parseJson<T>(text: unknown, what: string): T {
    if (typeof text !== "string") throw new Error(`${what} is not a JSON string under mocks: ${JSON.stringify(text)}`);
    try {
        return JSON.parse(text) as T;
    } catch (err) {
        throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
    }
}

const HOOKS: HookKind[] = ["pre-traffic", "deployer", "keep-warm"];

function readModel(registered: Registered[], options: RehearsalComponentOptions): ComponentModel {
    const ofType = (type: string): Registered[] => registered.filter((r) => r.type === type);

    const roles: RoleSpec[] = ofType("aws:iam/role:Role").map((r) => {
        const name = r.state.name as string;
        const inline = ofType("aws:iam/rolePolicy:RolePolicy")
            .filter((p) => p.inputs.role === r.id || p.inputs.role === name)
            .map((p) => ({ name: p.name, document: parseJson<PolicyDocument>(p.inputs.policy, `RolePolicy ${p.name}`) }));
        const managed = ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((a) => a.inputs.role === name || a.inputs.role === r.id)
            .map((a) => String(a.inputs.policyArn));
        return { name, arn: r.state.arn as string, trustPolicy: parseJson<PolicyDocument>(r.inputs.assumeRolePolicy, `Role ${name} assumeRolePolicy`), inlinePolicies: inline, managedPolicyArns: managed };
    });
    // Every policy must belong to a registered role: a policy attached to nothing would grant nothing in AWS either.
    for (const p of [...ofType("aws:iam/rolePolicy:RolePolicy"), ...ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]) {
        if (!roles.some((r) => p.inputs.role === r.name)) throw new Error(`${p.type} ${p.name} names role ${String(p.inputs.role)}, which the component did not create`);
    }

    const functions: FunctionModel[] = ofType("aws:lambda/function:Function").map((f) => {
        const name = f.state.name as string;
        const hook = HOOKS.find((h) => f.name === `${COMPONENT_NAME}-${h}`);
        const vars = (f.inputs.environment?.variables ?? {}) as Record<string, string>;
        return {
            name,
            logicalName: f.name,
            hook,
            roleArn: String(f.inputs.role),
            logGroup: String(f.inputs.loggingConfig?.logGroup ?? `/aws/lambda/${name}`),
            handler: String(f.inputs.handler),
            runtime: String(f.inputs.runtime),
            timeoutSec: Number(f.inputs.timeout ?? 3),
            memoryMb: Number(f.inputs.memorySize ?? 128),
            ...(typeof f.inputs.reservedConcurrentExecutions === "number" ? { reservedConcurrency: f.inputs.reservedConcurrentExecutions } : {}),
            environment: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])),
        };
    });
    for (const f of functions) {
        if (!roles.some((r) => r.arn === f.roleArn)) throw new Error(`function ${f.name} runs as ${f.roleArn}, a role the component did not create`);
    }

    const aliases = ofType("aws:lambda/alias:Alias");
    if (aliases.length !== 1) throw new Error(`expected one alias, the component created ${aliases.length}`);
    const aliasInputs = (aliases[0] as Registered).inputs;

    const invocations: InvocationModel[] = ofType("aws:lambda/invocation:Invocation").map((i) => ({
        logicalName: i.name,
        functionName: String(i.inputs.functionName),
        input: parseJson<Record<string, unknown>>(i.inputs.input, `Invocation ${i.name} input`),
        lifecycleScope: i.inputs.lifecycleScope === "CRUD" ? "CRUD" : "CREATE_ONLY",
    }));

    let deploymentGroup: DeploymentGroupModel | undefined;
    const group = ofType("aws:codedeploy/deploymentGroup:DeploymentGroup")[0];
    if (group) {
        const g = group.inputs;
        deploymentGroup = {
            applicationName: String(g.appName),
            deploymentGroupName: String(g.deploymentGroupName),
            arn: String(group.state.arn),
            serviceRoleArn: String(g.serviceRoleArn),
            deploymentConfigName: String(g.deploymentConfigName),
            autoRollback: g.autoRollbackConfiguration?.enabled === true,
            alarms: ((g.alarmConfiguration?.alarms ?? []) as unknown[]).map(String),
            triggers: ((g.triggerConfigurations ?? []) as Record<string, unknown>[]).map((t) => ({
                triggerName: String(t.triggerName),
                triggerTargetArn: String(t.triggerTargetArn),
                triggerEvents: (t.triggerEvents as unknown[]).map(String),
            })),
        };
    }

    const keepWarm: KeepWarmModel[] = ofType("aws:cloudwatch/eventTarget:EventTarget").map((t) => {
        const rule = ofType("aws:cloudwatch/eventRule:EventRule").find((r) => r.state.name === t.inputs.rule);
        const target = functions.find((f) => functionArn(f.name) === t.inputs.arn);
        if (!rule || !target) throw new Error(`EventTarget ${t.name} targets ${String(t.inputs.arn)} on rule ${String(t.inputs.rule)}, which the component did not create`);
        return { ruleName: String(rule.state.name), schedule: String(rule.inputs.scheduleExpression), functionName: target.name, input: parseJson<Record<string, unknown>>(t.inputs.input ?? "{}", `EventTarget ${t.name} input`) };
    });

    const hookWithSettings = functions.find((f) => f.environment[WARMUP_CONFIG_ENV] !== undefined);
    if (!hookWithSettings) throw new Error(`no hook function carries ${WARMUP_CONFIG_ENV}`);
    const warmup = parseJson<WarmupSettings>(hookWithSettings.environment[WARMUP_CONFIG_ENV], WARMUP_CONFIG_ENV);

    const metricFilters = ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter").map((f) => ({
        logGroupName: String(f.inputs.logGroupName),
        filterPattern: String(f.inputs.pattern),
        namespace: String(f.inputs.metricTransformation?.namespace),
        metricName: String(f.inputs.metricTransformation?.name),
        value: Number(f.inputs.metricTransformation?.value ?? 1),
    }));
    const metricAlarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => ({
        name: String(a.state.name ?? a.name),
        namespace: String(a.inputs.namespace),
        metricName: String(a.inputs.metricName),
        statistic: String(a.inputs.statistic),
        period: Number(a.inputs.period),
        evaluationPeriods: Number(a.inputs.evaluationPeriods),
        threshold: Number(a.inputs.threshold),
        comparisonOperator: String(a.inputs.comparisonOperator),
    }));

    return {
        name: COMPONENT_NAME,
        roles,
        functions,
        metricFilters,
        metricAlarms,
        alias: { name: String(aliasInputs.name), functionName: String(aliasInputs.functionName), description: String(aliasInputs.description ?? "") },
        invocations,
        ...(deploymentGroup ? { deploymentGroup } : {}),
        keepWarm,
        warmup,
        args: { appDir: options.appDir, deploymentConfigName: options.deploymentConfigName },
    };
}

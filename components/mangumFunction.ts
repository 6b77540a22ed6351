import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { WarmupSettings } from "../hooks/contract";
import { WARMUP_CONFIG_ENV } from "../hooks/contract";
import { MangumFunctionArgs } from "./args";
import { deploymentConfigArgs } from "./deploymentConfig";
import { alarmArn, arnParts, assumeRolePolicy, Condition, exactArn, logStreamsArn, policyDocument, resourceLessStatement, statement, Statement } from "./iam";
import { coldStartMetric, keepWarmTrafficStatements, readTrafficStatement, trafficSettings } from "./trafficWarmup";
import { MangumArgsError, ResolvedSettings, validateMangumFunctionArgs } from "./validate";

export const MANGUM_FUNCTION_TYPE = "pulumi-mangum:index:MangumFunction";

/** The component package's name: the npm name, which `pulumi package add` turns into every SDK's. */
export const PACKAGE_NAME = "pulumi-mangum";

/**
 * Per-language names of the generated SDKs, added to the schema the plugin serves.
 *
 * The analyzer names the package after package.json (`@scope/name` → namespace `scope`,
 * name `name`: `@pulumi/pulumi` cmd/run-plugin/run.js) and Python's code generator names
 * the module `<namespace or "pulumi">_<name>` (pkg/codegen/python/gen.go `PyPack`), so
 * "pulumi-mangum" would import as `pulumi_pulumi_mangum`. `language.python.packageName`
 * overrides it (the same file, `generateModuleContextMap`). The type token stays
 * `pulumi-mangum:index:MangumFunction`: existing stacks keep their URNs.
 */
export const SDK_LANGUAGE_OPTIONS = {
    python: { packageName: "pulumi_mangum" },
} as const;

/**
 * `pulumi package add` runs this package as a plugin (PulumiPlugin.yaml, `runtime: nodejs`):
 * @pulumi/pulumi's run-plugin hosts every exported ComponentResource with its own
 * ComponentProvider, whose schema comes from `generateSchema` in
 * provider/experimental/schema.js, looked up on that module at each call. There is no option
 * for language settings, so that one function is wrapped, for this package's schema only.
 * tests/schema.test.ts asks a ComponentProvider for the schema as the plugin host does, so a
 * change in @pulumi/pulumi that bypasses the wrapper fails there.
 */
function addSdkLanguageOptions(): void {
    let schemaModule: { generateSchema?: (...args: unknown[]) => unknown; __pulumiMangum?: boolean };
    try {
        // Not `import`: the wrapper must replace the property on the module object itself.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        schemaModule = require("@pulumi/pulumi/provider/experimental/schema");
    } catch {
        return; // an @pulumi/pulumi without source-based components: nothing to name
    }
    const original = schemaModule.generateSchema;
    if (typeof original !== "function" || schemaModule.__pulumiMangum) return;
    schemaModule.generateSchema = (...args: unknown[]) => {
        const schema = original(...args) as { name?: string; language?: Record<string, Record<string, unknown>> };
        if (schema?.name !== PACKAGE_NAME) return schema;
        const language = { ...(schema.language ?? {}) };
        for (const [lang, options] of Object.entries(SDK_LANGUAGE_OPTIONS)) language[lang] = { ...(language[lang] ?? {}), ...options };
        return { ...schema, language };
    };
    schemaModule.__pulumiMangum = true;
}
addSdkLanguageOptions();

/** What became of a new version on one `pulumi up`. */
export const DeploymentStatus = {
    /** The alias serves the new version. */
    Succeeded: "Succeeded",
    /** CodeDeploy is still shifting traffic (the deployer stopped waiting). */
    InProgress: "InProgress",
    /** Nothing was shifted; `reason` says why. */
    Skipped: "Skipped",
} as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

/** Why a deployment was skipped. */
export const DeploymentSkipReason = {
    /** The component's deployer Invocation was deleted. */
    Delete: "delete",
    /** The alias already served the version. */
    AlreadyLive: "already-live",
} as const;
export type DeploymentSkipReason = (typeof DeploymentSkipReason)[keyof typeof DeploymentSkipReason];

/**
 * What the deployer returns for one `pulumi up`; the component's `deployment` output. Fields
 * marked optional are absent, or null in what the deployer wrote, when they do not apply
 * (the schema has no "string or null").
 */
export interface DeploymentSummary {
    /** The CodeDeploy deployment; absent without CodeDeploy or when nothing was deployed. */
    deploymentId?: string;
    status: DeploymentStatus;
    /** The version the alias served before; absent on the first deploy. */
    fromVersion?: string;
    toVersion: string;
    /** The warm-up report of the new version (see docs/warmup-protocol.md); absent when none could be read. */
    warmup?: Record<string, any>;
    /** One sentence on what happened. */
    message: string;
    /** Why nothing was shifted: the resource was deleted, or the alias already served the version. */
    reason?: DeploymentSkipReason;
}

/** The CodeDeploy application and deployment group of a component with deployments enabled. */
export interface CodeDeployResources {
    application: aws.codedeploy.Application;
    deploymentGroup: aws.codedeploy.DeploymentGroup;
}

/**
 * Resolved settings per component, kept off the instance: every class property is an output of
 * the component package's schema, and these are TypeScript values (Outputs, archives) that no
 * other language could read.
 */
const RESOLVED = new WeakMap<object, ResolvedSettings>();

/** The hook functions the component deploys, each a small Node 24 function bundled at build time. */
export interface MangumHooks {
    /** Moves the alias on every change (through CodeDeploy, or directly when `deployment: false`). */
    deployer: aws.lambda.Function;
    /** Warms and checks the new version before CodeDeploy moves traffic; absent when `deployment: false`. */
    preTraffic?: aws.lambda.Function;
    /** Fans warm-up invocations out to the alias on a schedule; absent when `keepWarm: false`. */
    keepWarm?: aws.lambda.Function;
}

const HOOK_RUNTIME = "nodejs24.x";
const HOOK_MEMORY_MB = 256;
/** The deployer waits on CodeDeploy inside `pulumi up`; Lambda's maximum lets a canary finish in one call. */
const DEPLOYER_TIMEOUT_S = 900;
const KEEP_WARM_TIMEOUT_S = 60;

/**
 * The alias's description carries this marker: the deployer's `alias-origin`
 * op recognises the component's alias by it when `aliasName` changes, and
 * starts the new alias on the version the old one serves.
 */
export const ALIAS_MARKER = "moved between versions by pulumi-mangum";
const ALIAS_DESCRIPTION = `Takes the traffic; ${ALIAS_MARKER}'s deployer.`;

/**
 * `lambda:SourceFunctionArn` is in the request context of every call made
 * with the execution role's credentials from inside the execution
 * environment, and absent from the EC2 calls Lambda itself makes to create
 * and delete the function's network interfaces (Lambda developer guide,
 * "Using source function ARN to control function access behavior",
 * permissions-source-function-arn). Requiring it to be absent gives the ENI
 * grants to Lambda's control plane and none to the app's code.
 */
const ONLY_LAMBDA_SERVICE: Condition = { Null: { "lambda:SourceFunctionArn": "true" } };

/**
 * No `environment` block at all when there are no variables: an empty map
 * gives a perpetual diff (terraform-provider-aws #29255), and with
 * `publish: true` a new version and a redeploy on every `up`
 * (terraform-provider-aws #43763).
 */
function environmentBlock(
    env: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined,
): pulumi.Input<aws.types.input.lambda.FunctionEnvironment> | undefined {
    if (env === undefined || env === null) return undefined;
    if (pulumi.Output.isInstance(env) || typeof (env as PromiseLike<unknown>).then === "function") {
        return pulumi
            .output(env)
            .apply((vars) => (vars && Object.keys(vars).length > 0 ? { variables: vars } : undefined)) as pulumi.Output<aws.types.input.lambda.FunctionEnvironment>;
    }
    const vars = env as Record<string, pulumi.Input<string>>;
    return Object.keys(vars).length > 0 ? { variables: vars } : undefined;
}

/**
 * The version the alias-origin op found the previous alias on, or undefined
 * (first deploy). Anything but a published version number fails the update:
 * falling back to the newest version would bypass the warm-up (issue 10 item 3).
 */
export function originVersion(result: string): string | undefined {
    let parsed: unknown;
    try {
        parsed = JSON.parse(result);
    } catch {
        throw new Error(`pulumi-mangum: the deployer's alias-origin answer is not JSON: ${result.slice(0, 200)}`);
    }
    const version = (parsed as { version?: unknown } | null)?.version;
    if (version === null || version === undefined) return undefined;
    if (typeof version === "string" && /^[0-9]+$/.test(version)) return version;
    throw new Error(
        `pulumi-mangum: the previous alias points at ${JSON.stringify(version)}, not a published version; ` +
            `point it at a published version (aws lambda update-alias) before renaming the alias.`,
    );
}

/**
 * Finds a hook bundle built by `npm run build` (scripts/bundle-hooks.mjs). The
 * compiled package lives in bin/components and the sources in components/, so
 * search upwards rather than assume a depth.
 */
export function hookBundlePath(hook: "deployer" | "pre-traffic" | "keep-warm"): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "dist", "hooks", `${hook}.js`);
        if (fs.existsSync(candidate)) return candidate;
        if (path.dirname(dir) === dir) break;
    }
    throw new Error(`pulumi-mangum: the bundled hook dist/hooks/${hook}.js is missing; run \`npm run build\` in the pulumi-mangum package.`);
}

/**
 * A Python ASGI app (FastAPI, Starlette, …) wrapped by Mangum on AWS Lambda,
 * deployed so that cold starts never reach users: every change publishes a
 * version, warms N distinct execution environments of it and checks them end
 * to end before CodeDeploy shifts the alias, and schedules keep the alias warm.
 */
export class MangumFunction extends pulumi.ComponentResource {
    /** The app function. */
    public readonly function!: aws.lambda.Function;
    /** The app function's execution role. */
    public readonly role!: aws.iam.Role;
    /** The version published by this update. */
    public readonly version!: pulumi.Output<string>;
    /** The alias that takes traffic (CodeDeploy moves it between versions). */
    public readonly alias!: aws.lambda.Alias;
    public readonly aliasArn!: pulumi.Output<string>;
    /** The public URL (function URL or HTTP API endpoint); undefined when `http: "none"`. */
    public readonly url!: pulumi.Output<string | undefined>;
    /** What the deployer did on this update: deployment id, status, versions and the warm-up report. */
    public readonly deployment!: pulumi.Output<DeploymentSummary>;
    public readonly hooks!: MangumHooks;
    /** The CodeDeploy application and deployment group; absent when `deployment.enabled` is false. */
    public readonly codedeploy?: CodeDeployResources;

    /** The arguments with every default applied (TypeScript only: not an output of the component). */
    get settings(): ResolvedSettings {
        return RESOLVED.get(this)!;
    }

    constructor(name: string, args: MangumFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything: bad input must not leave a half-created stack.
        const settings = validateMangumFunctionArgs(name, args);
        const grantProblems = grantInputProblems(settings);
        if (grantProblems.length > 0) throw new MangumArgsError(name, grantProblems);
        const hookPaths = {
            deployer: hookBundlePath("deployer"),
            preTraffic: settings.deployment ? hookBundlePath("pre-traffic") : undefined,
            keepWarm: settings.keepWarm.length > 0 ? hookBundlePath("keep-warm") : undefined,
        };
        super(MANGUM_FUNCTION_TYPE, name, {}, opts);
        RESOLVED.set(this, settings);
        const parent = { parent: this };
        const tags = settings.tags;

        if (settings.http === "function-url" && settings.functionUrlAuth === "NONE" && settings.reservedConcurrency === undefined && pulumi.runtime.isDryRun()) {
            pulumi.log.warn(
                `the function URL is public (functionUrlAuth "NONE") and reservedConcurrency is unset: anyone who finds the URL can scale the app ` +
                    `up to the account's whole concurrency (throttling your other functions) and run up its bill. Cap it with \`reservedConcurrency\` ` +
                    `(leave room for warmup.concurrency and the keep-warm schedules), or put it behind \`http: "http-api"\` (throttled) or \`functionUrlAuth: "AWS_IAM"\`.`,
                this,
            );
        }

        // ---- The app function ------------------------------------------------
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: settings.logRetentionDays, tags }, parent);
        const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), tags }, parent);
        const roleDeps: pulumi.Resource[] = [
            new aws.iam.RolePolicy(
                `${name}-role-logs`,
                {
                    role: role.id,
                    policy: policyDocument([
                        // Lambda writes the function's output with the execution role; the app may write only to
                        // its own group, never to a hook's (the deployer trusts the pre-traffic hook's lines).
                        // Service Authorization Reference (CloudWatch Logs): both act on the log-stream resource type.
                        statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [logStreamsArn(logGroup.arn)]),
                    ]),
                },
                parent,
            ),
        ];
        if (settings.vpc) {
            roleDeps.push(new aws.iam.RolePolicy(`${name}-role-vpc`, { role: role.id, policy: policyDocument(vpcStatements(logGroup.arn, settings.vpc)) }, parent));
        }
        // Resource names keep the index the grant had in `policies` (0.1's names), so upgrading moves nothing.
        for (const { key, arn } of settings.policies.managed) {
            roleDeps.push(new aws.iam.RolePolicyAttachment(`${name}-role-${key}`, { role: role.name, policyArn: arn }, parent));
        }
        for (const { key, statement: s } of settings.policies.statements) {
            roleDeps.push(
                new aws.iam.RolePolicy(
                    `${name}-role-${key}`,
                    { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...s }] }) },
                    parent,
                ),
            );
        }

        const code = settings.code;
        const environment = environmentBlock(settings.environment);
        const fn = new aws.lambda.Function(
            name,
            {
                role: role.arn,
                code,
                handler: settings.handler,
                runtime: settings.runtime,
                architectures: [settings.architecture],
                memorySize: settings.memorySize,
                timeout: settings.timeout,
                publish: true,
                ...(environment !== undefined ? { environment } : {}),
                ...(settings.vpc ? { vpcConfig: { subnetIds: settings.vpc.subnetIds, securityGroupIds: settings.vpc.securityGroupIds } } : {}),
                ...(settings.layers !== undefined ? { layers: settings.layers } : {}),
                ...(settings.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: settings.reservedConcurrency } : {}),
                ...(settings.snapStart ? { snapStart: { applyOn: "PublishedVersions" } } : {}),
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
                tags,
            },
            { parent: this, dependsOn: [logGroup, ...roleDeps] },
        );

        // `function:NAME:*`: every version and alias of this one function and nothing else. Invoke with a
        // Qualifier is authorized on the qualified ARN (Lambda developer guide, "Resources and conditions for
        // Lambda actions": Invoke takes Function, Function version or Function alias).
        const qualifiedArns = pulumi.interpolate`${fn.arn}:*`;
        // Traffic-aware warm-up (issue 15, components/trafficWarmup.ts): the hooks size from the alias's peak.
        const traffic = trafficSettings(settings.warmup.traffic, settings.reservedConcurrency);
        const warmupSettings: pulumi.Output<WarmupSettings> = pulumi.output(fn.name).apply((functionName) => ({
            functionName,
            alias: settings.aliasName,
            concurrency: settings.warmup.concurrency,
            holdMs: settings.warmup.holdMs,
            ...(settings.warmup.checks ? { checks: settings.warmup.checks } : {}),
            mode: settings.warmup.mode,
            ...(settings.warmup.path ? { path: settings.warmup.path } : {}),
            minDistinct: settings.warmup.minDistinct,
            failOnCheckError: settings.warmup.failOnCheckError,
            ...(settings.warmup.yieldToUsersMs > 0 ? { yieldToUsersMs: settings.warmup.yieldToUsersMs } : {}),
            ...(traffic !== undefined ? { traffic } : {}),
        }));
        // GetFunctionConfiguration(FunctionName, Qualifier=version) before warming a version (SnapStart versions
        // stay Pending for minutes). The Lambda developer guide's table and the Service Authorization Reference
        // name only the "function" resource type for it, while a qualified request is identified by its qualified
        // ARN as Invoke's is; both forms are granted so the wait works whichever one IAM evaluates, and neither
        // reaches beyond this function.
        const waitForActive = () => statement("WaitForActiveVersion", ["lambda:GetFunctionConfiguration"], [fn.arn, qualifiedArns]);

        const hook = (role: string, bundle: string, timeout: number, description: string, statements: Statement[], environment: Record<string, pulumi.Input<string>>) => {
            const logs = new aws.cloudwatch.LogGroup(`${name}-${role}-logs`, { retentionInDays: settings.logRetentionDays, tags }, parent);
            const hookRole = new aws.iam.Role(`${name}-${role}-role`, { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), tags }, parent);
            const policy = new aws.iam.RolePolicy(
                `${name}-${role}-policy`,
                { role: hookRole.id, policy: policyDocument([statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [logStreamsArn(logs.arn)]), ...statements]) },
                parent,
            );
            const hookEnvironment = environmentBlock(environment);
            const fn = new aws.lambda.Function(
                `${name}-${role}`,
                {
                    description,
                    role: hookRole.arn,
                    code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.FileAsset(bundle) }),
                    handler: "index.handler",
                    runtime: HOOK_RUNTIME,
                    architectures: ["arm64"],
                    memorySize: HOOK_MEMORY_MB,
                    timeout,
                    ...(hookEnvironment !== undefined ? { environment: hookEnvironment } : {}),
                    loggingConfig: { logFormat: "JSON", logGroup: logs.name },
                    tags,
                },
                { parent: this, dependsOn: [logs, policy] },
            );
            return { fn, logs };
        };
        const warmupEnv = { [WARMUP_CONFIG_ENV]: pulumi.jsonStringify(warmupSettings) };
        // The metric of user-facing cold starts, with traffic-aware warm-ups or the cold-start alarm.
        const coldStartAlarm = settings.deployment ? settings.deployment.coldStartAlarm : ({ enabled: false } as const);
        const coldStarts =
            settings.warmup.traffic.enabled || coldStartAlarm.enabled
                ? coldStartMetric(name, parent, { name: fn.name, logGroupName: logGroup.name, alias: settings.aliasName }, coldStartAlarm, tags)
                : undefined;

        // ---- CodeDeploy --------------------------------------------------------
        let deploymentInput: pulumi.Output<unknown> = pulumi.output(null);
        let preTraffic: aws.lambda.Function | undefined;
        const deployerStatements: Statement[] = [
            // Alias APIs are authorized on the UNQUALIFIED function ARN, not the alias ARN (Lambda developer guide,
            // "Resources and conditions for Lambda actions": GetAlias, ListAliases → Function; Service Authorization
            // Reference (AWS Lambda): resource type "function"). GetAlias reads the serving version; ListAliases
            // finds the previous alias for the alias-origin op.
            statement("ReadAliases", ["lambda:GetAlias", "lambda:ListAliases"], [fn.arn]),
            waitForActive(),
            // On the first deploy (and with deployment: false) the deployer warms the new version itself.
            statement("WarmVersions", ["lambda:InvokeFunction"], [qualifiedArns]),
        ];
        const deployerDeps: pulumi.Resource[] = [];
        let servicePolicy: aws.iam.RolePolicy | undefined;
        let group: aws.codedeploy.DeploymentGroup | undefined;
        if (settings.deployment) {
            const dep = settings.deployment;
            const application = new aws.codedeploy.Application(`${name}-app`, { computePlatform: "Lambda", tags }, parent);
            const config =
                dep.config.kind === "custom" ? new aws.codedeploy.DeploymentConfig(`${name}-config`, deploymentConfigArgs(dep.config), parent) : undefined;
            const configName: pulumi.Input<string> = config ? config.deploymentConfigName : dep.config.kind === "predefined" ? dep.config.name : "";
            const region = arnParts(application.arn);
            const groupName = `${name}-group`;
            const groupArn = pulumi.interpolate`${application.arn.apply((a) => a.replace(":application:", ":deploymentgroup:"))}/${groupName}`;

            const preTrafficHook = hook("pre-traffic", hookPaths.preTraffic!, settings.warmup.timeoutSeconds, "Warms and checks a new version before CodeDeploy moves traffic to it.", [
                waitForActive(),
                ...(traffic !== undefined ? [readTrafficStatement()] : []),
                statement("WarmNewVersion", ["lambda:InvokeFunction"], [qualifiedArns]),
                // GetDeployment: Service Authorization Reference (AWS CodeDeploy) → deploymentgroup. For
                // PutLifecycleEventHookExecutionStatus the reference lists no resource type, while CodeDeploy's own
                // permissions reference (auth-and-access-control-permissions-reference) names the deployment group ARN
                // and the CodeDeploy user guide's SAM tutorial (tutorial-lambda-sam-template) scopes it to the group
                // and works: we follow the documented working behaviour.
                statement("ReadAndReportOwnDeployments", ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"], [groupArn]),
            ], { ...warmupEnv, MANGUM_TARGET_VERSION: fn.version });
            preTraffic = preTrafficHook.fn;

            const postTrafficFn =
                dep.postTraffic === "smoke"
                    ? { name: preTraffic.name as pulumi.Input<string>, arn: preTraffic.arn as pulumi.Input<string> }
                    : dep.postTraffic
                      ? { name: dep.postTraffic.functionName, arn: exactArn(dep.postTraffic.functionArn, "deployment.postTraffic.functionArn") }
                      : undefined;

            // The alarms CodeDeploy watches, by name for the group and by ARN for the service role's DescribeAlarms.
            const alarmNames: pulumi.Input<string>[] = [];
            const alarmArns: pulumi.Input<string>[] = [];
            if (coldStarts?.alarm) {
                alarmNames.push(coldStarts.alarm.name);
                alarmArns.push(coldStarts.alarm.arn);
            }
            if (dep.errorAlarm) {
                const alarm = new aws.cloudwatch.MetricAlarm(
                    `${name}-errors`,
                    {
                        alarmDescription: pulumi.interpolate`Errors on ${fn.name}:${settings.aliasName}; stops a CodeDeploy deployment and rolls the alias back.`,
                        namespace: "AWS/Lambda",
                        metricName: "Errors",
                        dimensions: { FunctionName: fn.name, Resource: pulumi.interpolate`${fn.name}:${settings.aliasName}` },
                        statistic: "Sum",
                        period: 60,
                        evaluationPeriods: dep.errorAlarm.evaluationPeriods,
                        threshold: dep.errorAlarm.threshold,
                        comparisonOperator: "GreaterThanOrEqualToThreshold",
                        treatMissingData: "notBreaching",
                        tags,
                    },
                    parent,
                );
                alarmNames.push(alarm.name);
                alarmArns.push(alarm.arn);
            }
            dep.alarms.forEach((a, i) => {
                // isInstance, not instanceof: a program's @pulumi/aws is often another copy than ours (a `file:`
                // dependency always is), and isInstance compares the type token the copies share.
                if (aws.cloudwatch.MetricAlarm.isInstance(a)) {
                    alarmNames.push(a.name);
                    alarmArns.push(a.arn);
                } else {
                    alarmNames.push(a);
                    alarmArns.push(alarmArn(region, exactArn(a, `deployment.alarms[${i}]`)));
                }
            });

            // CodeDeploy's service role, written out rather than AWSCodeDeployRoleForLambdaLimited, whose
            // lambda:UpdateAlias on "*" would let anyone who may create a deployment in this group repoint any
            // alias in the account. The actions are exactly those the AWS-managed policy (v1, AWS managed policy
            // reference) grants for a Lambda deployment, each on the ARNs of this component; its S3 statements are
            // left out because the deployer sends the AppSpec inline (revisionType AppSpecContent), never from S3.
            const serviceRole = new aws.iam.Role(`${name}-codedeploy-role`, { assumeRolePolicy: assumeRolePolicy("codedeploy.amazonaws.com"), tags }, parent);
            const serviceStatements = [
                // Reads and shifts the alias: alias APIs are authorized on the unqualified function ARN (Lambda
                // developer guide, "Resources and conditions for Lambda actions"; Service Authorization Reference).
                statement("ReadAndShiftOwnAlias", ["lambda:GetAlias", "lambda:UpdateAlias"], [fn.arn]),
                // Service Authorization Reference (AWS Lambda): GetProvisionedConcurrencyConfig takes the
                // "function alias" and "function version" resource types, both matched by function:NAME:*.
                statement("ReadOwnProvisionedConcurrency", ["lambda:GetProvisionedConcurrencyConfig"], [qualifiedArns]),
                // CodeDeploy invokes the hooks the AppSpec names (unqualified function names), so the grant is on their
                // unqualified ARNs; the managed policy's CodeDeployHook_* grant is not needed.
                statement("InvokeOwnHooks", ["lambda:InvokeFunction"], [preTraffic.arn, ...(postTrafficFn && dep.postTraffic !== "smoke" ? [postTrafficFn.arn] : [])]),
            ];
            if (alarmArns.length > 0) {
                // Service Authorization Reference (Amazon CloudWatch): DescribeAlarms takes the alarm resource type.
                // Composite alarms are returned only to a grant on "*" (CloudWatch API reference, DescribeAlarms).
                serviceStatements.push(statement("ReadWatchedAlarms", ["cloudwatch:DescribeAlarms"], alarmArns));
            }
            if (dep.triggers.length > 0) {
                // Service Authorization Reference (Amazon SNS): Publish takes the topic resource type.
                serviceStatements.push(
                    statement("NotifyTriggerTopics", ["sns:Publish"], dep.triggers.map((t, i) => exactArn(t.topicArn, `deployment.triggers[${i}].topicArn`))),
                );
            }
            servicePolicy = new aws.iam.RolePolicy(`${name}-codedeploy-hooks`, { role: serviceRole.id, policy: policyDocument(serviceStatements) }, parent);

            group = new aws.codedeploy.DeploymentGroup(
                `${name}-group`,
                {
                    appName: application.name,
                    deploymentGroupName: groupName,
                    serviceRoleArn: serviceRole.arn,
                    deploymentConfigName: configName,
                    deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
                    autoRollbackConfiguration: {
                        enabled: true,
                        events: alarmNames.length > 0 ? ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] : ["DEPLOYMENT_FAILURE"],
                    },
                    ...(alarmNames.length > 0 ? { alarmConfiguration: { enabled: true, alarms: alarmNames } } : {}),
                    ...(dep.triggers.length > 0
                        ? { triggerConfigurations: dep.triggers.map((t) => ({ triggerName: t.name, triggerTargetArn: t.topicArn, triggerEvents: t.events })) }
                        : {}),
                    tags,
                },
                { parent: this, dependsOn: [servicePolicy] },
            );
            this.codedeploy = { application, deploymentGroup: group };

            const configArn = config
                ? pulumi.interpolate`arn:${region.partition}:codedeploy:${region.region}:${region.account}:deploymentconfig:${config.deploymentConfigName}`
                : pulumi.interpolate`arn:${region.partition}:codedeploy:${region.region}:${region.account}:deploymentconfig:${configName}`;
            deployerStatements.push(
                // Service Authorization Reference (AWS CodeDeploy): CreateDeployment, GetDeployment and ListDeployments
                // take the deploymentgroup resource type (ListDeployments only when given the group, as the deployer
                // does). For ListDeploymentTargets and GetDeploymentTarget the reference lists no resource type while
                // CodeDeploy's permissions reference names the deployment group ARN; we follow CodeDeploy's reference,
                // as for PutLifecycleEventHookExecutionStatus above. The deployer reads targets only to explain a
                // failure, and says so when it cannot.
                statement(
                    "RunOwnDeployments",
                    ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:ListDeployments", "codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"],
                    [groupArn],
                ),
                // CodeDeploy permissions reference, note 1: CreateDeployment also needs GetDeploymentConfig on the config
                // and RegisterApplicationRevision/GetApplicationRevision on the application (the AppSpec is a revision).
                statement("ReadOwnDeploymentConfig", ["codedeploy:GetDeploymentConfig"], [configArn]),
                statement("RegisterOwnRevisions", ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"], [application.arn]),
                // The hook's report (why a version was refused) reaches `pulumi up` through its log line.
                // FilterLogEvents is checked against log-group:NAME:* (CloudWatch Logs user guide,
                // iam-access-control-overview-cwl; Service Authorization Reference: log-group resource type).
                statement("ReadPreTrafficReport", ["logs:FilterLogEvents"], [logStreamsArn(preTrafficHook.logs.arn)]),
            );
            deployerDeps.push(group, preTraffic, servicePolicy);
            deploymentInput = pulumi.output({
                applicationName: application.name,
                deploymentGroupName: group.deploymentGroupName,
                beforeAllowTrafficHook: preTraffic.name,
                beforeAllowTrafficLogGroup: preTrafficHook.logs.name,
                ...(postTrafficFn ? { afterAllowTrafficHook: postTrafficFn.name } : {}),
                ...(dep.postTraffic === "smoke" ? { afterAllowTrafficLogGroup: preTrafficHook.logs.name } : {}),
                ...(coldStarts !== undefined ? { coldStartMetric: coldStarts.metric } : {}),
            });
            // The deployer counts the deployment's user-facing cold starts into the `deployment` output.
            if (coldStarts !== undefined) deployerStatements.push(readTrafficStatement());
        } else {
            // Without CodeDeploy the deployer moves the alias itself, after the warm-up passed; UpdateAlias is
            // authorized on the unqualified function ARN (Lambda developer guide; Service Authorization Reference).
            deployerStatements.push(statement("MoveAlias", ["lambda:UpdateAlias"], [fn.arn]));
        }

        // ---- The deployer --------------------------------------------------------
        const deployer = hook("deployer", hookPaths.deployer, DEPLOYER_TIMEOUT_S, "Moves the alias to each new version through CodeDeploy (pulumi-mangum).", deployerStatements, {}).fn;

        // ---- The alias -------------------------------------------------------------
        // Which version a NEW alias starts on. lifecycleScope is the provider's default CREATE_ONLY: the deployer
        // runs on create and again only on a replacement, which `functionName` (ForceNew) or a change of `input`
        // (ForceNew under CREATE_ONLY) causes (terraform-provider-aws internal/service/lambda/invocation.go,
        // customizeDiffInputChangeWithCreateOnlyScope; Pulumi aws.lambda.Invocation docs: "CREATE_ONLY will invoke
        // the function only on creation or replacement"). fn.version is deliberately not in the input, so this runs
        // on the first `up` and whenever the alias or function name changes, never on a new version.
        const aliasOrigin = new aws.lambda.Invocation(
            `${name}-alias-origin`,
            {
                functionName: deployer.name,
                input: pulumi.jsonStringify({ op: "alias-origin", functionName: fn.name, alias: settings.aliasName, marker: ALIAS_MARKER }),
            },
            { parent: this, dependsOn: [deployer] },
        );
        // A renamed alias is a replacement, created from the inputs as they are now: without this it would start on
        // the newest version, unwarmed and unchecked. It starts on the version the previous alias serves instead
        // (the first deploy has none: fn.version). After creation CodeDeploy (or the deployer) owns the version and
        // the routing, and nothing else of the alias may change in place: an UpdateAlias sent for the description
        // would also send the version kept in state and undo CodeDeploy's last shift.
        const aliasVersion = pulumi.all([aliasOrigin.result, fn.version]).apply(([r, v]) => originVersion(r) ?? v);
        const alias = new aws.lambda.Alias(
            `${name}-alias`,
            {
                name: settings.aliasName,
                functionName: fn.name,
                functionVersion: aliasVersion,
                description: ALIAS_DESCRIPTION,
            },
            { parent: this, ignoreChanges: ["functionVersion", "routingConfig", "description"] },
        );
        deployerDeps.unshift(alias);
        if (settings.provisionedConcurrency !== undefined) {
            new aws.lambda.ProvisionedConcurrencyConfig(
                `${name}-provisioned`,
                { functionName: fn.name, qualifier: alias.name, provisionedConcurrentExecutions: settings.provisionedConcurrency },
                parent,
            );
        }

        // ---- The deployer, run on every new version ---------------------------
        // lifecycleScope CRUD: the deployer is told create/update/delete in `tf` and sees `prev_input`; `triggers`
        // is ForceNew, so each new version is a replacement (a `create` of the new Invocation, then a `delete` of
        // the old one) (Pulumi aws.lambda.Invocation docs, "CRUD Lifecycle Management" and `triggers`: "when
        // changed, will trigger a re-invocation"; terraform-provider-aws invocation.go: triggers ForceNew).
        const invocation = new aws.lambda.Invocation(
            `${name}-deploy`,
            {
                functionName: deployer.name,
                input: pulumi.jsonStringify({
                    functionName: fn.name,
                    alias: settings.aliasName,
                    targetVersion: fn.version,
                    deployment: deploymentInput,
                    warmup: warmupSettings,
                }),
                lifecycleScope: "CRUD",
                triggers: { version: fn.version },
            },
            { parent: this, dependsOn: [deployer, ...deployerDeps] },
        );

        // ---- Keep-warm ----------------------------------------------------------
        let keepWarm: aws.lambda.Function | undefined;
        if (settings.keepWarm.length > 0) {
            keepWarm = hook("keep-warm", hookPaths.keepWarm!, KEEP_WARM_TIMEOUT_S, "Keeps the alias's execution environments warm on a schedule.", [
                // Invoke with Qualifier=alias is authorized on the alias ARN (Lambda developer guide: Invoke takes
                // Function alias): the alias only, what takes traffic, never a version.
                statement("WarmAlias", ["lambda:InvokeFunction"], [alias.arn]),
                ...(traffic !== undefined ? keepWarmTrafficStatements(fn.arn, qualifiedArns) : []),
            ], warmupEnv).fn;
            settings.keepWarm.forEach((k, i) => {
                const rule = new aws.cloudwatch.EventRule(
                    `${name}-keep-warm-${i}`,
                    { scheduleExpression: k.schedule, description: `Keeps ${k.concurrency} environments of the alias warm (${k.schedule}).`, tags },
                    parent,
                );
                const permission = new aws.lambda.Permission(
                    `${name}-keep-warm-${i}`,
                    { action: "lambda:InvokeFunction", function: keepWarm!.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
                    parent,
                );
                new aws.cloudwatch.EventTarget(
                    `${name}-keep-warm-${i}`,
                    { rule: rule.name, arn: keepWarm!.arn, input: JSON.stringify({ concurrency: k.concurrency }) },
                    { parent: this, dependsOn: [permission] },
                );
            });
        }

        // ---- Front door, always on the alias ------------------------------------
        let url: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (settings.http === "function-url") {
            const fnUrl = new aws.lambda.FunctionUrl(
                `${name}-url`,
                { functionName: fn.name, qualifier: alias.name, authorizationType: settings.functionUrlAuth },
                parent,
            );
            if (settings.functionUrlAuth === "NONE") {
                // A public URL needs both grants since October 2025, each scoped to the alias.
                new aws.lambda.Permission(
                    `${name}-url-public`,
                    { action: "lambda:InvokeFunctionUrl", function: fn.name, qualifier: alias.name, principal: "*", functionUrlAuthType: "NONE" },
                    parent,
                );
                new aws.lambda.Permission(
                    `${name}-url-invoke`,
                    { action: "lambda:InvokeFunction", function: fn.name, qualifier: alias.name, principal: "*", invokedViaFunctionUrl: true },
                    parent,
                );
            }
            url = fnUrl.functionUrl;
        } else if (settings.http === "http-api") {
            const api = new aws.apigatewayv2.Api(`${name}-api`, { protocolType: "HTTP", tags }, parent);
            const integration = new aws.apigatewayv2.Integration(
                `${name}-api`,
                { apiId: api.id, integrationType: "AWS_PROXY", integrationUri: alias.arn, integrationMethod: "POST", payloadFormatVersion: "2.0" },
                parent,
            );
            const route = new aws.apigatewayv2.Route(`${name}-api`, { apiId: api.id, routeKey: "$default", target: pulumi.interpolate`integrations/${integration.id}` }, parent);
            // Default route throttling on the stage caps every route of the API below the account's regional limit
            // (API Gateway developer guide, "Throttling requests to your HTTP API"; provider: Stage
            // defaultRouteSettings.throttlingBurstLimit / throttlingRateLimit).
            new aws.apigatewayv2.Stage(
                `${name}-api`,
                {
                    apiId: api.id,
                    name: "$default",
                    autoDeploy: true,
                    defaultRouteSettings: {
                        throttlingBurstLimit: settings.httpApi.throttlingBurstLimit,
                        throttlingRateLimit: settings.httpApi.throttlingRateLimit,
                    },
                    tags,
                },
                { parent: this, dependsOn: [route] },
            );
            new aws.lambda.Permission(
                `${name}-api`,
                { action: "lambda:InvokeFunction", function: fn.name, qualifier: alias.name, principal: "apigateway.amazonaws.com", sourceArn: pulumi.interpolate`${api.executionArn}/*/*` },
                parent,
            );
            url = api.apiEndpoint;
        }

        this.function = fn;
        this.role = role;
        this.version = fn.version;
        this.alias = alias;
        this.aliasArn = alias.arn;
        this.url = url;
        this.deployment = invocation.result.apply((r) => JSON.parse(r) as DeploymentSummary);
        this.hooks = { deployer, ...(preTraffic ? { preTraffic } : {}), ...(keepWarm ? { keepWarm } : {}) };
        this.registerOutputs({
            function: fn,
            role,
            version: this.version,
            alias,
            aliasArn: this.aliasArn,
            url,
            deployment: this.deployment,
        });
    }
}

/**
 * Values a user passes that become IAM grants (trigger topics, alarm names, a
 * post-traffic hook's ARN, VPC ids) must name exactly one resource: a `*` or
 * `?` in them would widen the grant past what they named. Plain strings are
 * checked here, before anything is registered; Outputs are checked once known
 * (exactArn, vpcStatements), failing the policy that would carry them.
 */
export function grantInputProblems(settings: ResolvedSettings): string[] {
    const problems: string[] = [];
    const wild = (v: unknown) => typeof v === "string" && (v.length === 0 || /[*?]/.test(v));
    const say = (field: string, v: unknown) =>
        problems.push(`${field} must name exactly one resource (no "*" or "?"), because it becomes an IAM grant; got ${JSON.stringify(v)}.`);
    const d = settings.deployment;
    if (d) {
        d.triggers.forEach((t, i) => wild(t.topicArn) && say(`deployment.triggers[${i}].topicArn`, t.topicArn));
        d.alarms.forEach((a, i) => wild(a) && say(`deployment.alarms[${i}]`, a));
        if (d.postTraffic && typeof d.postTraffic === "object" && wild(d.postTraffic.functionArn)) say("deployment.postTraffic.functionArn", d.postTraffic.functionArn);
    }
    if (settings.vpc) {
        for (const field of ["subnetIds", "securityGroupIds"] as const) {
            const ids = settings.vpc[field];
            if (!Array.isArray(ids)) continue;
            ids.forEach((id, i) => {
                if (typeof id === "string" && !/^[\w-]+$/.test(id)) {
                    problems.push(`vpc.${field}[${i}] must be an id like "${field === "subnetIds" ? "subnet" : "sg"}-0abc12" (no "*", "?", ":" or "/"), because it becomes an IAM grant; got ${JSON.stringify(id)}.`);
                }
            });
        }
    }
    return problems;
}

/**
 * The app role's network-interface grants with `vpc`, instead of AWSLambdaVPCAccessExecutionRole (whose
 * logs:* on "*" would let the internet-facing app write into any log group, a hook's included). The actions are
 * those the Lambda developer guide lists for a VPC function ("Giving Lambda functions access to resources in an
 * Amazon VPC", configuration-vpc) and the managed policy v3 holds; each is conditioned on ONLY_LAMBDA_SERVICE.
 */
function vpcStatements(logGroupArn: pulumi.Output<string>, vpc: NonNullable<ResolvedSettings["vpc"]>): Statement[] {
    const at = arnParts(logGroupArn);
    const ec2Arn = (suffix: string) => at.apply((p) => `arn:${p.partition}:ec2:${p.region}:${p.account}:${suffix}`);
    const each = (ids: pulumi.Input<pulumi.Input<string>[]>, type: string, field: string) =>
        pulumi.all([at, pulumi.output(ids)]).apply(([p, list]) =>
            list.map((id, i) => {
                // The ids become IAM grants: a wildcard or an ARN fragment would widen them.
                if (typeof id !== "string" || !/^[\w-]+$/.test(id)) {
                    throw new Error(`pulumi-mangum: vpc.${field}[${i}] must be an id like "${type === "subnet" ? "subnet" : "sg"}-0abc12" (no "*", "?", ":" or "/"); got ${JSON.stringify(id)}.`);
                }
                return `arn:${p.partition}:ec2:${p.region}:${p.account}:${type}/${id}`;
            }),
        );
    const createOn = pulumi
        .all([ec2Arn("network-interface/*"), each(vpc.subnetIds, "subnet", "subnetIds"), each(vpc.securityGroupIds, "security-group", "securityGroupIds")])
        .apply(([eni, subnets, groups]) => [eni, ...subnets, ...groups]);
    return [
        // Service Authorization Reference (Amazon EC2): CreateNetworkInterface requires network-interface and subnet,
        // and takes security-group; the interface does not exist yet, so its ARN is a pattern in this account and
        // region, while subnets and security groups are exactly the function's.
        statement("CreateOwnNetworkInterfaces", ["ec2:CreateNetworkInterface"], createOn, ONLY_LAMBDA_SERVICE),
        // Service Authorization Reference (Amazon EC2): both take the network-interface resource type.
        statement("ManageNetworkInterfaceAddresses", ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], [ec2Arn("network-interface/*")], ONLY_LAMBDA_SERVICE),
        // Lambda developer guide (configuration-vpc): "If you don't specify a resource ID for DeleteNetworkInterface
        // in the execution role, your function may not be able to access the VPC. Either specify a unique resource
        // ID, or include all resource IDs, for example, arn:aws:ec2:us-west-2:123456789012:*/*" (a narrower
        // network-interface/* pattern failed Lambda's check: terraform-provider-aws #20698). Interface ids are not
        // known in advance, so the documented form, in this account and region.
        statement("DeleteNetworkInterfaces", ["ec2:DeleteNetworkInterface"], [ec2Arn("*/*")], ONLY_LAMBDA_SERVICE),
        // Resource-less (see RESOURCE_LESS_ACTIONS for the sources).
        resourceLessStatement("DescribeNetworkForLambda", ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], ONLY_LAMBDA_SERVICE),
    ];
}

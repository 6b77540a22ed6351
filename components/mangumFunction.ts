import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { WarmupSettings } from "../hooks/contract";
import { WARMUP_CONFIG_ENV } from "../hooks/contract";
import { MangumFunctionArgs } from "./args";
import { deploymentConfigArgs } from "./deploymentConfig";
import { arnParts, assumeRolePolicy, logStreamsArn, policyDocument, statement, Statement } from "./iam";
import { ResolvedSettings, validateMangumFunctionArgs } from "./validate";

export const MANGUM_FUNCTION_TYPE = "pulumi-mangum:index:MangumFunction";

/** What the deployer returns for one `pulumi up`; exported as the component's `deployment` output. */
export interface DeploymentSummary {
    deploymentId: string | null;
    status: "Succeeded" | "InProgress" | "Skipped";
    fromVersion: string | null;
    toVersion: string;
    /** The warm-up report of the new version (see docs/warmup-protocol.md), or null when none could be read. */
    warmup: unknown;
    /** One sentence on what happened. */
    message: string;
    /** Why nothing was shifted: the resource was deleted, or the alias already served the version. */
    reason?: "delete" | "already-live";
}

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
    /** The public URL (function URL or HTTP API endpoint); undefined when `http: false`. */
    public readonly url!: pulumi.Output<string | undefined>;
    /** What the deployer did on this update: deployment id, status, versions and the warm-up report. */
    public readonly deployment!: pulumi.Output<DeploymentSummary>;
    public readonly hooks!: MangumHooks;
    /** The CodeDeploy application and deployment group; absent when `deployment: false`. */
    public readonly codedeploy?: { application: aws.codedeploy.Application; deploymentGroup: aws.codedeploy.DeploymentGroup };
    /** The arguments with every default applied. */
    public readonly settings!: ResolvedSettings;

    constructor(name: string, args: MangumFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything: bad input must not leave a half-created stack.
        const settings = validateMangumFunctionArgs(name, args);
        const hookPaths = {
            deployer: hookBundlePath("deployer"),
            preTraffic: settings.deployment ? hookBundlePath("pre-traffic") : undefined,
            keepWarm: settings.keepWarm.length > 0 ? hookBundlePath("keep-warm") : undefined,
        };
        super(MANGUM_FUNCTION_TYPE, name, {}, opts);
        this.settings = settings;
        const parent = { parent: this };
        const tags = args.tags;

        // ---- The app function ------------------------------------------------
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: settings.logRetentionDays, tags }, parent);
        const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), tags }, parent);
        const roleDeps: pulumi.Resource[] = [
            new aws.iam.RolePolicy(
                `${name}-role-logs`,
                { role: role.id, policy: policyDocument([statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [logStreamsArn(logGroup.arn)])]) },
                parent,
            ),
        ];
        if (args.vpc) {
            // AWS-managed: ENI creation is validated by Lambda against exactly these actions, and
            // ec2:Describe* accepts no resource ARN. See docs/architecture.md#iam.
            roleDeps.push(
                new aws.iam.RolePolicyAttachment(
                    `${name}-role-vpc`,
                    { role: role.name, policyArn: pulumi.interpolate`arn:${partitionOf(role.arn)}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole` },
                    parent,
                ),
            );
        }
        (args.policies ?? []).forEach((p, i) => {
            if (typeof p === "string" || pulumi.Output.isInstance(p)) {
                roleDeps.push(new aws.iam.RolePolicyAttachment(`${name}-role-policy-${i}`, { role: role.name, policyArn: p as pulumi.Input<string> }, parent));
            } else {
                roleDeps.push(
                    new aws.iam.RolePolicy(
                        `${name}-role-inline-${i}`,
                        { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...p }] }) },
                        parent,
                    ),
                );
            }
        });

        const code = typeof args.code === "string" ? new pulumi.asset.FileArchive(args.code) : args.code;
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
                ...(args.environment !== undefined ? { environment: { variables: args.environment } } : {}),
                ...(args.vpc ? { vpcConfig: { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds } } : {}),
                ...(args.layers !== undefined ? { layers: args.layers } : {}),
                ...(settings.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: settings.reservedConcurrency } : {}),
                ...(settings.snapStart ? { snapStart: { applyOn: "PublishedVersions" } } : {}),
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
                tags,
            },
            { parent: this, dependsOn: [logGroup, ...roleDeps] },
        );

        // CodeDeploy (or the deployer, with deployment: false) owns the alias's version after
        // creation; Pulumi must not snap it back to the newest version on the next update.
        const alias = new aws.lambda.Alias(
            `${name}-alias`,
            {
                name: settings.aliasName,
                functionName: fn.name,
                functionVersion: fn.version,
                description: "Takes the traffic; moved between versions by pulumi-mangum's deployer.",
            },
            { parent: this, ignoreChanges: ["functionVersion", "routingConfig"] },
        );
        if (settings.provisionedConcurrency !== undefined) {
            new aws.lambda.ProvisionedConcurrencyConfig(
                `${name}-provisioned`,
                { functionName: fn.name, qualifier: alias.name, provisionedConcurrentExecutions: settings.provisionedConcurrency },
                parent,
            );
        }

        // Every hook invokes versions and the alias of this one function, never anything else.
        const qualifiedArns = pulumi.interpolate`${fn.arn}:*`;
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
        }));

        const hook = (role: string, bundle: string, timeout: number, description: string, statements: Statement[], environment: Record<string, pulumi.Input<string>>) => {
            const logs = new aws.cloudwatch.LogGroup(`${name}-${role}-logs`, { retentionInDays: settings.logRetentionDays, tags }, parent);
            const hookRole = new aws.iam.Role(`${name}-${role}-role`, { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), tags }, parent);
            const policy = new aws.iam.RolePolicy(
                `${name}-${role}-policy`,
                { role: hookRole.id, policy: policyDocument([statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [logStreamsArn(logs.arn)]), ...statements]) },
                parent,
            );
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
                    environment: { variables: environment },
                    loggingConfig: { logFormat: "JSON", logGroup: logs.name },
                    tags,
                },
                { parent: this, dependsOn: [logs, policy] },
            );
            return { fn, logs };
        };
        const warmupEnv = { [WARMUP_CONFIG_ENV]: pulumi.jsonStringify(warmupSettings) };

        // ---- CodeDeploy --------------------------------------------------------
        let deploymentInput: pulumi.Output<unknown> = pulumi.output(null);
        let preTraffic: aws.lambda.Function | undefined;
        const deployerStatements: Statement[] = [
            statement("ReadAlias", ["lambda:GetAlias"], [alias.arn]),
            // On the first deploy the deployer warms version 1 itself: there is no traffic to shift.
            statement("WarmVersions", ["lambda:InvokeFunction"], [qualifiedArns]),
        ];
        const deployerDeps: pulumi.Resource[] = [alias];
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
                statement("WarmNewVersion", ["lambda:InvokeFunction"], [qualifiedArns]),
                statement("ReadAndReportOwnDeployments", ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"], [groupArn]),
            ], { ...warmupEnv, MANGUM_TARGET_VERSION: fn.version });
            preTraffic = preTrafficHook.fn;

            const postTrafficFn =
                dep.postTraffic === "smoke"
                    ? { name: preTraffic.name as pulumi.Input<string>, arn: preTraffic.arn as pulumi.Input<string> }
                    : dep.postTraffic
                      ? { name: dep.postTraffic.functionName, arn: dep.postTraffic.functionArn }
                      : undefined;

            const serviceRole = new aws.iam.Role(`${name}-codedeploy-role`, { assumeRolePolicy: assumeRolePolicy("codedeploy.amazonaws.com"), tags }, parent);
            const managed = new aws.iam.RolePolicyAttachment(
                `${name}-codedeploy-managed`,
                { role: serviceRole.name, policyArn: pulumi.interpolate`arn:${region.partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited` },
                parent,
            );
            // The managed policy only lets CodeDeploy invoke functions named CodeDeployHook_*;
            // granting these hooks by ARN keeps their names free and the grant exact.
            const serviceStatements = [
                statement("InvokeOwnHooks", ["lambda:InvokeFunction"], [preTraffic.arn, ...(postTrafficFn && dep.postTraffic !== "smoke" ? [postTrafficFn.arn] : [])]),
            ];
            if (dep.triggers.length > 0) {
                serviceStatements.push(statement("NotifyTriggerTopics", ["sns:Publish"], dep.triggers.map((t) => t.topicArn)));
            }
            const servicePolicy = new aws.iam.RolePolicy(`${name}-codedeploy-hooks`, { role: serviceRole.id, policy: policyDocument(serviceStatements) }, parent);

            const alarmNames: pulumi.Input<string>[] = [];
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
            }
            for (const a of args.deployment ? (args.deployment.alarms ?? []) : []) {
                alarmNames.push(a instanceof aws.cloudwatch.MetricAlarm ? a.name : a);
            }

            const group = new aws.codedeploy.DeploymentGroup(
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
                { parent: this, dependsOn: [managed, servicePolicy] },
            );
            this.codedeploy = { application, deploymentGroup: group };

            const configArn = config
                ? pulumi.interpolate`arn:${region.partition}:codedeploy:${region.region}:${region.account}:deploymentconfig:${config.deploymentConfigName}`
                : pulumi.interpolate`arn:${region.partition}:codedeploy:${region.region}:${region.account}:deploymentconfig:${configName}`;
            deployerStatements.push(
                statement(
                    "RunOwnDeployments",
                    ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:ListDeployments", "codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"],
                    [groupArn],
                ),
                statement("ReadOwnDeploymentConfig", ["codedeploy:GetDeploymentConfig"], [configArn]),
                // CreateDeployment registers the AppSpec as a revision of the application.
                statement("RegisterOwnRevisions", ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"], [application.arn]),
                // The hook's report (why a version was refused) reaches `pulumi up` through its log line.
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
            });
        } else {
            // Without CodeDeploy the deployer moves the alias itself, after the warm-up passed.
            deployerStatements.push(statement("MoveAlias", ["lambda:UpdateAlias"], [alias.arn]));
        }

        // ---- The deployer, run on every new version ---------------------------
        const deployer = hook("deployer", hookPaths.deployer, DEPLOYER_TIMEOUT_S, "Moves the alias to each new version through CodeDeploy (pulumi-mangum).", deployerStatements, {}).fn;
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
                statement("WarmAlias", ["lambda:InvokeFunction"], [alias.arn]),
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
            new aws.apigatewayv2.Stage(`${name}-api`, { apiId: api.id, name: "$default", autoDeploy: true, tags }, { parent: this, dependsOn: [route] });
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

function partitionOf(arn: pulumi.Output<string>): pulumi.Output<string> {
    return arnParts(arn).partition;
}

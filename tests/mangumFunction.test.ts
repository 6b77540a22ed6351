import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ACCOUNT, Captured, REGION, byType, captureChildren, installMocks, one, overrideState, recorded, reset, settle, valueOf } from "./helpers/pulumi-mocks";

installMocks();
// Imported after the mocks, as Pulumi requires.
import type * as lib from "../index";
const { MangumFunction, DeploymentConfig, MANGUM_FUNCTION_TYPE } = require("../index") as typeof lib;
const { ALIAS_MARKER, originVersion } = require("../components/mangumFunction") as typeof import("../components/mangumFunction");

const FN_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:api`;
const ALIAS_ARN = `${FN_ARN}:live`;

async function build(args: Partial<lib.MangumFunctionArgs> = {}, children: Captured[] = []) {
    const component = new MangumFunction("api", { code: __dirname, ...args }, { transformations: [captureChildren(children)] });
    await settle();
    return component;
}

function policiesOf(roleResourceName: string): any[] {
    return recorded
        .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === `${roleResourceName}-id`)
        .flatMap((r) => JSON.parse(r.inputs.policy).Statement);
}

describe("MangumFunction with defaults", () => {
    let component: lib.MangumFunction;
    const children: Captured[] = [];
    beforeAll(async () => {
        reset();
        component = await build({}, children);
    });

    test("the app function is published Python on arm64 with JSON logs in its own log group", () => {
        const fn = one("aws:lambda/function:Function", "api");
        expect(fn.inputs).toMatchObject({
            handler: "main.handler",
            runtime: "python3.13",
            architectures: ["arm64"],
            memorySize: 1024,
            timeout: 30,
            publish: true,
            role: `arn:aws:iam::${ACCOUNT}:role/api-role`,
            loggingConfig: { logFormat: "JSON", logGroup: "api-logs" },
        });
        expect(fn.inputs.vpcConfig).toBeUndefined();
        expect(fn.inputs.snapStart).toBeUndefined();
        expect(one("aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs.retentionInDays).toBe(30);
    });

    test("the live alias starts on the published version (no other alias yet) and every input it does not need is frozen", () => {
        const alias = one("aws:lambda/alias:Alias", "api-alias");
        expect(alias.inputs).toEqual({
            name: "live",
            functionName: "api",
            functionVersion: "7",
            description: "Takes the traffic; moved between versions by pulumi-mangum's deployer.",
        });
        // The deployer's alias-origin op recognises the component's alias by this marker.
        expect(alias.inputs.description).toContain(ALIAS_MARKER);
        const opts = children.find((c) => c.name === "api-alias")!.opts;
        expect(opts.ignoreChanges).toEqual(["functionVersion", "routingConfig", "description"]);
    });

    test("the alias-origin Invocation asks the deployer which version a previous alias serves, and reruns only when a name changes", async () => {
        const inv = one("aws:lambda/invocation:Invocation", "api-alias-origin");
        // No lifecycleScope (the provider's CREATE_ONLY) and no triggers: fn.version must not re-invoke it.
        expect(inv.inputs).toEqual({
            functionName: "api-deployer",
            input: JSON.stringify({ op: "alias-origin", functionName: "api", alias: "live", marker: "moved between versions by pulumi-mangum" }),
        });
        const deps = children.find((c) => c.name === "api-alias-origin")!.opts.dependsOn as pulumi.Resource[];
        const depNames = await Promise.all(deps.map((d) => valueOf((d as pulumi.CustomResource).urn)));
        expect(depNames.map((u) => u.split("::").pop())).toEqual(["api-deployer"]);
    });

    test("the function URL and both public grants are bound to the alias, never $LATEST", async () => {
        expect(one("aws:lambda/functionUrl:FunctionUrl").inputs).toMatchObject({ functionName: "api", qualifier: "live", authorizationType: "NONE" });
        const perms = byType("aws:lambda/permission:Permission").filter((p) => p.name.startsWith("api-url"));
        expect(perms.map((p) => p.inputs).sort((a, b) => a.action.localeCompare(b.action))).toEqual([
            { action: "lambda:InvokeFunction", function: "api", qualifier: "live", principal: "*", invokedViaFunctionUrl: true },
            { action: "lambda:InvokeFunctionUrl", function: "api", qualifier: "live", principal: "*", functionUrlAuthType: "NONE" },
        ]);
        expect(await valueOf(component.url)).toBe("https://api-url-id.lambda-url.us-east-1.on.aws/");
        expect(await valueOf(component.aliasArn)).toBe(ALIAS_ARN);
        expect(await valueOf(component.version)).toBe("7");
    });

    test("CodeDeploy: a Lambda application and a blue/green group on the default canary, rolling back on failure", () => {
        expect(one("aws:codedeploy/application:Application").inputs).toMatchObject({ computePlatform: "Lambda" });
        const group = one("aws:codedeploy/deploymentGroup:DeploymentGroup");
        expect(group.inputs).toMatchObject({
            appName: "api-app",
            deploymentGroupName: "api-group",
            serviceRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-codedeploy-role`,
            deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE"] },
        });
        expect(group.inputs.alarmConfiguration).toBeUndefined();
        expect(byType("aws:codedeploy/deploymentConfig:DeploymentConfig")).toHaveLength(0);
    });

    test("the CodeDeploy service role has no managed policy: it may read and shift this function's alias and invoke only this component's hook", () => {
        expect(byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
        expect(policiesOf("api-codedeploy-role")).toEqual([
            { Sid: "ReadAndShiftOwnAlias", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:UpdateAlias"], Resource: [FN_ARN] },
            { Sid: "ReadOwnProvisionedConcurrency", Effect: "Allow", Action: ["lambda:GetProvisionedConcurrencyConfig"], Resource: [`${FN_ARN}:*`] },
            { Sid: "InvokeOwnHooks", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:api-pre-traffic`] },
        ]);
    });

    test("the deployer runs on every new version through a CRUD Invocation with the full deployment input", async () => {
        const inv = one("aws:lambda/invocation:Invocation", "api-deploy");
        expect(inv.inputs.functionName).toBe("api-deployer");
        expect(inv.inputs.lifecycleScope).toBe("CRUD");
        expect(inv.inputs.triggers).toEqual({ version: "7" });
        expect(JSON.parse(inv.inputs.input)).toEqual({
            functionName: "api",
            alias: "live",
            targetVersion: "7",
            deployment: {
                applicationName: "api-app",
                deploymentGroupName: "api-group",
                beforeAllowTrafficHook: "api-pre-traffic",
                beforeAllowTrafficLogGroup: "api-pre-traffic-logs",
            },
            warmup: { functionName: "api", alias: "live", concurrency: 5, holdMs: [250, 400], mode: "helper", minDistinct: 5, failOnCheckError: true, yieldToUsersMs: 60000 },
        });
        const deps = children.find((c) => c.name === "api-deploy")!.opts.dependsOn as pulumi.Resource[];
        const depNames = await Promise.all(deps.map((d) => valueOf((d as pulumi.CustomResource).urn)));
        expect(depNames.map((u) => u.split("::").pop()).sort()).toEqual(["api-alias", "api-codedeploy-hooks", "api-deployer", "api-group", "api-pre-traffic"]);
        expect(await valueOf(component.deployment)).toEqual({
            deploymentId: "d-MOCK12345",
            status: "Succeeded",
            fromVersion: "6",
            toVersion: "7",
            warmup: null,
            message: "mock",
        });
    });

    test("hooks are small Node 24 arm64 functions with their own log groups and the warm-up settings", () => {
        for (const hook of ["api-deployer", "api-pre-traffic", "api-keep-warm"]) {
            const f = one("aws:lambda/function:Function", hook);
            expect(f.inputs).toMatchObject({ runtime: "nodejs24.x", architectures: ["arm64"], memorySize: 256, handler: "index.handler" });
            expect(f.inputs.loggingConfig).toEqual({ logFormat: "JSON", logGroup: `${hook}-logs` });
            expect(one("aws:cloudwatch/logGroup:LogGroup", `${hook}-logs`).inputs.retentionInDays).toBe(30);
        }
        const pre = one("aws:lambda/function:Function", "api-pre-traffic");
        expect(pre.inputs.timeout).toBe(120);
        expect(JSON.parse(pre.inputs.environment.variables.MANGUM_WARMUP_CONFIG)).toMatchObject({ functionName: "api", alias: "live", concurrency: 5 });
        expect(pre.inputs.environment.variables.MANGUM_TARGET_VERSION).toBe("7");
        const deployer = one("aws:lambda/function:Function", "api-deployer");
        expect(deployer.inputs.timeout).toBe(900);
        // The deployer has no variables, so no environment block at all (terraform-provider-aws #29255).
        expect("environment" in deployer.inputs).toBe(false);
    });

    test("one keep-warm schedule every 5 minutes at the warm-up concurrency, invoking through a rule-scoped permission", () => {
        expect(one("aws:cloudwatch/eventRule:EventRule").inputs.scheduleExpression).toBe("rate(5 minutes)");
        expect(one("aws:cloudwatch/eventTarget:EventTarget").inputs).toMatchObject({
            rule: "api-keep-warm-0",
            arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:api-keep-warm`,
            input: JSON.stringify({ concurrency: 5 }),
        });
        expect(one("aws:lambda/permission:Permission", "api-keep-warm-0").inputs).toEqual({
            action: "lambda:InvokeFunction",
            function: "api-keep-warm",
            principal: "events.amazonaws.com",
            sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/api-keep-warm-0`,
        });
    });

    test("every child is parented to the component", () => {
        const kids = children.filter((c) => c.type !== MANGUM_FUNCTION_TYPE);
        expect(kids.length).toBeGreaterThan(20);
        for (const c of kids) {
            expect([c.name, (c.opts.parent as any)?.__pulumiType]).toEqual([c.name, MANGUM_FUNCTION_TYPE]);
        }
    });

    test("IAM: hooks may touch only their own function, alias and deployment group (the exact statements are in tests/iam.test.ts)", () => {
        const group = `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:api-app/api-group`;
        expect(policiesOf("api-pre-traffic-role").slice(1).map((s) => [s.Sid, s.Resource])).toEqual([
            ["WaitForActiveVersion", [FN_ARN, `${FN_ARN}:*`]],
            ["WarmNewVersion", [`${FN_ARN}:*`]],
            ["ReadAndReportOwnDeployments", [group]],
        ]);
        expect(policiesOf("api-keep-warm-role").slice(1)).toEqual([{ Sid: "WarmAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [ALIAS_ARN] }]);
        // Lambda authorizes the alias APIs on the unqualified function ARN: a grant on the alias ARN is AccessDenied.
        const read = policiesOf("api-deployer-role").find((s) => s.Sid === "ReadAliases");
        expect(read).toEqual({ Sid: "ReadAliases", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:ListAliases"], Resource: [FN_ARN] });
        for (const role of ["api-role", "api-deployer-role", "api-pre-traffic-role", "api-keep-warm-role"]) {
            expect(policiesOf(role)[0]).toEqual({
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${role.replace(/role$/, "logs")}:*`],
            });
        }
    });

    test("IAM: no statement anywhere grants a '*' action or a '*' resource", () => {
        const docs = recorded.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy").map((r) => JSON.parse(r.inputs.policy));
        expect(docs.length).toBeGreaterThanOrEqual(5);
        for (const doc of docs) {
            for (const s of doc.Statement) {
                const actions = [s.Action].flat();
                const resources = [s.Resource].flat();
                expect(actions.filter((a: string) => a === "*" || a.endsWith(":*"))).toEqual([]);
                expect(resources.filter((r: string) => r === "*" || !r.startsWith("arn:aws:"))).toEqual([]);
            }
        }
        for (const r of byType("aws:iam/role:Role")) {
            const trust = JSON.parse(r.inputs.assumeRolePolicy).Statement;
            expect(trust).toHaveLength(1);
            expect(trust[0].Action).toBe("sts:AssumeRole");
        }
    });
});

describe("MangumFunction options", () => {
    beforeEach(reset);
    test("http-api: an HTTP API whose proxy integration and invoke permission target the alias", async () => {
        const c = await build({ http: "http-api" });
        expect(one("aws:apigatewayv2/integration:Integration").inputs).toMatchObject({
            integrationType: "AWS_PROXY",
            integrationUri: ALIAS_ARN,
            payloadFormatVersion: "2.0",
        });
        expect(one("aws:apigatewayv2/route:Route").inputs).toMatchObject({ routeKey: "$default", target: "integrations/api-api-id" });
        expect(one("aws:lambda/permission:Permission", "api-api").inputs).toEqual({
            action: "lambda:InvokeFunction",
            function: "api",
            qualifier: "live",
            principal: "apigateway.amazonaws.com",
            sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:api-api-id/*/*`,
        });
        expect(byType("aws:lambda/functionUrl:FunctionUrl")).toHaveLength(0);
        expect(await valueOf(c.url)).toBe("https://api-api-id.execute-api.us-east-1.amazonaws.com");
        // The $default stage caps every route by default: burst 200, 100 requests per second.
        expect(one("aws:apigatewayv2/stage:Stage").inputs).toEqual({
            apiId: "api-api-id",
            name: "$default",
            autoDeploy: true,
            defaultRouteSettings: { throttlingBurstLimit: 200, throttlingRateLimit: 100 },
        });
    });

    test("http-api throttling from httpApi reaches the $default stage", async () => {
        await build({ http: "http-api", httpApi: { throttlingBurstLimit: 50, throttlingRateLimit: 10 } });
        expect(one("aws:apigatewayv2/stage:Stage").inputs.defaultRouteSettings).toEqual({ throttlingBurstLimit: 50, throttlingRateLimit: 10 });
    });

    test("http: \"none\" creates no front door and no public permission", async () => {
        const c = await build({ http: "none" });
        expect(byType("aws:lambda/functionUrl:FunctionUrl")).toHaveLength(0);
        expect(byType("aws:apigatewayv2/api:Api")).toHaveLength(0);
        expect(byType("aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "*")).toHaveLength(0);
        expect(await valueOf(c.url)).toBeUndefined();
    });

    test("functionUrlAuth AWS_IAM: no public grants", async () => {
        await build({ functionUrlAuth: "AWS_IAM" });
        expect(one("aws:lambda/functionUrl:FunctionUrl").inputs.authorizationType).toBe("AWS_IAM");
        expect(byType("aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "*")).toHaveLength(0);
    });

    test("vpc: the function joins the subnets and the role gets the ENI actions alone, before the function exists", async () => {
        const children: Captured[] = [];
        await build({ vpc: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] } }, children);
        expect(one("aws:lambda/function:Function", "api").inputs.vpcConfig).toEqual({ subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] });
        expect(byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
        expect(policiesOf("api-role").map((s) => s.Sid)).toEqual([
            "WriteOwnLogs",
            "CreateOwnNetworkInterfaces",
            "ManageNetworkInterfaceAddresses",
            "DeleteNetworkInterfaces",
            "DescribeNetworkForLambda",
        ]);
        // Lambda checks the ENI permissions when it creates the function: the grant must exist first.
        const deps = children.find((c) => c.name === "api" && c.type === "aws:lambda/function:Function")!.opts.dependsOn as pulumi.Resource[];
        const depNames = await Promise.all(deps.map((d) => valueOf((d as pulumi.CustomResource).urn)));
        expect(depNames.map((u) => u.split("::").pop())).toContain("api-role-vpc");
    });

    test("without vpc there is no VPC policy", async () => {
        await build();
        expect(recorded.filter((r) => r.name === "api-role-vpc")).toHaveLength(0);
    });

    test("the documented options reach the function exactly", async () => {
        await build({
            handler: "app.main.handler",
            runtime: "python3.12",
            architecture: "x86_64",
            memorySize: 2048,
            timeout: 60,
            environment: { STAGE: "prod" },
            layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"],
            reservedConcurrency: 50,
            tags: { team: "web" },
            logRetentionDays: 7,
        });
        expect(one("aws:lambda/function:Function", "api").inputs).toMatchObject({
            handler: "app.main.handler",
            runtime: "python3.12",
            architectures: ["x86_64"],
            memorySize: 2048,
            timeout: 60,
            environment: { variables: { STAGE: "prod" } },
            layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"],
            reservedConcurrentExecutions: 50,
            tags: { team: "web" },
        });
        expect(one("aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs).toEqual({ retentionInDays: 7, tags: { team: "web" } });
    });

    test("policies: managed ARNs are attached and inline statements become role policies", async () => {
        await build({
            policies: [
                "arn:aws:iam::123456789012:policy/read-config",
                { Action: ["secretsmanager:GetSecretValue"], Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" },
            ],
        });
        expect(one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "api-role-policy-0").inputs.policyArn).toBe("arn:aws:iam::123456789012:policy/read-config");
        expect(JSON.parse(one("aws:iam/rolePolicy:RolePolicy", "api-role-inline-1").inputs.policy)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" }],
        });
    });

    test("provisioned concurrency is configured on the alias", async () => {
        await build({ provisionedConcurrency: 3 });
        expect(one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").inputs).toEqual({
            functionName: "api",
            qualifier: "live",
            provisionedConcurrentExecutions: 3,
        });
    });

    test("snapStart applies to published versions", async () => {
        await build({ snapStart: true });
        expect(one("aws:lambda/function:Function", "api").inputs.snapStart).toEqual({ applyOn: "PublishedVersions" });
    });

    test("a custom canary becomes a DeploymentConfig resource used by the group and readable by the deployer", async () => {
        await build({ deployment: { config: DeploymentConfig.canary({ percentage: 20, intervalMinutes: 3 }) } });
        expect(one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs).toEqual({
            computePlatform: "Lambda",
            trafficRoutingConfig: { type: "TimeBasedCanary", timeBasedCanary: { percentage: 20, interval: 3 } },
        });
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs.deploymentConfigName).toBe("api-config-4f2a1c");
        const read = policiesOf("api-deployer-role").find((s) => s.Sid === "ReadOwnDeploymentConfig");
        expect(read.Resource).toEqual([`arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:api-config-4f2a1c`]);
    });

    test("alarms: the error alarm and named alarms are watched, and stop-on-alarm rollback is added", async () => {
        await build({ deployment: { alarms: ["p99-latency"], errorAlarm: { threshold: 3, evaluationPeriods: 2 } } });
        const alarm = one("aws:cloudwatch/metricAlarm:MetricAlarm", "api-errors");
        expect(alarm.inputs).toMatchObject({
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: "api", Resource: "api:live" },
            statistic: "Sum",
            period: 60,
            threshold: 3,
            evaluationPeriods: 2,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        });
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs).toMatchObject({
            alarmConfiguration: { enabled: true, alarms: ["api-errors", "p99-latency"] },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
        });
    });

    test("SNS triggers are configured on the group and the service role may publish only to their topics", async () => {
        const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:deploys`;
        await build({ deployment: { triggers: [{ name: "failures", topicArn, events: ["DeploymentFailure", "DeploymentRollback"] }] } });
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs.triggerConfigurations).toEqual([
            { triggerName: "failures", triggerTargetArn: topicArn, triggerEvents: ["DeploymentFailure", "DeploymentRollback"] },
        ]);
        expect(policiesOf("api-codedeploy-role").find((s) => s.Sid === "NotifyTriggerTopics")).toEqual({
            Sid: "NotifyTriggerTopics",
            Effect: "Allow",
            Action: ["sns:Publish"],
            Resource: [topicArn],
        });
    });

    test("postTraffic smoke reuses the pre-traffic hook as AfterAllowTraffic", async () => {
        await build({ deployment: { postTraffic: { smoke: true } } });
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "api-deploy").inputs.input).deployment).toEqual({
            applicationName: "api-app",
            deploymentGroupName: "api-group",
            beforeAllowTrafficHook: "api-pre-traffic",
            beforeAllowTrafficLogGroup: "api-pre-traffic-logs",
            afterAllowTrafficHook: "api-pre-traffic",
            afterAllowTrafficLogGroup: "api-pre-traffic-logs",
        });
    });

    test("postTraffic with a user function: CodeDeploy may invoke it too", async () => {
        const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:my-smoke`;
        await build({ deployment: { postTraffic: { functionName: "my-smoke", functionArn: arn } } });
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "api-deploy").inputs.input).deployment.afterAllowTrafficHook).toBe("my-smoke");
        expect(policiesOf("api-codedeploy-role").find((s) => s.Sid === "InvokeOwnHooks").Resource).toEqual([`arn:aws:lambda:${REGION}:${ACCOUNT}:function:api-pre-traffic`, arn]);
    });

    test("deployment disabled — no CodeDeploy; the deployer warms then moves the alias itself", async () => {
        const c = await build({ deployment: { enabled: false } });
        expect(recorded.filter((r) => r.type.startsWith("aws:codedeploy/"))).toHaveLength(0);
        expect(recorded.filter((r) => r.name === "api-pre-traffic")).toHaveLength(0);
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "api-deploy").inputs.input).deployment).toBeNull();
        // UpdateAlias is authorized on the unqualified function ARN (the full role is in tests/iam.test.ts).
        expect(policiesOf("api-deployer-role").find((s) => s.Sid === "MoveAlias")).toEqual({ Sid: "MoveAlias", Effect: "Allow", Action: ["lambda:UpdateAlias"], Resource: [FN_ARN] });
        expect(c.codedeploy).toBeUndefined();
    });

    test("several keep-warm schedules, each with its own concurrency", async () => {
        await build({
            keepWarm: [
                { schedule: "cron(0/5 8-18 ? * MON-FRI *)", concurrency: 10 },
                { schedule: "rate(15 minutes)", concurrency: 2 },
            ],
        });
        const rules = byType("aws:cloudwatch/eventRule:EventRule").map((r) => r.inputs.scheduleExpression);
        expect(rules).toEqual(["cron(0/5 8-18 ? * MON-FRI *)", "rate(15 minutes)"]);
        const targets = byType("aws:cloudwatch/eventTarget:EventTarget").map((t) => [t.inputs.rule, JSON.parse(t.inputs.input)]);
        expect(targets).toEqual([
            ["api-keep-warm-0", { concurrency: 10 }],
            ["api-keep-warm-1", { concurrency: 2 }],
        ]);
        expect(byType("aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "events.amazonaws.com").map((p) => p.inputs.sourceArn)).toEqual([
            `arn:aws:events:${REGION}:${ACCOUNT}:rule/api-keep-warm-0`,
            `arn:aws:events:${REGION}:${ACCOUNT}:rule/api-keep-warm-1`,
        ]);
    });

    test("keepWarm: [] creates no schedule and no keep-warm hook", async () => {
        await build({ keepWarm: [] });
        expect(byType("aws:cloudwatch/eventRule:EventRule")).toHaveLength(0);
        expect(recorded.filter((r) => r.name.startsWith("api-keep-warm"))).toHaveLength(0);
    });

    test("http warm-up mode carries the path to the hooks", async () => {
        await build({ warmup: { mode: "http", path: "/healthz", concurrency: 3 } });
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "api-deploy").inputs.input).warmup).toEqual({
            functionName: "api",
            alias: "live",
            concurrency: 3,
            holdMs: [250, 400],
            mode: "http",
            path: "/healthz",
            minDistinct: 1,
            failOnCheckError: true,
        });
    });
});

describe("MangumFunction: a renamed alias starts where the previous one is", () => {
    beforeEach(reset);
    afterEach(() => overrideState(undefined));

    test("when the deployer finds the previous alias on version 5, the new alias starts on 5, not on the newest version 7", async () => {
        overrideState((args) =>
            args.type === "aws:lambda/invocation:Invocation" && args.name === "api-alias-origin"
                ? { result: JSON.stringify({ version: "5", fromAlias: "live", message: "alias live serves version 5" }) }
                : undefined,
        );
        const c = await build({ aliasName: "prod" });
        expect(one("aws:lambda/function:Function", "api").state.version).toBe("7");
        expect(one("aws:lambda/alias:Alias", "api-alias").inputs).toMatchObject({ name: "prod", functionVersion: "5" });
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "api-alias-origin").inputs.input)).toEqual({
            op: "alias-origin",
            functionName: "api",
            alias: "prod",
            marker: ALIAS_MARKER,
        });
        expect(await valueOf(c.aliasArn)).toBe(`${FN_ARN}:prod`);
    });

    test("the origin's answer is read strictly: a version number, or null for none; anything else fails rather than fall back to the newest version", () => {
        expect(originVersion(JSON.stringify({ version: "12", fromAlias: "live", message: "m" }))).toBe("12");
        expect(originVersion(JSON.stringify({ version: null, fromAlias: null, message: "m" }))).toBeUndefined();
        expect(() => originVersion(JSON.stringify({ version: "$LATEST", fromAlias: "live", message: "m" }))).toThrow(
            'pulumi-mangum: the previous alias points at "$LATEST", not a published version; point it at a published version (aws lambda update-alias) before renaming the alias.',
        );
        expect(() => originVersion("Task timed out")).toThrow("pulumi-mangum: the deployer's alias-origin answer is not JSON: Task timed out");
    });
});

describe("MangumFunction environment", () => {
    beforeEach(reset);

    test.each([
        ["environment: {}", {}],
        ["an Output resolving to {}", pulumi.output({})],
        ["a promise of {}", Promise.resolve({})],
    ])("%s sends no environment block (terraform-provider-aws #43763: a perpetual diff and a new version on every up)", async (_label, environment) => {
        await build({ environment: environment as lib.MangumFunctionArgs["environment"] });
        expect("environment" in one("aws:lambda/function:Function", "api").inputs).toBe(false);
    });

    test("variables, plain or from an Output, reach the function", async () => {
        await build({ environment: pulumi.output({ STAGE: "prod", DB_SECRET_ARN: pulumi.output("arn:aws:secretsmanager:us-east-1:123456789012:secret:db") }) });
        expect(one("aws:lambda/function:Function", "api").inputs.environment).toEqual({
            variables: { STAGE: "prod", DB_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" },
        });
    });
});

describe("MangumFunction alarms from another copy of @pulumi/aws", () => {
    beforeEach(reset);

    test("an alarm that passes MetricAlarm.isInstance but not instanceof is watched by its name and readable by its ARN", async () => {
        // What a program's own @pulumi/aws copy hands us: the same type token, another class.
        const foreign = {
            __pulumiType: "aws:cloudwatch/metricAlarm:MetricAlarm",
            name: pulumi.output("latency-p99"),
            arn: pulumi.output(`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:latency-p99`),
        } as unknown as aws.cloudwatch.MetricAlarm;
        expect(foreign instanceof aws.cloudwatch.MetricAlarm).toBe(false);
        expect(aws.cloudwatch.MetricAlarm.isInstance(foreign)).toBe(true);
        await build({ deployment: { alarms: [foreign, "p99-latency"] } });
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs.alarmConfiguration).toEqual({ enabled: true, alarms: ["latency-p99", "p99-latency"] });
        expect(policiesOf("api-codedeploy-role").find((s) => s.Sid === "ReadWatchedAlarms").Resource).toEqual([
            `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:latency-p99`,
            `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:p99-latency`,
        ]);
    });
});

describe("MangumFunction safe defaults at preview", () => {
    let warn: jest.SpyInstance;
    beforeAll(() => installMocks(undefined, { preview: true }));
    afterAll(() => installMocks());
    beforeEach(() => {
        reset();
        warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    });
    afterEach(() => warn.mockRestore());

    test("a public function URL without reservedConcurrency warns on the component, saying how to cap it", async () => {
        const c = await build();
        expect(warn).toHaveBeenCalledTimes(1);
        const [message, resource] = warn.mock.calls[0];
        expect(resource).toBe(c);
        expect(message).toContain('the function URL is public (functionUrlAuth "NONE") and reservedConcurrency is unset');
        expect(message).toContain("Cap it with `reservedConcurrency`");
    });

    test.each([
        ["reservedConcurrency set", { reservedConcurrency: 20 }],
        ["an IAM-signed URL", { functionUrlAuth: "AWS_IAM" as const }],
        ["the throttled HTTP API", { http: "http-api" as const }],
        ["no front door", { http: "none" as const }],
    ])("no warning with %s", async (_label, args) => {
        await build(args);
        expect(warn).not.toHaveBeenCalled();
    });
});

describe("MangumFunction validation", () => {
    beforeEach(reset);
    test("bad input throws naming every field, before any resource (even the component) is registered", async () => {
        expect(() => new MangumFunction("api", { code: __dirname, memorySize: -1, timeout: 901 })).toThrow(
            'Invalid arguments for MangumFunction "api":\n' +
                "  - memorySize must be an integer from 128 to 10240 MB; got -1.\n" +
                "  - timeout must be an integer from 1 to 900 seconds; got 901.",
        );
        await settle();
        expect(recorded).toEqual([]);
    });
});

describe("MangumFunction builds from what validation read, never from the arguments again", () => {
    beforeEach(reset);
    test("a Proxy that answers differently the second time cannot slip an unvalidated value into a resource", async () => {
        // Each field is read once, as a snapshot of own data properties; every later read would see the hostile values.
        const reads = new Map<string | symbol, number>();
        const target = { code: __dirname, memorySize: 512, http: "http-api", httpApi: { throttlingBurstLimit: 50 }, policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] };
        const later: Record<string, unknown> = { memorySize: 99999, http: "function-url", httpApi: { throttlingBurstLimit: 0 }, policies: ["*"], code: 42 };
        const args = new Proxy(target, {
            getOwnPropertyDescriptor(t, key) {
                const n = (reads.get(key) ?? 0) + 1;
                reads.set(key, n);
                const d = Reflect.getOwnPropertyDescriptor(t, key);
                return n > 1 && d && typeof key === "string" && key in later ? { ...d, value: later[key] } : d;
            },
            get(t, key, r) {
                return typeof key === "string" && key in later ? later[key] : Reflect.get(t, key, r);
            },
        });
        new MangumFunction("api", args as unknown as lib.MangumFunctionArgs);
        await settle();
        expect(one("aws:lambda/function:Function", "api").inputs.memorySize).toBe(512);
        expect(one("aws:apigatewayv2/stage:Stage", "api-api").inputs.defaultRouteSettings).toEqual({ throttlingBurstLimit: 50, throttlingRateLimit: 100 });
        expect(byType("aws:lambda/functionUrl:FunctionUrl")).toEqual([]);
        expect(byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn)).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    });
});

/**
 * Every IAM grant the component decides, role by role, under Pulumi mocks:
 * the exact statements and ARNs of each role, and an audit over every
 * configuration that fails on a `*` resource (except the actions AWS
 * documents as resource-less, components/iam.ts RESOURCE_LESS_ACTIONS), on
 * any wildcard beyond the documented patterns, and on any managed-policy
 * attachment the user did not ask for.
 */
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT, REGION, Recorded, byType, installMocks, recorded, reset, settle } from "./helpers/pulumi-mocks";

installMocks();
import type * as lib from "../index";
const { MangumFunction, DeploymentConfig } = require("../index") as typeof lib;
const { RESOURCE_LESS_ACTIONS } = require("../components/iam") as typeof import("../components/iam");

const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:api`;
const ALIAS = `${FN}:live`;
const GROUP = `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:api-app/api-group`;
const logs = (group: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:*`;
const ONLY_LAMBDA_SERVICE = { Null: { "lambda:SourceFunctionArn": "true" } };

interface RoleGrants {
    /** Statements of the component's inline policies on the role (the user's `policies` excluded). */
    statements: any[];
    /** Managed-policy attachments on the role. */
    attachments: Recorded[];
}

async function render(args: Partial<lib.MangumFunctionArgs> = {}): Promise<Record<string, RoleGrants>> {
    reset();
    new MangumFunction("api", { code: __dirname, ...args });
    await settle();
    const roles: Record<string, RoleGrants> = {};
    for (const role of byType("aws:iam/role:Role")) {
        roles[role.name] = {
            statements: byType("aws:iam/rolePolicy:RolePolicy")
                .filter((p) => p.inputs.role === `${role.name}-id` && !p.name.includes("-role-inline-"))
                .flatMap((p) => JSON.parse(p.inputs.policy).Statement),
            attachments: byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.name),
        };
    }
    return roles;
}

const writeOwnLogs = (group: string) => ({ Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [logs(group)] });
const waitForActive = { Sid: "WaitForActiveVersion", Effect: "Allow", Action: ["lambda:GetFunctionConfiguration"], Resource: [FN, `${FN}:*`] };

describe("IAM: the exact statements of every role", () => {
    test("defaults: app, pre-traffic, keep-warm, deployer and CodeDeploy roles", async () => {
        const roles = await render();
        expect(Object.keys(roles).sort()).toEqual(["api-codedeploy-role", "api-deployer-role", "api-keep-warm-role", "api-pre-traffic-role", "api-role"]);
        expect(roles["api-role"].statements).toEqual([writeOwnLogs("api-logs")]);
        expect(roles["api-pre-traffic-role"].statements).toEqual([
            writeOwnLogs("api-pre-traffic-logs"),
            waitForActive,
            { Sid: "WarmNewVersion", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`${FN}:*`] },
            { Sid: "ReadAndReportOwnDeployments", Effect: "Allow", Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"], Resource: [GROUP] },
        ]);
        expect(roles["api-keep-warm-role"].statements).toEqual([
            writeOwnLogs("api-keep-warm-logs"),
            { Sid: "WarmAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [ALIAS] },
        ]);
        expect(roles["api-deployer-role"].statements).toEqual([
            writeOwnLogs("api-deployer-logs"),
            // Alias APIs on the UNQUALIFIED function ARN: Lambda does not authorize them against the alias ARN.
            { Sid: "ReadAliases", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:ListAliases"], Resource: [FN] },
            waitForActive,
            { Sid: "WarmVersions", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`${FN}:*`] },
            {
                Sid: "RunOwnDeployments",
                Effect: "Allow",
                Action: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:ListDeployments", "codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"],
                Resource: [GROUP],
            },
            {
                Sid: "ReadOwnDeploymentConfig",
                Effect: "Allow",
                Action: ["codedeploy:GetDeploymentConfig"],
                Resource: [`arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes`],
            },
            {
                Sid: "RegisterOwnRevisions",
                Effect: "Allow",
                Action: ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"],
                Resource: [`arn:aws:codedeploy:${REGION}:${ACCOUNT}:application:api-app`],
            },
            { Sid: "ReadPreTrafficReport", Effect: "Allow", Action: ["logs:FilterLogEvents"], Resource: [logs("api-pre-traffic-logs")] },
        ]);
        expect(roles["api-codedeploy-role"].statements).toEqual([
            { Sid: "ReadAndShiftOwnAlias", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:UpdateAlias"], Resource: [FN] },
            { Sid: "ReadOwnProvisionedConcurrency", Effect: "Allow", Action: ["lambda:GetProvisionedConcurrencyConfig"], Resource: [`${FN}:*`] },
            { Sid: "InvokeOwnHooks", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:api-pre-traffic`] },
        ]);
        for (const r of Object.values(roles)) expect(r.attachments).toEqual([]);
    });

    test("deployment disabled — the deployer moves the alias itself, on the function ARN; no CodeDeploy role", async () => {
        const roles = await render({ deployment: { enabled: false } });
        expect(Object.keys(roles).sort()).toEqual(["api-deployer-role", "api-keep-warm-role", "api-role"]);
        expect(roles["api-deployer-role"].statements).toEqual([
            writeOwnLogs("api-deployer-logs"),
            { Sid: "ReadAliases", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:ListAliases"], Resource: [FN] },
            waitForActive,
            { Sid: "WarmVersions", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`${FN}:*`] },
            { Sid: "MoveAlias", Effect: "Allow", Action: ["lambda:UpdateAlias"], Resource: [FN] },
        ]);
    });

    test("vpc: the ENI actions alone, for Lambda's own calls only, on the function's subnets and security groups", async () => {
        const roles = await render({ vpc: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] } });
        const ec2 = `arn:aws:ec2:${REGION}:${ACCOUNT}`;
        expect(roles["api-role"].statements).toEqual([
            writeOwnLogs("api-logs"),
            {
                Sid: "CreateOwnNetworkInterfaces",
                Effect: "Allow",
                Action: ["ec2:CreateNetworkInterface"],
                Resource: [`${ec2}:network-interface/*`, `${ec2}:subnet/subnet-a`, `${ec2}:subnet/subnet-b`, `${ec2}:security-group/sg-1`],
                Condition: ONLY_LAMBDA_SERVICE,
            },
            {
                Sid: "ManageNetworkInterfaceAddresses",
                Effect: "Allow",
                Action: ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
                Resource: [`${ec2}:network-interface/*`],
                Condition: ONLY_LAMBDA_SERVICE,
            },
            { Sid: "DeleteNetworkInterfaces", Effect: "Allow", Action: ["ec2:DeleteNetworkInterface"], Resource: [`${ec2}:*/*`], Condition: ONLY_LAMBDA_SERVICE },
            {
                Sid: "DescribeNetworkForLambda",
                Effect: "Allow",
                Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                Resource: ["*"],
                Condition: ONLY_LAMBDA_SERVICE,
            },
        ]);
        // No logs:* on "*" any more: the app writes only to its own log group.
        expect(roles["api-role"].attachments).toEqual([]);
        expect(roles["api-role"].statements.filter((s) => s.Action.some((a: string) => a.startsWith("logs:")))).toEqual([writeOwnLogs("api-logs")]);
    });

    test("vpc ids that would widen the grant are refused before anything is registered", async () => {
        reset();
        // The argument validation (components/validate.ts) or, behind it, grantInputProblems refuses them.
        const make = () => new MangumFunction("api", { code: __dirname, vpc: { subnetIds: ["subnet-a", "*"], securityGroupIds: ["arn:aws:ec2:::security-group/sg-1"] } });
        expect(make).toThrow(/^Invalid arguments for MangumFunction "api":\n/);
        expect(make).toThrow(/- vpc\.subnetIds\[1\] must be an (id|ID) like "subnet-[^"]*".*; got "\*"\./);
        expect(make).toThrow(/- vpc\.securityGroupIds\[0\] must be an (id|ID) like "sg-[^"]*".*; got "arn:aws:ec2:::security-group\/sg-1"\./);
        await settle();
        expect(recorded).toEqual([]);
    });

    test("alarms, triggers and a user post-traffic hook: CodeDeploy's grants name each of them", async () => {
        const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:deploys`;
        const smoke = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:my-smoke`;
        const roles = await render({
            deployment: {
                errorAlarm: {},
                alarms: ["p99-latency"],
                triggers: [{ name: "failures", topicArn: topic, events: ["DeploymentFailure"] }],
                postTraffic: { functionName: "my-smoke", functionArn: smoke },
            },
        });
        expect(roles["api-codedeploy-role"].statements).toEqual([
            { Sid: "ReadAndShiftOwnAlias", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:UpdateAlias"], Resource: [FN] },
            { Sid: "ReadOwnProvisionedConcurrency", Effect: "Allow", Action: ["lambda:GetProvisionedConcurrencyConfig"], Resource: [`${FN}:*`] },
            { Sid: "InvokeOwnHooks", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:api-pre-traffic`, smoke] },
            {
                Sid: "ReadWatchedAlarms",
                Effect: "Allow",
                Action: ["cloudwatch:DescribeAlarms"],
                Resource: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:api-errors`, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:p99-latency`],
            },
            { Sid: "NotifyTriggerTopics", Effect: "Allow", Action: ["sns:Publish"], Resource: [topic] },
        ]);
    });

    test("a trigger topic, alarm name or hook ARN with a wildcard is refused instead of widening CodeDeploy's grant", async () => {
        reset();
        const make = () =>
            new MangumFunction("api", {
                code: __dirname,
                deployment: {
                    alarms: ["*"],
                    triggers: [{ name: "all", topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:*`, events: ["DeploymentFailure"] }],
                    postTraffic: { functionName: "x", functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:?` },
                },
            });
        // The argument validation refuses the malformed ARNs; an alarm name is any text to it, so grantInputProblems refuses "*".
        expect(make).toThrow(/^Invalid arguments for MangumFunction "api":\n/);
        expect(make).toThrow(`- deployment.triggers[0].topicArn must`);
        expect(make).toThrow(`- deployment.postTraffic.functionArn must`);
        reset();
        expect(() => new MangumFunction("api", { code: __dirname, deployment: { alarms: ["p99", "*"] } })).toThrow(
            'Invalid arguments for MangumFunction "api":\n' +
                '  - deployment.alarms[1] must name exactly one resource (no "*" or "?"), because it becomes an IAM grant; got "*".',
        );
        await settle();
        expect(recorded).toEqual([]);
    });

    test("an Output that resolves to a wildcard fails the grant that would carry it", async () => {
        const { exactArn, policyDocument, statement } = require("../components/iam") as typeof import("../components/iam");
        // An Output's value, isKnown and isSecret promises all reject together: observe each.
        const rejection = (o: pulumi.Output<unknown>) => {
            const internal = o as any;
            internal.isKnown.catch(() => undefined);
            internal.isSecret.catch(() => undefined);
            return internal.promise();
        };
        await expect(rejection(exactArn(pulumi.output("arn:aws:sns:us-east-1:123456789012:*"), "deployment.triggers[0].topicArn"))).rejects.toThrow(
            'deployment.triggers[0].topicArn must name exactly one resource (no "*" or "?")',
        );
        // And the document itself refuses "*" for any action not documented as resource-less.
        const doc = policyDocument([statement("Sneaky", ["sns:Publish"], pulumi.output(["*"]))]);
        await expect(rejection(doc)).rejects.toThrow('IAM statement Sneaky must name its resources, not "*"');
        expect(() => statement("Plain", ["sns:Publish"], ["*"])).toThrow('IAM statement Plain must name its resources, not "*"');
        const { resourceLessStatement } = require("../components/iam") as typeof import("../components/iam");
        expect(() => resourceLessStatement("NotListed", ["lambda:GetAlias"])).toThrow("lambda:GetAlias is not documented as resource-less");
    });
});

// ------------------------------------------------------------------ the audit

/**
 * Wildcards the component may write, each matched with the action it serves.
 * Anything else containing `*` fails the audit.
 */
const ALLOWED_PATTERNS: Array<{ pattern: RegExp; actions: RegExp; why: string }> = [
    { pattern: /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+:\*$/, actions: /^lambda:/, why: "every version and alias of ONE function (Invoke/GetFunctionConfiguration with a Qualifier)" },
    { pattern: /^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:[\w./-]+:\*$/, actions: /^logs:/, why: "the streams of ONE log group (CloudWatch Logs ARN form)" },
    { pattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:network-interface\/\*$/, actions: /^ec2:/, why: "network interfaces Lambda has not created yet" },
    { pattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:\*\/\*$/, actions: /^ec2:DeleteNetworkInterface$/, why: "Lambda developer guide's documented form for DeleteNetworkInterface" },
];

const CONFIGURATIONS: Array<[string, Partial<lib.MangumFunctionArgs>]> = [
    ["default", {}],
    ["deployment disabled", { deployment: { enabled: false } }],
    ["http-api", { http: "http-api" }],
    ["vpc", { vpc: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-1", "sg-2"] } }],
    ["postTraffic smoke", { deployment: { postTraffic: { smoke: true } } }],
    ["several keepWarm", { keepWarm: [{ schedule: "rate(5 minutes)", concurrency: 3 }, { schedule: "rate(1 minute)", concurrency: 1 }] }],
    ["snapStart", { snapStart: true, runtime: "python3.13" }],
    ["traffic-aware with the cold-start alarm", { warmup: { traffic: {} }, deployment: { coldStartAlarm: {} } }],
    ["triggers and alarms", {
        deployment: {
            config: DeploymentConfig.linear({ percentage: 10, intervalMinutes: 1 }),
            errorAlarm: {},
            alarms: ["p99"],
            triggers: [{ name: "t", topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:deploys`, events: ["DeploymentFailure"] }],
        },
    }],
    ["everything with user policies", {
        http: "http-api",
        vpc: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-1"] },
        keepWarm: [],
        provisionedConcurrency: 2,
        policies: ["arn:aws:iam::123456789012:policy/read-config", { Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key" }],
    }],
];

describe("IAM audit: no '*' anywhere the component decides", () => {
    test.each(CONFIGURATIONS)("%s", async (_label, args) => {
        const roles = await render(args);
        expect(Object.keys(roles).length).toBeGreaterThanOrEqual(3);
        const userManaged = (args.policies ?? []).filter((p) => typeof p === "string" || pulumi.Output.isInstance(p));
        for (const [roleName, grants] of Object.entries(roles)) {
            expect([roleName, grants.statements.length > 0]).toEqual([roleName, true]);
            for (const s of grants.statements) {
                const where = `${roleName}/${s.Sid}`;
                expect([where, s.Effect]).toEqual([where, "Allow"]);
                const actions: string[] = [s.Action].flat();
                const resources: string[] = [s.Resource].flat();
                expect([where, actions.filter((a) => a.includes("*"))]).toEqual([where, []]);
                for (const r of resources) {
                    if (r === "*") {
                        // Only actions AWS documents as taking no resource, each listed with its source.
                        expect([where, actions.filter((a) => !(a in RESOURCE_LESS_ACTIONS))]).toEqual([where, []]);
                        continue;
                    }
                    expect([where, r]).toEqual([where, expect.stringMatching(/^arn:aws:[a-z0-9-]+:([a-z0-9-]+)?:(\d{12})?:.+/)]);
                    const [, , , region, account] = r.split(":");
                    expect([where, r, /[*?]/.test(region + account)]).toEqual([where, r, false]);
                    if (/[*?]/.test(r)) {
                        const ok = ALLOWED_PATTERNS.some((p) => p.pattern.test(r) && actions.every((a) => p.actions.test(a)));
                        expect([where, r, ok]).toEqual([where, r, true]);
                    }
                }
            }
            // Managed policies: only those the user passed in `policies`, attached to the app's role.
            for (const a of grants.attachments) {
                expect([roleName, a.name]).toEqual(["api-role", expect.stringMatching(/^api-role-policy-\d+$/)]);
                expect(userManaged).toContain(a.inputs.policyArn);
            }
        }
        for (const r of byType("aws:iam/role:Role")) {
            const trust = JSON.parse(r.inputs.assumeRolePolicy).Statement;
            expect(trust).toHaveLength(1);
            expect(trust[0].Action).toBe("sts:AssumeRole");
        }
    });

    test("every resource-less exception names its source", () => {
        expect(Object.keys(RESOURCE_LESS_ACTIONS).sort()).toEqual(["cloudwatch:GetMetricData", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]);
        for (const source of Object.values(RESOURCE_LESS_ACTIONS)) expect(source).toMatch(/Service Authorization Reference/);
    });
});

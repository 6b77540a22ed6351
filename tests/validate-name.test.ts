/**
 * Issue 10 item 8: the component's name limit (COMPONENT_NAME.max, 39) is derived from the
 * AWS names of its children. This proves the arithmetic against the component's actual graph,
 * in its largest configurations: with a name of the maximum length every child's AWS name
 * fits its limit, and the tightest one has no room left (so one more character would not fit).
 * A new child with a longer AWS name fails here, and the limit must be lowered with it.
 */
import { ACCOUNT, installMocks, recorded, reset, settle } from "./helpers/pulumi-mocks";

installMocks();
import type * as lib from "../index";
import type * as validate from "../components/validate";
const { MangumFunction, DeploymentConfig, MangumArgsError } = require("../index") as typeof lib;
const { COMPONENT_NAME } = require("../components/validate") as typeof validate;

/**
 * The AWS name of each child type the component creates, its limit, and the source. A name
 * the component does not set is autonamed: its logical name, "-", 7 random hex characters.
 */
const AWS_NAMES: Record<string, { property: string; max: number; source: string }> = {
    "aws:iam/role:Role": { property: "name", max: 64, source: "IAM CreateRole RoleName: 1-64" },
    "aws:lambda/function:Function": { property: "name", max: 64, source: "Lambda CreateFunction FunctionName: 64 for a name" },
    "aws:cloudwatch/eventRule:EventRule": { property: "name", max: 64, source: "EventBridge PutRule Name: 1-64" },
    // pulumi-aws autonames targetId with a maximum of 255, but PutTargets' Target Id is 1-64.
    "aws:cloudwatch/eventTarget:EventTarget": { property: "targetId", max: 64, source: "EventBridge Target Id: 1-64" },
    "aws:iam/rolePolicy:RolePolicy": { property: "name", max: 128, source: "IAM PutRolePolicy PolicyName: 1-128" },
    "aws:cloudwatch/logGroup:LogGroup": { property: "name", max: 512, source: "CloudWatch Logs CreateLogGroup logGroupName: 1-512" },
    "aws:codedeploy/application:Application": { property: "name", max: 100, source: "CodeDeploy CreateApplication applicationName: 1-100" },
    "aws:codedeploy/deploymentGroup:DeploymentGroup": { property: "deploymentGroupName", max: 100, source: "CodeDeploy deploymentGroupName: 1-100" },
    "aws:codedeploy/deploymentConfig:DeploymentConfig": { property: "deploymentConfigName", max: 100, source: "CodeDeploy deploymentConfigName: 1-100" },
    "aws:cloudwatch/metricAlarm:MetricAlarm": { property: "name", max: 255, source: "CloudWatch PutMetricAlarm AlarmName: 1-255" },
    "aws:lambda/permission:Permission": { property: "statementId", max: 100, source: "Lambda AddPermission StatementId: 1-100" },
    "aws:apigatewayv2/api:Api": { property: "name", max: 128, source: "API Gateway v2 CreateApi Name: 128" },
};

const LARGEST: Partial<lib.MangumFunctionArgs>[] = [
    {
        http: "http-api",
        vpc: { subnetIds: ["subnet-0a"], securityGroupIds: ["sg-0a"] },
        provisionedConcurrency: 2,
        policies: [`arn:aws:iam::${ACCOUNT}:policy/p`, { Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
        deployment: {
            config: DeploymentConfig.linear({ percentage: 20, intervalMinutes: 2 }),
            errorAlarm: {},
            postTraffic: { smoke: true },
            triggers: [{ name: "t", topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:deploys`, events: ["DeploymentFailure"] }],
        },
        keepWarm: Array.from({ length: 10 }, (_, i) => ({ schedule: `rate(${i + 2} minutes)` })),
    },
    { deployment: { enabled: false }, functionUrlAuth: "NONE" },
];

async function children(name: string, args: Partial<lib.MangumFunctionArgs>) {
    reset();
    new MangumFunction(name, { code: __dirname, ...args });
    await settle();
    return recorded.filter((r) => r.type in AWS_NAMES);
}

describe("the component name's limit matches its children's AWS names", () => {
    test("the limit is 64 minus the longest child's suffix and Pulumi's 8-character autoname suffix", () => {
        expect(COMPONENT_NAME.max).toBe(64 - "-pre-traffic-role".length - 8);
        expect(COMPONENT_NAME.max).toBe(39);
    });

    test.each(LARGEST.map((args, i) => [i, args] as const))("configuration %i: at the maximum every AWS name fits and the tightest has no room left", async (_i, args) => {
        const name = "n".repeat(COMPONENT_NAME.max);
        const found = await children(name, args);
        expect(found.length).toBeGreaterThan(10);
        const slack = found.map((r) => {
            const { property, max, source } = AWS_NAMES[r.type]!;
            const explicit = r.inputs[property];
            const length = typeof explicit === "string" ? explicit.length : r.name.length + COMPONENT_NAME.autonameSuffixLength;
            return { child: r.name.slice(name.length) || "(the function)", type: r.type, length, max, source, slack: max - length };
        });
        const over = slack.filter((s) => s.slack < 0);
        expect(over).toEqual([]);
        if (args.deployment?.enabled !== false) {
            // The pre-traffic hook exists: its role is the child that sets the limit, with no room left.
            const tightest = Math.min(...slack.map((s) => s.slack));
            expect(tightest).toBe(0);
            expect(slack.filter((s) => s.slack === 0).map((s) => `${s.child} (${s.type})`)).toEqual([`${COMPONENT_NAME.longestChildSuffix} (aws:iam/role:Role)`]);
        }
    });

    test("one character more is refused before anything is registered, with the maximum and the characters in the message", async () => {
        reset();
        expect(() => new MangumFunction("n".repeat(COMPONENT_NAME.max + 1), { code: __dirname })).toThrow(MangumArgsError);
        expect(() => new MangumFunction("n".repeat(COMPONENT_NAME.max + 1), { code: __dirname })).toThrow(
            'The MangumFunction name must be 1 to 39 letters, digits, "-" or "_"',
        );
        await settle();
        expect(recorded).toEqual([]);
    });

    test("every character the name allows is valid in every AWS name derived from it", async () => {
        const name = "Ab_9-z";
        const found = await children(name, LARGEST[0]!);
        // Lambda function names are the narrowest set: [a-zA-Z0-9-_] (CreateFunction FunctionName pattern).
        for (const r of found) {
            const explicit = r.inputs[AWS_NAMES[r.type]!.property];
            expect(typeof explicit === "string" ? explicit : `${r.name}-abcdef0`).toMatch(/^[A-Za-z0-9_-]+$/);
        }
    });
});

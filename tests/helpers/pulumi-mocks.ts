/**
 * Pulumi mocks for component tests, in the style of pulumi-awsx and eks:
 * installed before the code under test is imported, every resource's inputs
 * recorded by type token, and any unmocked `call` (data source) fails the test,
 * because the component must not need AWS credentials to preview.
 */
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
}

/** Options and raw props of every child, captured by a transformation on the component. */
export interface Captured {
    type: string;
    name: string;
    opts: pulumi.CustomResourceOptions;
}

export const recorded: Recorded[] = [];

function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const physical = inputs.name ?? name;
    const arnBase = `arn:aws`;
    switch (type) {
        case "aws:lambda/function:Function":
            return {
                name: physical,
                arn: `${arnBase}:lambda:${REGION}:${ACCOUNT}:function:${physical}`,
                invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arnBase}:lambda:${REGION}:${ACCOUNT}:function:${physical}/invocations`,
                version: "7",
            };
        case "aws:lambda/alias:Alias":
            return { arn: `${arnBase}:lambda:${REGION}:${ACCOUNT}:function:${inputs.functionName}:${inputs.name}` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { name: physical, arn: `${arnBase}:logs:${REGION}:${ACCOUNT}:log-group:${physical}` };
        case "aws:iam/role:Role":
            return { name: physical, arn: `${arnBase}:iam::${ACCOUNT}:role/${physical}` };
        case "aws:codedeploy/application:Application":
            return { name: physical, arn: `${arnBase}:codedeploy:${REGION}:${ACCOUNT}:application:${physical}` };
        case "aws:codedeploy/deploymentGroup:DeploymentGroup":
            return { arn: `${arnBase}:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${inputs.appName}/${inputs.deploymentGroupName}` };
        case "aws:codedeploy/deploymentConfig:DeploymentConfig":
            return { deploymentConfigName: inputs.deploymentConfigName ?? `${name}-4f2a1c` };
        case "aws:cloudwatch/eventRule:EventRule":
            return { name: physical, arn: `${arnBase}:events:${REGION}:${ACCOUNT}:rule/${physical}` };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { name: physical, arn: `${arnBase}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${physical}` };
        case "aws:apigatewayv2/api:Api":
            return { executionArn: `${arnBase}:execute-api:${REGION}:${ACCOUNT}:${name}-id`, apiEndpoint: `https://${name}-id.execute-api.${REGION}.amazonaws.com` };
        case "aws:lambda/functionUrl:FunctionUrl":
            return { functionUrl: `https://${name}-id.lambda-url.${REGION}.on.aws/` };
        case "aws:lambda/invocation:Invocation":
            // The deployer's alias-origin op (no other alias yet: a first deploy) or its deploy op.
            return name.endsWith("-alias-origin")
                ? { result: JSON.stringify({ version: null, fromAlias: null, message: "mock: no other alias of this component" }) }
                : { result: JSON.stringify({ deploymentId: "d-MOCK12345", status: "Succeeded", fromVersion: "6", toVersion: "7", warmup: null, message: "mock" }) };
        case "aws:sns/topic:Topic":
            return { name: physical, arn: `${arnBase}:sns:${REGION}:${ACCOUNT}:${physical}` };
        case "aws:secretsmanager/secret:Secret":
            return { name: physical, arn: `${arnBase}:secretsmanager:${REGION}:${ACCOUNT}:secret:${physical}-AbCdEf` };
        // Used by the example programs (examples/): a VPC, a database and their network rules.
        case "awsx:ec2:Vpc":
            return fakeVpc(name, inputs);
        case "aws:rds/instance:Instance":
            return {
                arn: `${arnBase}:rds:${REGION}:${ACCOUNT}:db:${name}`,
                address: `${name}.c1a2b3c4d5e6.${REGION}.rds.amazonaws.com`,
                port: inputs.port ?? 5432,
                // With manageMasterUserPassword, RDS creates the secret and reports its ARN here.
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [{ secretArn: `${arnBase}:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-${name}-Xy12Zq`, secretStatus: "active", kmsKeyId: "" }]
                    : [],
            };
        case "aws:rds/subnetGroup:SubnetGroup":
            return { name: physical, arn: `${arnBase}:rds:${REGION}:${ACCOUNT}:subgrp:${physical}` };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { arn: `${arnBase}:ec2:${REGION}:${ACCOUNT}:security-group/${name}-id` };
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            return { arn: `${arnBase}:ec2:${REGION}:${ACCOUNT}:vpc-endpoint/${name}-id` };
        default:
            return {};
    }
}

/**
 * awsx.ec2.Vpc is a remote component: under mocks its outputs are whatever
 * this returns. Subnet ids follow the requested layout (awsx's default is one
 * public and one private subnet per zone, in 3 zones).
 */
function fakeVpc(name: string, inputs: Record<string, any>): Record<string, any> {
    const zones = inputs.numberOfAvailabilityZones ?? inputs.availabilityZoneNames?.length ?? 3;
    const specs: Array<{ type: string }> = inputs.subnetSpecs ?? [{ type: "Public" }, { type: "Private" }];
    const ids = (type: string) =>
        specs.some((s) => s.type === type) ? Array.from({ length: zones }, (_, i) => `${name}-${type.toLowerCase()}-${i + 1}-id`) : [];
    return { vpcId: `${name}-vpc-id`, publicSubnetIds: ids("Public"), privateSubnetIds: ids("Private"), isolatedSubnetIds: ids("Isolated") };
}

type StateOverride = (args: pulumi.runtime.MockResourceArgs) => Record<string, any> | undefined;

let override: StateOverride | undefined;

/** Replaces part of the state the mocks report for some resources, until called again (undefined: none). */
export function overrideState(fn: StateOverride | undefined): void {
    override = fn;
}

/**
 * Installs the mocks; call before importing the component. With `preview`,
 * `pulumi.runtime.isDryRun()` is true, as during `pulumi preview` (and the
 * preview step of `pulumi up`).
 */
export function installMocks(extra?: StateOverride, options: { preview?: boolean } = {}): void {
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                const state = { ...args.inputs, ...fakeState(args.type, args.name, args.inputs), ...(extra?.(args) ?? {}), ...(override?.(args) ?? {}) };
                recorded.push({ type: args.type, name: args.name, inputs: args.inputs, state });
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                throw new Error(`unmocked call ${args.token}: the component must not call data sources`);
            },
        },
        "pulumi-mangum",
        "test",
        options.preview ?? false,
    );
}

export function reset(): void {
    recorded.length = 0;
}

/** Waits until no new resource has been registered for a few ticks. */
export async function settle(): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((r) => setTimeout(r, 5));
        if (recorded.length === last) stable++;
        else {
            stable = 0;
            last = recorded.length;
        }
    }
}

export function byType(type: string): Recorded[] {
    return recorded.filter((r) => r.type === type);
}

export function one(type: string, name?: string): Recorded {
    const found = recorded.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((f) => f.name).join(", ")}`);
    }
    return found[0];
}

/** Resolves an Output in a test. */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** A transformation that records every child's options (parent, ignoreChanges, dependsOn). */
export function captureChildren(into: Captured[]): pulumi.ResourceTransformation {
    return (args) => {
        into.push({ type: args.type, name: args.name, opts: args.opts });
        return undefined;
    };
}

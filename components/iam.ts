/**
 * Small IAM builders. Every statement the component writes goes through
 * `statement`, which refuses a `*` resource: each grant names the ARNs it
 * applies to, so a reviewer can read exactly what each role may touch. The
 * only exceptions are the actions AWS documents as accepting no resource ARN,
 * listed once in RESOURCE_LESS_ACTIONS with their sources and granted through
 * `resourceLessStatement`.
 */
import * as pulumi from "@pulumi/pulumi";

export type Condition = Record<string, Record<string, string | string[]>>;

export interface Statement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: pulumi.Input<pulumi.Input<string>[]>;
    Condition?: Condition;
}

/**
 * The actions the component grants on `*`, each because AWS documents that it
 * accepts no resource ARN (a narrower Resource would never match the request).
 * Key: the action; value: the source that says so.
 */
export const RESOURCE_LESS_ACTIONS: Readonly<Record<string, string>> = Object.freeze({
    // Service Authorization Reference, "Actions, resources, and condition keys for Amazon EC2":
    // no resource type for DescribeNetworkInterfaces; the Lambda developer guide, "Giving Lambda
    // functions access to resources in an Amazon VPC" (configuration-vpc), adds: "This action only
    // works if it's allowed on all resources ("Resource": "*")".
    "ec2:DescribeNetworkInterfaces":
        "Service Authorization Reference (Amazon EC2): no resource type; Lambda developer guide, configuration-vpc: only works if allowed on all resources",
    // Service Authorization Reference (Amazon EC2): no resource type for DescribeSubnets.
    "ec2:DescribeSubnets": "Service Authorization Reference (Amazon EC2): no resource type",
    // Service Authorization Reference, "Actions, resources, and condition keys for Amazon CloudWatch": GetMetricData
    // has no required resource type (its optional `dataset` type applies to OTLP datasets read with PromQL, not to
    // classic metrics such as AWS/Lambda ConcurrentExecutions); the CloudWatch user guide's permissions reference
    // (auth-and-access-control-cw) lists it with resource `*`. Read by the hooks for traffic-aware warm-ups.
    "cloudwatch:GetMetricData":
        "Service Authorization Reference (Amazon CloudWatch): no required resource type (dataset is optional, OTLP only); CloudWatch permissions reference: resource *",
});

export function statement(sid: string, actions: string[], resources: pulumi.Input<pulumi.Input<string>[]>, condition?: Condition): Statement {
    if (actions.length === 0) throw new Error(`IAM statement ${sid} names no action`);
    if (Array.isArray(resources)) {
        if (resources.length === 0) throw new Error(`IAM statement ${sid} names no resource`);
        if (resources.includes("*")) throw new Error(`IAM statement ${sid} must name its resources, not "*"`);
    }
    return { Sid: sid, Effect: "Allow", Action: actions, Resource: resources, ...(condition ? { Condition: condition } : {}) };
}

/** A statement on `*`, allowed only for actions listed in RESOURCE_LESS_ACTIONS. */
export function resourceLessStatement(sid: string, actions: string[], condition?: Condition): Statement {
    const unlisted = actions.filter((a) => !Object.prototype.hasOwnProperty.call(RESOURCE_LESS_ACTIONS, a));
    if (actions.length === 0 || unlisted.length > 0) {
        throw new Error(`IAM statement ${sid}: ${unlisted.join(", ") || "no action"} is not documented as resource-less; name its resources instead`);
    }
    return { Sid: sid, Effect: "Allow", Action: actions, Resource: ["*"], ...(condition ? { Condition: condition } : {}) };
}

/**
 * Fails the resource that uses `value` when it holds a wildcard: an ARN or
 * name a user passes (a trigger topic, a hook function, an alarm) becomes a
 * grant, and `*` or `?` in it would widen that grant beyond what they named.
 */
export function exactArn(value: pulumi.Input<string>, field: string): pulumi.Output<string> {
    return pulumi.output(value).apply((v) => {
        if (typeof v !== "string" || v.length === 0 || /[*?]/.test(v)) {
            throw new Error(`pulumi-mangum: ${field} must name exactly one resource (no "*" or "?"), because it becomes an IAM grant; got ${JSON.stringify(v)}.`);
        }
        return v;
    });
}

/** A policy document as the JSON string IAM takes; Outputs inside are resolved first. */
export function policyDocument(statements: Statement[]): pulumi.Output<string> {
    return pulumi.output(statements).apply((resolved) => {
        // The last line of defence, once every Output is known: `*` only for documented resource-less actions.
        for (const s of resolved) {
            const resources = s.Resource as string[];
            if (resources.length === 0) throw new Error(`IAM statement ${s.Sid} names no resource`);
            if (resources.includes("*") && !s.Action.every((a) => Object.prototype.hasOwnProperty.call(RESOURCE_LESS_ACTIONS, a))) {
                throw new Error(`IAM statement ${s.Sid} must name its resources, not "*"`);
            }
        }
        return JSON.stringify({ Version: "2012-10-17", Statement: resolved });
    });
}

/** Trust policy that lets one AWS service assume the role. */
export function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

export interface ArnParts {
    partition: string;
    region: string;
    account: string;
}

/**
 * The pieces of an ARN, read from one the provider gave us: deriving the
 * partition, region and account this way needs no `aws.get*` data-source call
 * (which would fail under a credential-less preview and in mocks).
 */
export function arnParts(arn: pulumi.Input<string>): pulumi.Output<ArnParts> {
    return pulumi.output(arn).apply((a) => {
        const [, partition, , region, account] = a.split(":");
        return { partition, region, account };
    });
}

/**
 * `arn:...:log-group:NAME` → `arn:...:log-group:NAME:*`. CloudWatch Logs checks
 * log-group actions (FilterLogEvents) against the group ARN with the trailing
 * `:*` and log-stream actions (CreateLogStream, PutLogEvents) against
 * `log-group:NAME:log-stream:STREAM`, which the same pattern covers
 * (CloudWatch Logs user guide, "Overview of managing access permissions to
 * your CloudWatch Logs resources", iam-access-control-overview-cwl; Service
 * Authorization Reference for CloudWatch Logs: log-stream resource type).
 */
export function logStreamsArn(logGroupArn: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(logGroupArn).apply((a) => `${a.replace(/:\*$/, "")}:*`);
}

/** An alarm's ARN from its name, in the account and region of `at`. */
export function alarmArn(at: pulumi.Input<ArnParts>, name: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.all([at, name]).apply(([p, n]) => `arn:${p.partition}:cloudwatch:${p.region}:${p.account}:alarm:${n}`);
}

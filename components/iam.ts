/**
 * Small IAM builders. Every statement the component writes goes through
 * `statement`, which refuses a bare `*` resource: each grant names the ARNs it
 * applies to, so a reviewer can read exactly what each role may touch.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Statement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: pulumi.Input<string>[];
}

export function statement(sid: string, actions: string[], resources: pulumi.Input<string>[]): Statement {
    if (resources.length === 0) throw new Error(`IAM statement ${sid} names no resource`);
    for (const r of resources) {
        if (r === "*") throw new Error(`IAM statement ${sid} must name its resources, not "*"`);
    }
    return { Sid: sid, Effect: "Allow", Action: actions, Resource: resources };
}

/** A policy document as the JSON string IAM takes; Outputs inside are resolved first. */
export function policyDocument(statements: Statement[]): pulumi.Output<string> {
    return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy that lets one AWS service assume the role. */
export function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/**
 * The pieces of an ARN, read from one the provider gave us: deriving the
 * partition, region and account this way needs no `aws.get*` data-source call
 * (which would fail under a credential-less preview and in mocks).
 */
export function arnParts(arn: pulumi.Input<string>): pulumi.Output<{ partition: string; region: string; account: string }> {
    return pulumi.output(arn).apply((a) => {
        const [, partition, , region, account] = a.split(":");
        return { partition, region, account };
    });
}

/** `arn:...:log-group:NAME` → the ARN pattern covering its streams, which is what PutLogEvents is checked against. */
export function logStreamsArn(logGroupArn: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(logGroupArn).apply((a) => `${a.replace(/:\*$/, "")}:*`);
}

/**
 * The account, region and ARN formats of the rehearsal's local AWS. Every
 * stand-in and the IAM evaluation build ARNs here, so a policy the component
 * writes (rendered under Pulumi mocks with the same account and region) names
 * exactly the resources the stand-ins authorize against.
 *
 * Formats: Service Authorization Reference, the "Resource types" table of each
 * service (AWS Lambda, AWS CodeDeploy, Amazon CloudWatch Logs, Amazon
 * CloudWatch, Amazon SNS, IAM, STS).
 */

export const ACCOUNT = "000000000000";
export const REGION = "us-east-1";
export const PARTITION = "aws";

/** `function:NAME` (unqualified) or `function:NAME:QUALIFIER` (a version or an alias). */
export function functionArn(name: string, qualifier?: string): string {
    return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

export function applicationArn(applicationName: string): string {
    return `arn:${PARTITION}:codedeploy:${REGION}:${ACCOUNT}:application:${applicationName}`;
}

export function deploymentGroupArn(applicationName: string, deploymentGroupName: string): string {
    return `arn:${PARTITION}:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${applicationName}/${deploymentGroupName}`;
}

export function deploymentConfigArn(deploymentConfigName: string): string {
    return `arn:${PARTITION}:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:${deploymentConfigName}`;
}

/** The log group ARN as the provider reports it (no `:*`). */
export function logGroupArn(logGroupName: string): string {
    return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${logGroupName}`;
}

export function logStreamArn(logGroupName: string, logStreamName: string): string {
    return `${logGroupArn(logGroupName)}:log-stream:${logStreamName}`;
}

export function alarmArn(alarmName: string): string {
    return `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`;
}

export function topicArn(topicName: string): string {
    return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${topicName}`;
}

export function roleArn(roleName: string): string {
    return `arn:${PARTITION}:iam::${ACCOUNT}:role/${roleName}`;
}

/** The identity a role session acts as; it is what an AccessDenied message names (IAM user guide, "Troubleshoot access denied error messages"). */
export function assumedRoleArn(roleName: string, sessionName: string): string {
    return `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleName}/${sessionName}`;
}

/** `arn:aws:iam::ACCOUNT:role/path/NAME` → NAME (the last path segment, as STS names the session's role). */
export function roleNameOf(arn: string): string {
    const resource = arn.split(":").slice(5).join(":");
    return resource.replace(/^role\//, "").split("/").pop() ?? resource;
}

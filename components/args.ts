import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentConfigSpec } from "./deploymentConfig";

/**
 * Every type here is read twice: by TypeScript, and by `@pulumi/pulumi/provider/experimental`'s
 * analyzer, which infers the package schema (and so the Python, Go, C# and YAML SDKs) from them.
 * The analyzer takes no unions except optional values and string enums, so: enums are `as const`
 * objects with a same-named type alias (Python gets a real enum, TypeScript still accepts the
 * string), "off" is an explicit value (`"none"`, `{ enabled: false }`, `[]`), lists are arrays
 * and interfaces are named without an `Args` suffix (every SDK but TypeScript's adds one to input
 * types: Python's `WarmupArgs`). tests/schema.test.ts compares the inferred schema with
 * tests/__snapshots__/schema.json: reviewing that diff is reviewing the API.
 */

/** Python runtimes Lambda runs today; `mangum-warmup` supports every one of them. */
export const PythonRuntime = {
    Python310: "python3.10",
    Python311: "python3.11",
    Python312: "python3.12",
    Python313: "python3.13",
    Python314: "python3.14",
} as const;
export type PythonRuntime = (typeof PythonRuntime)[keyof typeof PythonRuntime];
export const PYTHON_RUNTIMES = ["python3.10", "python3.11", "python3.12", "python3.13", "python3.14"] as const satisfies readonly PythonRuntime[];

/** The instruction set of the app function. */
export const Architecture = {
    Arm64: "arm64",
    X86_64: "x86_64",
} as const;
export type Architecture = (typeof Architecture)[keyof typeof Architecture];

/** How requests reach the app. Every front door is bound to the alias, never to `$LATEST`. */
export const HttpFrontDoor = {
    /** A Lambda function URL on the alias. */
    FunctionUrl: "function-url",
    /** An API Gateway HTTP API (throttled, see `httpApi`) integrated with the alias. */
    HttpApi: "http-api",
    /** No front door: the app is invoked by other means. TypeScript may also write `false`. */
    None: "none",
} as const;
export type HttpFrontDoor = (typeof HttpFrontDoor)[keyof typeof HttpFrontDoor];

/** Who may call the function URL. */
export const FunctionUrlAuth = {
    /** Anyone: the URL is public. */
    None: "NONE",
    /** Only SigV4-signed requests of principals allowed to invoke the URL. */
    AwsIam: "AWS_IAM",
} as const;
export type FunctionUrlAuth = (typeof FunctionUrlAuth)[keyof typeof FunctionUrlAuth];

/** How the pre-traffic warm-up reaches the app. */
export const WarmupMode = {
    /** The app wraps its handler with `mangum-warmup`, which answers warm-up events with its environment id and checks. */
    Helper: "helper",
    /** No code change: a synthetic HTTP API request for `warmup.path` goes through Mangum and must answer 2xx. */
    Http: "http",
} as const;
export type WarmupMode = (typeof WarmupMode)[keyof typeof WarmupMode];

/** Whether an IAM statement allows or denies. */
export const PolicyEffect = {
    Allow: "Allow",
    Deny: "Deny",
} as const;
export type PolicyEffect = (typeof PolicyEffect)[keyof typeof PolicyEffect];

/** Network placement of the app function. */
export interface Vpc {
    /** Private subnets the function's network interfaces go in. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups attached to those interfaces. */
    securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}
/** @deprecated The schema name is `Vpc`; this alias stays for TypeScript programs. */
export type VpcArgs = Vpc;

/**
 * An inline IAM statement in `policies`, TypeScript's shorthand (`Action` and `Resource` may be
 * single values). Other languages, and TypeScript too, write {@link PolicyStatement}s in `policyStatements`.
 */
export interface InlinePolicyStatement {
    Sid?: string;
    Effect?: PolicyEffect;
    Action: string | string[];
    Resource: pulumi.Input<string> | pulumi.Input<string>[];
    Condition?: Record<string, Record<string, unknown>>;
}

/** An inline IAM statement granted to the app function's role. Name its resources: there is no default. */
export interface PolicyStatement {
    /** Statement id: letters and digits. */
    Sid?: string;
    /**
     * Allow or deny.
     * @default "Allow"
     */
    Effect?: PolicyEffect;
    /** Actions, `service:Action`, e.g. `secretsmanager:GetSecretValue`. */
    Action: string[];
    /** ARNs the statement applies to (or `*`). */
    Resource: pulumi.Input<string>[];
    /** IAM condition block, `{ Operator: { "key": value } }`. */
    Condition?: Record<string, Record<string, any>>;
}

/** Pre-traffic and scheduled warm-up, see docs/warmup-protocol.md. */
export interface Warmup {
    /**
     * Parallel invocations per warm-up; each lands on its own execution environment.
     * @default 5
     */
    concurrency?: number;
    /**
     * `[min, max]`: range of the random hold (ms) each warmed environment stays busy for, so that
     * parallel invocations land on distinct environments and initialisations don't
     * stampede the database. Must stay below the function's timeout.
     * @default [250, 400]
     */
    holdMs?: number[];
    /**
     * Names of the `mangum-warmup` checks to run (helper mode). Each must pass in every environment.
     * @default every check the app registered
     */
    checks?: string[];
    /**
     * `helper`: the app wraps its handler with `mangum-warmup`, which answers warm-up events with
     * its environment id and check results. `http`: no code change; a synthetic HTTP API request
     * for `path` goes through Mangum into the app and must answer 2xx (distinct environments
     * cannot be verified in this mode).
     * @default "helper"
     */
    mode?: WarmupMode;
    /**
     * Path requested in `http` mode, e.g. `/healthz`. Required in that mode.
     */
    path?: string;
    /**
     * Distinct execution environments that must answer for the warm-up to pass (helper mode).
     * @default concurrency
     */
    minDistinct?: number;
    /**
     * Whether a failed check or init step (an `on_init` preload, a `prime` request) fails the
     * warm-up, and so blocks traffic.
     * @default true
     */
    failOnCheckError?: boolean;
    /**
     * Keep-warm only (helper mode): an environment that served a user's request within this many
     * ms answers the keep-warm's invocation at once instead of holding it. Its users keep it warm,
     * and holding it would push their next request onto a new environment: a cold start the
     * keep-warm caused. `0`: the keep-warm holds every environment it reaches. The pre-traffic
     * warm-up always holds (the version it warms serves no user yet).
     * @default 60000
     */
    yieldToUsersMs?: number;
    /**
     * Timeout (s) of the pre-traffic hook function: initialisation of the new version's
     * environments plus the checks must fit in it.
     * @default 120
     */
    timeoutSeconds?: number;
    /**
     * Traffic-aware warm-up: warm as many environments as the alias's observed peak needs
     * (`max(concurrency, peak × headroom)`, capped), and keep each version warm through a
     * traffic shift. See docs/cost.md.
     * @default { enabled: false }
     */
    traffic?: TrafficWarmup;
}
/** @deprecated The schema name is `Warmup`; this alias stays for TypeScript programs. */
export type WarmupArgs = Warmup;

/** One keep-warm schedule: an EventBridge rule that fans out `concurrency` warm-up invocations to the alias. */
export interface KeepWarmSchedule {
    /**
     * EventBridge schedule expression: `rate(5 minutes)`, `cron(0/5 8-18 ? * MON-FRI *)`.
     * @default "rate(5 minutes)"
     */
    schedule?: string;
    /**
     * Environments kept warm by this schedule.
     * @default warmup.concurrency
     */
    concurrency?: number;
}

/** Throttling of the HTTP API's `$default` stage (`http: "http-api"` only). */
export interface HttpApi {
    /**
     * Requests the stage lets through in a burst (the token bucket's size), 1 to 5000
     * (API Gateway's default account burst). Above it API Gateway answers 429.
     * @default 200
     */
    throttlingBurstLimit?: number;
    /**
     * Steady requests per second the stage lets through, above 0 and at most 10000
     * (API Gateway's default account quota). Caps what an unauthenticated caller can
     * make the app (and its bill) scale to.
     * @default 100
     */
    throttlingRateLimit?: number;
}
/** @deprecated The schema name is `HttpApi`; this alias stays for TypeScript programs. */
export type HttpApiArgs = HttpApi;

/**
 * The check CodeDeploy runs after traffic has moved (AfterAllowTraffic): `{ smoke: true }`, or
 * `{ functionName, functionArn }` of a function of yours that reports to CodeDeploy with
 * PutLifecycleEventHookExecutionStatus. `{}` (the default) runs none.
 */
export interface PostTraffic {
    /**
     * The built-in smoke check: the pre-traffic hook runs again against the new version once it takes traffic.
     * @default false
     */
    smoke?: boolean;
    /** Your hook's function name (or ARN); with `functionArn`. */
    functionName?: pulumi.Input<string>;
    /** Your hook's function ARN; with `functionName`. */
    functionArn?: pulumi.Input<string>;
}

/**
 * What the resolved settings hold for the post-traffic check, and what TypeScript programs
 * written before 0.2 pass: `false`, `"smoke"` or `{ functionName, functionArn }`.
 */
export type PostTrafficCheck =
    | false
    | "smoke"
    | { functionName: pulumi.Input<string>; functionArn: pulumi.Input<string> };

/** The alarm on the alias's errors that CodeDeploy watches during a deployment. */
export interface ErrorAlarm {
    /**
     * Create the alarm. Giving `errorAlarm` at all turns it on unless this says `false`.
     * @default true
     */
    enabled?: boolean;
    /**
     * Errors per minute that trip the alarm.
     * @default 1
     */
    threshold?: number;
    /**
     * Consecutive one-minute periods over the threshold before the alarm fires.
     * @default 1
     */
    evaluationPeriods?: number;
}
/** @deprecated The schema name is `ErrorAlarm`; this alias stays for TypeScript programs. */
export type ErrorAlarmArgs = ErrorAlarm;

/** `warmup.traffic`: size the warm-ups from the alias's observed peak concurrency. */
export interface TrafficWarmup {
    /**
     * Turn traffic-aware sizing on: the pre-traffic warm-up and each keep-warm schedule warm
     * `max(their concurrency, observed peak × headroom)`, at most `maximum` (and the function's
     * reserved concurrency), and the keep-warm warms each version while CodeDeploy splits the alias.
     * Giving `traffic` at all turns it on unless this says `false`.
     * @default true
     */
    enabled?: boolean;
    /**
     * The most environments one warm-up may ask for, whatever the traffic.
     * @default 50
     */
    maximum?: number;
    /**
     * Multiplier on the observed peak, from 1 to 10.
     * @default 1.5
     */
    headroom?: number;
    /**
     * How far back the peak of the alias's `ConcurrentExecutions` is read, in minutes (1 to 10080).
     * @default 60
     */
    windowMinutes?: number;
}

/** `deployment.coldStartAlarm`: the alarm on user-facing cold starts that CodeDeploy watches. */
export interface ColdStartAlarm {
    /**
     * Create the alarm. Giving `coldStartAlarm` at all turns it on unless this says `false`.
     * @default true
     */
    enabled?: boolean;
    /**
     * User-facing cold starts per minute that trip the alarm (and roll the deployment back).
     * @default 1
     */
    threshold?: number;
    /**
     * Consecutive one-minute periods at or over the threshold before the alarm fires.
     * @default 1
     */
    evaluationPeriods?: number;
}

/** A CodeDeploy trigger: SNS notifications on deployment events. */
export interface DeploymentTrigger {
    /** Name of the trigger, unique in the deployment group. */
    name: string;
    /** SNS topic ARN notified. */
    topicArn: pulumi.Input<string>;
    /** CodeDeploy events, e.g. `DeploymentFailure`, `DeploymentRollback`. */
    events: string[];
}

/** Blue/green traffic shifting by CodeDeploy on every change of the code or configuration. */
export interface Deployment {
    /**
     * `false`: no CodeDeploy; the deployer moves the alias directly after the warm-up passes
     * (and no other field may be set).
     * @default true
     */
    enabled?: boolean;
    /**
     * How traffic moves to a new version: a predefined `DeploymentConfig` constant or
     * `DeploymentConfig.canary(...)` / `DeploymentConfig.linear(...)`; in other languages
     * `{ name: "CodeDeployDefault.LambdaCanary10Percent5Minutes" }` or
     * `{ type: "Linear", percentage: 20, intervalMinutes: 3 }`.
     * @default DeploymentConfig.Canary10Percent5Minutes
     */
    config?: DeploymentConfigSpec;
    /**
     * CloudWatch alarm names watched during a deployment; one firing stops the deployment and
     * rolls the alias back. TypeScript may also pass `aws.cloudwatch.MetricAlarm` resources
     * (other languages pass the alarm's `name`).
     * @default []
     */
    alarms?: Array<pulumi.Input<string> | aws.cloudwatch.MetricAlarm>;
    /**
     * An alarm on the alias's `Errors` metric, watched during deployments.
     * @default none
     */
    errorAlarm?: ErrorAlarm;
    /**
     * An alarm on user-facing cold starts (a metric filter on mangum-warmup's log line), watched
     * during deployments: a deploy that leaks cold starts to users rolls back. Helper mode only.
     * @default { enabled: false }
     */
    coldStartAlarm?: ColdStartAlarm;
    /**
     * SNS notifications on deployment events.
     * @default []
     */
    triggers?: DeploymentTrigger[];
    /**
     * Check run after traffic has moved (AfterAllowTraffic).
     * @default none
     */
    postTraffic?: PostTraffic;
}
/** @deprecated The schema name is `Deployment`; this alias stays for TypeScript programs. */
export type DeploymentArgs = Deployment;

export interface MangumFunctionArgs {
    /**
     * The app's code (with its dependencies vendored, built for `architecture`): a Pulumi archive,
     * e.g. `new pulumi.asset.FileArchive("./build")`. TypeScript may also pass the directory path.
     */
    code: string | pulumi.Input<pulumi.asset.Archive>;
    /**
     * The Mangum handler, `module.attribute`.
     * @default "main.handler"
     */
    handler?: string;
    /**
     * Python runtime.
     * @default "python3.13"
     */
    runtime?: PythonRuntime;
    /**
     * Instruction set. Your vendored dependencies must be built for it.
     * @default "arm64"
     */
    architecture?: Architecture;
    /**
     * Memory (MB), 128 to 10240; CPU scales with it, and so does initialisation speed.
     * @default 1024
     */
    memorySize?: number;
    /**
     * Timeout (s), 1 to 900. An HTTP API integration gives up after 30 s whatever this says.
     * @default 30
     */
    timeout?: number;
    /**
     * Environment variables of the app. Keep secrets in Secrets Manager and pass their ARN.
     * @default {}
     */
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * Run in a VPC (to reach a database). Adds the ENI permissions Lambda needs.
     * @default not in a VPC
     */
    vpc?: Vpc;
    /**
     * Layer ARNs, at most 5.
     * @default []
     */
    layers?: pulumi.Input<string>[];
    /**
     * Managed policy ARNs attached to the app's role. TypeScript may also list inline statements here.
     * @default []
     */
    policies?: Array<pulumi.Input<string> | InlinePolicyStatement>;
    /**
     * Inline IAM statements granted to the app's role.
     * @default []
     */
    policyStatements?: PolicyStatement[];
    /**
     * Reserved concurrency; must leave room for the warm-up and keep-warm concurrency.
     * @default unreserved
     */
    reservedConcurrency?: number;
    /**
     * Provisioned concurrency on the alias. Incompatible with `snapStart`.
     * @default none
     */
    provisionedConcurrency?: number;
    /**
     * SnapStart on published versions (python3.12 and later). Incompatible with `provisionedConcurrency`.
     * @default false
     */
    snapStart?: boolean;
    /**
     * Name of the alias that takes traffic and that CodeDeploy shifts.
     * @default "live"
     */
    aliasName?: string;
    /**
     * The front door, bound to the alias: a Lambda function URL, an API Gateway HTTP API, or none.
     * @default "function-url"
     */
    http?: HttpFrontDoor;
    /**
     * Throttling of the HTTP API's `$default` stage; only with `http: "http-api"`.
     * @default { throttlingBurstLimit: 200, throttlingRateLimit: 100 }
     */
    httpApi?: HttpApi;
    /**
     * Who may call the function URL: anyone (`NONE`) or IAM-signed requests (`AWS_IAM`).
     * @default "NONE"
     */
    functionUrlAuth?: FunctionUrlAuth;
    /**
     * Days the app's and hooks' logs are kept; one of CloudWatch's allowed values (0: forever).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * CodeDeploy blue/green on every change; `{ enabled: false }` moves the alias directly after the warm-up passes.
     * @default { config: DeploymentConfig.Canary10Percent5Minutes }
     */
    deployment?: Deployment;
    /**
     * The pre-traffic warm-up.
     * @default { concurrency: 5, holdMs: [250, 400], mode: "helper" }
     */
    warmup?: Warmup;
    /**
     * Keep-warm schedules between deploys, each with its own concurrency; `[]` turns keep-warm off.
     * @default [{ schedule: "rate(5 minutes)", concurrency: warmup.concurrency }]
     */
    keepWarm?: KeepWarmSchedule[];
    /**
     * Tags on every taggable resource the component creates.
     * @default {}
     */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

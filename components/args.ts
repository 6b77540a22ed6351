import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentConfigSpec } from "./deploymentConfig";

/** Python runtimes Lambda runs today; `mangum-warmup` supports every one of them. */
export const PYTHON_RUNTIMES = ["python3.10", "python3.11", "python3.12", "python3.13", "python3.14"] as const;
export type PythonRuntime = (typeof PYTHON_RUNTIMES)[number];

export type Architecture = "arm64" | "x86_64";

/** How requests reach the app. Every front door is bound to the alias, never to `$LATEST`. */
export type HttpFrontDoor = "function-url" | "http-api" | false;

/** Network placement of the app function. */
export interface VpcArgs {
    /** Private subnets the function's network interfaces go in. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups attached to those interfaces. */
    securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

/** An inline IAM statement granted to the app function's role. Name its resources: there is no default. */
export interface InlinePolicyStatement {
    Sid?: string;
    Effect?: "Allow" | "Deny";
    Action: string | string[];
    Resource: pulumi.Input<string> | pulumi.Input<string>[];
    Condition?: Record<string, Record<string, unknown>>;
}

/** Pre-traffic and scheduled warm-up, see docs/warmup-protocol.md. */
export interface WarmupArgs {
    /**
     * Parallel invocations per warm-up; each lands on its own execution environment.
     * @default 5
     */
    concurrency?: number;
    /**
     * Range of the random hold (ms) each warmed environment stays busy for, so that
     * parallel invocations land on distinct environments and initialisations don't
     * stampede the database. Must stay below the function's timeout.
     * @default [250, 400]
     */
    holdMs?: [number, number];
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
    mode?: "helper" | "http";
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
     * Timeout (s) of the pre-traffic hook function: initialisation of the new version's
     * environments plus the checks must fit in it.
     * @default 120
     */
    timeoutSeconds?: number;
}

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
export interface HttpApiArgs {
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

/** Custom or built-in check run by CodeDeploy after traffic has moved (AfterAllowTraffic). */
export type PostTrafficCheck =
    | false
    /** The built-in smoke check: the pre-traffic hook runs again against the new version once it takes traffic. */
    | "smoke"
    /** A function of yours (name or ARN) that reports to CodeDeploy with PutLifecycleEventHookExecutionStatus. */
    | { functionName: pulumi.Input<string>; functionArn: pulumi.Input<string> };

/** The default alarm on the alias's errors. */
export interface ErrorAlarmArgs {
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
export interface DeploymentArgs {
    /**
     * How traffic moves to a new version: a predefined `DeploymentConfig` constant or
     * `DeploymentConfig.canary(...)` / `DeploymentConfig.linear(...)`.
     * @default DeploymentConfig.Canary10Percent5Minutes
     */
    config?: DeploymentConfigSpec;
    /**
     * CloudWatch alarms (names or resources) watched during a deployment; one firing stops
     * the deployment and rolls the alias back.
     * @default []
     */
    alarms?: Array<pulumi.Input<string> | aws.cloudwatch.MetricAlarm>;
    /**
     * Create an alarm on the alias's `Errors` metric and watch it during deployments.
     * @default false
     */
    errorAlarm?: boolean | ErrorAlarmArgs;
    /**
     * SNS notifications on deployment events.
     * @default []
     */
    triggers?: DeploymentTrigger[];
    /**
     * Check run after traffic has moved (AfterAllowTraffic).
     * @default false
     */
    postTraffic?: PostTrafficCheck;
}

export interface MangumFunctionArgs {
    /**
     * The app's code: a directory (with its dependencies vendored, built for `architecture`)
     * or a Pulumi archive.
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
    vpc?: VpcArgs;
    /**
     * Layer ARNs, at most 5.
     * @default []
     */
    layers?: pulumi.Input<string>[];
    /**
     * Extra permissions for the app: managed policy ARNs and inline statements.
     * @default []
     */
    policies?: Array<pulumi.Input<string> | InlinePolicyStatement>;
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
    httpApi?: HttpApiArgs;
    /**
     * Who may call the function URL: anyone (`NONE`) or IAM-signed requests (`AWS_IAM`).
     * @default "NONE"
     */
    functionUrlAuth?: "NONE" | "AWS_IAM";
    /**
     * Days the app's and hooks' logs are kept; one of CloudWatch's allowed values (0: forever).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * CodeDeploy blue/green on every change; `false` moves the alias directly after the warm-up passes.
     * @default { config: DeploymentConfig.Canary10Percent5Minutes }
     */
    deployment?: false | DeploymentArgs;
    /**
     * The pre-traffic warm-up.
     * @default { concurrency: 5, holdMs: [250, 400], mode: "helper" }
     */
    warmup?: WarmupArgs;
    /**
     * Keep-warm schedules between deploys; several, each with its own concurrency, are allowed.
     * @default { schedule: "rate(5 minutes)", concurrency: warmup.concurrency }
     */
    keepWarm?: false | KeepWarmSchedule | KeepWarmSchedule[];
    /**
     * Tags on every taggable resource the component creates.
     * @default {}
     */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

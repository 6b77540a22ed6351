/**
 * Diff table of the local `aws` provider: for each resource type MangumFunction
 * creates, each input the component sets, changed alone, must give what
 * Pulumi's AWS provider (the bridged Terraform provider) gives: an update, a
 * replacement ("forces new resource") or nothing, and for the app function,
 * a new published version exactly on a code or configuration change.
 * Sources: rehearsal/provider/schema.ts (each type's `source`).
 */
import { ARCHIVE_SIG, SIG_KEY, SPECS, T, UNKNOWN, check, diff, type Props, type ResourceType } from "../../rehearsal/provider/schema";

type Expect = "update" | "replace" | "publish";

const archive = (hash: string): Props => ({ [SIG_KEY]: ARCHIVE_SIG, hash, path: "/src/app" });
const fnArn = "arn:aws:lambda:us-east-1:000000000000:function:app-1234567";

const BASE: Record<string, { type: ResourceType; inputs: Props; cases: [string, unknown, Expect][] }> = {
    "app function (aws.lambda.Function, publish: true)": {
        type: T.function,
        inputs: {
            name: "app-1234567", role: "arn:aws:iam::000000000000:role/app-role-1", code: archive("aaa"), handler: "main.handler", runtime: "python3.13",
            architectures: ["arm64"], memorySize: 512, timeout: 30, publish: true, environment: { variables: { A: "1" } }, layers: ["arn:aws:lambda:us-east-1:000000000000:layer:l:1"],
            vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] }, reservedConcurrentExecutions: 10, snapStart: { applyOn: "PublishedVersions" },
            loggingConfig: { logFormat: "JSON", logGroup: "app-logs-1" }, tags: { team: "a" }, packageType: "Zip", description: "d",
        },
        cases: [
            ["name", "app-7654321", "replace"],
            ["packageType", "Image", "replace"],
            ["code", archive("bbb"), "publish"],
            ["handler", "other.handler", "publish"],
            ["runtime", "python3.12", "publish"],
            ["architectures", ["x86_64"], "publish"],
            ["memorySize", 1024, "publish"],
            ["timeout", 60, "publish"],
            ["role", "arn:aws:iam::000000000000:role/other", "publish"],
            ["environment", { variables: { A: "2" } }, "publish"],
            ["layers", [], "publish"],
            ["vpcConfig", { subnetIds: ["subnet-2"], securityGroupIds: ["sg-1"] }, "publish"],
            ["snapStart", undefined, "publish"],
            ["loggingConfig", { logFormat: "JSON", logGroup: "other" }, "publish"],
            ["description", "e", "publish"],
            // Not in needsFunctionCodeUpdate / needsFunctionConfigUpdate: updated, no version.
            ["reservedConcurrentExecutions", 20, "update"],
            ["tags", { team: "b" }, "update"],
        ],
    },
    "alias (aws.lambda.Alias)": {
        type: T.alias,
        inputs: { name: "live", functionName: "app-1234567", functionVersion: "2", description: "Takes the traffic" },
        cases: [
            ["name", "prod", "replace"],
            ["functionName", "app-7654321", "replace"],
            ["functionVersion", "3", "update"],
            ["description", "other", "update"],
            ["routingConfig", { additionalVersionWeights: { "3": 0.1 } }, "update"],
        ],
    },
    "deployer invocation (aws.lambda.Invocation, lifecycleScope CRUD)": {
        type: T.invocation,
        inputs: { functionName: "app-deployer-1", input: '{"targetVersion":"2"}', lifecycleScope: "CRUD", qualifier: "$LATEST", terraformKey: "tf", triggers: { version: "2" } },
        cases: [
            ["triggers", { version: "3" }, "replace"],
            ["functionName", "other", "replace"],
            ["qualifier", "1", "replace"],
            ["input", '{"targetVersion":"2","warmup":{}}', "update"],
            ["terraformKey", "lifecycle", "update"],
        ],
    },
    "alias-origin invocation (aws.lambda.Invocation, CREATE_ONLY)": {
        type: T.invocation,
        inputs: { functionName: "app-deployer-1", input: '{"op":"alias-origin","alias":"live"}', lifecycleScope: "CREATE_ONLY", qualifier: "$LATEST", terraformKey: "tf" },
        cases: [
            // customizeDiffInputChangeWithCreateOnlyScope: an input change forces a new invocation.
            ["input", '{"op":"alias-origin","alias":"prod"}', "replace"],
            ["lifecycleScope", "CRUD", "update"],
        ],
    },
    "permission (aws.lambda.Permission)": {
        type: T.permission,
        inputs: { action: "lambda:InvokeFunction", function: "app-1234567", qualifier: "live", principal: "*", invokedViaFunctionUrl: true, statementId: "s-1", functionUrlAuthType: "NONE", sourceArn: "arn:aws:events:us-east-1:000000000000:rule/r" },
        cases: [
            ["action", "lambda:InvokeFunctionUrl", "replace"],
            ["function", "other", "replace"],
            ["qualifier", "prod", "replace"],
            ["principal", "events.amazonaws.com", "replace"],
            ["invokedViaFunctionUrl", false, "replace"],
            ["functionUrlAuthType", "AWS_IAM", "replace"],
            ["sourceArn", "arn:aws:events:us-east-1:000000000000:rule/s", "replace"],
            ["statementId", "s-2", "replace"],
        ],
    },
    "function URL (aws.lambda.FunctionUrl)": {
        type: T.functionUrl,
        inputs: { functionName: "app-1234567", qualifier: "live", authorizationType: "NONE", invokeMode: "BUFFERED" },
        cases: [
            ["functionName", "other", "replace"],
            ["qualifier", "prod", "replace"],
            ["authorizationType", "AWS_IAM", "update"],
        ],
    },
    "provisioned concurrency": {
        type: T.provisioned,
        inputs: { functionName: "app-1234567", qualifier: "live", provisionedConcurrentExecutions: 2 },
        cases: [
            ["functionName", "other", "replace"],
            ["qualifier", "prod", "replace"],
            ["provisionedConcurrentExecutions", 3, "update"],
        ],
    },
    "role (aws.iam.Role)": {
        type: T.role,
        inputs: { name: "app-role-1", assumeRolePolicy: "{}", path: "/", tags: { a: "1" } },
        cases: [
            ["name", "app-role-2", "replace"],
            ["path", "/x/", "replace"],
            ["assumeRolePolicy", '{"Version":"2012-10-17"}', "update"],
            ["tags", { a: "2" }, "update"],
        ],
    },
    "inline policy (aws.iam.RolePolicy)": {
        type: T.rolePolicy,
        inputs: { name: "app-role-logs-1", role: "app-role-1", policy: "{}" },
        cases: [
            ["role", "app-role-2", "replace"],
            ["name", "other", "replace"],
            ["policy", '{"Version":"2012-10-17"}', "update"],
        ],
    },
    "managed policy attachment (aws.iam.RolePolicyAttachment)": {
        type: T.rolePolicyAttachment,
        inputs: { role: "app-role-1", policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" },
        cases: [
            ["role", "app-role-2", "replace"],
            ["policyArn", "arn:aws:iam::aws:policy/other", "replace"],
        ],
    },
    "log group (aws.cloudwatch.LogGroup)": {
        type: T.logGroup,
        inputs: { name: "app-logs-1", retentionInDays: 30, tags: { a: "1" }, logGroupClass: "STANDARD" },
        cases: [
            ["name", "app-logs-2", "replace"],
            ["retentionInDays", 14, "update"],
            ["tags", { a: "2" }, "update"],
        ],
    },
    "error alarm (aws.cloudwatch.MetricAlarm)": {
        type: T.metricAlarm,
        inputs: { name: "app-errors-1", namespace: "AWS/Lambda", metricName: "Errors", threshold: 1, evaluationPeriods: 1, period: 60, statistic: "Sum", comparisonOperator: "GreaterThanOrEqualToThreshold", dimensions: { FunctionName: "f", Resource: "f:live" }, alarmDescription: "x" },
        cases: [
            ["name", "app-errors-2", "replace"],
            ["threshold", 2, "update"],
            ["evaluationPeriods", 3, "update"],
            ["dimensions", { FunctionName: "f", Resource: "f:prod" }, "update"],
            ["alarmDescription", "y", "update"],
        ],
    },
    "keep-warm rule (aws.cloudwatch.EventRule)": {
        type: T.eventRule,
        inputs: { name: "app-keep-warm-0-1", scheduleExpression: "rate(5 minutes)", description: "d", eventBusName: "default" },
        cases: [
            ["name", "other", "replace"],
            ["scheduleExpression", "rate(1 minute)", "update"],
            ["description", "e", "update"],
        ],
    },
    "keep-warm target (aws.cloudwatch.EventTarget)": {
        type: T.eventTarget,
        inputs: { rule: "app-keep-warm-0-1", arn: fnArn, input: '{"concurrency":5}', targetId: "terraform-1", eventBusName: "default" },
        cases: [
            ["rule", "other", "replace"],
            ["targetId", "terraform-2", "replace"],
            ["arn", `${fnArn}x`, "update"],
            ["input", '{"concurrency":3}', "update"],
        ],
    },
    "CodeDeploy application": {
        type: T.cdApplication,
        inputs: { name: "app-app-1", computePlatform: "Lambda", tags: { a: "1" } },
        cases: [
            ["computePlatform", "Server", "replace"],
            ["name", "app-app-2", "update"],
            ["tags", { a: "2" }, "update"],
        ],
    },
    "CodeDeploy deployment group": {
        type: T.cdGroup,
        inputs: { appName: "app-app-1", deploymentGroupName: "app-group", serviceRoleArn: "arn:aws:iam::000000000000:role/cd", deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes", autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE"] }, deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" } },
        cases: [
            // deploy/deployment_group.go: no ForceNew argument at all.
            ["appName", "app-app-2", "update"],
            ["deploymentGroupName", "other", "update"],
            ["deploymentConfigName", "CodeDeployDefault.LambdaAllAtOnce", "update"],
            ["autoRollbackConfiguration", { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] }, "update"],
            ["alarmConfiguration", { enabled: true, alarms: ["a"] }, "update"],
            ["serviceRoleArn", "arn:aws:iam::000000000000:role/cd2", "update"],
        ],
    },
    "CodeDeploy custom config": {
        type: T.cdConfig,
        inputs: { deploymentConfigName: "app-config-1", computePlatform: "Lambda", trafficRoutingConfig: { type: "TimeBasedCanary", timeBasedCanary: { percentage: 10, interval: 5 } } },
        cases: [
            ["trafficRoutingConfig", { type: "TimeBasedCanary", timeBasedCanary: { percentage: 20, interval: 5 } }, "replace"],
            ["deploymentConfigName", "other", "replace"],
        ],
    },
    "HTTP API (aws.apigatewayv2.Api)": {
        type: T.api,
        inputs: { name: "app-api-1", protocolType: "HTTP", tags: { a: "1" } },
        cases: [
            ["protocolType", "WEBSOCKET", "replace"],
            ["name", "app-api-2", "update"],
        ],
    },
    "HTTP API stage": {
        type: T.stage,
        inputs: { apiId: "abc", name: "$default", autoDeploy: true },
        cases: [
            ["apiId", "def", "replace"],
            ["name", "prod", "replace"],
            ["autoDeploy", false, "update"],
        ],
    },
};

function outcome(type: ResourceType, olds: Props, news: Props): "none" | Expect {
    const d = diff(type, olds, news);
    if (d.changed.length === 0) return "none";
    if (d.replaces.length > 0) return "replace";
    return d.publishes ? "publish" : "update";
}

describe("the local aws provider's Diff, property by property, as Pulumi's AWS provider", () => {
    for (const [label, { type, inputs, cases }] of Object.entries(BASE)) {
        describe(label, () => {
            test("unchanged inputs: no change", () => {
                // Old state carries computed outputs too; they are never compared as inputs.
                const computed = Object.fromEntries(SPECS[type].computed.map((k) => [k, "computed by AWS"]));
                expect(outcome(type, { ...inputs, ...computed }, { ...inputs })).toBe("none");
            });
            test.each(cases)("%s changed alone → %s", (prop, value, expected) => {
                const news = { ...inputs, [prop]: value };
                if (value === undefined) delete news[prop];
                expect(outcome(type, inputs, news)).toBe(expected);
            });
        });
    }

    test("every replacement in the table is a ForceNew of the type's spec (no replacement by accident)", () => {
        for (const { type, inputs, cases } of Object.values(BASE)) {
            for (const [prop, , expected] of cases) {
                const forceNew = SPECS[type].forceNew.includes(prop) || (type === T.invocation && prop === "input" && inputs.lifecycleScope === "CREATE_ONLY");
                expect({ type, prop, replace: expected === "replace" }).toEqual({ type, prop, replace: forceNew });
            }
        }
    });

    test("a code change is seen by the archive's hash, not its path", () => {
        const base = BASE["app function (aws.lambda.Function, publish: true)"]!.inputs;
        const movedSameContent = { ...base, code: { [SIG_KEY]: ARCHIVE_SIG, hash: "aaa", path: "/elsewhere/app" } };
        expect(outcome(T.function, base, movedSameContent)).toBe("none");
    });

    test("an input not known yet (preview) is a change, and a replacement when ForceNew", () => {
        const inv = BASE["deployer invocation (aws.lambda.Invocation, lifecycleScope CRUD)"]!.inputs;
        expect(diff(T.invocation, inv, { ...inv, triggers: { version: UNKNOWN } }).replaces).toEqual(["triggers"]);
        const fn = BASE["app function (aws.lambda.Function, publish: true)"]!.inputs;
        expect(diff(T.function, fn, { ...fn, environment: { variables: { A: UNKNOWN } } })).toMatchObject({ replaces: [], publishes: true });
    });

    test("publish: false → true publishes a version; a tags change with publish: true does not", () => {
        const fn = BASE["app function (aws.lambda.Function, publish: true)"]!.inputs;
        expect(diff(T.function, { ...fn, publish: false }, fn).publishes).toBe(true);
        expect(diff(T.function, fn, { ...fn, tags: { team: "z" } }).publishes).toBe(false);
        // Hooks are published never: same change, publish false.
        expect(diff(T.function, { ...fn, publish: false }, { ...fn, publish: false, timeout: 99 }).publishes).toBe(false);
    });
});

describe("the local aws provider's Check, as the bridge", () => {
    test("auto-names `<name>-<7 hex>` and keeps the old name, so an update never renames", () => {
        const first = check(T.function, "app", {}, { role: "r", code: archive("a"), handler: "h", runtime: "python3.13" });
        expect(first.inputs.name).toMatch(/^app-[0-9a-f]{7}$/);
        const second = check(T.function, "app", first.inputs, { role: "r2", code: archive("a"), handler: "h", runtime: "python3.13" });
        expect(second.inputs.name).toBe(first.inputs.name);
    });

    test("fills the Terraform schema's defaults (Invocation: CREATE_ONLY, $LATEST, tf)", () => {
        expect(check(T.invocation, "x", {}, { functionName: "f", input: "{}" }).inputs).toMatchObject({ lifecycleScope: "CREATE_ONLY", qualifier: "$LATEST", terraformKey: "tf" });
    });

    test("refuses a CRUD invocation whose input is not a JSON object, with the provider's message", () => {
        const { failures } = check(T.invocation, "x", {}, { functionName: "f", input: "[1]", lifecycleScope: "CRUD" });
        expect(failures).toEqual([{ property: "input", reason: 'lifecycle_scope other than "CREATE_ONLY" requires input to be a JSON object' }]);
    });
});

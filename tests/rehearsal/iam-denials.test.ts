/**
 * Denials as each service's protocol answers them, read back by the real SDK
 * v3 clients the hooks use, so the hooks' error paths run as they would on
 * AWS: Lambda (REST-JSON) answers 403 with `x-amzn-ErrorType:
 * AccessDeniedException`; CodeDeploy and CloudWatch Logs (JSON 1.1) answer
 * 400 with `__type: AccessDeniedException`; an unknown key is
 * UnrecognizedClientException. The stand-ins start no environment here.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CodeDeployClient, ListDeploymentsCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, LambdaClient, ListAliasesCommand } from "@aws-sdk/client-lambda";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "../../hooks/log";
import { CodeDeployStandIn } from "../../rehearsal/codedeploy/service";
import { Principals, type RoleSpec } from "../../rehearsal/iam/authorize";
import { IamGate } from "../../rehearsal/iam/gate";
import { LambdaStandIn } from "../../rehearsal/lambda/service";
import { LogsStandIn } from "../../rehearsal/logs/service";

const FN = "arn:aws:lambda:us-east-1:000000000000:function:app";
const ROLE: RoleSpec = {
    name: "hook-role",
    arn: "arn:aws:iam::000000000000:role/hook-role",
    trustPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] },
    // The mistake of issue 10 item 1: the alias APIs granted on the alias ARN.
    inlinePolicies: [{ name: "p", document: { Version: "2012-10-17", Statement: [{ Sid: "ReadAlias", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:ListAliases"], Resource: [`${FN}:live`] }] } }],
    managedPolicyArns: [],
};

let work: string;
let lambda: LambdaStandIn;
let codedeploy: CodeDeployStandIn;
let logs: LogsStandIn;
let gate: IamGate;
let credentials: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-iam-denials-"));
    const principals = Principals.fromRoles([ROLE]);
    const session = principals.assume(ROLE.arn, "app-hook", "lambda.amazonaws.com");
    credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey };
    gate = new IamGate(principals);
    const log = createLogger({}, () => undefined);
    lambda = new LambdaStandIn({ rie: "/nonexistent", python: "/nonexistent", nodeRuntime: "/nonexistent", workDir: work, baseEnv: {}, iam: gate, log });
    await lambda.start();
    const code = path.join(work, "code");
    fs.mkdirSync(code);
    lambda.createFunction({ name: "app", runtime: "python", codeDir: code, handler: "main.handler" });
    lambda.publishVersion("app");
    lambda.createAlias("app", "live", "1");
    codedeploy = new CodeDeployStandIn({ lambda, iam: gate, log });
    await codedeploy.start();
    codedeploy.registerDeploymentGroup({ applicationName: "app-app", deploymentGroupName: "app-group", deploymentConfigName: "CodeDeployDefault.LambdaAllAtOnce" });
    logs = new LogsStandIn(() => lambda.logEvents, gate);
    await logs.start();
});

afterAll(async () => {
    await logs?.stop();
    await codedeploy?.stop();
    await lambda?.stop();
    fs.rmSync(work, { recursive: true, force: true });
});

const message = (action: string, resource: string): string =>
    `User: arn:aws:sts::000000000000:assumed-role/hook-role/app-hook is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

describe("denials in each protocol's shape, through the real SDK clients", () => {
    test("Lambda (REST-JSON): HTTP 403, AccessDeniedException, naming the unqualified function ARN the alias API is authorized on", async () => {
        const client = new LambdaClient({ endpoint: lambda.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
        try {
            const err = await client.send(new GetAliasCommand({ FunctionName: "app", Name: "live" })).catch((e: unknown) => e);
            expect(err).toMatchObject({ name: "AccessDeniedException", message: message("lambda:GetAlias", FN), $metadata: { httpStatusCode: 403 } });
            await expect(client.send(new ListAliasesCommand({ FunctionName: "app" }))).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
        } finally {
            client.destroy();
        }
        expect(gate.summary().denials.map((d) => [d.caller, d.denied?.action, d.denied?.resource])).toEqual([
            ["hook-role", "lambda:GetAlias", FN],
            ["hook-role", "lambda:ListAliases", FN],
        ]);
    });

    test("CodeDeploy (JSON 1.1): HTTP 400 with __type AccessDeniedException, naming the deployment group ARN", async () => {
        const client = new CodeDeployClient({ endpoint: codedeploy.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
        try {
            const err = await client.send(new ListDeploymentsCommand({ applicationName: "app-app", deploymentGroupName: "app-group" })).catch((e: unknown) => e);
            expect(err).toMatchObject({
                name: "AccessDeniedException",
                message: message("codedeploy:ListDeployments", "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:app-app/app-group"),
                $metadata: { httpStatusCode: 400 },
            });
        } finally {
            client.destroy();
        }
    });

    test("CloudWatch Logs (JSON 1.1): HTTP 400 with __type AccessDeniedException, naming log-group:NAME:log-stream:", async () => {
        const client = new CloudWatchLogsClient({ endpoint: logs.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
        try {
            const err = await client.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app-pre-traffic", filterPattern: '"x"' })).catch((e: unknown) => e);
            expect(err).toMatchObject({
                name: "AccessDeniedException",
                message: message("logs:FilterLogEvents", "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/app-pre-traffic:log-stream:"),
                $metadata: { httpStatusCode: 400 },
            });
        } finally {
            client.destroy();
        }
    });

    test("an access key no role owns is refused before anything is evaluated: UnrecognizedClientException", async () => {
        const client = new LambdaClient({ endpoint: lambda.endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" }, maxAttempts: 1 });
        try {
            await expect(client.send(new GetAliasCommand({ FunctionName: "app", Name: "live" }))).rejects.toMatchObject({
                name: "UnrecognizedClientException",
                message: "The security token included in the request is invalid.",
                $metadata: { httpStatusCode: 403 },
            });
        } finally {
            client.destroy();
        }
    });
});

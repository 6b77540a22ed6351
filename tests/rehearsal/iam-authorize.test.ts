/**
 * The IAM evaluation the stand-ins use (rehearsal/iam/authorize.ts), on its
 * own: the policy language as IAM evaluates it, AWS-managed policies from
 * their published documents, trust policies, the wording of a denial, and
 * the component's roles as the rehearsal takes them (MangumFunction under
 * Pulumi mocks). No emulator, no network.
 */
import { Authorizer, PolicyResolutionError, Principals, RoleNotAssumableError, accessDeniedMessage, managedPolicyDocument, type RoleSpec } from "../../rehearsal/iam/authorize";
import { renderRehearsalComponent } from "../../rehearsal/iam/component";
import { accessKeyIdOf } from "../../rehearsal/iam/gate";
import * as path from "node:path";

jest.setTimeout(60_000);

const FN = "arn:aws:lambda:us-east-1:000000000000:function:app";
const LAMBDA_TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
const CODEDEPLOY_TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" }] };

function role(name: string, statements: unknown[], extra: Partial<RoleSpec> = {}): RoleSpec {
    return {
        name,
        arn: `arn:aws:iam::000000000000:role/${name}`,
        trustPolicy: LAMBDA_TRUST,
        inlinePolicies: statements.length > 0 ? [{ name: "inline", document: { Version: "2012-10-17", Statement: statements } }] : [],
        managedPolicyArns: [],
        ...extra,
    };
}

async function decide(spec: RoleSpec, action: string, resource: string, service = "lambda.amazonaws.com") {
    const principals = Principals.fromRoles([spec]);
    const session = principals.assume(spec.arn, "s", service);
    return new Authorizer(principals).authorize(session.arn, action, resource);
}

describe("policy evaluation", () => {
    test("an explicit Deny wins over an Allow, and the denial says so in AWS's words", async () => {
        const r = await decide(
            role("r", [
                { Effect: "Allow", Action: "lambda:*", Resource: "*" },
                { Effect: "Deny", Action: "lambda:UpdateAlias", Resource: FN },
            ]),
            "lambda:UpdateAlias",
            FN,
        );
        expect(r).toMatchObject({ allowed: false, decision: "ExplicitlyDenied" });
        expect(accessDeniedMessage(r)).toBe(
            "User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: lambda:UpdateAlias on resource: arn:aws:lambda:us-east-1:000000000000:function:app with an explicit deny in an identity-based policy",
        );
    });

    test("log streams that differ only in their random environment id are decided once; the date, version and group still count, and each answer names its own stream", async () => {
        const group = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/app";
        const spec = role("r", [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${group}:log-stream:2026/11/29/[7]*` }]);
        const principals = Principals.fromRoles([spec]);
        const session = principals.assume(spec.arn, "s", "lambda.amazonaws.com");
        const authorizer = new Authorizer(principals);
        const evaluate = jest.spyOn(authorizer as unknown as { evaluate: () => unknown }, "evaluate");
        const stream = (day: string, version: string, id: string) => `${group}:log-stream:${day}/[${version}]${id.repeat(32 / id.length)}`;

        const a = await authorizer.authorize(session.arn, "logs:PutLogEvents", stream("2026/11/29", "7", "a"));
        const b = await authorizer.authorize(session.arn, "logs:PutLogEvents", stream("2026/11/29", "7", "b"));
        expect([a.allowed, b.allowed]).toEqual([true, true]);
        expect(b.resource).toBe(stream("2026/11/29", "7", "b"));
        expect(evaluate).toHaveBeenCalledTimes(1);

        const otherVersion = await authorizer.authorize(session.arn, "logs:PutLogEvents", stream("2026/11/29", "8", "a"));
        const otherDay = await authorizer.authorize(session.arn, "logs:PutLogEvents", stream("2026/11/30", "7", "a"));
        const otherGroup = await authorizer.authorize(session.arn, "logs:PutLogEvents", stream("2026/11/29", "7", "a").replace("/aws/lambda/app", "/aws/lambda/other"));
        expect([otherVersion.allowed, otherDay.allowed, otherGroup.allowed]).toEqual([false, false, false]);
        expect(accessDeniedMessage(otherVersion)).toContain(stream("2026/11/29", "8", "a"));
        expect(evaluate).toHaveBeenCalledTimes(4);
    });

    test("no statement: implicitly denied, 'because no identity-based policy allows the ACTION action'", async () => {
        const r = await decide(role("r", []), "lambda:GetAlias", FN);
        expect(r).toMatchObject({ allowed: false, decision: "ImplicitlyDenied" });
        expect(accessDeniedMessage(r)).toMatch(/because no identity-based policy allows the lambda:GetAlias action$/);
    });

    test("NotAction and NotResource are evaluated, not ignored", async () => {
        const spec = role("r", [{ Effect: "Allow", NotAction: "lambda:UpdateAlias", NotResource: `${FN}:*` }]);
        expect((await decide(spec, "lambda:GetAlias", FN)).allowed).toBe(true);
        expect((await decide(spec, "lambda:UpdateAlias", FN)).allowed).toBe(false);
        expect((await decide(spec, "lambda:InvokeFunction", `${FN}:2`)).allowed).toBe(false);
    });

    test("`function:NAME:*` covers every version and alias but not the unqualified function (Lambda developer guide, Function resource names)", async () => {
        const spec = role("r", [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: `${FN}:*` }]);
        expect((await decide(spec, "lambda:InvokeFunction", `${FN}:7`)).allowed).toBe(true);
        expect((await decide(spec, "lambda:InvokeFunction", `${FN}:live`)).allowed).toBe(true);
        expect((await decide(spec, "lambda:InvokeFunction", FN)).allowed).toBe(false);
        expect((await decide(spec, "lambda:InvokeFunction", `${FN}-other:7`)).allowed).toBe(false);
    });

    test("conditions are evaluated: the VPC grants' Null lambda:SourceFunctionArn condition holds for Lambda's own calls only", async () => {
        const spec = role("r", [{ Effect: "Allow", Action: "lambda:GetAlias", Resource: FN, Condition: { Null: { "lambda:SourceFunctionArn": "true" } } }]);
        const principals = Principals.fromRoles([spec]);
        const session = principals.assume(spec.arn, "s", "lambda.amazonaws.com");
        const authorizer = new Authorizer(principals);
        expect((await authorizer.authorize(session.arn, "lambda:GetAlias", FN)).allowed).toBe(true);
        expect((await authorizer.authorize(session.arn, "lambda:GetAlias", FN, { "lambda:SourceFunctionArn": FN })).allowed).toBe(false);
    });

    test("an AWS-managed policy is evaluated from its published document: AWSCodeDeployRoleForLambdaLimited moves any alias but invokes only CodeDeployHook_* functions", async () => {
        const spec = role("cd", [], { trustPolicy: CODEDEPLOY_TRUST, managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"] });
        expect((await decide(spec, "lambda:UpdateAlias", "arn:aws:lambda:us-east-1:000000000000:function:anything", "codedeploy.amazonaws.com")).allowed).toBe(true);
        expect((await decide(spec, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:000000000000:function:CodeDeployHook_pre", "codedeploy.amazonaws.com")).allowed).toBe(true);
        // The failure SAM users met (aws/serverless-application-model#219): a hook not named CodeDeployHook_* cannot be invoked.
        expect((await decide(spec, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:000000000000:function:app-pre-traffic", "codedeploy.amazonaws.com")).allowed).toBe(false);
    });

    test("a managed policy whose document is not published cannot be evaluated: the registry refuses it rather than treat it as empty", () => {
        expect(() => managedPolicyDocument("arn:aws:iam::123456789012:policy/mine")).toThrow(PolicyResolutionError);
        expect(() => managedPolicyDocument("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")).toThrow(/not in the published managed policy documents/);
        expect(() => Principals.fromRoles([role("r", [], { managedPolicyArns: ["arn:aws:iam::123456789012:policy/mine"] })])).toThrow(/not AWS-managed/);
    });

    test("asking for a specific resource on an action the reference lists as resource-less is a table bug, unless the row says why", async () => {
        const spec = role("r", [{ Effect: "Allow", Action: "codedeploy:PutLifecycleEventHookExecutionStatus", Resource: "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:a/g" }]);
        const principals = Principals.fromRoles([spec]);
        const session = principals.assume(spec.arn, "s", "lambda.amazonaws.com");
        const authorizer = new Authorizer(principals);
        const group = "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:a/g";
        await expect(authorizer.authorize(session.arn, "codedeploy:PutLifecycleEventHookExecutionStatus", group)).rejects.toThrow(/scopedDespiteReference/);
        expect((await authorizer.authorize(session.arn, "codedeploy:PutLifecycleEventHookExecutionStatus", group, {}, { scopedDespiteReference: true })).allowed).toBe(true);
    });
});

describe("principals", () => {
    test("a role whose trust policy does not name the service cannot be assumed by it, in Lambda's words", () => {
        const principals = Principals.fromRoles([role("r", [], { trustPolicy: CODEDEPLOY_TRUST })]);
        expect(() => principals.assume("arn:aws:iam::000000000000:role/r", "fn", "lambda.amazonaws.com")).toThrow(RoleNotAssumableError);
        expect(() => principals.assume("arn:aws:iam::000000000000:role/r", "fn", "lambda.amazonaws.com")).toThrow(/^The role defined for the function cannot be assumed by Lambda\./);
    });

    test("each session has its own temporary key (ASIA…), found again from a SigV4 Authorization header", () => {
        const principals = Principals.fromRoles([role("a", []), role("b", [])]);
        const a = principals.assume("arn:aws:iam::000000000000:role/a", "fn-a", "lambda.amazonaws.com");
        const b = principals.assume("arn:aws:iam::000000000000:role/b", "fn-b", "lambda.amazonaws.com");
        expect(a.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
        expect(a.accessKeyId).not.toBe(b.accessKeyId);
        const header = `AWS4-HMAC-SHA256 Credential=${b.accessKeyId}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;
        expect(principals.byAccessKey(accessKeyIdOf({ authorization: header }) as string)).toBe(b);
        expect(accessKeyIdOf({})).toBeUndefined();
    });
});

describe("the component's roles, as the rehearsal takes them", () => {
    test("MangumFunction under mocks: five roles, each function runs as its own, CodeDeploy as the service role; the policies are the component's documents verbatim", async () => {
        const model = await renderRehearsalComponent({
            appDir: path.join(__dirname, "..", "..", "rehearsal", "app"),
            deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            reservedConcurrency: 10,
            warmup: { checks: ["db"] },
        });
        expect(model.roles.map((r) => r.name).sort()).toEqual(["app-codedeploy-role", "app-deployer-role", "app-keep-warm-role", "app-pre-traffic-role", "app-role"]);
        expect(Object.fromEntries(model.functions.map((f) => [f.name, f.roleArn.split("/").pop()]))).toEqual({
            app: "app-role",
            "app-deployer": "app-deployer-role",
            "app-pre-traffic": "app-pre-traffic-role",
            "app-keep-warm": "app-keep-warm-role",
        });
        expect(model.deploymentGroup).toMatchObject({ applicationName: "app-app", deploymentGroupName: "app-group", serviceRoleArn: "arn:aws:iam::000000000000:role/app-codedeploy-role" });
        // Every role can be assumed by the service that uses it, as AWS checks at CreateFunction / CreateDeploymentGroup.
        const principals = Principals.fromRoles(model.roles);
        for (const f of model.functions) expect(() => principals.assume(f.roleArn, f.name, "lambda.amazonaws.com")).not.toThrow();
        expect(() => principals.assume(model.deploymentGroup!.serviceRoleArn, "AWSCodeDeploy", "codedeploy.amazonaws.com")).not.toThrow();
        // Nothing granted by hand: a session's policies are exactly the role's documents.
        const deployer = principals.assume("arn:aws:iam::000000000000:role/app-deployer-role", "app-deployer", "lambda.amazonaws.com");
        expect(deployer.policies.map((p) => p.document)).toEqual(model.roles.find((r) => r.name === "app-deployer-role")!.inlinePolicies.map((p) => p.document));
        // The Invocations the provider will drive: the deploy one (CRUD) and the alias-origin one (CREATE_ONLY).
        expect(model.invocations.map((i) => [i.logicalName, i.lifecycleScope]).sort()).toEqual([
            ["app-alias-origin", "CREATE_ONLY"],
            ["app-deploy", "CRUD"],
        ]);
        expect(model.keepWarm).toEqual([{ ruleName: "app-keep-warm-0", schedule: "rate(5 minutes)", functionName: "app-keep-warm", input: { concurrency: 5 } }]);
    });
});

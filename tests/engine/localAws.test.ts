/**
 * The local AWS behind the local `aws` provider, without the engine: the
 * semantics the engine relies on (a failed Invocation create saves nothing,
 * CreateFunction refuses a role Lambda cannot assume, EventBridge needs the
 * function's permission) and the state file that lets separate `pulumi`
 * commands, and a restarted LocalAws, see the same AWS.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalAws } from "../../rehearsal/provider/localAws";
import { ASSET_SIG, ARCHIVE_SIG, SIG_KEY, T, type Props } from "../../rehearsal/provider/schema";
import { resolvePaths } from "../../rehearsal/scenarios/stage";

jest.setTimeout(120_000);

const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const code = (hash: string, source: string): Props => ({ [SIG_KEY]: ARCHIVE_SIG, hash, assets: { "index.js": { [SIG_KEY]: ASSET_SIG, hash: `${hash}-f`, text: source } } });
const HANDLER = "exports.handler = async (event) => { if (event && event.fail) throw new Error('refused: ' + event.fail); return { v: process.env.V, tf: event && event.tf }; };";

let dataDir: string;
let aws: LocalAws | undefined;

async function start(): Promise<LocalAws> {
    const p = resolvePaths();
    return LocalAws.start({ dataDir, rie: p.rie, python: p.python, nodeRuntime: p.nodeRuntime, minuteMs: 50, scheduleMinuteMs: 50 });
}

async function fn(local: LocalAws, name: string, env: string): Promise<{ id: string; outs: Props }> {
    return local.create(T.function, name, { name, role: "arn:aws:iam::000000000000:role/r", code: code("c1", HANDLER), handler: "index.handler", runtime: "nodejs24.x", publish: true, timeout: 10, memorySize: 128, environment: { variables: { V: env } } });
}

beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-local-aws-"));
    aws = await start();
    await aws.create(T.role, "r", { name: "r", assumeRolePolicy: trust, path: "/" });
});

afterEach(async () => {
    await aws?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
});

const invokeJson = async (local: LocalAws, name: string, qualifier: string): Promise<Record<string, unknown>> =>
    JSON.parse((await local.lambda.invoke(name, qualifier, Buffer.from("{}"))).payload.toString("utf8")) as Record<string, unknown>;

test("the state file restores functions with the same version numbers and aliases in a new LocalAws", async () => {
    const created = await fn(aws!, "f", "one");
    expect(created.outs).toMatchObject({ version: "1", arn: "arn:aws:lambda:us-east-1:000000000000:function:f", qualifiedArn: "arn:aws:lambda:us-east-1:000000000000:function:f:1" });
    const updated = await aws!.update(T.function, "f", created.id, created.outs, { ...created.outs, environment: { variables: { V: "two" } } });
    expect(updated.version).toBe("2");
    await aws!.create(T.alias, "a", { name: "live", functionName: "f", functionVersion: "1", description: "d" });
    await aws!.stop();

    aws = await start();
    expect(aws.lambda.versionsOf("f").map((v) => v.version)).toEqual(["1", "2"]);
    expect(await invokeJson(aws, "f", "live")).toMatchObject({ v: "one" });
    expect(await invokeJson(aws, "f", "2")).toMatchObject({ v: "two" });
    expect(aws.resources(T.role).map((r) => r.id)).toEqual(["r"]);
});

test("a tags-only update changes no code and publishes no version", async () => {
    const created = await fn(aws!, "f", "one");
    const updated = await aws!.update(T.function, "f", created.id, created.outs, { ...created.outs, tags: { a: "b" } });
    expect(updated.version).toBe("1");
    expect(aws!.lambda.versionsOf("f").map((v) => v.version)).toEqual(["1"]);
});

test("an Invocation whose function fails: the create errors with the payload and nothing is saved", async () => {
    await fn(aws!, "f", "one");
    const inputs = { functionName: "f", input: JSON.stringify({ fail: "no" }), lifecycleScope: "CRUD", qualifier: "$LATEST", terraformKey: "tf" };
    await expect(aws!.create(T.invocation, "inv", inputs)).rejects.toThrow(/^invoking Lambda Function \(f\): \{"errorType":"Error","errorMessage":"refused: no"/);
    expect(aws!.resources(T.invocation)).toEqual([]);
    expect(aws!.invocations.map((i) => [i.action, (i.event.tf as { prev_input: unknown }).prev_input, i.ok])).toEqual([["create", null, false]]);
});

test("CRUD Invocation payloads: create has prev_input null, update the old input, delete the input itself", async () => {
    await fn(aws!, "f", "one");
    const v1 = { functionName: "f", input: '{"n":1}', lifecycleScope: "CRUD", qualifier: "$LATEST", terraformKey: "tf" };
    const created = await aws!.create(T.invocation, "inv", v1);
    expect(created.id).toMatch(/^f,\$LATEST,[0-9a-f]{32}$/);
    const v2 = { ...v1, input: '{"n":2}' };
    const outs = await aws!.update(T.invocation, "inv", created.id, created.outs, v2);
    await aws!.delete(T.invocation, "inv", created.id, outs);
    expect(aws!.invocations.map((i) => i.event)).toEqual([
        { n: 1, tf: { action: "create", prev_input: null } },
        { n: 2, tf: { action: "update", prev_input: { n: 1 } } },
        { n: 2, tf: { action: "delete", prev_input: { n: 2 } } },
    ]);
    expect(JSON.parse(String(outs.result))).toEqual({ v: "one", tf: { action: "update", prev_input: { n: 1 } } });
});

test("CreateFunction refuses a role that does not trust lambda.amazonaws.com, with Lambda's message", async () => {
    await aws!.create(T.role, "other", { name: "other", assumeRolePolicy: trust.replace("lambda.amazonaws.com", "codedeploy.amazonaws.com"), path: "/" });
    await expect(
        aws!.create(T.function, "g", { name: "g", role: "arn:aws:iam::000000000000:role/other", code: code("c1", HANDLER), handler: "index.handler", runtime: "nodejs24.x", publish: true }),
    ).rejects.toThrow("creating Lambda Function (g): InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.");
});

test("a schedule reaches its Lambda target only with the events.amazonaws.com permission for that rule", async () => {
    await fn(aws!, "f", "one");
    const rule = await aws!.create(T.eventRule, "rule", { name: "rule", scheduleExpression: "rate(1 minute)" });
    await aws!.create(T.eventTarget, "t", { rule: "rule", targetId: "t1", arn: "arn:aws:lambda:us-east-1:000000000000:function:f", input: "{}" });
    expect(aws!.fireRule("rule")).toEqual([expect.objectContaining({ delivered: false, reason: expect.stringMatching(/no lambda:InvokeFunction permission/) })]);
    await aws!.create(T.permission, "p", { action: "lambda:InvokeFunction", function: "f", principal: "events.amazonaws.com", sourceArn: rule.outs.arn, statementId: "s" });
    expect(aws!.fireRule("rule")).toEqual([expect.objectContaining({ delivered: true })]);
    await aws!.lambda.drainAsync();
    expect(aws!.lambda.records.filter((r) => r.functionName === "f" && r.invocationType === "Event")).toHaveLength(1);
});

test("DeleteRole refuses while an inline policy remains", async () => {
    await aws!.create(T.rolePolicy, "rp", { name: "p", role: "r", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "lambda:GetAlias", Resource: "*" }] }) });
    await expect(aws!.delete(T.role, "r", "r", { name: "r" })).rejects.toThrow("DeleteConflict: Cannot delete entity, must delete policies first.");
});

test("an archive entry that escapes the package is refused, and nothing is written outside", async () => {
    const evil: Props = { [SIG_KEY]: ARCHIVE_SIG, hash: "evil", assets: { "../../escaped.js": { [SIG_KEY]: ASSET_SIG, hash: "e", text: "x" } } };
    await expect(aws!.create(T.function, "h", { name: "h", role: "arn:aws:iam::000000000000:role/r", code: evil, handler: "index.handler", runtime: "nodejs24.x" })).rejects.toThrow(
        "archive entry ../../escaped.js escapes the package",
    );
    expect(fs.existsSync(path.join(dataDir, "escaped.js"))).toBe(false);
    expect(aws!.lambda.hasFunction("h")).toBe(false);
});


describe("IAM from what the engine created: roles and policies stored, enforced for the function's calls", () => {
    const FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:f";
    const readAliases = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadAliases", Effect: "Allow", Action: ["lambda:GetAlias"], Resource: [FN_ARN] }] });
    const getAlias = () => aws!.iam.authorizeAs(aws!.lambda.sessionOf("f")!, "lambda", "GetAlias", { FunctionName: "f", Name: "live" });

    test("the function runs as its role; a RolePolicy created after it allows its next call, an update and a delete take the grant away", async () => {
        await fn(aws!, "f", "one");
        expect(aws!.lambda.sessionOf("f")?.arn).toBe("arn:aws:sts::000000000000:assumed-role/r/f");
        await expect(getAlias()).rejects.toThrow(
            `User: arn:aws:sts::000000000000:assumed-role/r/f is not authorized to perform: lambda:GetAlias on resource: ${FN_ARN} because no identity-based policy allows the lambda:GetAlias action`,
        );

        const created = await aws!.create(T.rolePolicy, "rp", { name: "p", role: "r", policy: readAliases });
        await expect(getAlias()).resolves.toMatchObject({ allowed: true });

        const updated = await aws!.update(T.rolePolicy, "rp", created.id, created.outs, { ...created.outs, policy: readAliases.replace(FN_ARN, `${FN_ARN}:live`) });
        await expect(getAlias()).rejects.toThrow(/is not authorized to perform: lambda:GetAlias/);

        await aws!.update(T.rolePolicy, "rp", created.id, updated, { ...updated, policy: readAliases });
        await expect(getAlias()).resolves.toMatchObject({ allowed: true });
        await aws!.delete(T.rolePolicy, "rp", created.id, { ...updated, policy: readAliases });
        await expect(getAlias()).rejects.toThrow(/is not authorized to perform: lambda:GetAlias/);
        expect(aws!.iam.summary()).toMatchObject({ evaluated: 5, denied: 3 });
    });

    test("IAM refuses a policy that is not JSON or has no Statement: the create fails and nothing is stored", async () => {
        await expect(aws!.create(T.rolePolicy, "bad", { name: "bad", role: "r", policy: "{not json" })).rejects.toThrow("MalformedPolicyDocument: RolePolicy bad of role r is not JSON");
        await expect(aws!.create(T.rolePolicy, "bad", { name: "bad", role: "r", policy: "{}" })).rejects.toThrow("MalformedPolicyDocument: RolePolicy bad of role r has no Statement");
        expect(aws!.resources(T.rolePolicy)).toEqual([]);
    });

    test("an attached managed policy is evaluated from its published document; one that is not AWS-managed is refused (NoSuchEntity)", async () => {
        await fn(aws!, "f", "one");
        await aws!.create(T.rolePolicyAttachment, "ro", { role: "r", policyArn: "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess" });
        await expect(getAlias()).resolves.toMatchObject({ allowed: true });
        await expect(aws!.create(T.rolePolicyAttachment, "mine", { role: "r", policyArn: "arn:aws:iam::000000000000:policy/mine" })).rejects.toThrow(/^NoSuchEntity: managed policy arn:aws:iam::000000000000:policy\/mine is not AWS-managed/);
        expect(aws!.resources(T.rolePolicyAttachment).map((r) => r.props.policyArn)).toEqual(["arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"]);
    });

    test("a function's SDK calls to a service without a stand-in go to loopback (AWS_ENDPOINT_URL), never to AWS", async () => {
        await fn(aws!, "f", "one");
        const env = aws!.lambda.functionConfig("f").env ?? {};
        expect(env.AWS_ENDPOINT_URL).toBe(`${aws!.endpoint}/no-stand-in-for-this-service`);
        expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
        expect(env.AWS_ENDPOINT_URL_LAMBDA).toBe(aws!.lambda.endpoint);
    });

    test("a restarted LocalAws restores the roles with their policies before the functions that run as them", async () => {
        await fn(aws!, "f", "one");
        await aws!.create(T.rolePolicy, "rp", { name: "p", role: "r", policy: readAliases });
        await aws!.stop();
        aws = await start();
        await expect(getAlias()).resolves.toMatchObject({ allowed: true });
    });
});

/**
 * Issue 11, "Every bad input gets a clear error before any resource exists": a table of
 * hostile and careless argument sets, each run through `new MangumFunction(...)` under
 * Pulumi mocks, as a program would. Each one either works as the user meant it, or fails
 * with a `MangumArgsError` (a `pulumi.RunError`: no stack trace) whose message names the
 * field and what is allowed, and before a single resource (not even the component) is
 * registered. A TypeError or any other exception is a crash, and fails its case.
 *
 * The first rows are the issue's own (7 crashes, then the silently accepted ones), then
 * types, ranges, NaN/Infinity, huge values, non-plain objects, prototype-pollution keys,
 * and the Outputs and Promises a `pulumi.Input` field must accept without inspection.
 *
 * HOSTILE_TALLY=<file> writes each case's outcome (clear / crash / silent / unclear /
 * works / refused) to <file>, for the before/after counts of the closing note.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vm from "vm";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, recorded, reset, settle } from "./helpers/pulumi-mocks";

installMocks();
// Imported after the mocks, as Pulumi requires.
import type * as lib from "../index";
import type * as awsTypes from "@pulumi/aws";
const { MangumFunction, DeploymentConfig } = require("../index") as typeof lib;
const aws = require("@pulumi/aws") as typeof awsTypes;

const CODE = __dirname;
const ARN = {
    topic: "arn:aws:sns:us-east-1:123456789012:deploys",
    fn: "arn:aws:lambda:us-east-1:123456789012:function:smoke",
    layer: "arn:aws:lambda:us-east-1:123456789012:layer:deps:3",
    policy: "arn:aws:iam::aws:policy/ReadOnlyAccess",
};

type Outcome = "clear" | "crash" | "silent" | "unclear" | "works" | "refused";

interface Case {
    label: string;
    /** Rows taken from the issue's list. */
    issue?: "crash" | "silent";
    /** The component name; "api" when absent. */
    name?: () => unknown;
    /** The whole argument object, or the fields added to `{ code }`. */
    args: () => unknown;
    whole?: boolean;
    /** A refusal: the field named in the message and what the message must say; or "ok" with an optional check. */
    expect: { field: string; says: string } | { ok: true; check?: (c: lib.MangumFunction) => void };
}

const bad = (field: string, says: string) => ({ field, says });
const ok = (check?: (c: lib.MangumFunction) => void) => ({ ok: true as const, ...(check ? { check } : {}) });
const trigger = (over: Record<string, unknown>) => ({ deployment: { triggers: [{ name: "t", topicArn: ARN.topic, events: ["DeploymentFailure"], ...over }] } });
const schedule = (s: unknown) => ({ keepWarm: { schedule: s } });
const statement = (over: Record<string, unknown>) => ({ policies: [{ Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*", ...over }] });
const envOf = (size: number, unit = "x") => ({ environment: { BIG: unit.repeat(size) } });
const cyclic = (): unknown[] => {
    const a: unknown[] = [250];
    a.push(a);
    return a;
};
const aFile = path.join(os.tmpdir(), `pulumi-mangum-not-a-dir-${process.pid}`);
fs.writeFileSync(aFile, "print('hello')\n");
afterAll(() => fs.rmSync(aFile, { force: true }));

const CASES: Case[] = [
    // ---- the issue's crashes ----------------------------------------------------
    { label: "policies as a string", issue: "crash", args: () => ({ policies: ARN.policy }), expect: bad("policies", "a list") },
    { label: "policies: [null]", issue: "crash", args: () => ({ policies: [null] }), expect: bad("policies[0]", "inline statement") },
    { label: "keepWarm: null", issue: "crash", args: () => ({ keepWarm: null }), expect: bad("keepWarm", "omit it") },
    { label: "keepWarm: [null]", issue: "crash", args: () => ({ keepWarm: [null] }), expect: bad("keepWarm[0]", "{ schedule?, concurrency? }") },
    { label: "args: null", issue: "crash", args: () => null, whole: true, expect: bad("The arguments", "at least `code`") },
    { label: "a trigger topic of *", issue: "crash", args: () => trigger({ topicArn: "*" }), expect: bad("deployment.triggers[0].topicArn", "SNS topic ARN") },
    {
        label: "a post-traffic ARN of *",
        issue: "crash",
        args: () => ({ deployment: { postTraffic: { functionName: "smoke", functionArn: "*" } } }),
        expect: bad("deployment.postTraffic.functionArn", "Lambda function ARN"),
    },

    // ---- the issue's silently accepted inputs --------------------------------------
    { label: "code as a number", issue: "silent", args: () => ({ code: 42 }), expect: bad("code", "directory path") },
    { label: "a name with spaces", issue: "silent", name: () => "my api", args: () => ({}), expect: bad("MangumFunction name", "1 to 39 letters, digits") },
    { label: "a name of 200 characters", issue: "silent", name: () => "a".repeat(200), args: () => ({}), expect: bad("MangumFunction name", "1 to 39") },
    { label: 'layers: [""]', issue: "silent", args: () => ({ layers: [""] }), expect: bad("layers[0]", "layer version ARN") },
    {
        label: "warmup.path with CRLF",
        issue: "silent",
        args: () => ({ warmup: { mode: "http", path: "/healthz\r\nX-Injected: 1" } }),
        expect: bad("warmup.path", "without spaces or control characters"),
    },
    { label: 'failOnCheckError: "false"', issue: "silent", args: () => ({ warmup: { failOnCheckError: "false" } }), expect: bad("warmup.failOnCheckError", "true or false") },
    { label: 'warmup: "fast"', issue: "silent", args: () => ({ warmup: "fast" }), expect: bad("warmup", "an object {") },
    { label: "misspelt warmup.concurrrency", issue: "silent", args: () => ({ warmup: { concurrrency: 3 } }), expect: bad("warmup.concurrrency", "did you mean warmup.concurrency?") },
    { label: "cron(99 99 ? * * *)", issue: "silent", args: () => schedule("cron(99 99 ? * * *)"), expect: bad("keepWarm.schedule", "minutes must be 0-59") },
    { label: "rate(2e21 minutes)", issue: "silent", args: () => schedule("rate(2e21 minutes)"), expect: bad("keepWarm.schedule", "whole number") },
    { label: "rate(2000000000000000000000 minutes)", issue: "silent", args: () => schedule(`rate(2${"0".repeat(21)} minutes)`), expect: bad("keepWarm.schedule", "from 1 to 525600 minutes") },
    { label: "keepWarm as a bare string", issue: "silent", args: () => ({ keepWarm: "rate(5 minutes)" }), expect: bad("keepWarm", 'keepWarm: [{ schedule: "rate(5 minutes)" }]') },
    { label: "alarms as a string", issue: "silent", args: () => ({ deployment: { alarms: "p99-latency" } }), expect: bad("deployment.alarms", 'write ["p99-latency"]') },
    { label: "an unknown trigger event", issue: "silent", args: () => trigger({ events: ["DeploymentFailed"] }), expect: bad("deployment.triggers[0].events[0]", 'did you mean "DeploymentFailure"') },
    { label: "a topic that is not an ARN", issue: "silent", args: () => trigger({ topicArn: "deploys" }), expect: bad("deployment.triggers[0].topicArn", "SNS topic ARN") },
    { label: "deployment.confg", issue: "silent", args: () => ({ deployment: { confg: DeploymentConfig.AllAtOnce } }), expect: bad("deployment.confg", "did you mean deployment.config?") },
    { label: "env AWS_REGION", issue: "silent", args: () => ({ environment: { AWS_REGION: "eu-west-1" } }), expect: bad("environment.AWS_REGION", "reserved by Lambda") },
    { label: "env _HANDLER", issue: "silent", args: () => ({ environment: { _HANDLER: "x.y" } }), expect: bad("environment._HANDLER", "reserved by Lambda") },
    { label: "env AWS_LAMBDA_FUNCTION_NAME", issue: "silent", args: () => ({ environment: { AWS_LAMBDA_FUNCTION_NAME: "x" } }), expect: bad("environment.AWS_LAMBDA_FUNCTION_NAME", "reserved") },
    { label: "env AWS_ACCESS_KEY_ID", issue: "silent", args: () => ({ environment: { AWS_ACCESS_KEY_ID: "AKIA..." } }), expect: bad("environment.AWS_ACCESS_KEY_ID", "reserved") },
    { label: "env AWS_DEFAULT_REGION", issue: "silent", args: () => ({ environment: { AWS_DEFAULT_REGION: "x" } }), expect: bad("environment.AWS_DEFAULT_REGION", "reserved") },
    { label: "env LAMBDA_TASK_ROOT", issue: "silent", args: () => ({ environment: { LAMBDA_TASK_ROOT: "/tmp" } }), expect: bad("environment.LAMBDA_TASK_ROOT", "reserved") },
    { label: "a non-string env value", issue: "silent", args: () => ({ environment: { PORT: 8080 } }), expect: bad("environment.PORT", 'must be a string (write "8080")') },
    { label: "more than 4 KB of variables", issue: "silent", args: () => envOf(4087), expect: bad("environment", "Lambda allows 4096 (4 KB)") },
    { label: "vpc: {}", issue: "silent", args: () => ({ vpc: {} }), expect: bad("vpc.subnetIds", "is required") },
    { label: "tags as a string", issue: "silent", args: () => ({ tags: "team=web" }), expect: bad("tags", "a map of tag keys") },
    { label: "an unknown top-level field", issue: "silent", args: () => ({ memory: 512 }), expect: bad("memory", "did you mean memorySize?") },

    // ---- the name -------------------------------------------------------------------
    { label: "a name of 40 characters", name: () => "n".repeat(40), args: () => ({}), expect: bad("MangumFunction name", "1 to 39") },
    { label: "an empty name", name: () => "", args: () => ({}), expect: bad("MangumFunction name", "1 to 39") },
    { label: "a name with a dot", name: () => "my.api", args: () => ({}), expect: bad("MangumFunction name", '"-" or "_"') },
    { label: "a name with a slash", name: () => "team/api", args: () => ({}), expect: bad("MangumFunction name", '"-" or "_"') },
    { label: "a name with an accent", name: () => "apí", args: () => ({}), expect: bad("MangumFunction name", "letters, digits") },
    { label: "a name that is a number", name: () => 42, args: () => ({}), expect: bad("MangumFunction name", "got 42") },
    { label: "a name of 39 characters works", name: () => "n".repeat(39), args: () => ({}), expect: ok() },
    { label: "a name with - and _ works", name: () => "orders_api-v2", args: () => ({}), expect: ok() },

    // ---- the arguments object itself ---------------------------------------------------------
    { label: "args undefined", args: () => undefined, whole: true, expect: bad("The arguments", "at least `code`") },
    { label: "args an array", args: () => [CODE], whole: true, expect: bad("The arguments", "got [") },
    { label: "args a string", args: () => CODE, whole: true, expect: bad("The arguments", "at least `code`") },
    { label: "args a Map", args: () => new Map([["code", CODE]]), whole: true, expect: bad("The arguments", "a Map instance") },
    { label: "args a class instance", args: () => new (class Args { code = CODE })(), whole: true, expect: bad("The arguments", "an Args instance (pass a plain { ... } object)") },
    { label: "args inheriting values", args: () => Object.assign(Object.create({ memorySize: 99999 }), { code: CODE }), whole: true, expect: bad("The arguments", "an object with a custom prototype (pass a plain { ... } object)") },
    { label: "args an Output", args: () => pulumi.output({ code: CODE }), whole: true, expect: bad("The arguments", "known when the program runs") },
    { label: "args a Promise", args: () => Promise.resolve({ code: CODE }), whole: true, expect: bad("The arguments", "a Promise") },
    {
        label: "a getter on the arguments",
        args: () => Object.defineProperty({ code: CODE }, "memorySize", { get: () => 512, enumerable: true }),
        whole: true,
        expect: bad("memorySize", "not a getter"),
    },
    {
        label: "a proxy whose traps throw",
        args: () =>
            new Proxy(
                { code: CODE },
                {
                    ownKeys() {
                        throw new Error("trap");
                    },
                },
            ),
        whole: true,
        expect: bad("The arguments could not be read", "pass plain objects"),
    },
    { label: "__proto__ as a JSON key", args: () => JSON.parse(`{"code": ${JSON.stringify(CODE)}, "__proto__": {"memorySize": 99999}}`), whole: true, expect: bad("__proto__", "MangumFunction takes") },
    { label: "constructor as a key", args: () => JSON.parse(`{"code": ${JSON.stringify(CODE)}, "constructor": {}}`), whole: true, expect: bad("constructor", "MangumFunction takes") },
    { label: "frozen args work", args: () => Object.freeze({ code: CODE, memorySize: 512 }), whole: true, expect: ok((c) => expect(c.settings.memorySize).toBe(512)) },
    { label: "null-prototype args work", args: () => Object.assign(Object.create(null), { code: CODE, timeout: 10 }), whole: true, expect: ok((c) => expect(c.settings.timeout).toBe(10)) },
    { label: "args from another realm work", args: () => vm.runInNewContext(`({ code: ${JSON.stringify(CODE)}, memorySize: 256 })`), whole: true, expect: ok((c) => expect(c.settings.memorySize).toBe(256)) },

    // ---- top-level misspellings ---------------------------------------------------------------
    { label: "concurrency at the top level", args: () => ({ concurrency: 3 }), expect: bad("concurrency", "did you mean warmup.concurrency?") },
    { label: "Timeout capitalised", args: () => ({ Timeout: 10 }), expect: bad("Timeout", "did you mean timeout?") },
    { label: "memmorySize", args: () => ({ memmorySize: 512 }), expect: bad("memmorySize", "did you mean memorySize?") },
    { label: "env instead of environment", args: () => ({ env: { A1: "b" } }), expect: bad("env", "did you mean environment?") },
    { label: "name in the arguments", args: () => ({ name: "api" }), expect: bad("Unknown field name", "first constructor argument") },
    { label: "a field with a control character in its name", args: () => ({ "time\nout": 10 }), expect: bad('["time\\nout"]', "did you mean timeout?") },

    // ---- code -------------------------------------------------------------------------------
    { label: "code missing", args: () => ({}), whole: true, expect: bad("code", "is required") },
    { label: "code empty", args: () => ({ code: "" }), expect: bad("code", "is required") },
    { label: "code null", args: () => ({ code: null }), expect: bad("code", "is required") },
    { label: "code a file", args: () => ({ code: aFile }), expect: bad("code", "is not a directory") },
    { label: "code a function", args: () => ({ code: () => CODE }), expect: bad("code", "got a function") },
    { label: "code a single asset", args: () => ({ code: new pulumi.asset.FileAsset(aFile) }), expect: bad("code", "AssetArchive") },
    { label: "code an archive works", args: () => ({ code: new pulumi.asset.AssetArchive({ "main.py": new pulumi.asset.StringAsset("x") }) }), expect: ok() },
    { label: "code an Output works", args: () => ({ code: pulumi.output(new pulumi.asset.FileArchive(CODE)) }), expect: ok() },

    // ---- scalars: types, ranges, NaN, Infinity, huge ---------------------------------------------
    { label: "memorySize NaN", args: () => ({ memorySize: NaN }), expect: bad("memorySize", "from 128 to 10240 MB; got NaN") },
    { label: "memorySize Infinity", args: () => ({ memorySize: Infinity }), expect: bad("memorySize", "from 128 to 10240 MB") },
    { label: "memorySize a string", args: () => ({ memorySize: "1024" }), expect: bad("memorySize", 'got "1024"') },
    { label: "memorySize huge", args: () => ({ memorySize: 1e10 }), expect: bad("memorySize", "from 128 to 10240") },
    { label: "memorySize a BigInt", args: () => ({ memorySize: BigInt(1024) }), expect: bad("memorySize", "got 1024n") },
    { label: "memorySize an Output", args: () => ({ memorySize: pulumi.output(512) }), expect: bad("memorySize", "must be a plain value") },
    { label: "memorySize a Number object", args: () => ({ memorySize: new Number(512) }), expect: bad("memorySize", "from 128 to 10240 MB; got a Number instance.") },
    { label: "timeout negative", args: () => ({ timeout: -5 }), expect: bad("timeout", "from 1 to 900 seconds") },
    { label: "timeout fractional", args: () => ({ timeout: 1.5 }), expect: bad("timeout", "an integer") },
    { label: "timeout -0", args: () => ({ timeout: -0 }), expect: bad("timeout", "got -0") },
    { label: "handler empty", args: () => ({ handler: "" }), expect: bad("handler", "module.attribute") },
    { label: "handler too long", args: () => ({ handler: `main.${"h".repeat(130)}` }), expect: bad("handler", "at most 128 characters") },
    { label: "handler with a trailing space", args: () => ({ handler: "main.handler " }), expect: bad("handler", "module.attribute") },
    { label: "handler a Symbol", args: () => ({ handler: Symbol("main.handler") }), expect: bad("handler", "Symbol(main.handler)") },
    { label: "runtime python3.9", args: () => ({ runtime: "python3.9" }), expect: bad("runtime", "python3.10, python3.11") },
    { label: "runtime an Output", args: () => ({ runtime: pulumi.output("python3.13") }), expect: bad("runtime", "python3.10") },
    { label: "architecture as the provider's list", args: () => ({ architecture: ["arm64"] }), expect: bad("architecture", '"arm64" or "x86_64"') },
    { label: "aliasName with a space", args: () => ({ aliasName: "live now" }), expect: bad("aliasName", "1 to 128 letters") },
    { label: "aliasName a number", args: () => ({ aliasName: 7 }), expect: bad("aliasName", "not only digits") },
    { label: "http true", args: () => ({ http: true }), expect: bad("http", '"function-url", "http-api" or "none"') },
    { label: "http in capitals", args: () => ({ http: "HTTP-API" }), expect: bad("http", '"function-url", "http-api" or "none"') },
    { label: "http null", args: () => ({ http: null }), expect: bad("http", "is null; omit it") },
    { label: "functionUrlAuth lower case", args: () => ({ functionUrlAuth: "none" }), expect: bad("functionUrlAuth", '"NONE" or "AWS_IAM"') },
    { label: "logRetentionDays negative", args: () => ({ logRetentionDays: -1 }), expect: bad("logRetentionDays", "CloudWatch's allowed values") },
    { label: "logRetentionDays a string", args: () => ({ logRetentionDays: "30" }), expect: bad("logRetentionDays", "one of 0, 1, 3") },
    { label: "reservedConcurrency Infinity", args: () => ({ reservedConcurrency: Infinity }), expect: bad("reservedConcurrency", "from 1 to 100000") },
    { label: "reservedConcurrency huge", args: () => ({ reservedConcurrency: 1e6 }), expect: bad("reservedConcurrency", "from 1 to 100000") },
    { label: "provisionedConcurrency NaN", args: () => ({ provisionedConcurrency: NaN }), expect: bad("provisionedConcurrency", "from 1 to 100000") },
    { label: 'snapStart "true"', args: () => ({ snapStart: "true" }), expect: bad("snapStart", "the boolean true, not the string") },
    { label: "snapStart 1", args: () => ({ snapStart: 1 }), expect: bad("snapStart", "true or false") },

    // ---- environment ------------------------------------------------------------------------
    { label: "environment as a string", args: () => ({ environment: "STAGE=prod" }), expect: bad("environment", "a map of variable names") },
    { label: "environment as pairs", args: () => ({ environment: [["STAGE", "prod"]] }), expect: bad("environment", "a map of variable names") },
    { label: "env key starting with a digit", args: () => ({ environment: { "1ABC": "x" } }), expect: bad("environment key", "start with a letter") },
    { label: "env key of one letter", args: () => ({ environment: { A: "x" } }), expect: bad("environment key", "at least 2") },
    { label: "env key with a dash", args: () => ({ environment: { "MY-VAR": "x" } }), expect: bad("environment key", "start with a letter") },
    { label: "env key with CRLF", args: () => ({ environment: { "A\r\nB": "x" } }), expect: bad('environment key "A\\r\\nB"', "start with a letter") },
    { label: "env __proto__ key", args: () => ({ environment: JSON.parse('{"__proto__": "x"}') }), expect: bad("environment key", "start with a letter") },
    { label: "env value null", args: () => ({ environment: { STAGE: null } }), expect: bad("environment.STAGE", "must be a string") },
    { label: "env value an object", args: () => ({ environment: { STAGE: { v: 1 } } }), expect: bad("environment.STAGE", "must be a string") },
    { label: "env value true", args: () => ({ environment: { DEBUG: true } }), expect: bad("environment.DEBUG", '(write "true")') },
    { label: "env of 4096 bytes works", args: () => envOf(4086), expect: ok() },
    { label: "env over 4 KB in UTF-8 bytes", args: () => envOf(2100, "é"), expect: bad("environment", "bytes as Lambda measures it") },
    { label: "env TZ works (unreserved)", args: () => ({ environment: { TZ: "Europe/Paris" } }), expect: ok() },
    { label: "env as an Output works", args: () => ({ environment: pulumi.output({ STAGE: "prod" }) }), expect: ok() },
    { label: "env with an Output value works", args: () => ({ environment: { DB_HOST: pulumi.output("db.internal") } }), expect: ok() },
    { label: "a thousand env problems are capped", args: () => ({ environment: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`${i}X`, "v"])) }), expect: bad("environment", "995 more problems") },

    // ---- vpc ----------------------------------------------------------------------------------
    { label: "vpc as a list", args: () => ({ vpc: ["subnet-1"] }), expect: bad("vpc", "{ subnetIds, securityGroupIds }") },
    { label: "vpc false", args: () => ({ vpc: false }), expect: bad("vpc", "omit vpc to run outside a VPC") },
    { label: "vpc subnetIds a string", args: () => ({ vpc: { subnetIds: "subnet-1", securityGroupIds: ["sg-1"] } }), expect: bad("vpc.subnetIds", 'write ["subnet-1"]') },
    { label: "vpc subnetIds empty", args: () => ({ vpc: { subnetIds: [], securityGroupIds: ["sg-1"] } }), expect: bad("vpc.subnetIds", "at least one") },
    {
        label: "vpc with six security groups",
        args: () => ({ vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"] } }),
        expect: bad("vpc.securityGroupIds", "at most 5"),
    },
    { label: "vpc a VPC id as a subnet", args: () => ({ vpc: { subnetIds: ["vpc-0abc"], securityGroupIds: ["sg-1"] } }), expect: bad("vpc.subnetIds[0]", '"subnet-') },
    { label: "vpc subnetIds [null]", args: () => ({ vpc: { subnetIds: [null], securityGroupIds: ["sg-1"] } }), expect: bad("vpc.subnetIds[0]", "got null") },
    { label: "vpc with vpcId", args: () => ({ vpc: { vpcId: "vpc-1", subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] } }), expect: bad("vpc.vpcId", "vpc takes subnetIds, securityGroupIds") },
    { label: "vpc of Outputs works", args: () => ({ vpc: { subnetIds: pulumi.output(["subnet-1"]), securityGroupIds: [pulumi.output("sg-1")] } }), expect: ok() },

    // ---- layers ---------------------------------------------------------------------------------
    { label: "layers a string", args: () => ({ layers: ARN.layer }), expect: bad("layers", "a list") },
    { label: "layers [42]", args: () => ({ layers: [42] }), expect: bad("layers[0]", "layer version ARN") },
    { label: "a layer without its version", args: () => ({ layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps"] }), expect: bad("layers[0]", "layer version ARN") },
    { label: "layers [null]", args: () => ({ layers: [null] }), expect: bad("layers[0]", "got null") },
    { label: "a million layers", args: () => ({ layers: new Array(1_000_000).fill(ARN.layer) }), expect: bad("layers", "at most 5") },
    { label: "layers of Outputs work", args: () => ({ layers: [pulumi.output(ARN.layer)] }), expect: ok() },

    // ---- policies --------------------------------------------------------------------------------
    { label: "a statement without Resource", args: () => ({ policies: [{ Action: "s3:GetObject" }] }), expect: bad("policies[0].Resource", "must name the resources") },
    { label: "an action with a space", args: () => statement({ Action: "s3 GetObject" }), expect: bad("policies[0].Action", '"service:Action"') },
    { label: "an empty action list", args: () => statement({ Action: [] }), expect: bad("policies[0].Action", "at least one action") },
    { label: "Actions misspelt", args: () => ({ policies: [{ Actions: "s3:GetObject", Resource: "*" }] }), expect: bad("policies[0].Actions", "did you mean policies[0].Action?") },
    { label: "Effect in lower case", args: () => statement({ Effect: "allow" }), expect: bad("policies[0].Effect", '"Allow" or "Deny"') },
    { label: "a Sid with a space", args: () => statement({ Sid: "read bucket" }), expect: bad("policies[0].Sid", "letters and digits") },
    { label: "a Condition that is a string", args: () => statement({ Condition: "aws:SecureTransport" }), expect: bad("policies[0].Condition", "{ Operator:") },
    { label: "a Resource that is a number", args: () => statement({ Resource: 42 }), expect: bad("policies[0].Resource", 'ARNs ("arn:...") or "*"') },
    { label: "a malformed policy ARN", args: () => ({ policies: ["arn:aws:iam::aws:policy"] }), expect: bad("policies[0]", "IAM policy ARN") },
    { label: "a policy ARN of another service", args: () => ({ policies: ["arn:aws:s3:::my-bucket"] }), expect: bad("policies[0]", "IAM policy ARN") },
    { label: "21 managed policies", args: () => ({ policies: Array.from({ length: 21 }, (_, i) => `arn:aws:iam::123456789012:policy/p${i}`) }), expect: bad("policies", "at most 20 managed policies") },
    { label: "a Promise as a policy", args: () => ({ policies: [Promise.resolve(ARN.policy)] }), expect: bad("policies[0]", "pulumi.output(promise)") },
    {
        label: "inline statements over IAM's size",
        args: () => statement({ Resource: Array.from({ length: 300 }, (_, i) => `arn:aws:s3:::bucket-number-${i}/*`) }),
        expect: bad("policies", "IAM allows 10,240"),
    },
    { label: "policies of Outputs work", args: () => ({ policies: [pulumi.output(ARN.policy), { Action: "s3:GetObject", Resource: pulumi.output("arn:aws:s3:::b/*") }] }), expect: ok() },
    { label: "a Deny statement works", args: () => statement({ Effect: "Deny", Sid: "NoDelete", Action: ["s3:DeleteObject"] }), expect: ok() },

    // ---- tags ----------------------------------------------------------------------------------
    { label: "51 tags", args: () => ({ tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) }), expect: bad("tags", "at most 50 tags") },
    { label: "a tag key with aws:", args: () => ({ tags: { "aws:owner": "me" } }), expect: bad('tag key "aws:owner"', 'not starting with "aws:"') },
    { label: "a tag value that is a number", args: () => ({ tags: { cost: 42 } }), expect: bad("tags.cost", "must be a string") },
    { label: "a tag value of 300 characters", args: () => ({ tags: { team: "w".repeat(300) } }), expect: bad("tags.team", "at most 256") },
    { label: "an empty tag key", args: () => ({ tags: { "": "v" } }), expect: bad('tag key ""', "1 to 128") },
    { label: "a tag key with !", args: () => ({ tags: { "team!": "v" } }), expect: bad('tag key "team!"', "_ . : / = + - @") },
    { label: "tags as an Output work", args: () => ({ tags: pulumi.output({ team: "web" }) }), expect: ok() },

    // ---- httpApi -------------------------------------------------------------------------------
    { label: "httpApi with a function URL", args: () => ({ httpApi: { throttlingRateLimit: 10 } }), expect: bad("httpApi", 'applies only to http: "http-api"') },
    { label: "httpApi burst 0", args: () => ({ http: "http-api", httpApi: { throttlingBurstLimit: 0 } }), expect: bad("httpApi.throttlingBurstLimit", "from 1 to 5000 requests") },
    { label: "httpApi burst fractional", args: () => ({ http: "http-api", httpApi: { throttlingBurstLimit: 1.5 } }), expect: bad("httpApi.throttlingBurstLimit", "an integer") },
    { label: "httpApi rate negative", args: () => ({ http: "http-api", httpApi: { throttlingRateLimit: -1 } }), expect: bad("httpApi.throttlingRateLimit", "above 0 and at most 10000") },
    { label: "httpApi rate Infinity", args: () => ({ http: "http-api", httpApi: { throttlingRateLimit: Infinity } }), expect: bad("httpApi.throttlingRateLimit", "at most 10000") },
    { label: "httpApi rate huge", args: () => ({ http: "http-api", httpApi: { throttlingRateLimit: 1e6 } }), expect: bad("httpApi.throttlingRateLimit", "at most 10000") },
    { label: "httpApi burstLimit", args: () => ({ http: "http-api", httpApi: { burstLimit: 10 } }), expect: bad("httpApi.burstLimit", "did you mean httpApi.throttlingBurstLimit?") },
    { label: 'httpApi "fast"', args: () => ({ http: "http-api", httpApi: "fast" }), expect: bad("httpApi", "{ throttlingBurstLimit?, throttlingRateLimit? }") },
    {
        label: "httpApi throttling is resolved",
        args: () => ({ http: "http-api", httpApi: { throttlingBurstLimit: 50, throttlingRateLimit: 20.5 } }),
        expect: ok((c) => expect(c.settings.httpApi).toEqual({ throttlingBurstLimit: 50, throttlingRateLimit: 20.5 })),
    },
    { label: "httpApi defaults", args: () => ({ http: "http-api" }), expect: ok((c) => expect(c.settings.httpApi).toEqual({ throttlingBurstLimit: 200, throttlingRateLimit: 100 })) },

    // ---- deployment ------------------------------------------------------------------------------
    { label: "deployment true", args: () => ({ deployment: true }), expect: bad("deployment", "omit deployment for the default canary") },
    { label: 'deployment "canary"', args: () => ({ deployment: "canary" }), expect: bad("deployment", "{ enabled: false } or {") },
    { label: "config by its short name", args: () => ({ deployment: { config: "Canary10Percent5Minutes" } }), expect: bad("deployment.config", "did you mean DeploymentConfig.Canary10Percent5Minutes?") },
    { label: "config by its CodeDeploy name", args: () => ({ deployment: { config: "CodeDeployDefault.LambdaAllAtOnce" } }), expect: bad("deployment.config", "did you mean DeploymentConfig.AllAtOnce?") },
    { label: "config null", args: () => ({ deployment: { config: null } }), expect: bad("deployment.config", "is null; omit it") },
    {
        label: "a custom config with percent",
        args: () => ({ deployment: { config: { kind: "custom", type: "Canary", percent: 10, intervalMinutes: 5 } } }),
        expect: bad("deployment.config.percent", "did you mean deployment.config.percentage?"),
    },
    {
        label: "a hand-made linear config of 0 minutes",
        args: () => ({ deployment: { config: { kind: "custom", type: "Linear", percentage: 10, intervalMinutes: 0 } } }),
        expect: bad("deployment.config", "intervalMinutes must be an integer from 1 to 2880"),
    },
    {
        label: "a hand-made predefined config works and is the catalogue's",
        args: () => ({ deployment: { config: { kind: "predefined", name: "CodeDeployDefault.LambdaAllAtOnce", type: "AllAtOnce", percentage: 100, intervalMinutes: 0 } } }),
        expect: ok((c) => expect(c.settings.deployment && c.settings.deployment.config).toBe(DeploymentConfig.AllAtOnce)),
    },
    { label: "eleven alarms", args: () => ({ deployment: { alarms: Array.from({ length: 11 }, (_, i) => `a${i}`) } }), expect: bad("deployment.alarms", "at most 10 alarms") },
    { label: "an alarm that is a number", args: () => ({ deployment: { alarms: [42] } }), expect: bad("deployment.alarms[0]", "1 to 255 characters") },
    { label: "an empty alarm name", args: () => ({ deployment: { alarms: [""] } }), expect: bad("deployment.alarms[0]", "1 to 255 characters") },
    { label: "an alarm name with a newline", args: () => ({ deployment: { alarms: ["a\nb"] } }), expect: bad("deployment.alarms[0]", "alarm name") },
    { label: "alarms [null]", args: () => ({ deployment: { alarms: [null] } }), expect: bad("deployment.alarms[0]", "got null") },
    { label: "an SNS topic as an alarm", args: () => ({ deployment: { alarms: [new aws.sns.Topic("not-an-alarm")] } }), expect: bad("deployment.alarms[0]", "got a Pulumi resource") },
    {
        label: "a MetricAlarm and an Output alarm work",
        args: () => ({
            deployment: {
                alarms: [new aws.cloudwatch.MetricAlarm("latency", { comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1 }), pulumi.output("p99")],
            },
        }),
        expect: ok(),
    },
    { label: 'errorAlarm "yes"', args: () => ({ deployment: { errorAlarm: "yes" } }), expect: bad("deployment.errorAlarm", "true, false or {") },
    { label: "errorAlarm threshold NaN", args: () => ({ deployment: { errorAlarm: { threshold: NaN } } }), expect: bad("deployment.errorAlarm.threshold", "from 1 to 100000") },
    { label: "errorAlarm treshold", args: () => ({ deployment: { errorAlarm: { treshold: 3 } } }), expect: bad("deployment.errorAlarm.treshold", "did you mean deployment.errorAlarm.threshold?") },
    { label: "errorAlarm 61 periods", args: () => ({ deployment: { errorAlarm: { evaluationPeriods: 61 } } }), expect: bad("deployment.errorAlarm.evaluationPeriods", "from 1 to 60") },
    { label: "triggers as one object", args: () => ({ deployment: { triggers: { name: "t", topicArn: ARN.topic, events: ["DeploymentFailure"] } } }), expect: bad("deployment.triggers", "a list") },
    {
        label: "eleven triggers",
        args: () => ({ deployment: { triggers: Array.from({ length: 11 }, (_, i) => ({ name: `t${i}`, topicArn: ARN.topic, events: ["DeploymentFailure"] })) } }),
        expect: bad("deployment.triggers", "at most 10 triggers"),
    },
    { label: "trigger events empty", args: () => trigger({ events: [] }), expect: bad("deployment.triggers[0].events", "at least one CodeDeploy event") },
    { label: "trigger events a string", args: () => trigger({ events: "DeploymentFailure" }), expect: bad("deployment.triggers[0].events", "at least one CodeDeploy event") },
    { label: "trigger name empty", args: () => trigger({ name: "" }), expect: bad("deployment.triggers[0].name", "non-empty string") },
    { label: "trigger topic an SQS queue", args: () => trigger({ topicArn: "arn:aws:sqs:us-east-1:123456789012:q" }), expect: bad("deployment.triggers[0].topicArn", "SNS topic ARN") },
    { label: "trigger topic with a short account", args: () => trigger({ topicArn: "arn:aws:sns:us-east-1:1:deploys" }), expect: bad("deployment.triggers[0].topicArn", "SNS topic ARN") },
    { label: "trigger topic instead of topicArn", args: () => ({ deployment: { triggers: [{ name: "t", topic: ARN.topic, events: ["DeploymentFailure"] }] } }), expect: bad("deployment.triggers[0].topic", "did you mean deployment.triggers[0].topicArn?") },
    { label: "triggers [null]", args: () => ({ deployment: { triggers: [null] } }), expect: bad("deployment.triggers[0]", "{ name, topicArn, events }") },
    { label: "a trigger topic Output works", args: () => trigger({ topicArn: pulumi.output(ARN.topic), events: ["DeploymentFailure", "DeploymentRollback"] }), expect: ok() },
    { label: "a GovCloud topic works", args: () => trigger({ topicArn: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:deploys" }), expect: ok() },
    { label: "postTraffic without its ARN", args: () => ({ deployment: { postTraffic: { functionName: "smoke" } } }), expect: bad("deployment.postTraffic", "{ functionName, functionArn }") },
    {
        label: "postTraffic naming two functions",
        args: () => ({ deployment: { postTraffic: { functionName: "other", functionArn: ARN.fn } } }),
        expect: bad("deployment.postTraffic", "name different functions"),
    },
    { label: "postTraffic true", args: () => ({ deployment: { postTraffic: true } }), expect: bad("deployment.postTraffic", 'false, "smoke", or') },
    { label: 'postTraffic "Smoke"', args: () => ({ deployment: { postTraffic: "Smoke" } }), expect: bad("deployment.postTraffic", 'false, "smoke", or') },
    {
        label: "postTraffic with a wildcard function",
        args: () => ({ deployment: { postTraffic: { functionName: "smoke", functionArn: "arn:aws:lambda:us-east-1:123456789012:function:*" } } }),
        expect: bad("deployment.postTraffic.functionArn", "Lambda function ARN"),
    },
    { label: "postTraffic of Outputs works", args: () => ({ deployment: { postTraffic: { functionName: pulumi.output("smoke"), functionArn: pulumi.output(ARN.fn) } } }), expect: ok() },
    { label: "postTraffic by ARN twice works", args: () => ({ deployment: { postTraffic: { functionName: ARN.fn, functionArn: ARN.fn } } }), expect: ok() },

    // ---- warmup ----------------------------------------------------------------------------------
    { label: "warmup null", args: () => ({ warmup: null }), expect: bad("warmup", "is null; omit it") },
    { label: "warmup a list", args: () => ({ warmup: [] }), expect: bad("warmup", "an object {") },
    { label: 'warmup.concurrency "5"', args: () => ({ warmup: { concurrency: "5" } }), expect: bad("warmup.concurrency", "from 1 to 100") },
    { label: "warmup.concurrency huge", args: () => ({ warmup: { concurrency: 1e9 } }), expect: bad("warmup.concurrency", "from 1 to 100") },
    { label: "warmup.concurrency NaN", args: () => ({ warmup: { concurrency: NaN } }), expect: bad("warmup.concurrency", "got NaN") },
    { label: "warmup.holdMs a number", args: () => ({ warmup: { holdMs: 300 } }), expect: bad("warmup.holdMs", "write [300, 300]") },
    { label: "warmup.holdMs [NaN, 400]", args: () => ({ warmup: { holdMs: [NaN, 400] } }), expect: bad("warmup.holdMs", "[min, max] integers") },
    { label: "warmup.holdMs one value", args: () => ({ warmup: { holdMs: [100] } }), expect: bad("warmup.holdMs", "[min, max] integers") },
    { label: "warmup.holdMs negative", args: () => ({ warmup: { holdMs: [-1, 400] } }), expect: bad("warmup.holdMs", "0 <= min") },
    { label: 'warmup.holdMs "250-400"', args: () => ({ warmup: { holdMs: "250-400" } }), expect: bad("warmup.holdMs", "[min, max] integers") },
    { label: "warmup.holdMs cyclic", args: () => ({ warmup: { holdMs: cyclic() } }), expect: bad("warmup.holdMs", "[min, max] integers") },
    { label: 'warmup.mode "HTTP"', args: () => ({ warmup: { mode: "HTTP", path: "/healthz" } }), expect: bad("warmup.mode", '"helper" or "http"') },
    { label: "warmup.path without a slash", args: () => ({ warmup: { mode: "http", path: "healthz" } }), expect: bad("warmup.path", 'must start with "/"') },
    { label: "warmup.path with a space", args: () => ({ warmup: { mode: "http", path: "/health check" } }), expect: bad("warmup.path", "without spaces") },
    { label: "warmup.path of 2000 characters", args: () => ({ warmup: { mode: "http", path: `/${"p".repeat(2000)}` } }), expect: bad("warmup.path", "at most 1024 characters") },
    { label: "warmup.path with a broken escape", args: () => ({ warmup: { mode: "http", path: "/health%zz" } }), expect: bad("warmup.path", "URL path") },
    { label: "warmup.path with a query works", args: () => ({ warmup: { mode: "http", path: "/healthz?full=1" } }), expect: ok() },
    { label: 'warmup.checks "db"', args: () => ({ warmup: { checks: "db" } }), expect: bad("warmup.checks", "a list of check names") },
    { label: "warmup.checks with a number", args: () => ({ warmup: { checks: ["db", 42] } }), expect: bad("warmup.checks", "a list of check names") },
    { label: "warmup.minDistinct 0", args: () => ({ warmup: { minDistinct: 0 } }), expect: bad("warmup.minDistinct", "from 1 to 5") },
    { label: "warmup.timeoutSeconds 901", args: () => ({ warmup: { timeoutSeconds: 901 } }), expect: bad("warmup.timeoutSeconds", "from 10 to 900 seconds") },
    { label: 'warmup.timeoutSeconds "120"', args: () => ({ warmup: { timeoutSeconds: "120" } }), expect: bad("warmup.timeoutSeconds", "from 10 to 900") },
    { label: "warmup.failOnCheckError 0", args: () => ({ warmup: { failOnCheckError: 0 } }), expect: bad("warmup.failOnCheckError", "true or false") },
    { label: "warmup __proto__ from JSON", args: () => ({ warmup: JSON.parse('{"__proto__": {"concurrency": 1000}}') }), expect: bad("warmup.__proto__", "warmup takes concurrency") },
    { label: "a null-prototype warmup works", args: () => ({ warmup: Object.assign(Object.create(null), { concurrency: 3 }) }), expect: ok((c) => expect(c.settings.warmup.concurrency).toBe(3)) },

    // ---- keepWarm and schedules ---------------------------------------------------------------------
    { label: "keepWarm true", args: () => ({ keepWarm: true }), expect: bad("keepWarm", "omit keepWarm for the default schedule") },
    { label: "eleven schedules", args: () => ({ keepWarm: Array.from({ length: 11 }, () => ({})) }), expect: bad("keepWarm", "at most 10 schedules") },
    { label: "keepWarm concurrency 101", args: () => ({ keepWarm: { concurrency: 101 } }), expect: bad("keepWarm.concurrency", "from 1 to 100") },
    { label: "keepWarm rate field", args: () => ({ keepWarm: { rate: "5 minutes" } }), expect: bad("keepWarm.rate", "keepWarm takes schedule, concurrency") },
    { label: "keepWarm a number", args: () => ({ keepWarm: 5 }), expect: bad("keepWarm", "false (off), one schedule") },
    { label: "cron with two ?", args: () => schedule("cron(0 12 ? * ? *)"), expect: bad("keepWarm.schedule", 'only one of day-of-month and day-of-week may be "?"') },
    { label: "cron hour 25", args: () => schedule("cron(0 25 * * ? *)"), expect: bad("keepWarm.schedule", "hours must be 0-23") },
    { label: "cron day 32", args: () => schedule("cron(0 12 32 * ? *)"), expect: bad("keepWarm.schedule", "day-of-month must be 1-31") },
    { label: "cron month 13", args: () => schedule("cron(0 12 ? 13 MON *)"), expect: bad("keepWarm.schedule", "month must be 1-12 or JAN-DEC") },
    { label: "cron day FUN", args: () => schedule("cron(0 12 ? * MON-FUN *)"), expect: bad("keepWarm.schedule", "day-of-week must be 1-7 or SUN-SAT") },
    { label: "cron year 1969", args: () => schedule("cron(0 12 ? * * 1969)"), expect: bad("keepWarm.schedule", "year must be 1970-2199") },
    { label: "cron step 0", args: () => schedule("cron(0/0 * ? * * *)"), expect: bad("keepWarm.schedule", "minutes must be 0-59") },
    { label: "cron with two # expressions", args: () => schedule("cron(0 9 ? * 3#1,6#3 *)"), expect: bad("keepWarm.schedule", "day-of-week") },
    { label: "rate(1.5 hours)", args: () => schedule("rate(1.5 hours)"), expect: bad("keepWarm.schedule", "whole number") },
    { label: "rate(5 weeks)", args: () => schedule("rate(5 weeks)"), expect: bad("keepWarm.schedule", "minute(s), hour(s) or day(s)") },
    { label: "rate(-5 minutes)", args: () => schedule("rate(-5 minutes)"), expect: bad("keepWarm.schedule", "whole number") },
    { label: "rate(366 days)", args: () => schedule("rate(366 days)"), expect: bad("keepWarm.schedule", "from 1 to 365 days") },
    { label: "a schedule of 300 characters", args: () => schedule(`cron(${"1,".repeat(140)}1 * ? * * *)`), expect: bad("keepWarm.schedule", "at most 256 characters") },
    {
        label: "a hundred thousand unknown fields stay readable",
        args: () => Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
        expect: bad("Unknown field k0", "MangumFunction: 99995 more problems like these."),
    },
    { label: "a schedule that is a number", args: () => schedule(5), expect: bad("keepWarm.schedule", "a schedule expression like") },
    { label: "a schedule with a shell tail", args: () => schedule("cron(0 12 * * ? *); rm -rf /"), expect: bad("keepWarm.schedule", "a schedule expression like") },
    { label: "cron */5 works", args: () => schedule("cron(*/5 * * * ? *)"), expect: ok() },
    { label: "cron MON-FRI works", args: () => schedule("cron(0/5 8-18 ? * MON-FRI *)"), expect: ok() },
    { label: "cron last Friday works", args: () => schedule("cron(15 10 ? * 6L 2022-2199)"), expect: ok() },
    { label: "cron LW works", args: () => schedule("cron(0 12 LW * ? *)"), expect: ok() },
    { label: "cron 3#2 works", args: () => schedule("cron(0 9 ? * 3#2 *)"), expect: ok() },
    { label: "keepWarm false works", args: () => ({ keepWarm: false }), expect: ok((c) => expect(c.settings.keepWarm).toEqual([])) },
    { label: "deployment false works", args: () => ({ deployment: false }), expect: ok((c) => expect(c.settings.deployment).toBe(false)) },
];

const tally: Record<string, Outcome> = {};
const messages: Record<string, string> = {};

function describe_(c: Case): string {
    return `${c.issue ? `[issue: ${c.issue}] ` : ""}${c.label}`;
}

async function attempt(c: Case): Promise<{ error: unknown; component?: lib.MangumFunction; registered: number }> {
    const args = c.whole ? c.args() : { code: CODE, ...(c.args() as object) };
    const name = c.name ? c.name() : "api";
    // Resources a case builds for its arguments (an alarm, a topic) are not the component's.
    await settle();
    reset();
    let error: unknown;
    let component: lib.MangumFunction | undefined;
    try {
        component = new MangumFunction(name as string, args as lib.MangumFunctionArgs);
    } catch (e) {
        error = e;
    }
    await settle();
    return { error, component, registered: recorded.length };
}

function classify(c: Case, r: { error: unknown }): Outcome {
    const e = r.error as { name?: unknown; message?: unknown } | undefined;
    const refused = e !== undefined && e !== null && e.name === "MangumArgsError";
    if ("ok" in c.expect) return r.error === undefined ? "works" : refused ? "refused" : "crash";
    if (r.error === undefined) return "silent";
    if (!refused) return "crash";
    const message = String(e!.message);
    return message.includes(c.expect.field) && message.includes(c.expect.says) ? "clear" : "unclear";
}

describe("hostile and careless arguments (issue 11)", () => {
    afterAll(() => {
        if (process.env.HOSTILE_TALLY) fs.writeFileSync(process.env.HOSTILE_TALLY, JSON.stringify({ cases: CASES.map((c) => ({ label: describe_(c), outcome: tally[c.label], message: messages[c.label] })) }, null, 1));
    });

    test("the table has every case the issue lists and at least 146 in all", () => {
        expect(CASES.length).toBeGreaterThanOrEqual(146);
        expect(CASES.filter((c) => c.issue === "crash")).toHaveLength(7);
        expect(new Set(CASES.map((c) => c.label)).size).toBe(CASES.length);
    });

    test.each(CASES.map((c) => [describe_(c), c] as const))("%s", async (_label, c) => {
        const r = await attempt(c);
        const outcome = classify(c, r);
        tally[c.label] = outcome;
        messages[c.label] = r.error instanceof Error ? r.error.message : r.error === undefined ? "" : String(r.error);
        if ("ok" in c.expect) {
            expect(r.error).toBeUndefined();
            expect(r.registered).toBeGreaterThan(0);
            c.expect.check?.(r.component!);
            return;
        }
        // A refusal: a RunError (printed without a stack trace) naming the field and the rule, and nothing registered.
        expect(r.error).toBeDefined();
        expect((r.error as Error).name).toBe("MangumArgsError");
        expect(pulumi.RunError.isInstance(r.error)).toBe(true);
        expect((r.error as Error).message).toContain(c.expect.field);
        expect((r.error as Error).message).toContain(c.expect.says);
        expect(r.registered).toBe(0);
        expect(outcome).toBe("clear");
    });
});

describe("no side effects", () => {
    test("a __proto__ key in the arguments pollutes nothing", async () => {
        const args = JSON.parse(`{"code": ${JSON.stringify(CODE)}, "__proto__": {"polluted": true}, "warmup": {"__proto__": {"polluted": true}}}`);
        expect(() => new MangumFunction("api", args)).toThrow("Unknown field __proto__");
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty("polluted");
    });

    test("validation does not read inherited values: Object.prototype pollution does not reach the settings", () => {
        const proto = Object.prototype as Record<string, unknown>;
        proto.memorySize = 99999;
        proto.warmup = { concurrency: 1000 };
        try {
            const { resolveMangumFunctionArgs } = require("../index") as typeof lib;
            const { settings, problems } = resolveMangumFunctionArgs({ code: CODE });
            expect(problems).toEqual([]);
            expect(settings.memorySize).toBe(1024);
            expect(settings.warmup.concurrency).toBe(5);
        } finally {
            delete proto.memorySize;
            delete proto.warmup;
        }
    });
});

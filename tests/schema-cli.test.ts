/**
 * From the schema to a Python program, with the Pulumi CLI built from the Go module proxy
 * (scripts/pulumi-cli.sh):
 *
 * 1. `pulumi package gen-sdk <schema> --language python` on the schema the plugin serves
 *    (tests/helpers/package-schema.ts). The CLI hands Python code generation to a language
 *    plugin; pulumi-language-python cannot be had from the proxy, so a stand-in with the real
 *    host's GeneratePackage over pkg/v3's codegen/python runs (scripts/python-sdk-gen.sh),
 *    and a stand-in `aws` plugin answers the schema lookups of the resource outputs.
 * 2. examples/python-fastapi runs under Pulumi's Python mocks, importing the generated SDK
 *    (pip-installed into a scratch directory, never committed) and the pinned `pulumi` and
 *    `pulumi-aws` PyPI packages; the MangumFunction's inputs are recorded as the Python SDK
 *    sends them to the engine.
 * 3. Those inputs are replayed into the TypeScript component under the TypeScript mocks, the
 *    way the component provider's Construct receives them, and the resources it creates are
 *    compared with those of the same deployment written as a TypeScript program.
 *
 * Slow the first time (the CLI build, ~9 min; the code generator, ~1 min; a virtualenv from
 * PyPI): everything is cached outside the checkout.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, recorded, reset, settle } from "./helpers/pulumi-mocks";

installMocks();
// Imported after the mocks, as Pulumi requires.
import type * as lib from "../index";
import type * as schemaHelpers from "./helpers/package-schema";
const { MangumFunction, DeploymentConfig } = require("../index") as typeof lib;
const { ROOT, packageSchema, writeAwsSchemaStub } = require("./helpers/package-schema") as typeof schemaHelpers;

jest.setTimeout(20 * 60_000);

const EXAMPLE = path.join(ROOT, "examples", "python-fastapi");

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`.slice(-6000));
    return r.stdout;
}

/** The CLI, the stand-in Python code generator and the example's virtualenv, provisioned by the project's scripts. */
function toolchain(): { pulumi: string; genDir: string; python: string; nodeDir: string } {
    const out = run("bash", [
        "-c",
        [
            "set -e",
            "source scripts/toolchain.sh >&2",
            "pm_ensure_node >&2",
            "source scripts/pulumi-cli.sh",
            "pm_ensure_pulumi_cli >&2",
            "source scripts/python-sdk-gen.sh",
            "pm_ensure_python_sdk_gen >&2",
            "pm_ensure_python_sdk_venv >&2",
            'echo "$PM_PULUMI|$PM_PYTHON_SDK_GEN_DIR|$PM_SDK_PYTHON|$(dirname "$(command -v node)")"',
        ].join("\n"),
    ]);
    const [pulumiBin, genDir, python, nodeDir] = out.trim().split("\n").pop()!.split("|");
    return { pulumi: pulumiBin!, genDir: genDir!, python: python!, nodeDir: nodeDir! };
}

describe("Python: gen-sdk, the example under mocks, the inputs replayed into the TypeScript component", () => {
    let work: string;
    let sdk: string;
    let resources: Array<{ type: string; name: string; inputs: Record<string, any> }>;
    let python: string;
    let pyEnv: NodeJS.ProcessEnv;

    beforeAll(async () => {
        const tools = toolchain();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-mangum-python-"));
        const schema = await packageSchema();
        fs.writeFileSync(path.join(work, "schema.json"), JSON.stringify(schema));
        const stub = writeAwsSchemaStub(path.join(work, "aws-stub"), schema);
        const env = {
            ...process.env,
            PATH: [stub, tools.genDir, tools.nodeDir, process.env.PATH].join(path.delimiter),
            PULUMI_HOME: path.join(work, "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
        run(tools.pulumi, ["package", "gen-sdk", path.join(work, "schema.json"), "--language", "python", "--out", path.join(work, "sdk")], { env });
        sdk = path.join(work, "sdk", "python");
        // Installed, not only put on the path: the SDK reads its version from its distribution metadata.
        run(tools.python, ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", path.join(work, "site"), sdk], { env });
        const code = path.join(work, "build");
        fs.mkdirSync(code);
        fs.writeFileSync(path.join(code, "main.py"), "handler = None\n");
        const out = path.join(work, "resources.json");
        python = tools.python;
        pyEnv = { ...env, PYTHONPATH: path.join(work, "site") };
        run(python, [path.join(EXAMPLE, "tests", "run_under_mocks.py"), code, out], { env: pyEnv });
        resources = JSON.parse(fs.readFileSync(out, "utf8"));
    });

    afterAll(() => {
        if (work && process.env.KEEP_WORK !== "1") fs.rmSync(work, { recursive: true, force: true });
    });

    test("gen-sdk writes the module pulumi_mangum, with WarmupArgs (not WarmupArgsArgs) and real enums", () => {
        const pkg = path.join(sdk, "pulumi_mangum");
        expect(fs.existsSync(path.join(pkg, "mangum_function.py"))).toBe(true);
        const inputs = fs.readFileSync(path.join(pkg, "_inputs.py"), "utf8");
        expect(inputs).toMatch(/^class WarmupArgs:/m);
        expect(inputs).not.toMatch(/ArgsArgs/);
        const enums = fs.readFileSync(path.join(pkg, "_enums.py"), "utf8");
        expect(enums).toMatch(/class HttpFrontDoor\(_builtins\.str, Enum\):[\s\S]*?HTTP_API = "http-api"/);
        expect(fs.readFileSync(path.join(sdk, "setup.py"), "utf8")).toContain("setup(name='pulumi_mangum'");
    });

    test("the Python program registers one MangumFunction, its inputs in the schema's wire names", () => {
        const components = resources.filter((r) => r.type === "pulumi-mangum:index:MangumFunction");
        expect(components).toHaveLength(1);
        expect(Object.keys(components[0]!.inputs).sort()).toEqual(
            ["code", "deployment", "environment", "handler", "http", "keepWarm", "policyStatements", "timeout", "vpc", "warmup"].sort(),
        );
        expect(components[0]!.inputs.deployment).toEqual({ config: { name: "CodeDeployDefault.LambdaCanary10Percent5Minutes" }, errorAlarm: {} });
    });

    test.each(["README.md", path.join("docs", "multi-language.md")])("the Python snippets of %s run against the generated SDK", (doc) => {
        const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
        // The Pulumi programs among them (the README also shows app code).
        const blocks = [...text.matchAll(/^```python\n([\s\S]*?)^```/gm)].map((m) => m[1]!).filter((c) => c.includes("import pulumi_mangum"));
        expect(blocks.length).toBeGreaterThan(0);
        blocks.forEach((code, i) => {
            const file = path.join(work, `snippet-${path.basename(doc, ".md")}-${i}.py`);
            fs.writeFileSync(file, code);
            const out = path.join(work, `snippet-${i}.json`);
            run(python, [path.join(EXAMPLE, "tests", "run_under_mocks.py"), path.join(work, "build"), out, file], { env: pyEnv });
            const registered = JSON.parse(fs.readFileSync(out, "utf8")) as Array<{ type: string }>;
            expect(registered.map((r) => r.type)).toContain("pulumi-mangum:index:MangumFunction");
        });
    });

    test("replayed into the TypeScript component, those inputs create exactly what the TypeScript program creates", async () => {
        const py = resources.find((r) => r.type === "pulumi-mangum:index:MangumFunction")!;
        const replayed = { ...py.inputs, code: new pulumi.asset.FileArchive(py.inputs.code.path) } as lib.MangumFunctionArgs;
        const secretArn = py.inputs.environment.DB_SECRET_ARN as string;
        // The ids the Python run's mocks gave the subnets and the API's security group (run_under_mocks.py).
        const id = (prefix: string, name: string) => `${prefix}-${createHash("sha1").update(name).digest("hex").slice(0, 8)}`;
        // The deployment as a TypeScript program writes it (examples/fastapi-postgres), with the values the Python run's mocks produced.
        const typescript: lib.MangumFunctionArgs = {
            code: py.inputs.code.path,
            handler: "main.handler",
            timeout: 15,
            environment: { DB_SECRET_ARN: secretArn, DB_HOST: "db.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com", DB_PORT: "5432", DB_NAME: "app" },
            vpc: { subnetIds: [id("subnet", "app-private-0"), id("subnet", "app-private-1")], securityGroupIds: [id("sg", "api")] },
            policyStatements: [{ Sid: "ReadTheDatabaseSecret", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] }],
            http: "http-api",
            deployment: { config: DeploymentConfig.Canary10Percent5Minutes, errorAlarm: {} },
            warmup: { checks: ["db"] },
            keepWarm: [{ schedule: "rate(5 minutes)" }],
        };
        const graph = async (args: lib.MangumFunctionArgs) => {
            reset();
            new MangumFunction("api", args);
            await settle();
            return Promise.all(recorded.map(async (r) => ({ type: r.type, name: r.name, inputs: (await plain(r.inputs)) as Record<string, any> })));
        };
        const fromPython = await graph(replayed);
        const fromTypeScript = await graph(typescript);
        expect(fromPython.length).toBeGreaterThan(30);
        expect(fromPython).toEqual(fromTypeScript);
        // The inputs that came from Python reached the resources.
        const fn = fromPython.find((r) => r.type === "aws:lambda/function:Function" && r.name === "api")!;
        expect(fn.inputs).toMatchObject({ timeout: 15, vpcConfig: { subnetIds: [id("subnet", "app-private-0"), id("subnet", "app-private-1")], securityGroupIds: [id("sg", "api")] }, code: { archive: py.inputs.code.path } });
        const stage = fromPython.find((r) => r.type === "aws:apigatewayv2/stage:Stage")!;
        expect(stage.inputs.defaultRouteSettings).toEqual({ throttlingBurstLimit: 200, throttlingRateLimit: 100 });
        expect(fromPython.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => r.name)).toEqual(["api-errors"]);
    });
});

/** Recorded inputs with archives and assets by what they hold (their paths are Promises), for deep comparison. */
async function plain(v: unknown): Promise<unknown> {
    if (pulumi.asset.Archive.isInstance(v) || pulumi.asset.Asset.isInstance(v)) {
        const a = v as unknown as Record<string, unknown>;
        if (a.path !== undefined) return { archive: await a.path };
        if (a.assets !== undefined) return { assets: await plain(await a.assets) };
        return { other: Object.keys(a).sort() };
    }
    if (Array.isArray(v)) return Promise.all((v as unknown[]).map(plain));
    if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await plain(x);
        return out;
    }
    return v;
}

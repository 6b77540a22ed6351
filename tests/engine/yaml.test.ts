/**
 * MangumFunction from Pulumi YAML programs on the real engine (issue 14's last test, issue 13's
 * YAML part): pulumi-language-yaml (built from the Go proxy by scripts/pulumi-cli.sh) runs the
 * program, and the engine gets MangumFunction from the package's own plugin,
 * rehearsal/engine/yaml/pulumi-resource-pulumi-mangum: @pulumi/pulumi's run-plugin on the
 * repository root, as the Node.js language host runs a `runtime: nodejs` package. So the
 * program is type-checked against the schema the analyzer infers (tests/schema) and the
 * component is built by Construct, the path Python, Go and C# programs take.
 *
 * 1. The YAML program of docs/multi-language.md, as written (its code path replaced by the
 *    rehearsal's app, its `packages:` git URL by the plugin on PATH): `preview`, then `up`.
 * 2. The engine lifecycle of tests/engine/lifecycle.test.ts from a YAML program.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineRig, type EngineStep } from "../../rehearsal/engine/rig";
import { runLifecycle, type StepReport } from "../../rehearsal/engine/lifecycle";
import { checkLifecycle } from "../../rehearsal/engine/expectations";
import { httpEvent } from "../../rehearsal/scenarios/stage";
import { docsYamlProgram, DocsProgramError, DOCS_CODE_PATH } from "../../rehearsal/engine/yaml/program";
import { localAwsSchema } from "../../rehearsal/provider/awsSchema";
import { awsPluginVersion } from "../../rehearsal/provider/plugin";

jest.setTimeout(30 * 60_000);

const ROOT = path.resolve(__dirname, "..", "..");
const APP = path.join(ROOT, "rehearsal", "app");
const COMPONENT = "pulumi-mangum:index:MangumFunction";
/** How an exported state marks a secret value (sdk/go/common/resource/sig: the signature key and the secret signature). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** `type::name` → state entry, from the engine's exported state. */
async function stateOf(rig: EngineRig): Promise<Record<string, { id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }>> {
    const out: Record<string, { id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> = {};
    for (const r of await rig.state()) out[`${r.type}::${r.urn.split("::").pop()}`] = r;
    return out;
}

/**
 * Where `needle` appears in `value` (JSON paths) outside a secret. The Automation API's
 * exportStack runs `pulumi stack export --show-secrets`, so a secret shows as
 * `{ [SECRET_SIG_KEY]: SECRET_SIG, plaintext }`: skipped here.
 */
function pathsHolding(value: unknown, needle: string, at = "$"): string[] {
    if (typeof value === "string") return value.includes(needle) ? [at] : [];
    if (value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG) return [];
    if (Array.isArray(value)) return value.flatMap((v, i) => pathsHolding(v, needle, `${at}[${i}]`));
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => pathsHolding(v, needle, `${at}[${JSON.stringify(k)}]`));
    return [];
}

test("the local aws plugin serves a schema with every aws resource the package's schema points at", () => {
    // Without it the YAML host cannot bind MangumFunction at all ("error binding type for property
    // \"function\": … it looks like GetSchema is not implemented").
    const served = JSON.parse(localAwsSchema(path.join(ROOT, "node_modules", "@pulumi", "aws"), awsPluginVersion())) as { name: string; version: string; resources: Record<string, { properties: Record<string, unknown> }> };
    const refs = [...fs.readFileSync(path.join(ROOT, "tests", "schema", "pulumi-mangum.schema.json"), "utf8").matchAll(/"\/aws\/v[^"]*?\/schema\.json#\/resources\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
    expect(refs.length).toBeGreaterThan(0);
    expect(served).toMatchObject({ name: "aws", version: awsPluginVersion() });
    for (const token of refs) expect(Object.keys(served.resources)).toContain(token);
    // What the YAML programs read through the component's `function` output.
    expect(Object.keys(served.resources["aws:lambda/function:Function"]!.properties)).toEqual(expect.arrayContaining(["name", "arn", "version", "qualifiedArn"]));
});

describe("the docs' YAML program (docs/multi-language.md), preview and up on the real engine", () => {
    let rig: EngineRig | undefined;
    let preview: EngineStep;
    let up: EngineStep;
    let state: Awaited<ReturnType<typeof stateOf>> = {};
    let served: Record<string, number> = {};
    const iam = { evaluated: 0, denials: [] as string[] };
    let stateFiles = 0;
    let leakedTo: string[] = [];
    let schemaCaches: { run: string[]; checkout: string[] } = { run: [], checkout: [] };

    beforeAll(async () => {
        rig = await EngineRig.start({ language: "yaml", yamlSource: docsYamlProgram(ROOT, APP), minuteMs: 200, scheduleMinuteMs: 200 });
        await rig.stack.setConfig("databaseUrl", { value: rig.pg.url(), secret: true });
        preview = await rig.preview("preview");
        up = await rig.up("up");
        state = await stateOf(rig);
        // What the backend wrote to disk (the file backend's checkpoints and their backups).
        const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
        const files = walk(path.join(rig.workDir, "backend"));
        stateFiles = files.length;
        leakedTo = files.filter((f) => fs.readFileSync(f, "utf8").includes(rig!.pg.url())).map((f) => path.relative(rig!.workDir, f));
        const fn = Object.values(state).find((r) => r.outputs?.name !== undefined && /^api-[0-9a-f]{7}$/.test(String(r.outputs.name)));
        if (fn) {
            const name = String(fn.outputs!.name);
            // Users come through the front door (userRequests finds the rehearsal's `app-…` function; the docs' resource is `api`).
            for (let i = 0; i < 5; i++) {
                const out = await rig.aws.lambda.invoke(name, "live", Buffer.from(JSON.stringify(httpEvent("/"))));
                served[out.version] = (served[out.version] ?? 0) + 1;
            }
        }
        for (const c of rig.aws.iam.calls) {
            if (!c.outside) iam.evaluated++;
            if (!c.allowed) iam.denials.push(`${c.caller}: ${c.denied?.action ?? `${c.service}:${c.operation}`} on ${c.denied?.resource ?? "?"}`);
        }
        const down = await rig.destroy("destroy");
        if (!down.ok) throw new Error(`destroy failed:\n${down.error}`);
        schemaCaches = { run: fs.readdirSync(path.join(rig.workDir, "plugins")).filter((f) => f.startsWith("schema-")), checkout: walk(path.join(ROOT, "rehearsal")).filter((f) => /\/schema-[^/]*\.json$/.test(f)) };
    }, 20 * 60_000);

    afterAll(async () => {
        await rig?.stop();
    });

    test("the program the test runs is the docs' block with only the code path and the package source changed", () => {
        const page = fs.readFileSync(path.join(ROOT, "docs", "multi-language.md"), "utf8");
        const block = /^## YAML\s*$[\s\S]*?^```yaml\n([\s\S]*?)^```$/m.exec(page)![1]!;
        const ran = docsYamlProgram(ROOT, APP);
        expect(block).toContain(`fn::fileArchive: ${DOCS_CODE_PATH}`);
        expect(ran).toBe(block.replace(/^packages:\n(?:\s+.*\n)+/m, "").replace(`fn::fileArchive: ${DOCS_CODE_PATH}`, `fn::fileArchive: ${APP}`));
        expect(() => docsYamlProgram(ROOT, "relative/dir")).toThrow(DocsProgramError);
        expect(() => docsYamlProgram(ROOT, "/tmp/x ${evil}")).toThrow(DocsProgramError);
    });

    test("preview succeeds and plans the component and its AWS resources", () => {
        expect(preview.error).toBeUndefined();
        expect(preview.ok).toBe(true);
        // The stack, the aws provider, the component and its children (HTTP API front door included).
        expect(preview.changes.create).toBeGreaterThan(20);
        expect(preview.changes.update ?? 0).toBe(0);
    });

    test("up creates them through the package's plugin, with the docs' options, IAM enforced and nothing denied", () => {
        expect(up.error).toBeUndefined();
        expect(up.ok).toBe(true);
        expect(up.changes.create).toBe(preview.changes.create);
        expect(up.outputs).toMatchObject({
            version: "1",
            // The HTTP API endpoint (`http: http-api`), not a function URL.
            url: expect.stringMatching(/^https:\/\/[a-z0-9]+\.execute-api\.us-east-1\.amazonaws\.com$/),
            deployment: expect.objectContaining({ toVersion: "1" }),
        });
        expect(Object.keys(state)).toContain(`${COMPONENT}::api`);
        const types = new Set(Object.keys(state).map((k) => k.split("::")[0]));
        // The docs' options took effect: `http: http-api` builds an HTTP API, `keepWarm` a schedule.
        expect([...types]).toEqual(expect.arrayContaining(["aws:apigatewayv2/api:Api", "aws:apigatewayv2/stage:Stage", "aws:cloudwatch/eventRule:EventRule", "aws:codedeploy/deploymentGroup:DeploymentGroup"]));
        const rules = Object.entries(state).filter(([k]) => k.startsWith("aws:cloudwatch/eventRule:EventRule::"));
        expect(rules.map(([, r]) => r.inputs!.scheduleExpression)).toEqual(["rate(5 minutes)"]);
        const fn = Object.values(state).find((r) => /^api-[0-9a-f]{7}$/.test(String(r.outputs?.name)))!;
        // The archive the program named, the analyzer's `code: Archive`, reached the function as an archive.
        expect(fn.inputs!.code).toMatchObject({ path: APP });
        // The secret config value stays a secret in the state (Pulumi's secret signature, not the URL).
        expect(fn.inputs!.environment).toMatchObject({ [SECRET_SIG_KEY]: SECRET_SIG });
        expect(pathsHolding(state, rig!.pg.url())).toEqual([]);
        expect(stateFiles).toBeGreaterThan(0);
        expect(leakedTo).toEqual([]);
        expect(served).toEqual({ "1": 5 });
        expect(iam.denials).toEqual([]);
        expect(iam.evaluated).toBeGreaterThan(0);
    });

    test("the YAML host's schema cache stays in the run's directory, never in the checkout", () => {
        // pulumi-language-yaml caches a versioned plugin's schema next to the plugin's directory (rehearsal/engine/yaml/plugins.ts).
        expect(schemaCaches.run).toEqual(["schema-aws.json"]);
        expect(schemaCaches.checkout).toEqual([]);
    });
});

describe("the engine lifecycle from a YAML program", () => {
    let rig: EngineRig | undefined;
    let reports: StepReport[] = [];

    beforeAll(async () => {
        rig = await EngineRig.start({ language: "yaml", minuteMs: 200, scheduleMinuteMs: 200 });
        reports = await runLifecycle(rig);
    }, 40 * 60_000);

    afterAll(async () => {
        await rig?.stop();
    });

    test("a YAML program lives the same lifecycle as the TypeScript one", () => {
        expect(checkLifecycle(reports)).toEqual([]);
    });

    test("the component is constructed by the package's plugin with the analyzer's schema: the program reads its typed outputs", () => {
        const first = reports[0]!.facts.state;
        expect(Object.keys(first)).toEqual(expect.arrayContaining([`${COMPONENT}::app`, "aws:lambda/function:Function::app"]));
        // `deployment` and `function` exist only in the inferred schema (the YAML host type-checks
        // `${app.deployment}` and `${app.function.name}` against it before the engine runs anything).
        expect(reports[0]!.step.outputs).toMatchObject({
            version: "1",
            aliasArn: expect.stringMatching(/:live$/),
            functionName: expect.stringMatching(/^app-[0-9a-f]{7}$/),
            deployment: expect.objectContaining({ toVersion: "1" }),
        });
        expect(reports[1]!.step.outputs).toMatchObject({ version: "2", deployment: expect.objectContaining({ toVersion: "2" }) });
    });
});

describe("a YAML program with TypeScript-only or 0.1 spellings", () => {
    let rig: EngineRig | undefined;
    let output = "";
    let preview: EngineStep;

    beforeAll(async () => {
        const docs = docsYamlProgram(ROOT, APP);
        const old = docs.replace(`code:\n        fn::fileArchive: ${APP}`, `code: ${APP}`).replace("keepWarm:\n        - schedule: rate(5 minutes)", "keepWarm: false");
        if (old === docs || !old.includes("keepWarm: false") || old.includes("fn::fileArchive")) throw new Error("the docs' program no longer has the lines this test rewrites");
        rig = await EngineRig.start({ language: "yaml", yamlSource: old, onOutput: (t) => (output += t) });
        await rig.stack.setConfig("databaseUrl", { value: rig.pg.url(), secret: true });
        preview = await rig.preview("preview");
    }, 10 * 60_000);

    afterAll(async () => {
        await rig?.stop();
    });

    test("is refused by the package's schema, field by field, before anything is planned", () => {
        expect(preview.ok).toBe(false);
        // pulumi-language-yaml's type check against the inferred schema (a directory path is
        // TypeScript-only; `keepWarm: false` was 0.1's "off").
        const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
        expect(plain).toContain("code: Cannot assign type 'string' to type 'archive'");
        expect(plain).toContain("keepWarm: Cannot assign type 'boolean' to type 'List<pulumi-mangum:index:KeepWarmSchedule>'");
        expect(rig!.aws.resources()).toEqual([]);
    });
});

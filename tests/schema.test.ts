/**
 * The component package's schema, as `pulumi package add` / `get-schema` get it: the
 * plugin host (@pulumi/pulumi cmd/run-plugin) builds a ComponentProvider over the exported
 * components, whose analyzer infers the schema from the TypeScript types. The schema is the
 * API of every non-TypeScript SDK, so it is compared with a committed copy: a new union,
 * a lost field or a renamed type fails here, and reviewing the snapshot's diff is the API
 * review. After an intended change: UPDATE_SCHEMA=1 jest tests/schema.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { AWS_VERSION, PACKAGE_VERSION, packageSchema, ROOT } from "./helpers/package-schema";

const SNAPSHOT = path.join(__dirname, "schema", "pulumi-mangum.schema.json");

function normalized(schema: unknown): any {
    const text = JSON.stringify(schema, null, 2)
        .split(`/aws/v${AWS_VERSION}/`)
        .join("/aws/v<@pulumi/aws>/")
        .replace(`"version": "${AWS_VERSION}"`, `"version": "<@pulumi/aws>"`)
        .replace(`"version": "${PACKAGE_VERSION}"`, `"version": "<package.json>"`);
    return JSON.parse(text);
}

describe("the component package schema", () => {
    let schema: any;
    beforeAll(async () => {
        schema = await packageSchema();
    }, 60_000);

    test("matches the committed snapshot (tests/schema/pulumi-mangum.schema.json)", () => {
        const now = normalized(schema);
        if (process.env.UPDATE_SCHEMA === "1") {
            fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
            fs.writeFileSync(SNAPSHOT, JSON.stringify(now, null, 2) + "\n");
        }
        expect(now).toEqual(JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")));
    });

    test("every argument the validator knows is in the schema, and nothing else", () => {
        // resolveMangumFunctionArgs rejects unknown fields; a field missing here could not be set from Python.
        const src = fs.readFileSync(path.join(ROOT, "components", "validate.ts"), "utf8");
        const block = /const TOP_LEVEL_FIELDS = \[([^\]]*)\]/.exec(src)![1]!;
        const fields = [...block.matchAll(/"(\w+)"/g)].map((m) => m[1]).sort();
        expect(Object.keys(schema.resources["pulumi-mangum:index:MangumFunction"].inputProperties).sort()).toEqual(fields);
    });

    test("Python imports pulumi_mangum, and its input classes are WarmupArgs, not WarmupArgsArgs", () => {
        expect(schema.name).toBe("pulumi-mangum");
        expect(schema.language.python).toEqual({ respectSchemaVersion: true, packageName: "pulumi_mangum" });
        const names = Object.keys(schema.types).map((t) => t.split(":")[2]);
        expect(names.filter((n) => /Args$/.test(n))).toEqual([]);
        expect(names).toEqual(expect.arrayContaining(["Warmup", "Deployment", "KeepWarmSchedule", "DeploymentConfigSpec"]));
    });

    test("settings (TypeScript values) stay out of the outputs; the resources and the summary are in", () => {
        const outputs = schema.resources["pulumi-mangum:index:MangumFunction"].properties;
        expect(Object.keys(outputs).sort()).toEqual(["alias", "aliasArn", "codedeploy", "deployment", "function", "hooks", "role", "url", "version"]);
        expect(outputs.function.$ref).toBe(`/aws/v${AWS_VERSION}/schema.json#/resources/aws:lambda%2Ffunction:Function`);
    });

    test("enums have their values, so Python gets real enums", () => {
        const values = (name: string) => schema.types[`pulumi-mangum:index:${name}`].enum.map((e: { value: string }) => e.value);
        expect(values("PythonRuntime")).toEqual(["python3.10", "python3.11", "python3.12", "python3.13", "python3.14"]);
        expect(values("HttpFrontDoor")).toEqual(["function-url", "http-api", "none"]);
        expect(values("WarmupMode")).toEqual(["helper", "http"]);
    });

    test("TypeScript programs, which never ask for a schema, are untouched by the language wrapper", () => {
        // The wrapper only rewrites this package's schema.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { generateSchema } = require("@pulumi/pulumi/provider/experimental/schema");
        const other = generateSchema("other-pkg", "1.0.0", "", {}, {}, []);
        expect(other.language.python).toEqual({ respectSchemaVersion: true });
    });
});

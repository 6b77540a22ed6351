/**
 * The package as `pulumi package add` / `get-schema` start it: PulumiPlugin.yaml says
 * `runtime: nodejs`, so the Node.js language host runs @pulumi/pulumi's run-plugin on the
 * package directory (`node <run-plugin> <directory>`: pulumi-language-nodejs RunPlugin),
 * which requires package.json's `main` (bin/, built by `prepare`), finds the exported
 * ComponentResource classes and serves them as a provider. Here the same command is run
 * directly (the language host itself cannot be built from the Go module proxy), and the
 * engine's GetSchema call is made over gRPC.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageSchema, ROOT } from "./helpers/package-schema";

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require("@grpc/grpc-js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");

let plugin: ChildProcess | undefined;

afterAll(() => {
    plugin?.kill();
});

test("PulumiPlugin.yaml declares a Node.js plugin", () => {
    expect(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
});

test("run-plugin on the package directory serves the analyzer's schema, with Python's module named pulumi_mangum", async () => {
    const main = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).main as string;
    if (!fs.existsSync(path.join(ROOT, main))) throw new Error(`${main} is missing: run \`npm run build\` (npm's prepare builds it on install).`);
    const runPlugin = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-plugin/index.js"));
    plugin = spawn(process.execPath, [runPlugin, ROOT], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    plugin.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        plugin!.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const line = /^(\d+)\s*$/m.exec(out);
            if (line) resolve(Number(line[1]));
        });
        plugin!.on("exit", (code) => reject(new Error(`run-plugin exited (${code}) before serving:\n${out}\n${stderr}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const served = await new Promise<any>((resolve, reject) => {
        const req = new provproto.GetSchemaRequest();
        req.setVersion(0);
        client.getSchema(req, (err: Error | null, resp: any) => (err ? reject(err) : resolve(JSON.parse(resp.getSchema()))));
    });
    client.close();
    expect(served.name).toBe("pulumi-mangum");
    expect(served.language.python.packageName).toBe("pulumi_mangum");
    expect(Object.keys(served.resources)).toEqual(["pulumi-mangum:index:MangumFunction"]);
    // What the in-process ComponentProvider (tests/schema.test.ts, the snapshot) sees is what the plugin serves.
    expect(served).toEqual(await packageSchema());
});

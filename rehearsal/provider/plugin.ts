/**
 * The local `aws` provider plugin: what the Pulumi engine runs as
 * `pulumi-resource-aws` (see ./pulumi-resource-aws), on
 * `@pulumi/pulumi/provider`. Check and Diff are computed here from
 * ./schema.ts (pure); Create, Update, Delete and Read are forwarded to the
 * LocalAws process whose loopback endpoint is in PM_LOCAL_AWS_ENDPOINT, which
 * owns the stand-ins and the state file.
 *
 * It reports the version of @pulumi/aws the package depends on, so the engine
 * records `aws` at that version in the stack, as with the real plugin.
 */
import * as http from "node:http";
import * as fs from "node:fs";
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";
import { localAwsSchema } from "./awsSchema";
import { check as checkInputs, diff as diffProps, isResourceType, parseUrn, unwrapSecrets, wrapSecrets, type Props } from "./schema";

const ENDPOINT_ENV = "PM_LOCAL_AWS_ENDPOINT";

/** The @pulumi/aws version next to this package, which is the plugin version the SDK asks the engine for. */
export function awsPluginVersion(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const pkg = path.join(dir, "node_modules", "@pulumi", "aws", "package.json");
        if (fs.existsSync(pkg)) return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
        if (path.dirname(dir) === dir) return "7.0.0";
    }
}

/** POST to LocalAws without a client timeout: a deployer Invocation waits as long as its CodeDeploy deployment. */
function control(op: string, body: object): Promise<Record<string, unknown>> {
    const endpoint = process.env[ENDPOINT_ENV];
    if (!endpoint) {
        return Promise.reject(new Error(`${ENDPOINT_ENV} is not set: the local aws provider talks to a running LocalAws (rehearsal/provider/localAws.ts); start it through rehearsal/engine or the tests`));
    }
    const url = new URL(`/provider/${op}`, endpoint);
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") return Promise.reject(new Error(`${ENDPOINT_ENV} must be a loopback address, got ${url.hostname}`));
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": String(data.length) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                let parsed: Record<string, unknown> = {};
                try {
                    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
                } catch {
                    reject(new Error(`LocalAws answered HTTP ${res.statusCode} with a body that is not JSON`));
                    return;
                }
                if (res.statusCode !== 200) reject(new Error(typeof parsed.error === "string" ? parsed.error : `LocalAws answered HTTP ${res.statusCode}`));
                else resolve(parsed);
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(data);
    });
}

function typeOf(urn: string): string {
    const { type } = parseUrn(urn);
    if (!isResourceType(type)) throw new Error(`the local aws provider does not implement ${type} (it implements what MangumFunction creates)`);
    return type;
}

export class LocalAwsProvider implements provider.Provider {
    readonly version = awsPluginVersion();

    /** For programs in other languages, which bind MangumFunction's aws outputs against it (./awsSchema.ts). */
    async getSchema(): Promise<string> {
        return localAwsSchema(path.dirname(require.resolve("@pulumi/aws/package.json")), this.version);
    }

    async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
        const type = typeOf(urn);
        if (!isResourceType(type)) throw new Error("unreachable");
        const n = unwrapSecrets(news ?? {});
        const o = unwrapSecrets(olds ?? {});
        const { inputs, failures } = checkInputs(type, parseUrn(urn).name, o.plain, n.plain);
        return { inputs: wrapSecrets(inputs, n.secretKeys), failures };
    }

    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
        const type = typeOf(urn);
        if (!isResourceType(type)) throw new Error("unreachable");
        const d = diffProps(type, unwrapSecrets(olds ?? {}).plain, unwrapSecrets(news ?? {}).plain);
        // Create-before-delete, as the bridge leaves it: deleteBeforeReplace only on the user's request.
        return { changes: d.changed.length > 0, replaces: d.replaces, deleteBeforeReplace: false };
    }

    async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
        const type = typeOf(urn);
        const { plain, secretKeys } = unwrapSecrets(inputs ?? {});
        const out = await control("create", { type, urn, inputs: plain });
        return { id: String(out.id), outs: wrapSecrets(out.outs as Props, secretKeys) };
    }

    async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
        const type = typeOf(urn);
        const n = unwrapSecrets(news ?? {});
        const out = await control("update", { type, urn, id, olds: unwrapSecrets(olds ?? {}).plain, news: n.plain });
        return { outs: wrapSecrets(out.outs as Props, n.secretKeys) };
    }

    async delete(id: string, urn: string, props: Props): Promise<void> {
        const type = typeOf(urn);
        await control("delete", { type, urn, id, props: unwrapSecrets(props ?? {}).plain });
    }

    async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
        const type = typeOf(urn);
        const p = unwrapSecrets(props ?? {});
        const out = await control("read", { type, urn, id, props: p.plain });
        // No props: the resource is gone from the local AWS, and refresh drops it (an empty id).
        if (out.props === null || out.props === undefined) return { id: "", props: {} };
        return { id: String(out.id), props: wrapSecrets(out.props as Props, p.secretKeys), inputs: wrapSecrets(out.inputs as Props, p.secretKeys) };
    }
}

if (require.main === module) {
    void provider.main(new LocalAwsProvider(), process.argv.slice(2));
}

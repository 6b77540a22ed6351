/**
 * MangumFunction served as a component provider plugin, so a YAML program can
 * use it on the real engine (issue 13's YAML part): the engine starts this as
 * `pulumi-resource-pulumi-mangum` (./pulumi-resource-pulumi-mangum, on PATH)
 * and calls Construct, which builds the TypeScript component in this process;
 * its child resources go to the engine like a TypeScript program's.
 *
 * The schema below declares only the inputs the rehearsal's YAML program sets
 * (the complete, analyzer-generated schema is issue 14's work): nested
 * settings are `Any`, so the component's own validation judges them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { MangumFunction, MANGUM_FUNCTION_TYPE } from "../../../components/mangumFunction";
import type { MangumFunctionArgs } from "../../../components/args";

const stringMap = { type: "object", additionalProperties: { type: "string" } };
const any = { $ref: "pulumi.json#/Any" };

export const SCHEMA = {
    name: "pulumi-mangum",
    version: "0.1.0",
    resources: {
        [MANGUM_FUNCTION_TYPE]: {
            isComponent: true,
            description: "A Python ASGI app wrapped by Mangum on AWS Lambda, deployed without cold starts (rehearsal subset of the inputs).",
            inputProperties: {
                code: { type: "string", description: "Directory or .zip of the app's code." },
                handler: { type: "string" },
                runtime: { type: "string" },
                memorySize: { type: "integer" },
                timeout: { type: "integer" },
                environment: stringMap,
                aliasName: { type: "string" },
                warmup: any,
                keepWarm: any,
                deployment: any,
                tags: stringMap,
            },
            requiredInputs: ["code"],
            properties: {
                version: { type: "string" },
                aliasArn: { type: "string" },
                url: { type: "string" },
                functionName: { type: "string" },
            },
            required: ["version", "aliasArn", "functionName"],
        },
    },
};

/** Construct's inputs arrive as Outputs; the component validates plain values, known at `up`. */
async function plain(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) return plain(await (v as unknown as { promise(): Promise<unknown> }).promise());
    if (Array.isArray(v)) return Promise.all(v.map(plain));
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) out[k] = await plain(e);
        return out;
    }
    return v;
}

export class MangumComponentProvider implements provider.Provider {
    readonly version = SCHEMA.version;
    readonly schema = JSON.stringify(SCHEMA);

    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        if (type !== MANGUM_FUNCTION_TYPE) throw new Error(`unknown component type ${type}`);
        const args = (await plain(inputs)) as MangumFunctionArgs;
        const app = new MangumFunction(name, args, options);
        return { urn: app.urn, state: { version: app.version, aliasArn: app.aliasArn, url: app.url, functionName: app.function.name } };
    }
}

if (require.main === module) {
    void provider.main(new MangumComponentProvider(), process.argv.slice(2));
}

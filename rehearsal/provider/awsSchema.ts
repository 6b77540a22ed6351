/**
 * The package schema the local `aws` plugin serves (GetSchema), for the resource types it
 * implements.
 *
 * Why it needs one: a program in another language binds MangumFunction against the schema
 * the analyzer infers, whose outputs `function`, `role`, `alias`, `hooks` and `codedeploy`
 * are references into the aws package's schema (`/aws/v<version>/schema.json#/resources/…`,
 * tests/schema/pulumi-mangum.schema.json). pulumi-language-yaml resolves them through the
 * engine's schema loader, which asks the aws plugin for its schema; a plugin that answers
 * `{}` fails the program before anything runs ("error binding type for property "function":
 * … it looks like GetSchema is not implemented"). The real pulumi-resource-aws serves its
 * full schema; this one serves the same tokens with the property names of @pulumi/aws's own
 * declarations (the `readonly x: pulumi.Output<…>` fields of each resource class and the
 * fields of its `…Args` interface), each typed `Any`: enough to bind `${app.function.name}`,
 * not a type checker for aws resources written directly in a YAML program.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RESOURCE_TYPES } from "./schema";

const ANY = { $ref: "pulumi.json#/Any" };

/** `aws:lambda/function:Function` → the class's output fields and its Args interface's fields, from the .d.ts. */
export function declaredProperties(awsDir: string, token: string): { outputs: string[]; inputs: string[] } {
    const m = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(token);
    if (!m) throw new Error(`not an aws resource token: ${token}`);
    const [, mod, file, cls] = m;
    const dts = fs.readFileSync(path.join(awsDir, mod!, `${file}.d.ts`), "utf8");
    const body = (re: RegExp): string => {
        const start = dts.search(re);
        if (start < 0) throw new Error(`${mod}/${file}.d.ts declares no ${re.source}`);
        const open = dts.indexOf("{", start);
        let depth = 0;
        for (let i = open; i < dts.length; i++) {
            if (dts[i] === "{") depth++;
            else if (dts[i] === "}" && --depth === 0) return dts.slice(open + 1, i);
        }
        throw new Error(`${mod}/${file}.d.ts: unbalanced ${re.source}`);
    };
    const names = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((x) => x[1]!).filter((n) => n !== "urn" && n !== "id");
    return {
        outputs: names(body(new RegExp(`export declare class ${cls} extends`)), /^\s{4}readonly (\w+)!?: pulumi\.Output</gm),
        inputs: names(body(new RegExp(`export interface ${cls}Args \\{`)), /^\s{4}(\w+)\??: /gm),
    };
}

/** The schema, for the aws package at `version`, built from the @pulumi/aws declarations in awsDir. */
export function localAwsSchema(awsDir: string, version: string): string {
    const resources: Record<string, unknown> = {};
    for (const token of RESOURCE_TYPES) {
        const { outputs, inputs } = declaredProperties(awsDir, token);
        resources[token] = {
            description: "Served by the local aws provider of the engine rehearsal (property names from @pulumi/aws, types Any).",
            properties: Object.fromEntries(outputs.map((p) => [p, ANY])),
            inputProperties: Object.fromEntries(inputs.map((p) => [p, ANY])),
        };
    }
    return JSON.stringify({ name: "aws", version, resources });
}

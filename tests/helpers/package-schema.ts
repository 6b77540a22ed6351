/**
 * The component package's schema exactly as the plugin serves it to `pulumi package add` /
 * `get-schema`: @pulumi/pulumi's run-plugin builds a ComponentProvider over the exported
 * components, and its analyzer infers the schema from the TypeScript types.
 */
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { MangumFunction, PACKAGE_NAME } from "../../components/mangumFunction";

export const ROOT = path.join(__dirname, "..", "..");
export const AWS_VERSION: string = JSON.parse(fs.readFileSync(require.resolve("@pulumi/aws/package.json"), "utf8")).version;
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

export async function packageSchema(): Promise<any> {
    const provider = new ComponentProvider({ name: PACKAGE_NAME, dirname: ROOT, components: [MangumFunction] });
    return JSON.parse(await provider.getSchema());
}

/**
 * A stand-in `aws` provider plugin that only answers GetSchema, with the resource types the
 * package's schema references: code generation resolves those references through the aws
 * plugin, which cannot be downloaded here. Returns the directory to put first on PATH.
 */
export function writeAwsSchemaStub(dir: string, schema: any): string {
    const tokens = new Set<string>();
    JSON.stringify(schema).replace(/\/aws\/v[^/]+\/schema\.json#\/resources\/([^"]+)/g, (_, t: string) => {
        tokens.add(decodeURIComponent(t));
        return "";
    });
    const awsSchema = {
        name: "aws",
        version: AWS_VERSION,
        meta: { moduleFormat: "(.*)(?:/[^/]*)" },
        resources: Object.fromEntries([...tokens].map((t) => [t, { properties: { arn: { type: "string" }, name: { type: "string" } }, type: "object" }])),
    };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "aws-schema.json"), JSON.stringify(awsSchema));
    fs.writeFileSync(
        path.join(dir, "stub.js"),
        [
            `const provider = require(${JSON.stringify(require.resolve("@pulumi/pulumi/provider"))});`,
            `const schema = require("fs").readFileSync(${JSON.stringify(path.join(dir, "aws-schema.json"))}, "utf8");`,
            `provider.main({ version: ${JSON.stringify(AWS_VERSION)}, schema }, process.argv.slice(2));`,
        ].join("\n"),
    );
    const bin = path.join(dir, "pulumi-resource-aws");
    fs.writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, "stub.js"))} "$@"\n`);
    fs.chmodSync(bin, 0o755);
    return dir;
}

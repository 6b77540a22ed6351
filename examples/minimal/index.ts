/**
 * The smallest useful pulumi-mangum program: a FastAPI app on a Lambda function
 * URL, no database, no change to the app. Each new version is warmed through
 * GET /healthz on 5 environments before CodeDeploy's canary moves traffic to it,
 * and a schedule keeps 5 environments of the live alias warm. See README.md.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { MangumFunction } from "pulumi-mangum";

const config = new pulumi.Config();
// The Lambda artifact produced by ./build.sh; a relative path is taken from this directory.
const codeDir = path.resolve(__dirname, config.get("codeDir") ?? "build");
if (!fs.existsSync(path.join(codeDir, "main.py"))) {
    throw new pulumi.RunError(`${codeDir} holds no main.py: build the Lambda artifact first with ${path.join(__dirname, "build.sh")}.`);
}

const api = new MangumFunction("minimal", {
    code: codeDir,
    warmup: { mode: "http", path: "/healthz" },
});

export const url = api.url;
export const version = api.version;
export const deployment = api.deployment;

/**
 * examples/minimal runs as a user's program would (importing "pulumi-mangum"
 * by name) under Pulumi mocks: a function URL on the alias, warmed over HTTP.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT, REGION, byType, installMocks, one, settle, valueOf } from "../helpers/pulumi-mocks";

installMocks();
pulumi.runtime.setAllConfig({
    // The app sources stand in for the built artifact: the program only needs a directory with main.py.
    "pulumi-mangum:codeDir": path.join(__dirname, "..", "..", "examples", "minimal", "app"),
});
const program = require("../../examples/minimal/index") as typeof import("../../examples/minimal/index");

beforeAll(settle);

describe("examples/minimal", () => {
    test("the app function is outside any VPC and has no extra permissions", () => {
        const fn = one("aws:lambda/function:Function", "minimal");
        expect(fn.inputs.vpcConfig).toBeUndefined();
        expect(fn.inputs.environment).toBeUndefined();
        expect(byType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === "minimal-role-id").map((p) => p.name)).toEqual(["minimal-role-logs"]);
    });

    test("the public function URL is bound to the live alias", async () => {
        expect(one("aws:lambda/functionUrl:FunctionUrl").inputs).toEqual({ functionName: "minimal", qualifier: "live", authorizationType: "NONE" });
        expect(byType("aws:apigatewayv2/api:Api")).toHaveLength(0);
        expect(await valueOf(program.url)).toBe(`https://minimal-url-id.lambda-url.${REGION}.on.aws/`);
    });

    test("every warm-up (pre-traffic, keep-warm, first deploy) is a GET /healthz through Mangum", () => {
        const expected = {
            functionName: "minimal",
            alias: "live",
            concurrency: 5,
            holdMs: [250, 400],
            mode: "http",
            path: "/healthz",
            minDistinct: 1,
            failOnCheckError: true,
        };
        for (const hook of ["minimal-pre-traffic", "minimal-keep-warm"]) {
            expect(JSON.parse(one("aws:lambda/function:Function", hook).inputs.environment.variables.MANGUM_WARMUP_CONFIG)).toEqual(expected);
        }
        expect(JSON.parse(one("aws:lambda/invocation:Invocation", "minimal-deploy").inputs.input).warmup).toEqual(expected);
    });

    test("the defaults apply: canary 10% for 5 minutes, keep-warm every 5 minutes", () => {
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs.deploymentConfigName).toBe("CodeDeployDefault.LambdaCanary10Percent5Minutes");
        expect(one("aws:cloudwatch/eventRule:EventRule").inputs.scheduleExpression).toBe("rate(5 minutes)");
    });

    test("exports the URL, the version and the deployment report", async () => {
        expect(await valueOf(program.version)).toBe("7");
        expect(await valueOf(program.deployment)).toMatchObject({ status: "Succeeded", toVersion: "7" });
        expect(await valueOf(one("aws:lambda/alias:Alias").state.arn)).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:minimal:live`);
    });
});

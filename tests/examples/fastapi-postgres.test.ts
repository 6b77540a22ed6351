/**
 * examples/fastapi-postgres runs as a user's program would (importing
 * "pulumi-mangum" by name) under Pulumi mocks, and wires the network, the
 * database secret and the function the way its README promises.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT, REGION, byType, installMocks, one, settle, valueOf } from "../helpers/pulumi-mocks";

installMocks();
pulumi.runtime.setAllConfig({
    "aws:region": REGION,
    // The app sources stand in for the built artifact: the program only needs a directory with main.py.
    "pulumi-mangum:codeDir": path.join(__dirname, "..", "..", "examples", "fastapi-postgres", "app"),
});
// Imported after the mocks and the config, as the program reads both at import.
const program = require("../../examples/fastapi-postgres/index") as typeof import("../../examples/fastapi-postgres/index");

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-db-Xy12Zq`;
const VPC = "app";
const PRIVATE_SUBNETS = [`${VPC}-private-1-id`, `${VPC}-private-2-id`];

const statementsOf = (r: { inputs: Record<string, any> }): any[] => JSON.parse(r.inputs.policy).Statement;
const rules = (type: "Ingress" | "Egress") => byType(`aws:vpc/securityGroup${type}Rule:SecurityGroup${type}Rule`).map((r) => r.inputs);

beforeAll(settle);

describe("examples/fastapi-postgres", () => {
    test("the VPC has private subnets in two zones and no NAT gateway", () => {
        const vpc = one("awsx:ec2:Vpc", VPC);
        expect(vpc.inputs).toMatchObject({
            numberOfAvailabilityZones: 2,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            natGateways: { strategy: "None" },
            subnetSpecs: [{ type: "Private", cidrMask: 20 }],
        });
        expect(vpc.state.publicSubnetIds).toEqual([]);
    });

    test("the function runs in the VPC's private subnets with its own security group", () => {
        const fn = one("aws:lambda/function:Function", "api");
        expect(fn.inputs.vpcConfig).toEqual({ subnetIds: PRIVATE_SUBNETS, securityGroupIds: ["api-id"] });
        expect(one("aws:rds/subnetGroup:SubnetGroup", "db").inputs.subnetIds).toEqual(PRIVATE_SUBNETS);
        expect(one("aws:ec2/vpcEndpoint:VpcEndpoint", "secretsmanager").inputs).toMatchObject({
            serviceName: `com.amazonaws.${REGION}.secretsmanager`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: PRIVATE_SUBNETS,
            securityGroupIds: ["secrets-endpoint-id"],
        });
    });

    test("only the function's security group may reach PostgreSQL, on 5432, and nothing is opened to a CIDR", () => {
        expect(rules("Ingress").filter((r) => r.securityGroupId === "db-id")).toEqual([
            { securityGroupId: "db-id", referencedSecurityGroupId: "api-id", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: "The API queries PostgreSQL" },
        ]);
        for (const r of [...rules("Ingress"), ...rules("Egress")]) {
            expect(r.cidrIpv4).toBeUndefined();
            expect(r.cidrIpv6).toBeUndefined();
            expect(r.prefixListId).toBeUndefined();
        }
        for (const sg of byType("aws:ec2/securityGroup:SecurityGroup")) {
            expect(sg.inputs.ingress).toBeUndefined();
            expect(sg.inputs.egress).toBeUndefined();
        }
        // The function may leave only for the database and the Secrets Manager endpoint.
        expect(rules("Egress").filter((r) => r.securityGroupId === "api-id").map((r) => [r.referencedSecurityGroupId, r.fromPort])).toEqual([
            ["db-id", 5432],
            ["secrets-endpoint-id", 443],
        ]);
        expect(rules("Ingress").filter((r) => r.securityGroupId === "secrets-endpoint-id").map((r) => [r.referencedSecurityGroupId, r.fromPort])).toEqual([
            ["api-id", 443],
        ]);
    });

    test("the database is private, encrypted, and RDS manages its password in Secrets Manager", () => {
        const db = one("aws:rds/instance:Instance", "db");
        expect(db.inputs).toMatchObject({
            engine: "postgres",
            manageMasterUserPassword: true,
            publiclyAccessible: false,
            storageEncrypted: true,
            vpcSecurityGroupIds: ["db-id"],
            dbSubnetGroupName: "db",
        });
        expect(db.inputs.password).toBeUndefined();
    });

    test("the function gets the secret's ARN and where the database is, never a password", () => {
        const fn = one("aws:lambda/function:Function", "api");
        expect(fn.inputs.environment.variables).toEqual({
            DB_SECRET_ARN: SECRET_ARN,
            DB_HOST: `db.c1a2b3c4d5e6.${REGION}.rds.amazonaws.com`,
            DB_PORT: "5432",
            DB_NAME: "app",
        });
    });

    test("GetSecretValue on exactly that secret is granted to the function's role and to no other role", () => {
        const grant = one("aws:iam/rolePolicy:RolePolicy", "api-role-inline-0");
        expect(grant.inputs.role).toBe("api-role-id");
        expect(statementsOf(grant)).toEqual([{ Effect: "Allow", Sid: "ReadTheDatabaseSecret", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN }]);

        const others = byType("aws:iam/rolePolicy:RolePolicy").filter((r) => r.name !== "api-role-inline-0");
        expect(others.length).toBeGreaterThan(0);
        for (const policy of others) {
            expect(policy.inputs.policy).not.toContain(SECRET_ARN);
            expect(policy.inputs.policy).not.toContain("secretsmanager:");
        }
        // No managed policy sneaks in a broader read (e.g. SecretsManagerReadWrite).
        const attached = byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn);
        expect(attached.filter((arn: string) => !arn.endsWith("/AWSLambdaVPCAccessExecutionRole") && !arn.endsWith("/AWSCodeDeployRoleForLambdaLimited"))).toEqual([]);
    });

    test("the Secrets Manager endpoint serves that one call on that one secret", () => {
        expect(statementsOf(one("aws:ec2/vpcEndpoint:VpcEndpoint", "secretsmanager"))).toEqual([
            { Sid: "ReadTheDatabaseSecretOnly", Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN },
        ]);
    });

    test("deploys through an HTTP API with a canary watched by an error alarm, warming with the db check", () => {
        expect(one("aws:apigatewayv2/integration:Integration", "api-api").inputs.integrationUri).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:api:live`);
        expect(one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs).toMatchObject({
            deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            alarmConfiguration: { enabled: true, alarms: ["api-errors"] },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
        });
        const warmup = JSON.parse(one("aws:lambda/function:Function", "api-pre-traffic").inputs.environment.variables.MANGUM_WARMUP_CONFIG);
        expect(warmup).toMatchObject({ mode: "helper", checks: ["db"], concurrency: 5, minDistinct: 5 });
        expect(one("aws:cloudwatch/eventRule:EventRule", "api-keep-warm-0").inputs.scheduleExpression).toBe("rate(5 minutes)");
    });

    test("exports the URL, the version and the deployment report", async () => {
        expect(await valueOf(program.url)).toBe(`https://api-api-id.execute-api.${REGION}.amazonaws.com`);
        expect(await valueOf(program.version)).toBe("7");
        expect(await valueOf(program.deployment)).toMatchObject({ deploymentId: "d-MOCK12345", status: "Succeeded", toVersion: "7" });
        expect(await valueOf(program.deploymentGroup!)).toBe("api-group");
    });

    test("without a built artifact the program stops and says how to build it", () => {
        const empty = path.join(__dirname, "..", "..", "examples", "fastapi-postgres", "no-such-build");
        pulumi.runtime.setConfig("pulumi-mangum:codeDir", empty);
        try {
            expect(() => jest.isolateModules(() => require("../../examples/fastapi-postgres/index"))).toThrow(
                `${empty} holds no main.py: build the Lambda artifact first with ${path.join(__dirname, "..", "..", "examples", "fastapi-postgres", "build.sh")}.`,
            );
        } finally {
            pulumi.runtime.setConfig("pulumi-mangum:codeDir", path.join(__dirname, "..", "..", "examples", "fastapi-postgres", "app"));
        }
    });
});

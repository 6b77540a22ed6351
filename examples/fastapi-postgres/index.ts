/**
 * A FastAPI app on PostgreSQL, deployed so that cold starts never reach users:
 * private subnets, an RDS instance whose password lives in Secrets Manager,
 * security groups that let only the API into the database, and a MangumFunction
 * with a canary, an error alarm, the pre-traffic warm-up (including a database
 * query in every warmed environment) and keep-warm. See README.md.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { DeploymentConfig, MangumFunction } from "pulumi-mangum";

const config = new pulumi.Config();

// The Lambda artifact produced by ./build.sh; a relative path is taken from this directory.
const codeDir = path.resolve(__dirname, config.get("codeDir") ?? "build");
if (!fs.existsSync(path.join(codeDir, "main.py"))) {
    throw new pulumi.RunError(`${codeDir} holds no main.py: build the Lambda artifact first with ${path.join(__dirname, "build.sh")}.`);
}
const region = aws.config.region;
if (!region) {
    throw new pulumi.RunError("No AWS region: run `pulumi config set aws:region <region>` (e.g. eu-west-1).");
}

// ---- Network --------------------------------------------------------------
// Private subnets only, in two zones (RDS needs two), and no NAT gateway: the
// function talks to PostgreSQL inside the VPC and to Secrets Manager through an
// interface endpoint, so nothing here can reach the internet. README.md#network.
const vpc = new awsx.ec2.Vpc("app", {
    cidrBlock: "10.20.0.0/16",
    numberOfAvailabilityZones: 2,
    enableDnsHostnames: true, // private DNS of the Secrets Manager endpoint needs both
    enableDnsSupport: true,
    natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
    subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
    subnetSpecs: [{ type: awsx.ec2.SubnetType.Private, cidrMask: 20 }],
});

// Security groups start with no rules (the provider removes AWS's default allow-all
// egress); every path below is opened from one group to another, never to a CIDR.
const apiSg = new aws.ec2.SecurityGroup("api", { vpcId: vpc.vpcId, description: "The API function's network interfaces" });
const dbSg = new aws.ec2.SecurityGroup("db", { vpcId: vpc.vpcId, description: "PostgreSQL, reachable from the API function only" });
const endpointSg = new aws.ec2.SecurityGroup("secrets-endpoint", { vpcId: vpc.vpcId, description: "Secrets Manager endpoint, reachable from the API function only" });

const allow = (name: string, from: aws.ec2.SecurityGroup, to: aws.ec2.SecurityGroup, port: number, what: string) => {
    new aws.vpc.SecurityGroupEgressRule(`${name}-out`, {
        securityGroupId: from.id,
        referencedSecurityGroupId: to.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: what,
    });
    new aws.vpc.SecurityGroupIngressRule(`${name}-in`, {
        securityGroupId: to.id,
        referencedSecurityGroupId: from.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: what,
    });
};
allow("api-to-db", apiSg, dbSg, 5432, "The API queries PostgreSQL");
allow("api-to-secrets", apiSg, endpointSg, 443, "The API reads the database secret");

// ---- Database ---------------------------------------------------------------
const subnetGroup = new aws.rds.SubnetGroup("db", { subnetIds: vpc.privateSubnetIds, description: "Private subnets of the app VPC" });
const deletionProtection = config.getBoolean("dbDeletionProtection") ?? false;
const db = new aws.rds.Instance("db", {
    engine: "postgres",
    engineVersion: "17",
    instanceClass: config.get("dbInstanceClass") ?? "db.t4g.micro",
    allocatedStorage: 20,
    storageType: "gp3",
    storageEncrypted: true,
    dbName: "app",
    username: "app_owner",
    // RDS generates the password, keeps it in a Secrets Manager secret it rotates, and never
    // shows it to Pulumi: it is not in the program, the state or the function's environment.
    manageMasterUserPassword: true,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [dbSg.id],
    publiclyAccessible: false,
    multiAz: config.getBoolean("dbMultiAz") ?? false,
    backupRetentionPeriod: 7,
    autoMinorVersionUpgrade: true,
    deletionProtection,
    // A demo you can tear down; with deletion protection on, keep a final snapshot too.
    skipFinalSnapshot: !deletionProtection,
    ...(deletionProtection ? { finalSnapshotIdentifier: `${pulumi.getStack()}-app-db-final` } : {}),
});
const secretArn = db.masterUserSecrets.apply((secrets) => {
    const arn = secrets[0]?.secretArn;
    if (!arn) throw new Error("RDS reported no master user secret; is manageMasterUserPassword on?");
    return arn;
});

// The function reads the secret at initialisation, through this endpoint. Its policy
// narrows the endpoint to that one call on that one secret; callers still need IAM.
const secretsEndpoint = new aws.ec2.VpcEndpoint("secretsmanager", {
    vpcId: vpc.vpcId,
    serviceName: `com.amazonaws.${region}.secretsmanager`,
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    subnetIds: vpc.privateSubnetIds,
    securityGroupIds: [endpointSg.id],
    policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadTheDatabaseSecretOnly", Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: secretArn }],
    }),
});

// ---- The API ------------------------------------------------------------------
// The first warm-up runs during this same `pulumi up` and fetches the secret through
// the endpoint, so the function must not exist before the endpoint does.
const apiSecurityGroupId = pulumi.all([apiSg.id, secretsEndpoint.id]).apply(([id]) => id);

const api = new MangumFunction("api", {
    code: codeDir,
    handler: "main.handler",
    timeout: 15,
    environment: {
        DB_SECRET_ARN: secretArn,
        DB_HOST: db.address,
        DB_PORT: pulumi.interpolate`${db.port}`,
        DB_NAME: db.dbName,
    },
    vpc: { subnetIds: vpc.privateSubnetIds, securityGroupIds: [apiSecurityGroupId] },
    policies: [{ Sid: "ReadTheDatabaseSecret", Action: "secretsmanager:GetSecretValue", Resource: secretArn }],
    http: "http-api",
    deployment: { config: DeploymentConfig.Canary10Percent5Minutes, errorAlarm: {} },
    warmup: { checks: ["db"] },
    keepWarm: [{ schedule: "rate(5 minutes)" }],
});

export const url = api.url;
export const functionName = api.function.name;
export const version = api.version;
export const deployment = api.deployment;
export const preTrafficLogGroup = api.hooks.preTraffic?.loggingConfig.apply((c) => c.logGroup);
export const deploymentGroup = api.codedeploy?.deploymentGroup.deploymentGroupName;
export const codedeployApplication = api.codedeploy?.application.name;

/**
 * What the local `aws` provider knows of each resource type it implements:
 * which inputs force a replacement, which are computed by AWS, the defaults
 * and auto-names Pulumi's AWS provider applies in Check, and the one piece of
 * lifecycle logic that decides most of this project's behaviour: when an
 * `aws.lambda.Function` update publishes a new version.
 *
 * Everything here is pure (no I/O), so it runs both in the plugin process the
 * engine starts (Check, Diff) and in the tests' Diff table.
 *
 * Sources. Pulumi's AWS provider is the Terraform AWS provider bridged
 * (pulumi-terraform-bridge): a property marked `ForceNew: true` in the
 * Terraform schema is a replacement in `pulumi up` ("forces new resource" in
 * `terraform plan`). Each `source` names the schema file of
 * hashicorp/terraform-provider-aws; entries marked "(no update API)" belong
 * to resources whose schema has no Update function, so every argument is
 * ForceNew there. Read line by line for this table: lambda/function.go,
 * alias.go, invocation.go, permission.go and deploy/deployment_group.go
 * (VERIFIED below). The others (iam, logs, cloudwatch, events, apigatewayv2,
 * function_url, provisioned concurrency, deploy/app.go) follow the
 * provider's documented arguments but were not re-read here; docs/engine.md
 * lists them as such.
 */
export const VERIFIED_SOURCES: readonly ResourceTypeName[] = ["Function", "Alias", "Invocation", "Permission", "DeploymentGroup"];
type ResourceTypeName = string;

/** Pulumi's wire signatures (sdk/nodejs/runtime/rpc.ts). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

export const T = {
    function: "aws:lambda/function:Function",
    alias: "aws:lambda/alias:Alias",
    invocation: "aws:lambda/invocation:Invocation",
    permission: "aws:lambda/permission:Permission",
    functionUrl: "aws:lambda/functionUrl:FunctionUrl",
    provisioned: "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    eventRule: "aws:cloudwatch/eventRule:EventRule",
    eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
    cdApplication: "aws:codedeploy/application:Application",
    cdGroup: "aws:codedeploy/deploymentGroup:DeploymentGroup",
    cdConfig: "aws:codedeploy/deploymentConfig:DeploymentConfig",
    api: "aws:apigatewayv2/api:Api",
    integration: "aws:apigatewayv2/integration:Integration",
    route: "aws:apigatewayv2/route:Route",
    stage: "aws:apigatewayv2/stage:Stage",
} as const;
export type ResourceType = (typeof T)[keyof typeof T];
export const RESOURCE_TYPES: readonly string[] = Object.values(T);

export interface TypeSpec {
    /** Inputs whose change replaces the resource (Pulumi names). */
    forceNew: readonly string[];
    /** Outputs only AWS sets; never compared as inputs. */
    computed: readonly string[];
    /** Defaults the Terraform schema applies (`Default:`), filled in by Check like the bridge does. */
    defaults?: Props;
    /** Auto-named property (Pulumi: `<resource name>-<7 hex>`), kept from the old inputs on update. */
    autoName?: { prop: string; maxLength: number };
    /** Where FORCE_NEW was read. */
    source: string;
}

const TF = "hashicorp/terraform-provider-aws internal/service";

export const SPECS: Readonly<Record<ResourceType, TypeSpec>> = {
    [T.function]: {
        // function_name, package_type, tenancy_config: ForceNew. Everything else is
        // UpdateFunctionCode / UpdateFunctionConfiguration / PutFunctionConcurrency.
        forceNew: ["name", "packageType", "tenancyConfig"],
        computed: ["arn", "qualifiedArn", "invokeArn", "qualifiedInvokeArn", "version", "lastModified", "sourceCodeSize", "codeSha256", "signingJobArn", "signingProfileVersionArn", "responseStreamingInvokeArn", "tagsAll"],
        defaults: { memorySize: 128, timeout: 3, publish: false, packageType: "Zip", reservedConcurrentExecutions: -1, skipDestroy: false },
        autoName: { prop: "name", maxLength: 64 },
        source: `${TF}/lambda/function.go`,
    },
    [T.alias]: {
        // name and function_name ForceNew; function_version, description, routing_config UpdateAlias.
        forceNew: ["name", "functionName"],
        computed: ["arn", "invokeArn"],
        source: `${TF}/lambda/alias.go`,
    },
    [T.invocation]: {
        // function_name, qualifier, triggers ForceNew; input ForceNew only with
        // lifecycle_scope CREATE_ONLY (customizeDiffInputChangeWithCreateOnlyScope), see diff().
        forceNew: ["functionName", "qualifier", "triggers"],
        computed: ["result"],
        defaults: { lifecycleScope: "CREATE_ONLY", qualifier: "$LATEST", terraformKey: "tf" },
        source: `${TF}/lambda/invocation.go`,
    },
    [T.permission]: {
        // No Update function: every argument is ForceNew.
        forceNew: ["action", "eventSourceToken", "function", "functionUrlAuthType", "invokedViaFunctionUrl", "principal", "principalOrgId", "qualifier", "sourceAccount", "sourceArn", "statementId", "statementIdPrefix"],
        computed: [],
        autoName: { prop: "statementId", maxLength: 100 },
        source: `${TF}/lambda/permission.go (no update API)`,
    },
    [T.functionUrl]: {
        // function_name and qualifier ForceNew; authorization_type, cors, invoke_mode UpdateFunctionUrlConfig.
        forceNew: ["functionName", "qualifier"],
        computed: ["functionArn", "functionUrl", "urlId"],
        defaults: { invokeMode: "BUFFERED" },
        source: `${TF}/lambda/function_url.go`,
    },
    [T.provisioned]: {
        forceNew: ["functionName", "qualifier"],
        computed: [],
        defaults: { skipDestroy: false },
        source: `${TF}/lambda/provisioned_concurrency_config.go`,
    },
    [T.role]: {
        // name, name_prefix, path ForceNew; assume_role_policy, description, tags… update in place.
        forceNew: ["name", "namePrefix", "path"],
        computed: ["arn", "createDate", "uniqueId", "tagsAll"],
        defaults: { path: "/", maxSessionDuration: 3600, forceDetachPolicies: false },
        autoName: { prop: "name", maxLength: 64 },
        source: `${TF}/iam/role.go`,
    },
    [T.rolePolicy]: {
        forceNew: ["name", "namePrefix", "role"],
        computed: [],
        autoName: { prop: "name", maxLength: 128 },
        source: `${TF}/iam/role_policy.go`,
    },
    [T.rolePolicyAttachment]: {
        forceNew: ["role", "policyArn"],
        computed: [],
        source: `${TF}/iam/role_policy_attachment.go (no update API)`,
    },
    [T.logGroup]: {
        // name, name_prefix, log_group_class ForceNew; retention_in_days, kms_key_id, tags update.
        forceNew: ["name", "namePrefix", "logGroupClass"],
        computed: ["arn", "tagsAll"],
        defaults: { retentionInDays: 0, logGroupClass: "STANDARD", skipDestroy: false },
        autoName: { prop: "name", maxLength: 512 },
        source: `${TF}/logs/group.go`,
    },
    [T.metricAlarm]: {
        // alarm_name ForceNew (Pulumi: name); the rest is PutMetricAlarm.
        forceNew: ["name"],
        computed: ["arn", "tagsAll"],
        defaults: { actionsEnabled: true, treatMissingData: "missing" },
        autoName: { prop: "name", maxLength: 255 },
        source: `${TF}/cloudwatch/metric_alarm.go`,
    },
    [T.eventRule]: {
        // name, name_prefix, event_bus_name ForceNew; schedule_expression, description, state: PutRule.
        forceNew: ["name", "namePrefix", "eventBusName"],
        computed: ["arn", "tagsAll"],
        defaults: { eventBusName: "default", state: "ENABLED" },
        autoName: { prop: "name", maxLength: 64 },
        source: `${TF}/events/rule.go`,
    },
    [T.eventTarget]: {
        // rule, target_id, event_bus_name ForceNew; arn, input…: PutTargets.
        forceNew: ["rule", "targetId", "eventBusName"],
        computed: [],
        defaults: { eventBusName: "default" },
        source: `${TF}/events/target.go`,
    },
    [T.cdApplication]: {
        // compute_platform ForceNew; name is renamed in place (UpdateApplication).
        forceNew: ["computePlatform"],
        computed: ["arn", "applicationId", "githubAccountName", "linkedToGithub", "tagsAll"],
        defaults: { computePlatform: "Server" },
        autoName: { prop: "name", maxLength: 100 },
        source: `${TF}/deploy/app.go`,
    },
    [T.cdGroup]: {
        // Read from the schema: no argument is ForceNew (not even app_name); UpdateDeploymentGroup
        // renames the group in place (newDeploymentGroupName).
        forceNew: [],
        computed: ["arn", "computePlatform", "deploymentGroupId", "tagsAll"],
        defaults: { deploymentConfigName: "CodeDeployDefault.OneAtATime", outdatedInstancesStrategy: "UPDATE" },
        source: `${TF}/deploy/deployment_group.go`,
    },
    [T.cdConfig]: {
        // No Update function: every argument is ForceNew.
        forceNew: ["deploymentConfigName", "computePlatform", "minimumHealthyHosts", "trafficRoutingConfig", "zonalConfig"],
        computed: ["arn", "deploymentConfigId"],
        defaults: { computePlatform: "Server" },
        autoName: { prop: "deploymentConfigName", maxLength: 100 },
        source: `${TF}/deploy/deployment_config.go (no update API)`,
    },
    [T.api]: {
        forceNew: ["protocolType"],
        computed: ["apiEndpoint", "arn", "executionArn", "tagsAll"],
        defaults: { routeSelectionExpression: "$request.method $request.path", apiKeySelectionExpression: "$request.header.x-api-key" },
        autoName: { prop: "name", maxLength: 128 },
        source: `${TF}/apigatewayv2/api.go`,
    },
    [T.integration]: {
        forceNew: ["apiId", "integrationType"],
        computed: ["integrationResponseSelectionExpression"],
        source: `${TF}/apigatewayv2/integration.go`,
    },
    [T.route]: {
        forceNew: ["apiId"],
        computed: [],
        source: `${TF}/apigatewayv2/route.go`,
    },
    [T.stage]: {
        forceNew: ["apiId", "name"],
        computed: ["arn", "executionArn", "invokeUrl", "tagsAll"],
        source: `${TF}/apigatewayv2/stage.go`,
    },
};

/**
 * Inputs of aws.lambda.Function whose change makes the provider call
 * UpdateFunctionCode / UpdateFunctionConfiguration, and so (with publish:
 * true) PublishVersion. Read from needsFunctionCodeUpdate and
 * needsFunctionConfigUpdate in internal/service/lambda/function.go
 * (`code` is the bridge's name for the archive behind `filename`;
 * `sourceCodeHash` and `codeSha256` are the user's override hashes).
 * Not in either list, so never a new version: tags, reservedConcurrentExecutions,
 * skipDestroy, replaceSecurityGroupsOnDestroy.
 */
export const FUNCTION_CODE_KEYS = ["code", "codeSha256", "sourceCodeHash", "s3Bucket", "s3Key", "s3ObjectVersion", "sourceKmsKeyArn", "imageUri", "architectures"] as const;
export const FUNCTION_CONFIG_KEYS = [
    "description", "handler", "fileSystemConfig", "imageConfig", "loggingConfig", "memorySize", "role", "timeout", "kmsKeyArn", "layers",
    "deadLetterConfig", "durableConfig", "snapStart", "tracingConfig", "vpcConfig", "runtime", "environment", "ephemeralStorage", "capacityProviderConfig", "publishTo",
] as const;

export function isResourceType(type: string): type is ResourceType {
    return RESOURCE_TYPES.includes(type);
}

/** `urn:pulumi:stack::project::parent$type::name` → type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const name = parts[3] ?? "";
    const chain = parts[2] ?? "";
    const type = chain.split("$").pop() ?? "";
    return { type, name };
}

export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN;
}

/** True when a value, or anything inside it, is not known yet (preview). */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v !== null && typeof v === "object") return Object.values(v as Props).some(containsUnknown);
    return false;
}

/**
 * Strips the engine's secret wrappers (and output values) so values can be
 * compared and used; returns the top-level keys that held a secret, so the
 * caller can wrap them again in what it returns (the engine must not lose the
 * secretness of, say, an environment variable).
 */
export function unwrapSecrets(props: Props): { plain: Props; secretKeys: string[] } {
    const secretKeys: string[] = [];
    const plain: Props = {};
    for (const [k, v] of Object.entries(props)) {
        const [value, secret] = unwrapValue(v);
        plain[k] = value;
        if (secret) secretKeys.push(k);
    }
    return { plain, secretKeys };
}

function unwrapValue(v: unknown): [unknown, boolean] {
    if (Array.isArray(v)) {
        let secret = false;
        const out = v.map((e) => {
            const [value, s] = unwrapValue(e);
            secret ||= s;
            return value;
        });
        return [out, secret];
    }
    if (v !== null && typeof v === "object") {
        const o = v as Props;
        if (o[SIG_KEY] === SECRET_SIG) {
            const [value] = unwrapValue(o.value);
            return [value, true];
        }
        if (o[SIG_KEY] === OUTPUT_SIG) {
            const [value, s] = "value" in o ? unwrapValue(o.value) : [UNKNOWN, false];
            return [value, s || o.secret === true];
        }
        if (o[SIG_KEY] === ARCHIVE_SIG || o[SIG_KEY] === ASSET_SIG) return [o, false];
        let secret = false;
        const out: Props = {};
        for (const [k, e] of Object.entries(o)) {
            const [value, s] = unwrapValue(e);
            secret ||= s;
            out[k] = value;
        }
        return [out, secret];
    }
    return [v, false];
}

export function wrapSecrets(props: Props, secretKeys: readonly string[]): Props {
    const out: Props = { ...props };
    for (const k of secretKeys) if (k in out && out[k] !== undefined) out[k] = { [SIG_KEY]: SECRET_SIG, value: out[k] };
    return out;
}

/**
 * Value equality as the bridge sees it: archives and assets by their hash
 * (what the engine computes from the content), everything else structurally.
 */
export function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === undefined || b === undefined || a === null || b === null) return isEmpty(a) && isEmpty(b);
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
    if (typeof a === "object" && typeof b === "object") {
        const oa = a as Props;
        const ob = b as Props;
        if (oa[SIG_KEY] !== undefined || ob[SIG_KEY] !== undefined) {
            return oa[SIG_KEY] === ob[SIG_KEY] && typeof oa.hash === "string" && oa.hash === ob.hash;
        }
        const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
        for (const k of keys) if (!sameValue(oa[k], ob[k])) return false;
        return true;
    }
    return false;
}

/** Terraform treats an absent optional value and an empty one alike (no diff). */
function isEmpty(v: unknown): boolean {
    if (v === undefined || v === null || v === "") return true;
    if (Array.isArray(v)) return v.length === 0;
    if (typeof v === "object") return Object.keys(v as Props).length === 0;
    return false;
}

/** Pulumi's auto-name: the resource name, a dash and 7 random hex digits. */
export function autoName(name: string, maxLength: number, random: () => number = Math.random): string {
    const suffix = Array.from({ length: 7 }, () => Math.floor(random() * 16).toString(16)).join("");
    return `${name.slice(0, Math.max(1, maxLength - 8))}-${suffix}`;
}

export interface CheckFailure {
    property: string;
    reason: string;
}

/**
 * Check: defaults and the auto-name, as the bridge applies them. An auto-name
 * is kept from the old inputs, so a `pulumi up` that changes something else
 * never renames (and so never replaces) the resource.
 */
export function check(type: ResourceType, urnName: string, olds: Props, news: Props, random: () => number = Math.random): { inputs: Props; failures: CheckFailure[] } {
    const spec = SPECS[type];
    const inputs: Props = { ...(spec.defaults ?? {}), ...stripUndefined(news) };
    const failures: CheckFailure[] = [];
    if (spec.autoName && inputs[spec.autoName.prop] === undefined && !(spec.autoName.prop === "name" && inputs.namePrefix !== undefined)) {
        const previous = olds[spec.autoName.prop];
        inputs[spec.autoName.prop] = typeof previous === "string" && previous !== "" ? previous : autoName(urnName, spec.autoName.maxLength, random);
    }
    if (type === T.eventTarget && inputs.targetId === undefined) {
        // Terraform generates a unique id (id.UniqueId(), "terraform-" + timestamp + counter).
        const previous = olds.targetId;
        inputs.targetId = typeof previous === "string" ? previous : `terraform-${Date.now()}${Math.floor(random() * 1e6).toString().padStart(6, "0")}`;
    }
    if (type === T.invocation) {
        // customizeDiffValidateInput: CRUD needs a JSON object input.
        const input = inputs.input;
        if (typeof input === "string" && !containsUnknown(input)) {
            try {
                const parsed = JSON.parse(input) as unknown;
                if (inputs.lifecycleScope !== "CREATE_ONLY" && (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))) {
                    failures.push({ property: "input", reason: `lifecycle_scope other than "CREATE_ONLY" requires input to be a JSON object` });
                }
            } catch {
                failures.push({ property: "input", reason: `"input" contains an invalid JSON` });
            }
        }
        if (inputs.lifecycleScope !== "CREATE_ONLY" && inputs.lifecycleScope !== "CRUD") {
            failures.push({ property: "lifecycleScope", reason: `expected lifecycle_scope to be one of ["CREATE_ONLY" "CRUD"], got ${String(inputs.lifecycleScope)}` });
        }
    }
    if (type === T.function && inputs.packageType === "Zip" && (inputs.handler === undefined || inputs.runtime === undefined)) {
        // checkHandlerRuntimeForZipFunction
        failures.push({ property: "handler", reason: "handler and runtime must be set when PackageType is Zip" });
    }
    return { inputs, failures };
}

function stripUndefined(p: Props): Props {
    const out: Props = {};
    for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) out[k] = v;
    return out;
}

export interface DiffOutcome {
    /** Inputs that differ. */
    changed: string[];
    /** The subset that forces a replacement. */
    replaces: string[];
    /** aws.lambda.Function only: the update publishes a new version. */
    publishes: boolean;
}

/**
 * Diff of old state (outputs, which carry the inputs under the same names)
 * against new checked inputs, as the bridged provider computes it.
 */
export function diff(type: ResourceType, olds: Props, news: Props): DiffOutcome {
    const spec = SPECS[type];
    const computed = new Set(spec.computed);
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !computed.has(k) && k !== "id" && k !== "urn"));
    const changed: string[] = [];
    for (const k of keys) {
        if (containsUnknown(news[k]) || !sameValue(olds[k], news[k])) changed.push(k);
    }
    // A tags change also changes tagsAll, never anything else.
    const replaces = changed.filter((k) => spec.forceNew.includes(k));
    if (type === T.invocation && changed.includes("input") && (news.lifecycleScope ?? "CREATE_ONLY") === "CREATE_ONLY") {
        replaces.push("input"); // customizeDiffInputChangeWithCreateOnlyScope
    }
    if (type === T.function && changed.includes("durableConfig")) {
        // ForceNewIfChange("durable_config"): adding or removing the block replaces.
        if (isEmpty(olds.durableConfig) !== isEmpty(news.durableConfig)) replaces.push("durableConfig");
    }
    let publishes = false;
    if (type === T.function && replaces.length === 0) {
        const codeOrConfig = changed.some((k) => (FUNCTION_CODE_KEYS as readonly string[]).includes(k) || (FUNCTION_CONFIG_KEYS as readonly string[]).includes(k));
        publishes = news.publish === true && (codeOrConfig || changed.includes("publish"));
    }
    return { changed: changed.sort(), replaces: [...new Set(replaces)].sort(), publishes };
}

/**
 * The local slice of AWS that the local `aws` provider plugin manages: one
 * long-lived process (the rehearsal, or a test) holding the Lambda,
 * CodeDeploy and CloudWatch Logs stand-ins, a record of every other resource
 * (IAM, log groups, alarms, EventBridge rules and targets, CodeDeploy
 * applications, API Gateway), an EventBridge scheduler, and a JSON state file.
 *
 * Why a separate process from the plugin: the engine starts the provider
 * plugin for one `pulumi` command and kills it afterwards, but functions keep
 * their execution environments, CodeDeploy keeps shifting and schedules keep
 * firing between commands. So the plugin (plugin.ts) is a thin gRPC-to-HTTP
 * shim and every AWS side effect happens here, behind a loopback control API
 * (`POST /provider/{create,update,delete,read}`). The state file lets a new
 * LocalAws on the same directory pick up where the previous one stopped.
 *
 * Resource semantics follow the Terraform AWS provider that Pulumi's AWS
 * provider bridges; each handler cites the function of
 * hashicorp/terraform-provider-aws whose behaviour it reproduces.
 *
 * IAM is enforced with the policies the engine created: every Role,
 * RolePolicy and RolePolicyAttachment the engine creates, updates or deletes
 * is stored and re-registered with the IAM registry (rehearsal/iam,
 * `Principals.putRole`), so a policy created or changed after its role takes
 * effect for the next call, as in IAM. The Lambda, CodeDeploy and Logs
 * stand-ins share one `IamGate`: each function runs as its execution role
 * (`role`, its log group from `loggingConfig.logGroup`), CodeDeploy as the
 * deployment group's `serviceRoleArn` (with its `alarmConfiguration` and
 * `triggerConfigurations`), and every call a hook or CodeDeploy makes is
 * authorized, denied in AWS's shapes. The stack's own calls (the
 * Invocation's invoke) and EventBridge's deliveries are counted as outside
 * callers.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import { createLogger, type Logger } from "../../hooks/log";
import { CodeDeployApiError, CodeDeployStandIn } from "../codedeploy/service";
import { PolicyResolutionError, Principals, type PolicyDocument, type RoleSpec } from "../iam/authorize";
import { IamGate } from "../iam/gate";
import type { TrafficRouting } from "../codedeploy/traffic";
import { ACCOUNT, LambdaApiError, LambdaStandIn, REGION, functionArn, parseFunctionName, type FunctionConfig } from "../lambda/service";
import { LogsStandIn } from "../logs/service";
import { LoopbackApi, readBody } from "../support/net";
import { ARCHIVE_SIG, ASSET_SIG, SIG_KEY, SPECS, T, diff, isResourceType, parseUrn, type Props, type ResourceType } from "./schema";

export const LOCAL_AWS_ENDPOINT_ENV = "PM_LOCAL_AWS_ENDPOINT";
const STATE_FILE = "local-aws.json";

export interface LocalAwsOptions {
    /** Directory for the state file, code snapshots and environment logs; reused across restarts. */
    dataDir: string;
    rie: string;
    python: string;
    nodeRuntime: string;
    /** One CodeDeploy minute in real ms. */
    minuteMs?: number;
    /** One EventBridge minute in real ms (schedules are time-compressed). */
    scheduleMinuteMs?: number;
    /** How long CodeDeploy waits for a hook's report. */
    hookTimeoutMs?: number;
    idleTimeoutMs?: number;
    /** Extra environment every function gets (e.g. the rehearsal's DATABASE_URL is passed by the program instead). */
    baseEnv?: Record<string, string>;
    onEvent?: (event: { event: string; [field: string]: unknown }) => void;
}

/** One call the engine made through the plugin, as this side saw it. */
export interface ProviderCall {
    op: "create" | "update" | "delete" | "read";
    type: string;
    name: string;
    id?: string;
    at: number;
    ms: number;
    error?: string;
}

/** One invocation made by an aws.lambda.Invocation: what the deployer received. */
export interface InvocationSeen {
    resourceName: string;
    action: "create" | "update" | "delete";
    functionName: string;
    /** The payload Lambda got (the input, augmented with `tf` under CRUD). */
    event: Record<string, unknown>;
    ok: boolean;
    result?: string;
    error?: string;
    ms: number;
}

export interface ScheduleFiring {
    rule: string;
    target: string;
    at: number;
    delivered: boolean;
    reason?: string;
}

export class LocalAwsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LocalAwsError";
    }
}

interface Stored {
    type: ResourceType;
    id: string;
    props: Props;
}

interface SavedFunction {
    latest: FunctionConfig;
    versions: { version: string; config: FunctionConfig; codeDir: string }[];
    aliases: { name: string; functionVersion: string; weights: Record<string, number>; description: string }[];
}

interface StateFile {
    format: 1;
    records: Stored[];
    functions: Record<string, SavedFunction>;
}

const arnOf = {
    role: (name: string, p = "/") => `arn:aws:iam::${ACCOUNT}:role${p}${name}`,
    logGroup: (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`,
    alarm: (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    rule: (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`,
    cdApp: (name: string) => `arn:aws:codedeploy:${REGION}:${ACCOUNT}:application:${name}`,
    cdGroup: (app: string, group: string) => `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${app}/${group}`,
    cdConfig: (name: string) => `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:${name}`,
    // Function.invoke_arn: the API Gateway integration ARN (function.go invokeARN).
    invoke: (fnArn: string) => `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
};

const lowerAlnum = (n: number): string => Array.from(randomBytes(n), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const num = (v: unknown, dflt: number): number => (typeof v === "number" && Number.isFinite(v) ? v : dflt);

export class LocalAws extends LoopbackApi {
    readonly calls: ProviderCall[] = [];
    readonly invocations: InvocationSeen[] = [];
    readonly firings: ScheduleFiring[] = [];
    private readonly records = new Map<string, Stored>();
    private scheduleTimer?: NodeJS.Timeout;
    private scheduleMinute = 0;
    private readonly standInEnv: Record<string, string>;

    private constructor(
        readonly options: LocalAwsOptions,
        readonly lambda: LambdaStandIn,
        readonly codedeploy: CodeDeployStandIn,
        readonly logs: LogsStandIn,
        readonly log: Logger,
        /** The IAM enforcement point the stand-ins share; its report counts calls evaluated and denied per role. */
        readonly iam: IamGate,
    ) {
        super();
        this.standInEnv = {
            AWS_ACCESS_KEY_ID: "rehearsal",
            AWS_SECRET_ACCESS_KEY: "rehearsal",
            AWS_EC2_METADATA_DISABLED: "true",
            AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
            AWS_ENDPOINT_URL_CODEDEPLOY: codedeploy.endpoint,
            AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
            ...(options.baseEnv ?? {}),
        };
    }

    /** Starts the stand-ins and the control API; restores the state file of `dataDir` if there is one. */
    static async start(options: LocalAwsOptions): Promise<LocalAws> {
        fs.mkdirSync(options.dataDir, { recursive: true });
        const logFile = path.join(options.dataDir, "stand-ins.log");
        const log = createLogger({}, (line) => {
            fs.appendFileSync(logFile, line + "\n");
            if (options.onEvent) options.onEvent(JSON.parse(line) as { event: string });
        });
        // Roles are registered as the engine creates them (see syncIam); the gate starts empty.
        const iam = new IamGate(new Principals());
        const lambda = new LambdaStandIn({
            rie: options.rie,
            python: options.python,
            nodeRuntime: options.nodeRuntime,
            workDir: options.dataDir,
            baseEnv: {},
            idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
            asyncRetryDelaysMs: [1000, 2000],
            iam,
            log,
        });
        await lambda.start();
        const codedeploy = new CodeDeployStandIn({ lambda, minuteMs: options.minuteMs ?? 1000, hookTimeoutMs: options.hookTimeoutMs ?? 120_000, iam, log });
        await codedeploy.start();
        const logs = new LogsStandIn(() => lambda.logEvents, iam);
        await logs.start();
        const local = new LocalAws(options, lambda, codedeploy, logs, log, iam);
        try {
            await local.listen();
            local.restore();
        } catch (err) {
            await codedeploy.stop();
            await logs.stop();
            await lambda.stop();
            await local.close();
            throw err;
        }
        return local;
    }

    override async stop(): Promise<void> {
        this.pauseSchedules();
        this.save();
        await this.codedeploy.stop();
        await this.logs.stop();
        await this.lambda.stop();
        await this.close();
    }

    /**
     * What every function gets besides its own variables: the stand-ins' endpoints, and, for any other
     * service, this control API as the SDK's global endpoint (AWS_ENDPOINT_URL; AWS SDKs and Tools reference
     * guide, "Service-specific endpoints": a service's own AWS_ENDPOINT_URL_<SERVICE> wins over it). A call to
     * a service with no stand-in here (e.g. CloudWatch metrics for warmup.traffic) then fails on loopback
     * with "unknown control call" instead of ever reaching AWS. The execution role's session keys replace the
     * placeholder keys (Lambda stand-in).
     */
    private get awsEnv(): Record<string, string> {
        return { ...this.standInEnv, AWS_ENDPOINT_URL: `${this.endpoint}/no-stand-in-for-this-service` };
    }

    /** What a `pulumi` process needs to find this local AWS: the plugin reads it. */
    get env(): Record<string, string> {
        return { [LOCAL_AWS_ENDPOINT_ENV]: this.endpoint };
    }

    // ------------------------------------------------------------ inspection

    /** Every resource of a type (or all), as stored: what "nothing left" is checked against. */
    resources(type?: ResourceType): { type: ResourceType; id: string; props: Props }[] {
        return [...this.records.values()].filter((r) => type === undefined || r.type === type).map((r) => ({ ...r, props: { ...r.props } }));
    }

    /** Lambda functions still present in the Lambda stand-in. */
    functionNames(): string[] {
        return this.resources(T.function)
            .map((r) => str(r.props.name))
            .filter((n) => this.lambda.hasFunction(n));
    }

    // ------------------------------------------------------------ EventBridge clock

    /**
     * Starts EventBridge's clock: every `scheduleMinuteMs` is one minute, and
     * each enabled rule with a `rate(...)` schedule fires its targets when its
     * period has elapsed. Paused by default so firings land in the step that
     * shows them, not in the middle of a deployment.
     */
    resumeSchedules(): void {
        if (this.scheduleTimer) return;
        this.scheduleTimer = setInterval(() => this.tick(), this.options.scheduleMinuteMs ?? 1000);
        this.scheduleTimer.unref();
    }

    pauseSchedules(): void {
        if (this.scheduleTimer) clearInterval(this.scheduleTimer);
        this.scheduleTimer = undefined;
    }

    private tick(): void {
        this.scheduleMinute += 1;
        for (const rule of this.resources(T.eventRule)) {
            if (rule.props.state === "DISABLED") continue;
            const minutes = rateMinutes(str(rule.props.scheduleExpression));
            if (minutes === undefined || this.scheduleMinute % minutes !== 0) continue;
            this.fireRule(str(rule.props.name));
        }
    }

    /**
     * Delivers a rule's event to each target, as EventBridge does: only when
     * the function's resource policy lets events.amazonaws.com invoke it from
     * this rule (EventBridge user guide, "Using resource-based policies for
     * Amazon EventBridge": Lambda targets need a lambda:InvokeFunction grant
     * to the events.amazonaws.com principal).
     */
    fireRule(ruleName: string): ScheduleFiring[] {
        const rule = this.findOne(T.eventRule, (p) => p.name === ruleName);
        if (!rule) throw new LocalAwsError(`no EventBridge rule ${ruleName}`);
        const out: ScheduleFiring[] = [];
        for (const target of this.resources(T.eventTarget).filter((t) => t.props.rule === ruleName)) {
            const { name, qualifier } = parseFunctionName(str(target.props.arn));
            const granted = this.resources(T.permission).some((p) => {
                const fn = parseFunctionName(str(p.props.function));
                return (
                    fn.name === name &&
                    (p.props.qualifier ?? fn.qualifier) === qualifier &&
                    p.props.principal === "events.amazonaws.com" &&
                    (p.props.action === "lambda:InvokeFunction" || p.props.action === "lambda:*") &&
                    (p.props.sourceArn === undefined || p.props.sourceArn === rule.props.arn)
                );
            });
            const firing: ScheduleFiring = { rule: ruleName, target: str(target.props.arn), at: Date.now(), delivered: false };
            if (!granted) {
                firing.reason = "no lambda:InvokeFunction permission for events.amazonaws.com from this rule";
            } else if (!this.lambda.hasFunction(name)) {
                firing.reason = "target function does not exist";
            } else {
                const input = target.props.input !== undefined ? str(target.props.input) : JSON.stringify(scheduledEvent(str(rule.props.arn)));
                // Authorized by the function's resource-based policy (checked above), not by a role of the component.
                this.iam.recordOutside("lambda", "Invoke", "events.amazonaws.com");
                this.lambda.invokeAsync(name, qualifier, Buffer.from(input));
                firing.delivered = true;
            }
            this.log.info("events.rule.fired", { ...firing });
            this.firings.push(firing);
            out.push(firing);
        }
        return out;
    }

    // ------------------------------------------------------------ control API

    protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const started = Date.now();
        let call: ProviderCall | undefined;
        try {
            const url = new URL(req.url ?? "/", "http://localhost");
            const op = /^\/provider\/(create|update|delete|read)$/.exec(url.pathname)?.[1] as ProviderCall["op"] | undefined;
            if (req.method !== "POST" || !op) throw new LocalAwsError(`unknown control call ${req.method} ${url.pathname}`);
            const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { type: string; urn: string; id?: string; inputs?: Props; olds?: Props; news?: Props; props?: Props };
            if (!isResourceType(body.type)) throw new LocalAwsError(`the local aws provider does not implement ${body.type}`);
            const name = parseUrn(body.urn).name;
            call = { op, type: body.type, name, id: body.id, at: started, ms: 0 };
            let answer: unknown;
            if (op === "create") answer = await this.create(body.type, name, body.inputs ?? {});
            else if (op === "update") answer = { outs: await this.update(body.type, name, body.id ?? "", body.olds ?? {}, body.news ?? {}) };
            else if (op === "delete") answer = (await this.delete(body.type, name, body.id ?? "", body.props ?? {}), {});
            else answer = this.read(body.type, body.id ?? "", body.props ?? {});
            this.save();
            call.ms = Date.now() - started;
            this.calls.push(call);
            this.reply(res, 200, answer);
        } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            if (call) {
                call.ms = Date.now() - started;
                call.error = message;
                this.calls.push(call);
            }
            this.save();
            this.reply(res, 400, { error: message });
        }
    }

    private reply(res: http.ServerResponse, status: number, body: unknown): void {
        const text = JSON.stringify(body ?? {});
        res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
    }

    // ------------------------------------------------------------ CRUD

    async create(type: ResourceType, name: string, inputs: Props): Promise<{ id: string; outs: Props }> {
        const { id, outs } = await this.createOne(type, name, inputs);
        this.records.set(key(type, id), { type, id, props: outs });
        try {
            this.syncIam(type, outs);
        } catch (err) {
            // IAM refused the document (PutRolePolicy / AttachRolePolicy failed): nothing is stored.
            this.records.delete(key(type, id));
            this.syncIam(type, outs);
            throw err;
        }
        return { id, outs };
    }

    async update(type: ResourceType, name: string, id: string, olds: Props, news: Props): Promise<Props> {
        const outs = await this.updateOne(type, name, id, olds, news);
        const before = this.records.get(key(type, id));
        this.records.set(key(type, id), { type, id, props: outs });
        try {
            this.syncIam(type, outs, olds);
        } catch (err) {
            if (before) this.records.set(key(type, id), before);
            this.syncIam(type, before?.props ?? olds);
            throw err;
        }
        return outs;
    }

    async delete(type: ResourceType, name: string, id: string, props: Props): Promise<void> {
        await this.deleteOne(type, name, id, props);
        this.records.delete(key(type, id));
        this.syncIam(type, props);
    }

    // ------------------------------------------------------------ IAM

    /**
     * Re-registers the role a Role, RolePolicy or RolePolicyAttachment belongs
     * to with the IAM registry, from what is stored now (or removes it when the
     * role is gone): the next call of any of its sessions is evaluated with the
     * role's policies as they are now. `olds` names the previous role when an
     * update moved a policy to another one.
     */
    private syncIam(type: ResourceType, props: Props, olds?: Props): void {
        if (type !== T.role && type !== T.rolePolicy && type !== T.rolePolicyAttachment) return;
        const names = new Set([type === T.role ? str(props.name) : roleNameOf(str(props.role))]);
        if (olds) names.add(type === T.role ? str(olds.name) : roleNameOf(str(olds.role)));
        for (const roleName of names) {
            if (!roleName) continue;
            const spec = this.roleSpec(roleName);
            if (!spec) {
                this.iam.principals.removeRole(roleName);
                continue;
            }
            try {
                this.iam.principals.putRole(spec);
            } catch (err) {
                // IAM checks a document when it is put (PutRolePolicy: MalformedPolicyDocument; AttachRolePolicy of a policy
                // that does not exist: NoSuchEntity; IAM API reference, PutRolePolicy and AttachRolePolicy "Errors").
                if (err instanceof PolicyResolutionError) {
                    throw new LocalAwsError(`${/not AWS-managed|not in the published/.test(err.message) ? "NoSuchEntity" : "MalformedPolicyDocument"}: ${err.message}`);
                }
                throw err;
            }
        }
    }

    /** A role as IAM holds it now: its trust policy, its inline policies (RolePolicy and the Role's own `inlinePolicies`) and its attached managed policies. */
    private roleSpec(roleName: string): RoleSpec | undefined {
        const role = this.findOne(T.role, (p) => p.name === roleName);
        if (!role) return undefined;
        const own = (role.props.inlinePolicies ?? []) as { name?: string; policy?: string }[];
        const inlinePolicies = [
            ...own.filter((p) => p.name && p.policy).map((p) => ({ name: str(p.name), document: policyDocument(p.policy, `inline policy ${str(p.name)} of role ${roleName}`) })),
            ...this.resources(T.rolePolicy)
                .filter((r) => roleNameOf(str(r.props.role)) === roleName)
                .map((r) => ({ name: str(r.props.name), document: policyDocument(r.props.policy, `RolePolicy ${str(r.props.name)} of role ${roleName}`) })),
        ];
        const managedPolicyArns = [
            ...((role.props.managedPolicyArns ?? []) as string[]),
            ...this.resources(T.rolePolicyAttachment)
                .filter((r) => roleNameOf(str(r.props.role)) === roleName)
                .map((r) => str(r.props.policyArn)),
        ];
        return { name: roleName, arn: str(role.props.arn), trustPolicy: policyDocument(role.props.assumeRolePolicy, `the trust policy of role ${roleName}`), inlinePolicies, managedPolicyArns };
    }

    /** Refresh: what AWS holds now; `null` props when the resource is gone (the engine then drops it). */
    read(type: ResourceType, id: string, props: Props): { id: string; props: Props | null; inputs: Props | null } {
        const stored = this.records.get(key(type, id));
        if (!stored) return { id, props: null, inputs: null };
        let now = { ...stored.props };
        if (type === T.function) {
            const fnName = str(now.name);
            if (!this.lambda.hasFunction(fnName)) return { id, props: null, inputs: null };
            // resourceFunctionRead: version/qualified_arn are the latest published version.
            const versions = this.lambda.versionsOf(fnName);
            const latest = versions.at(-1)?.version ?? "$LATEST";
            now = { ...now, version: latest, qualifiedArn: functionArn(fnName, latest), qualifiedInvokeArn: arnOf.invoke(functionArn(fnName, latest)) };
        } else if (type === T.alias) {
            const fnName = str(now.functionName);
            const alias = this.lambda.hasFunction(fnName) ? this.lambda.listAliases(fnName).find((a) => a.Name === now.name) : undefined;
            if (!alias) return { id, props: null, inputs: null };
            // resourceAliasFlatten: function_version and routing_config as GetAlias returns them.
            const weights = alias.RoutingConfig?.AdditionalVersionWeights;
            now = { ...now, functionVersion: alias.FunctionVersion, description: alias.Description, routingConfig: weights && Object.keys(weights).length > 0 ? { additionalVersionWeights: weights } : undefined };
            if (now.routingConfig === undefined) delete now.routingConfig;
        }
        this.records.set(key(type, id), { ...stored, props: now });
        const computed = new Set(SPECS[type].computed);
        const inputs: Props = {};
        for (const [k, v] of Object.entries(now)) if (!computed.has(k) && v !== undefined) inputs[k] = v;
        // Anything of the old state the read did not cover stays as it was.
        return { id, props: { ...props, ...now }, inputs };
    }

    private async createOne(type: ResourceType, name: string, inputs: Props): Promise<{ id: string; outs: Props }> {
        switch (type) {
            case T.function:
                return this.createFunction(inputs);
            case T.alias:
                return this.createAlias(inputs);
            case T.invocation:
                return this.invoke(name, "create", inputs, null);
            case T.permission: {
                // resourcePermissionCreate: AddPermission needs the function (and qualifier) to exist; id = statement id.
                const fn = parseFunctionName(str(inputs.function));
                this.requireFunction(fn.name, str(inputs.qualifier) || fn.qualifier);
                const sid = str(inputs.statementId);
                const clash = this.findOne(T.permission, (p) => parseFunctionName(str(p.function)).name === fn.name && p.statementId === sid && p.qualifier === inputs.qualifier);
                if (clash) throw new LocalAwsError(`adding Lambda Permission (${fn.name}/${sid}): ResourceConflictException: The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
                return { id: sid, outs: { ...inputs } };
            }
            case T.functionUrl: {
                const fnName = parseFunctionName(str(inputs.functionName)).name;
                const qualifier = str(inputs.qualifier) || undefined;
                this.requireFunction(fnName, qualifier);
                const urlId = lowerAlnum(32);
                // function_url.go: id is the function name, or "name/qualifier".
                const id = qualifier ? `${fnName}/${qualifier}` : fnName;
                return { id, outs: { ...inputs, functionArn: functionArn(fnName), functionUrl: `https://${urlId}.lambda-url.${REGION}.on.aws/`, urlId } };
            }
            case T.provisioned: {
                const fnName = parseFunctionName(str(inputs.functionName)).name;
                this.requireFunction(fnName, str(inputs.qualifier));
                return { id: `${fnName},${str(inputs.qualifier)}`, outs: { ...inputs } };
            }
            case T.role: {
                const roleName = str(inputs.name);
                if (this.findOne(T.role, (p) => p.name === roleName)) throw new LocalAwsError(`creating IAM Role (${roleName}): EntityAlreadyExists: Role with name ${roleName} already exists.`);
                const uniqueId = "AROA" + Array.from(randomBytes(17), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[b % 32]).join("");
                return { id: roleName, outs: { ...inputs, arn: arnOf.role(roleName, str(inputs.path) || "/"), uniqueId, createDate: new Date().toISOString(), tagsAll: inputs.tags ?? {} } };
            }
            case T.rolePolicy: {
                const role = this.requireRole(str(inputs.role));
                // role_policy.go: id is "role:name".
                return { id: `${role}:${str(inputs.name)}`, outs: { ...inputs } };
            }
            case T.rolePolicyAttachment: {
                const role = this.requireRole(str(inputs.role));
                // role_policy_attachment.go: id.PrefixedUniqueId(role + "-").
                return { id: `${role}-${Date.now()}${randomBytes(4).toString("hex")}`, outs: { ...inputs } };
            }
            case T.logGroup: {
                const lg = str(inputs.name);
                return { id: lg, outs: { ...inputs, arn: arnOf.logGroup(lg), tagsAll: inputs.tags ?? {} } };
            }
            case T.metricAlarm: {
                const alarm = str(inputs.name);
                return { id: alarm, outs: { ...inputs, arn: arnOf.alarm(alarm), tagsAll: inputs.tags ?? {} } };
            }
            case T.eventRule: {
                const rule = str(inputs.name);
                const expr = str(inputs.scheduleExpression);
                if (expr && rateMinutes(expr) === undefined && !expr.startsWith("cron(")) throw new LocalAwsError(`creating EventBridge Rule (${rule}): ValidationException: Parameter ScheduleExpression is not valid.`);
                return { id: rule, outs: { ...inputs, arn: arnOf.rule(rule), tagsAll: inputs.tags ?? {} } };
            }
            case T.eventTarget: {
                const rule = str(inputs.rule);
                if (!this.findOne(T.eventRule, (p) => p.name === rule)) throw new LocalAwsError(`creating EventBridge Target: ResourceNotFoundException: Rule ${rule} does not exist on EventBus default.`);
                // target.go: id is "rule-targetId" on the default bus.
                return { id: `${rule}-${str(inputs.targetId)}`, outs: { ...inputs } };
            }
            case T.cdApplication: {
                const app = str(inputs.name);
                const applicationId = randomUUID();
                return { id: applicationId, outs: { ...inputs, arn: arnOf.cdApp(app), applicationId, linkedToGithub: false, githubAccountName: "", tagsAll: inputs.tags ?? {} } };
            }
            case T.cdGroup:
                return this.createDeploymentGroup(inputs);
            case T.cdConfig: {
                const configName = str(inputs.deploymentConfigName);
                this.codedeploy.registerDeploymentConfig(configName, trafficRouting(inputs));
                return { id: configName, outs: { ...inputs, arn: arnOf.cdConfig(configName), deploymentConfigId: randomUUID() } };
            }
            case T.api: {
                const apiId = lowerAlnum(10);
                return {
                    id: apiId,
                    outs: {
                        ...inputs,
                        apiEndpoint: inputs.protocolType === "WEBSOCKET" ? `wss://${apiId}.execute-api.${REGION}.amazonaws.com` : `https://${apiId}.execute-api.${REGION}.amazonaws.com`,
                        arn: `arn:aws:apigateway:${REGION}::/apis/${apiId}`,
                        executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}`,
                        tagsAll: inputs.tags ?? {},
                    },
                };
            }
            case T.integration:
                return { id: lowerAlnum(7), outs: { ...inputs } };
            case T.route:
                return { id: lowerAlnum(7), outs: { ...inputs } };
            case T.stage: {
                const apiId = str(inputs.apiId);
                const stage = str(inputs.name);
                return {
                    id: stage,
                    outs: {
                        ...inputs,
                        arn: `arn:aws:apigateway:${REGION}::/apis/${apiId}/stages/${stage}`,
                        executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/${stage}`,
                        invokeUrl: stage === "$default" ? `https://${apiId}.execute-api.${REGION}.amazonaws.com/` : `https://${apiId}.execute-api.${REGION}.amazonaws.com/${stage}`,
                        tagsAll: inputs.tags ?? {},
                    },
                };
            }
        }
    }

    private async updateOne(type: ResourceType, name: string, id: string, olds: Props, news: Props): Promise<Props> {
        const keepComputed = (): Props => {
            const out: Props = { ...news };
            for (const k of SPECS[type].computed) if (olds[k] !== undefined) out[k] = olds[k];
            if ("tagsAll" in olds) out.tagsAll = news.tags ?? {};
            return out;
        };
        switch (type) {
            case T.function:
                return this.updateFunction(olds, news);
            case T.alias: {
                // resourceAliasUpdate: UpdateAlias with description, function_version and routing_config
                // (an empty routing config clears the weights).
                const fnName = parseFunctionName(str(news.functionName)).name;
                const weights = (news.routingConfig as { additionalVersionWeights?: Record<string, number> } | undefined)?.additionalVersionWeights ?? {};
                this.lambdaCall(() => this.lambda.updateAlias(fnName, str(news.name), str(news.functionVersion), weights), "updating Lambda Alias", id);
                this.lambda.setAliasDescription(fnName, str(news.name), str(news.description));
                return keepComputed();
            }
            case T.invocation: {
                const { outs } = await this.invoke(name, "update", news, olds);
                return outs;
            }
            case T.functionUrl:
            case T.provisioned:
            case T.role:
            case T.rolePolicy:
            case T.logGroup:
            case T.metricAlarm:
            case T.eventTarget:
            case T.integration:
            case T.route:
            case T.stage:
            case T.api:
                return keepComputed();
            case T.eventRule: {
                const expr = str(news.scheduleExpression);
                if (expr && rateMinutes(expr) === undefined && !expr.startsWith("cron(")) throw new LocalAwsError(`updating EventBridge Rule (${id}): ValidationException: Parameter ScheduleExpression is not valid.`);
                return keepComputed();
            }
            case T.cdApplication: {
                const out = keepComputed();
                out.arn = arnOf.cdApp(str(news.name));
                return out;
            }
            case T.cdGroup: {
                this.codedeploy.deregisterDeploymentGroup(str(olds.appName), str(olds.deploymentGroupName));
                this.registerGroup(news);
                const out = keepComputed();
                out.arn = arnOf.cdGroup(str(news.appName), str(news.deploymentGroupName));
                return out;
            }
            case T.permission:
            case T.rolePolicyAttachment:
            case T.cdConfig:
                // No update API: every input is ForceNew, so the engine never asks.
                throw new LocalAwsError(`${type} cannot be updated in place (every argument forces a new resource)`);
        }
    }

    private async deleteOne(type: ResourceType, name: string, _id: string, props: Props): Promise<void> {
        switch (type) {
            case T.function: {
                // resourceFunctionDelete: DeleteFunction; ResourceNotFound is success.
                const fnName = str(props.name);
                if (this.lambda.hasFunction(fnName)) this.lambda.deleteFunction(fnName);
                return;
            }
            case T.alias: {
                const fnName = parseFunctionName(str(props.functionName)).name;
                if (this.lambda.hasFunction(fnName) && this.lambda.listAliases(fnName).some((a) => a.Name === props.name)) this.lambda.deleteAlias(fnName, str(props.name));
                return;
            }
            case T.invocation:
                // resourceInvocationDelete: invoked only under CRUD.
                if (props.lifecycleScope === "CRUD") await this.invoke(name, "delete", props, props);
                return;
            case T.cdGroup:
                this.codedeploy.deregisterDeploymentGroup(str(props.appName), str(props.deploymentGroupName));
                return;
            case T.cdConfig:
                this.codedeploy.deregisterDeploymentConfig(str(props.deploymentConfigName));
                return;
            case T.role: {
                // DeleteRole fails while inline or attached policies remain (DeleteConflict); the
                // Terraform provider only detaches them itself with force_detach_policies.
                const roleName = str(props.name);
                const attached = this.resources().filter((r) => (r.type === T.rolePolicy || r.type === T.rolePolicyAttachment) && roleNameOf(str(r.props.role)) === roleName);
                if (attached.length > 0 && props.forceDetachPolicies !== true) {
                    throw new LocalAwsError(`deleting IAM Role (${roleName}): DeleteConflict: Cannot delete entity, must delete policies first.`);
                }
                return;
            }
            default:
                return;
        }
    }

    // ------------------------------------------------------------ Lambda

    /** resourceFunctionCreate: CreateFunction (Publish: publish), then read back version and ARNs. */
    private createFunction(inputs: Props): { id: string; outs: Props } {
        const fnName = str(inputs.name);
        if (this.lambda.hasFunction(fnName)) throw new LocalAwsError(`creating Lambda Function (${fnName}): ResourceConflictException: Function already exist: ${fnName}`);
        this.requireAssumableRole(fnName, str(inputs.role));
        const code = this.materialize(inputs.code, fnName);
        this.lambda.createFunction(this.functionConfig(fnName, inputs, code.dir));
        const version = inputs.publish === true ? this.lambda.publishVersion(fnName) : "$LATEST";
        return { id: fnName, outs: this.functionOuts(inputs, version, code) };
    }

    /** resourceFunctionUpdate: configuration, then code, then concurrency, then PublishVersion when code or configuration changed. */
    private updateFunction(olds: Props, news: Props): Props {
        const fnName = str(news.name);
        const d = diff(T.function, olds, news);
        if (d.changed.includes("role")) this.requireAssumableRole(fnName, str(news.role));
        const code = d.changed.includes("code") ? this.materialize(news.code, fnName) : { dir: this.lambda.functionConfig(fnName).codeDir, sha256: str(olds.codeSha256), size: num(olds.sourceCodeSize, 0) };
        this.lambda.updateFunction(fnName, this.functionConfig(fnName, news, code.dir));
        const version = d.publishes ? this.lambda.publishVersion(fnName) : str(olds.version);
        return this.functionOuts(news, version, code);
    }

    private functionConfig(fnName: string, inputs: Props, codeDir: string): FunctionConfig {
        const runtime = str(inputs.runtime);
        const kind = runtime.startsWith("python") ? "python" : runtime.startsWith("nodejs") ? "node" : undefined;
        if (!kind) throw new LocalAwsError(`Lambda Function (${fnName}): runtime ${runtime} is not one the rehearsal can run (python3.x, nodejs*)`);
        const env = ((inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {}) as Record<string, string>;
        const reserved = num(inputs.reservedConcurrentExecutions, -1);
        const logGroup = str((inputs.loggingConfig as { logGroup?: string } | undefined)?.logGroup) || `/aws/lambda/${fnName}`;
        return {
            name: fnName,
            runtime: kind,
            codeDir,
            handler: str(inputs.handler),
            env: { ...this.awsEnv, AWS_LAMBDA_LOG_GROUP_NAME: logGroup, ...env },
            timeoutSec: num(inputs.timeout, 3),
            memoryMb: num(inputs.memorySize, 128),
            // Unreserved functions share the account's pool; the rehearsal caps them at 10 environments.
            concurrency: reserved >= 0 ? reserved : 10,
            // The execution role: the function runs as a session of it, and its policies decide the function's calls.
            roleArn: str(inputs.role),
            logGroup,
        };
    }

    private functionOuts(inputs: Props, version: string, code: { sha256: string; size: number }): Props {
        const fnName = str(inputs.name);
        const arn = functionArn(fnName);
        const qualifiedArn = functionArn(fnName, version);
        return {
            ...inputs,
            arn,
            invokeArn: arnOf.invoke(arn),
            qualifiedArn,
            qualifiedInvokeArn: arnOf.invoke(qualifiedArn),
            version,
            codeSha256: code.sha256,
            sourceCodeSize: code.size,
            lastModified: new Date().toISOString().replace("Z", "+0000"),
            tagsAll: inputs.tags ?? {},
        };
    }

    /** resourceAliasCreate: CreateAlias; the id is the alias ARN. */
    private createAlias(inputs: Props): { id: string; outs: Props } {
        const fnName = parseFunctionName(str(inputs.functionName)).name;
        const aliasName = str(inputs.name);
        const version = str(inputs.functionVersion);
        this.lambdaCall(() => this.lambda.createAlias(fnName, aliasName, version, str(inputs.description)), "creating Lambda Alias", aliasName);
        const weights = (inputs.routingConfig as { additionalVersionWeights?: Record<string, number> } | undefined)?.additionalVersionWeights;
        if (weights && Object.keys(weights).length > 0) this.lambda.updateAlias(fnName, aliasName, undefined, weights);
        const arn = functionArn(fnName, aliasName);
        return { id: arn, outs: { ...inputs, arn, invokeArn: arnOf.invoke(arn) } };
    }

    /**
     * aws_lambda_invocation (internal/service/lambda/invocation.go): Invoke
     * with RequestResponse. CREATE_ONLY sends the input as is; CRUD adds
     * `{<terraform_key>: {action, prev_input}}` where prev_input is the old
     * input on update, null on create (also the create of a replacement), and
     * the input itself on delete (GetChange on state gives old == new). A
     * function error fails the operation with the payload in the message, and
     * a failed create sets no id, so nothing is saved.
     */
    private async invoke(resourceName: string, action: "create" | "update" | "delete", inputs: Props, olds: Props | null): Promise<{ id: string; outs: Props }> {
        const fnRaw = str(inputs.functionName);
        const qualifier = str(inputs.qualifier) || "$LATEST";
        const { name: fnName } = parseFunctionName(fnRaw);
        let payload: string;
        let event: Record<string, unknown>;
        if (inputs.lifecycleScope === "CRUD") {
            const parse = (s: unknown): Record<string, unknown> | null => (typeof s === "string" && s.length > 0 ? (JSON.parse(s) as Record<string, unknown>) : null);
            const next = parse(inputs.input) ?? {};
            const prev = action === "create" ? null : parse(olds?.input);
            event = { ...next, [str(inputs.terraformKey) || "tf"]: { action, prev_input: prev } };
            payload = JSON.stringify(event);
        } else {
            payload = str(inputs.input);
            event = JSON.parse(payload) as Record<string, unknown>;
        }
        const started = Date.now();
        // The provider invokes with the stack's own credentials: a caller outside the component's roles.
        this.iam.recordOutside("lambda", "Invoke", "stack");
        const seen: InvocationSeen = { resourceName, action, functionName: fnName, event, ok: false, ms: 0 };
        this.invocations.push(seen);
        this.log.info("invocation.started", { resourceName, action, functionName: fnName });
        try {
            const out = await this.lambda.invoke(fnName, qualifier === "$LATEST" ? undefined : qualifier, Buffer.from(payload));
            const text = out.payload.toString("utf8");
            seen.ms = Date.now() - started;
            if (out.functionError !== undefined) {
                seen.error = text;
                throw new LocalAwsError(`invoking Lambda Function (${fnRaw}): ${text}`);
            }
            seen.ok = true;
            seen.result = text;
            const hash = createHash("md5").update(payload).digest("hex");
            return { id: `${fnRaw},${qualifier},${hash}`, outs: { ...inputs, result: text } };
        } catch (err) {
            seen.ms = Date.now() - started;
            if (err instanceof LambdaApiError) {
                seen.error = `${err.type}: ${err.message}`;
                throw new LocalAwsError(`invoking Lambda Function (${fnRaw}): ${err.type}: ${err.message}`);
            }
            throw err;
        } finally {
            this.log.info("invocation.ended", { resourceName, action, ok: seen.ok, ms: seen.ms });
        }
    }

    private requireFunction(fnName: string, qualifier: string | undefined): void {
        if (!this.lambda.hasFunction(fnName)) throw new LocalAwsError(`ResourceNotFoundException: Function not found: ${functionArn(fnName, qualifier)}`);
        if (qualifier && qualifier !== "$LATEST" && !/^\d+$/.test(qualifier) && !this.lambda.listAliases(fnName).some((a) => a.Name === qualifier)) {
            throw new LocalAwsError(`ResourceNotFoundException: Function not found: ${functionArn(fnName, qualifier)}`);
        }
    }

    /**
     * CreateFunction checks that Lambda can assume the role: it must exist and
     * trust lambda.amazonaws.com, else InvalidParameterValueException "The role
     * defined for the function cannot be assumed by Lambda." (the message
     * function.go's retryFunctionOp retries on, for IAM propagation).
     */
    private requireAssumableRole(fnName: string, roleArn: string): void {
        const role = this.findOne(T.role, (p) => p.arn === roleArn);
        const trusts = (() => {
            try {
                const doc = JSON.parse(str(role?.props.assumeRolePolicy)) as { Statement?: { Effect?: string; Principal?: { Service?: string | string[] }; Action?: string | string[] }[] };
                return (doc.Statement ?? []).some((s) => s.Effect === "Allow" && [s.Principal?.Service].flat().includes("lambda.amazonaws.com") && [s.Action].flat().includes("sts:AssumeRole"));
            } catch {
                return false;
            }
        })();
        if (!role || !trusts) throw new LocalAwsError(`creating Lambda Function (${fnName}): InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.`);
    }

    private requireRole(ref: string): string {
        const roleName = roleNameOf(ref);
        if (!this.findOne(T.role, (p) => p.name === roleName)) throw new LocalAwsError(`NoSuchEntity: The role with name ${roleName} cannot be found.`);
        return roleName;
    }

    private lambdaCall(fn: () => void, what: string, id: string): void {
        try {
            fn();
        } catch (err) {
            if (err instanceof LambdaApiError) throw new LocalAwsError(`${what} (${id}): ${err.type}: ${err.message}`);
            throw err;
        }
    }

    // ------------------------------------------------------------ CodeDeploy

    private createDeploymentGroup(inputs: Props): { id: string; outs: Props } {
        const app = str(inputs.appName);
        const appRecord = this.findOne(T.cdApplication, (p) => p.name === app);
        if (!appRecord) throw new LocalAwsError(`creating CodeDeploy Deployment Group: ApplicationDoesNotExistException: No application found for name: ${app}`);
        const role = this.findOne(T.role, (p) => p.arn === inputs.serviceRoleArn);
        if (!role) throw new LocalAwsError(`creating CodeDeploy Deployment Group: InvalidRoleException: Cannot assume role provided.`);
        try {
            this.registerGroup(inputs);
        } catch (err) {
            // CreateDeploymentGroup refuses a service role CodeDeploy cannot assume (InvalidRoleException).
            throw new LocalAwsError(`creating CodeDeploy Deployment Group: ${err instanceof CodeDeployApiError ? err.type : "InvalidRoleException"}: ${(err as Error).message}`);
        }
        const id = randomUUID();
        return { id, outs: { ...inputs, arn: arnOf.cdGroup(app, str(inputs.deploymentGroupName)), computePlatform: appRecord.props.computePlatform, deploymentGroupId: id, tagsAll: inputs.tags ?? {} } };
    }

    /**
     * The group as CodeDeploy runs it: acting as its service role, reading its
     * alarms (only while `alarmConfiguration.enabled`; CodeDeploy API reference,
     * AlarmConfiguration: "enabled", "ignorePollAlarmFailure") and publishing
     * to its trigger topics (TriggerConfig: triggerName, triggerTargetArn,
     * triggerEvents). Inputs as aws_codedeploy_deployment_group names them
     * (alarm_configuration, trigger_configuration).
     */
    private registerGroup(inputs: Props): void {
        const rollback = inputs.autoRollbackConfiguration as { enabled?: boolean } | undefined;
        const alarmConfig = inputs.alarmConfiguration as { alarms?: string[]; enabled?: boolean; ignorePollAlarmFailure?: boolean } | undefined;
        const triggers = (inputs.triggerConfigurations ?? []) as { triggerName?: string; triggerTargetArn?: string; triggerEvents?: string[] }[];
        const serviceRoleArn = str(inputs.serviceRoleArn);
        this.codedeploy.registerDeploymentGroup({
            applicationName: str(inputs.appName),
            deploymentGroupName: str(inputs.deploymentGroupName),
            deploymentConfigName: str(inputs.deploymentConfigName) || "CodeDeployDefault.LambdaAllAtOnce",
            autoRollback: rollback?.enabled === true,
            ...(serviceRoleArn ? { serviceRoleArn } : {}),
            alarms: alarmConfig?.enabled === true ? (alarmConfig.alarms ?? []).map(str) : [],
            ignorePollAlarmFailure: alarmConfig?.ignorePollAlarmFailure === true,
            triggers: triggers.map((t) => ({ triggerName: str(t.triggerName), triggerTargetArn: str(t.triggerTargetArn), triggerEvents: (t.triggerEvents ?? []).map(str) })),
        });
    }

    // ------------------------------------------------------------ code

    /**
     * The archive the engine sent (a FileArchive of a directory or .zip, or an
     * AssetArchive of file/text assets) unpacked into a content-addressed
     * directory: what Lambda would unzip into /var/task.
     */
    private materialize(archive: unknown, fnName: string): { dir: string; sha256: string; size: number } {
        const a = archive as Props | undefined;
        if (!a || a[SIG_KEY] !== ARCHIVE_SIG) throw new LocalAwsError(`Lambda Function (${fnName}): code must be an archive (FileArchive or AssetArchive)`);
        const hash = str(a.hash) || createHash("sha256").update(JSON.stringify(a)).digest("hex");
        const dir = path.join(this.options.dataDir, "code", hash.slice(0, 32));
        if (!fs.existsSync(dir)) {
            const tmp = `${dir}.tmp-${process.pid}`;
            fs.rmSync(tmp, { recursive: true, force: true });
            fs.mkdirSync(tmp, { recursive: true });
            this.unpack(a, tmp, fnName);
            fs.renameSync(tmp, dir);
        }
        let size = 0;
        for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) if (f.isFile()) size += fs.statSync(path.join(f.parentPath, f.name)).size;
        // code_sha256 is base64 SHA-256 of the deployment package; ours hashes the unpacked content instead of a zip.
        return { dir, sha256: Buffer.from(hash.slice(0, 64), "hex").toString("base64"), size };
    }

    private unpack(a: Props, into: string, fnName: string): void {
        if (typeof a.path === "string") {
            const src = a.path;
            if (!fs.existsSync(src)) throw new LocalAwsError(`Lambda Function (${fnName}): archive path ${src} does not exist`);
            if (fs.statSync(src).isDirectory()) {
                fs.cpSync(src, into, { recursive: true, filter: (p) => !p.includes("__pycache__") });
            } else if (src.endsWith(".zip") || src.endsWith(".jar")) {
                execFileSync(this.options.python, ["-m", "zipfile", "-e", src, into]);
            } else {
                throw new LocalAwsError(`Lambda Function (${fnName}): archive ${src} is not a directory or a .zip`);
            }
            return;
        }
        if (a.assets && typeof a.assets === "object") {
            for (const [name, item] of Object.entries(a.assets as Record<string, Props>)) {
                const target = path.join(into, name);
                if (!path.resolve(target).startsWith(path.resolve(into) + path.sep)) throw new LocalAwsError(`archive entry ${name} escapes the package`);
                if (item[SIG_KEY] === ASSET_SIG) {
                    fs.mkdirSync(path.dirname(target), { recursive: true });
                    if (typeof item.text === "string") fs.writeFileSync(target, item.text);
                    else if (typeof item.path === "string") fs.copyFileSync(item.path, target);
                    else throw new LocalAwsError(`Lambda Function (${fnName}): remote asset ${name} is not supported`);
                } else if (item[SIG_KEY] === ARCHIVE_SIG) {
                    fs.mkdirSync(target, { recursive: true });
                    this.unpack(item, target, fnName);
                }
            }
            return;
        }
        throw new LocalAwsError(`Lambda Function (${fnName}): remote archives are not supported`);
    }

    // ------------------------------------------------------------ state file

    private findOne(type: ResourceType, match: (p: Props) => boolean): Stored | undefined {
        return [...this.records.values()].find((r) => r.type === type && match(r.props));
    }

    /** Writes the state file (atomically): records, and each function's versions and aliases as Lambda holds them now. */
    save(): void {
        const functions: Record<string, SavedFunction> = {};
        for (const fnName of this.functionNames()) {
            functions[fnName] = {
                latest: this.lambda.functionConfig(fnName),
                versions: this.lambda.versionsOf(fnName),
                aliases: this.lambda.listAliases(fnName).map((a) => ({ name: a.Name, functionVersion: a.FunctionVersion, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {}, description: a.Description })),
            };
        }
        const state: StateFile = { format: 1, records: [...this.records.values()], functions };
        const file = path.join(this.options.dataDir, STATE_FILE);
        fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 1));
        fs.renameSync(`${file}.tmp`, file);
    }

    /** Rebuilds the stand-ins from the state file: functions with the same version numbers, aliases, CodeDeploy groups and configs. */
    private restore(): void {
        const file = path.join(this.options.dataDir, STATE_FILE);
        if (!fs.existsSync(file)) return;
        const state = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
        for (const r of state.records) this.records.set(key(r.type, r.id), r);
        // Roles first: functions and deployment groups assume them.
        for (const r of state.records) if (r.type === T.role) this.syncIam(T.role, r.props);
        for (const [fnName, saved] of Object.entries(state.functions)) {
            const env = (config: FunctionConfig): FunctionConfig => ({ ...config, env: { ...config.env, ...this.awsEnv } });
            // PublishVersion snapshots into versions/<fn>/<n>, where the saved snapshots are: move them
            // aside first and publish from there, so each version gets its own code back.
            const snapshots = path.join(this.options.dataDir, "versions", fnName);
            const aside = path.join(this.options.dataDir, "versions.restoring", fnName);
            fs.rmSync(aside, { recursive: true, force: true });
            fs.mkdirSync(path.dirname(aside), { recursive: true });
            if (fs.existsSync(snapshots)) fs.renameSync(snapshots, aside);
            this.lambda.createFunction(env(saved.versions[0]?.config ?? saved.latest));
            for (const v of saved.versions) {
                this.lambda.updateFunction(fnName, { ...env(v.config), codeDir: path.join(aside, v.version) });
                this.lambda.publishVersion(fnName);
            }
            this.lambda.updateFunction(fnName, env(saved.latest));
            fs.rmSync(aside, { recursive: true, force: true });
            for (const a of saved.aliases) {
                this.lambda.createAlias(fnName, a.name, a.functionVersion, a.description);
                if (Object.keys(a.weights).length > 0) this.lambda.updateAlias(fnName, a.name, undefined, a.weights);
            }
        }
        for (const r of state.records) {
            if (r.type === T.cdConfig) this.codedeploy.registerDeploymentConfig(str(r.props.deploymentConfigName), trafficRouting(r.props));
        }
        for (const r of state.records) if (r.type === T.cdGroup) this.registerGroup(r.props);
        this.log.info("local-aws.restored", { records: state.records.length, functions: Object.keys(state.functions).length });
    }
}

function key(type: string, id: string): string {
    return `${type}|${id}`;
}

/**
 * A stored policy document (a JSON string, as aws.iam.RolePolicy's `policy` and
 * Role's `assumeRolePolicy` arrive) parsed; IAM refuses a document that is not
 * JSON or has no Statement (MalformedPolicyDocument).
 */
function policyDocument(raw: unknown, what: string): PolicyDocument {
    let doc: unknown = raw;
    if (typeof raw === "string") {
        try {
            doc = JSON.parse(raw);
        } catch {
            throw new LocalAwsError(`MalformedPolicyDocument: ${what} is not JSON`);
        }
    }
    if (doc === null || typeof doc !== "object" || (doc as { Statement?: unknown }).Statement === undefined) {
        throw new LocalAwsError(`MalformedPolicyDocument: ${what} has no Statement`);
    }
    return doc as PolicyDocument;
}

/** A role given by name, id or ARN → its name. */
function roleNameOf(ref: string): string {
    return ref.startsWith("arn:") ? (ref.split("/").pop() ?? ref) : ref;
}

/** `rate(5 minutes)` → 5; `rate(1 hour)` → 60; undefined for anything else. */
export function rateMinutes(expr: string): number | undefined {
    const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
    if (!m) return undefined;
    const n = Number(m[1]);
    const unit = m[2] ?? "";
    return unit.startsWith("minute") ? n : unit.startsWith("hour") ? n * 60 : n * 1440;
}

/** The event EventBridge sends for a schedule when the target has no `input` (EventBridge user guide, "Scheduled Events"). */
function scheduledEvent(ruleArn: string): object {
    return { version: "0", id: randomUUID(), "detail-type": "Scheduled Event", source: "aws.events", account: ACCOUNT, time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), region: REGION, resources: [ruleArn], detail: {} };
}

/** aws.codedeploy.DeploymentConfig's trafficRoutingConfig → the stand-in's routing. */
function trafficRouting(inputs: Props): TrafficRouting {
    const t = (inputs.trafficRoutingConfig ?? {}) as { type?: string; timeBasedCanary?: { percentage?: number; interval?: number }; timeBasedLinear?: { percentage?: number; interval?: number } };
    if (t.type === "TimeBasedCanary") return { type: "TimeBasedCanary", timeBasedCanary: { canaryPercentage: num(t.timeBasedCanary?.percentage, 10), canaryInterval: num(t.timeBasedCanary?.interval, 5) } };
    if (t.type === "TimeBasedLinear") return { type: "TimeBasedLinear", timeBasedLinear: { linearPercentage: num(t.timeBasedLinear?.percentage, 10), linearInterval: num(t.timeBasedLinear?.interval, 1) } };
    return { type: "AllAtOnce" };
}

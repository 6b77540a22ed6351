/**
 * Edits of the policies taken from the component, for the mutation tests and
 * `npm run rehearse -- --drop-statement ROLE/SID`: they prove the rehearsal
 * denies what AWS would deny, by breaking one grant at a time and watching
 * the deploy fail with the role, action and resource named. They change the
 * rendered copies only, never the component's source.
 */
import type { PolicyDocument, RoleSpec } from "./authorize";

export type PolicyMutation = (roles: RoleSpec[]) => RoleSpec[];

/** A mutation that names no role or statement of the component (a typo in `--drop-statement`, a renamed Sid). */
export class PolicyMutationError extends Error {
    override readonly name = "PolicyMutationError";
}

interface StatementLike {
    Sid?: string;
    Action?: string | string[];
    Resource?: string | string[];
    [key: string]: unknown;
}

function statements(doc: PolicyDocument): StatementLike[] {
    return (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as StatementLike[];
}

function cloneRoles(roles: RoleSpec[]): RoleSpec[] {
    return JSON.parse(JSON.stringify(roles)) as RoleSpec[];
}

function roleNamed(roles: RoleSpec[], roleName: string): RoleSpec {
    const role = roles.find((r) => r.name === roleName);
    if (!role) throw new PolicyMutationError(`the component creates no role ${roleName} (its roles: ${roles.map((r) => r.name).join(", ")})`);
    return role;
}

/** Which statement: its Sid, or the first one that grants `action`. */
export type StatementSelector = { sid: string } | { action: string };

function matches(s: StatementLike, selector: StatementSelector): boolean {
    if ("sid" in selector) return s.Sid === selector.sid;
    const actions = Array.isArray(s.Action) ? s.Action : s.Action === undefined ? [] : [s.Action];
    return actions.includes(selector.action);
}

function describe(selector: StatementSelector): string {
    return "sid" in selector ? `Sid ${selector.sid}` : `granting ${selector.action}`;
}

/** Applies `edit` to the one statement of `roleName` that `selector` picks (fails when none or several match). */
function editStatement(roles: RoleSpec[], roleName: string, selector: StatementSelector, edit: (doc: PolicyDocument, s: StatementLike) => void): RoleSpec[] {
    const copy = cloneRoles(roles);
    const role = roleNamed(copy, roleName);
    const hits = role.inlinePolicies.flatMap((p) => statements(p.document).filter((s) => matches(s, selector)).map((s) => ({ doc: p.document, s })));
    if (hits.length !== 1) {
        const sids = role.inlinePolicies.flatMap((p) => statements(p.document).map((s) => s.Sid ?? "(no Sid)"));
        throw new PolicyMutationError(`role ${roleName} has ${hits.length} inline statements ${describe(selector)}; a mutation needs exactly one (its statements: ${sids.join(", ")})`);
    }
    const hit = hits[0] as { doc: PolicyDocument; s: StatementLike };
    edit(hit.doc, hit.s);
    return copy;
}

/** The role without one of its statements. */
export function withoutStatement(roleName: string, selector: StatementSelector): PolicyMutation {
    return (roles) =>
        editStatement(roles, roleName, selector, (doc, s) => {
            doc.Statement = statements(doc).filter((x) => x !== s);
        });
}

/** The statement with its Resource replaced (e.g. an alias grant pointed back at the alias ARN). */
export function retargetStatement(roleName: string, selector: StatementSelector, resources: string[]): PolicyMutation {
    return (roles) =>
        editStatement(roles, roleName, selector, (_doc, s) => {
            s.Resource = resources;
        });
}

/** The statement with one action taken out of it (the rest of the statement stays). */
export function withoutAction(roleName: string, action: string): PolicyMutation {
    return (roles) =>
        editStatement(roles, roleName, { action }, (doc, s) => {
            const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== action);
            if (actions.length === 0) doc.Statement = statements(doc).filter((x) => x !== s);
            else s.Action = actions as string[];
        });
}

/** Several mutations, in order. */
export function compose(...mutations: PolicyMutation[]): PolicyMutation {
    return (roles) => mutations.reduce((acc, m) => m(acc), roles);
}

/** `ROLE/SID` (as `--drop-statement` takes it) → a mutation. */
export function parseDropStatement(spec: string): PolicyMutation {
    const slash = spec.lastIndexOf("/");
    if (slash <= 0 || slash === spec.length - 1) throw new PolicyMutationError(`--drop-statement takes ROLE/SID, e.g. app-deployer-role/ReadAliases; got ${JSON.stringify(spec)}`);
    return withoutStatement(spec.slice(0, slash), { sid: spec.slice(slash + 1) });
}

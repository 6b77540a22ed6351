/**
 * The IAM registry as the real-engine path drives it: the engine creates a
 * role, then its policies, then changes or deletes them, while sessions of
 * the role already exist (a function was created on it). IAM evaluates each
 * request with the role's policies as they are then, so `Principals.putRole`
 * must re-resolve them for existing sessions and the `Authorizer` must drop
 * decisions it cached before the change. No emulator, no network.
 */
import { Authorizer, PolicyResolutionError, Principals, type RoleSpec } from "../../rehearsal/iam/authorize";
import { IamGate } from "../../rehearsal/iam/gate";

const FN = "arn:aws:lambda:us-east-1:000000000000:function:app";
const LAMBDA_TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
const READ_ALIASES = { Sid: "ReadAliases", Effect: "Allow", Action: ["lambda:GetAlias", "lambda:ListAliases"], Resource: [FN] };

function role(statements: unknown[] | undefined, extra: Partial<RoleSpec> = {}): RoleSpec {
    return {
        name: "deployer-role",
        arn: "arn:aws:iam::000000000000:role/deployer-role",
        trustPolicy: LAMBDA_TRUST,
        inlinePolicies: statements === undefined ? [] : [{ name: "deployer-policy", document: { Version: "2012-10-17", Statement: statements } }],
        managedPolicyArns: [],
        ...extra,
    };
}

describe("Principals.putRole: policy changes take effect for sessions that already exist", () => {
    test("a policy put after the session was made allows its next call; the decision cached before is dropped", async () => {
        const principals = new Principals();
        principals.putRole(role(undefined));
        const session = principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com");
        const authorizer = new Authorizer(principals);
        expect((await authorizer.authorize(session.arn, "lambda:GetAlias", FN)).allowed).toBe(false);

        principals.putRole(role([READ_ALIASES]));
        expect((await authorizer.authorize(session.arn, "lambda:GetAlias", FN)).allowed).toBe(true);
        // The same session object, not a new one: its key (what the function's environment signs with) is unchanged.
        expect(principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com").accessKeyId).toBe(session.accessKeyId);
    });

    test("a statement taken out denies the next call, through the gate, in AWS's words", async () => {
        const principals = Principals.fromRoles([role([READ_ALIASES])]);
        const session = principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com");
        const gate = new IamGate(principals);
        await gate.authorizeAs(session, "lambda", "GetAlias", { FunctionName: "app", Name: "live" });

        principals.putRole(role([{ Sid: "Other", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: `${FN}:*` }]));
        await expect(gate.authorizeAs(session, "lambda", "GetAlias", { FunctionName: "app", Name: "live" })).rejects.toThrow(
            "User: arn:aws:sts::000000000000:assumed-role/deployer-role/app-deployer is not authorized to perform: lambda:GetAlias on resource: arn:aws:lambda:us-east-1:000000000000:function:app because no identity-based policy allows the lambda:GetAlias action",
        );
        expect(gate.summary()).toMatchObject({ evaluated: 2, denied: 1, byRole: [{ role: "deployer-role", evaluated: 2, denied: 1 }] });
    });

    test("a malformed document is refused and the role keeps its previous policies", async () => {
        const principals = Principals.fromRoles([role([READ_ALIASES])]);
        const session = principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com");
        expect(() => principals.putRole(role(undefined, { inlinePolicies: [{ name: "broken", document: { Version: "2012-10-17" } as never }] }))).toThrow(PolicyResolutionError);
        expect((await new Authorizer(principals).authorize(session.arn, "lambda:GetAlias", FN)).allowed).toBe(true);
    });

    test("removeRole: the role's sessions are denied afterwards; a role created again under the name gets a new session", async () => {
        const principals = Principals.fromRoles([role([READ_ALIASES])]);
        const old = principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com");
        const authorizer = new Authorizer(principals);
        expect((await authorizer.authorize(old.arn, "lambda:GetAlias", FN)).allowed).toBe(true);

        principals.removeRole("deployer-role");
        expect(principals.hasRole("deployer-role")).toBe(false);
        expect((await authorizer.authorize(old.arn, "lambda:GetAlias", FN)).allowed).toBe(false);

        principals.putRole(role([READ_ALIASES]));
        const again = principals.assume("arn:aws:iam::000000000000:role/deployer-role", "app-deployer", "lambda.amazonaws.com");
        expect(again.accessKeyId).not.toBe(old.accessKeyId);
        expect((await authorizer.authorize(again.arn, "lambda:GetAlias", FN)).allowed).toBe(true);
    });

    test("addRole still refuses a role registered twice (the hook-level rehearsal registers each role once)", () => {
        const principals = Principals.fromRoles([role([READ_ALIASES])]);
        expect(() => principals.addRole(role([READ_ALIASES]))).toThrow(/registered twice/);
    });
});

// Validators run without any Pulumi engine: they are plain functions a program can call too.
import * as pulumi from "@pulumi/pulumi";
import { DeploymentConfig, MangumArgsError, MangumFunctionArgs, resolveMangumFunctionArgs, validateMangumFunctionArgs, validateScheduleExpression } from "../index";
import { COMPONENT_NAME, validateComponentName } from "../components/validate";

const code = __dirname;
const problemsOf = (args: Partial<MangumFunctionArgs>) => resolveMangumFunctionArgs({ code, ...args } as MangumFunctionArgs).problems;

describe("resolveMangumFunctionArgs", () => {
    test("defaults", async () => {
        const { settings, problems } = resolveMangumFunctionArgs({ code });
        expect(problems).toEqual([]);
        // A directory path becomes the archive the function is built from (its path is a Promise: compared apart).
        const { code: archive, ...rest } = settings;
        expect(archive).toBeInstanceOf(pulumi.asset.FileArchive);
        expect(await (archive as pulumi.asset.FileArchive).path).toBe(code);
        expect(rest).toEqual({
            policies: { managed: [], statements: [] },
            handler: "main.handler",
            runtime: "python3.13",
            architecture: "arm64",
            memorySize: 1024,
            timeout: 30,
            aliasName: "live",
            http: "function-url",
            functionUrlAuth: "NONE",
            logRetentionDays: 30,
            snapStart: false,
            warmup: { concurrency: 5, holdMs: [250, 400], mode: "helper", minDistinct: 5, failOnCheckError: true, timeoutSeconds: 120, yieldToUsersMs: 60000, traffic: { enabled: false } },
            keepWarm: [{ schedule: "rate(5 minutes)", concurrency: 5 }],
            deployment: { config: DeploymentConfig.Canary10Percent5Minutes, alarms: [], errorAlarm: false, coldStartAlarm: { enabled: false }, triggers: [], postTraffic: false },
            httpApi: { throttlingBurstLimit: 200, throttlingRateLimit: 100 },
        });
    });

    test("does not mutate its arguments", () => {
        const args: MangumFunctionArgs = { code, warmup: { concurrency: 3 }, keepWarm: [{ schedule: "rate(1 minute)" }] };
        const copy = JSON.parse(JSON.stringify(args));
        resolveMangumFunctionArgs(args);
        expect(args).toEqual(copy);
    });

    test.each<[string, Partial<MangumFunctionArgs>, string]>([
        ["negative memory", { memorySize: -1 }, "memorySize must be an integer from 128 to 10240 MB; got -1."],
        ["fractional memory", { memorySize: 512.5 }, "memorySize must be an integer from 128 to 10240 MB; got 512.5."],
        ["memory over the limit", { memorySize: 10241 }, "memorySize must be an integer from 128 to 10240 MB; got 10241."],
        ["timeout over 900", { timeout: 901 }, "timeout must be an integer from 1 to 900 seconds; got 901."],
        ["timeout zero", { timeout: 0 }, "timeout must be an integer from 1 to 900 seconds; got 0."],
        [
            "unknown runtime",
            { runtime: "python2.7" as any },
            'runtime must be one of python3.10, python3.11, python3.12, python3.13, python3.14 (Mangum apps run on Python); got "python2.7".',
        ],
        [
            "a Node runtime",
            { runtime: "nodejs24.x" as any },
            'runtime must be one of python3.10, python3.11, python3.12, python3.13, python3.14 (Mangum apps run on Python); got "nodejs24.x".',
        ],
        ["unknown architecture", { architecture: "arm" as any }, 'architecture must be "arm64" or "x86_64"; got "arm".'],
        ["handler without attribute", { handler: "main" }, 'handler must be "module.attribute" with Python identifiers, e.g. "main.handler"; got "main".'],
        [
            "SnapStart with provisioned concurrency",
            { snapStart: true, provisionedConcurrency: 2 },
            "Only one of `snapStart` or `provisionedConcurrency` can be provided: Lambda does not support SnapStart with provisioned concurrency.",
        ],
        ["SnapStart on python3.11", { snapStart: true, runtime: "python3.11" }, 'snapStart requires runtime python3.12 or later; got "python3.11".'],
        ["alias of digits only", { aliasName: "42" }, 'aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "42".'],
        ["alias with a dot", { aliasName: "v1.live" }, 'aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "v1.live".'],
        ["empty alias", { aliasName: "" }, 'aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "".'],
        ["$LATEST as alias", { aliasName: "$LATEST" }, 'aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "$LATEST".'],
        ["alias too long", { aliasName: "a".repeat(129) }, `aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "${"a".repeat(129)}".`],
        [
            "retention CloudWatch rejects",
            { logRetentionDays: 10 },
            "logRetentionDays must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch's allowed values; 0 keeps logs forever); got 10.",
        ],
        ["unknown front door", { http: "alb" as any }, 'http must be "function-url", "http-api" or "none"; got "alb".'],
        ["URL auth without a URL", { http: "http-api", functionUrlAuth: "AWS_IAM" }, 'functionUrlAuth applies only to http: "function-url"; got http: "http-api".'],
        ["six layers", { layers: ["a", "b", "c", "d", "e", "f"] }, "layers accepts at most 5 layer ARNs (a Lambda limit); got 6."],
        ["zero reserved concurrency", { reservedConcurrency: 0 }, "reservedConcurrency must be an integer from 1 to 100000; got 0."],
        ["negative provisioned concurrency", { provisionedConcurrency: -2 }, "provisionedConcurrency must be an integer from 1 to 100000; got -2."],
        ["policy that is not an ARN", { policies: ["AdministratorAccess"] }, 'policies[0] must be a managed policy ARN ("arn:...") or an inline statement; got "AdministratorAccess".'],
        ["inline statement without resources", { policies: [{ Action: "s3:GetObject", Resource: [] }] }, "policies[0].Resource must name the resources the statement applies to."],
        ["code that is not a directory", { code: "/nonexistent/app" }, 'code must be a directory with the app and its dependencies, or a Pulumi archive; "/nonexistent/app" is not a directory.'],
        ["warm-up concurrency 0", { warmup: { concurrency: 0 } }, "warmup.concurrency must be an integer from 1 to 100; got 0."],
        ["warm-up concurrency 101", { warmup: { concurrency: 101 } }, "warmup.concurrency must be an integer from 1 to 100; got 101."],
        ["hold range reversed", { warmup: { holdMs: [400, 250] } }, "warmup.holdMs must be [min, max] integers with 0 <= min <= max <= 10000; got [400,250]."],
        ["hold past the timeout", { timeout: 3, warmup: { holdMs: [250, 3000] } }, "warmup.holdMs maximum (3000 ms) must be below the function's timeout (3 s)."],
        ["http mode without path", { warmup: { mode: "http" } }, 'warmup.path is required in http mode and must start with "/", e.g. "/healthz"; got undefined.'],
        ["path in helper mode", { warmup: { path: "/healthz" } }, 'warmup.path applies only to warmup.mode "http"; remove it or set mode: "http".'],
        ["checks in http mode", { warmup: { mode: "http", path: "/healthz", checks: ["db"] } }, 'warmup.checks applies only to warmup.mode "helper": http mode cannot run named checks.'],
        ["minDistinct above concurrency", { warmup: { concurrency: 3, minDistinct: 4 } }, "warmup.minDistinct must be an integer from 1 to 3; got 4."],
        ["check name with a space", { warmup: { checks: ["my db"] } }, 'warmup.checks must be a list of check names (letters, digits, ".", "_", "-"); got ["my db"].'],
        ["hook timeout too short", { warmup: { timeoutSeconds: 5 } }, "warmup.timeoutSeconds must be an integer from 10 to 900 seconds; got 5."],
        ["yield window past ten minutes", { warmup: { yieldToUsersMs: 600_001 } }, "warmup.yieldToUsersMs must be an integer from 0 to 600000 ms; got 600001."],
        ["yield window as a string", { warmup: { yieldToUsersMs: "1m" as unknown as number } }, 'warmup.yieldToUsersMs must be an integer from 0 to 600000 ms; got "1m".'],
        [
            "yield window in http mode",
            { warmup: { mode: "http", path: "/healthz", yieldToUsersMs: 1000 } },
            'warmup.yieldToUsersMs applies only to warmup.mode "helper": an http warm-up cannot tell whether its environment served a user.',
        ],
        [
            "hook timeout too short for the hold",
            { warmup: { timeoutSeconds: 12, holdMs: [5000, 8000] } },
            "warmup.timeoutSeconds (12 s) must exceed the longest hold (8000 ms) by at least 5 s, for initialisation and the status report.",
        ],
        [
            "warm-up wider than reserved concurrency",
            { reservedConcurrency: 3 },
            "warmup.concurrency (5) exceeds reservedConcurrency (3): the warm-up could never reach that many environments.",
        ],
        ["keep-warm wider than reserved concurrency", { reservedConcurrency: 5, keepWarm: [{ concurrency: 8 }] }, "keepWarm[0].concurrency (8) exceeds reservedConcurrency (5)."],
        ["provisioned above reserved", { reservedConcurrency: 5, provisionedConcurrency: 6 }, "provisionedConcurrency (6) exceeds reservedConcurrency (5)."],
        ["keep-warm with bad rate unit", { keepWarm: [{ schedule: "rate(5 minute)" }] }, 'keepWarm[0].schedule: use the plural unit for a rate above 1, e.g. "rate(5 minutes)"; got "rate(5 minute)".'],
        ["keep-warm rate of 1 in plural", { keepWarm: [{ schedule: "rate(1 minutes)" }] }, 'keepWarm[0].schedule: use the singular unit for a rate of 1, e.g. "rate(1 minute)"; got "rate(1 minutes)".'],
        [
            "keep-warm cron with five fields",
            { keepWarm: [{ schedule: "cron(*/5 * * * *)" }] },
            'keepWarm[0].schedule: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year); got 5 in "cron(*/5 * * * *)".',
        ],
        ["keep-warm concurrency 0", { keepWarm: [{ concurrency: 0 }] }, "keepWarm[0].concurrency must be an integer from 1 to 100; got 0."],
        ["a predefined config contradicted", { deployment: { config: { name: "CodeDeployDefault.LambdaAllAtOnce", type: "Linear" } } }, 'deployment.config: CodeDeployDefault.LambdaAllAtOnce has type "AllAtOnce", not "Linear"; drop type or pick the config that has it.'],
        ["deployment disabled with settings", { deployment: { enabled: false, errorAlarm: {} } }, "deployment.enabled is false, so deployment.errorAlarm would be ignored; remove deployment.errorAlarm or enable deployments."],
        ["postTraffic smoke and a function", { deployment: { postTraffic: { smoke: true, functionName: "f", functionArn: "arn:aws:lambda:us-east-1:123456789012:function:f" } } }, "deployment.postTraffic: give either smoke: true or { functionName, functionArn } of your own hook, not both."],
        [
            "hand-made deployment config",
            { deployment: { config: { kind: "predefined", name: "CodeDeployDefault.OneAtATime" } as any } },
            'deployment.config must be a DeploymentConfig constant (e.g. DeploymentConfig.Canary10Percent5Minutes) or DeploymentConfig.canary(...) / DeploymentConfig.linear(...) ' +
                '(in other languages { name: "CodeDeployDefault.Lambda..." } or { type: "Canary" | "Linear", percentage, intervalMinutes }); got {"kind":"predefined","name":"CodeDeployDefault.OneAtATime"}.',
        ],
        [
            "custom config tampered after creation",
            { deployment: { config: { kind: "custom", type: "Canary", percentage: 0, intervalMinutes: 5 } as any } },
            "deployment.config: canary percentage must be an integer from 1 to 99 (got 0)",
        ],
        ["error alarm threshold 0", { deployment: { errorAlarm: { threshold: 0 } } }, "deployment.errorAlarm.threshold must be an integer from 1 to 100000; got 0."],
        [
            "duplicate trigger names",
            { deployment: { triggers: [{ name: "t", topicArn: "arn:aws:sns:us-east-1:123456789012:a", events: ["DeploymentFailure"] }, { name: "t", topicArn: "arn:aws:sns:us-east-1:123456789012:b", events: ["DeploymentFailure"] }] } },
            'deployment.triggers[1].name "t" is used twice; trigger names must be unique.',
        ],
        [
            "post-traffic of the wrong shape",
            { deployment: { postTraffic: "always" as any } },
            `deployment.postTraffic must be { smoke: true }, { functionName, functionArn } of your own hook, or {} for none (TypeScript's false, "smoke", or { functionName, functionArn } are accepted too); got "always".`,
        ],
    ])("%s", (_label, args, message) => {
        expect(problemsOf(args)).toEqual([message]);
    });

    test("every problem is reported at once", () => {
        expect(() => validateMangumFunctionArgs("api", { code, memorySize: 64, aliasName: "1" })).toThrow(
            'Invalid arguments for MangumFunction "api":\n' +
                "  - memorySize must be an integer from 128 to 10240 MB; got 64.\n" +
                '  - aliasName must be 1 to 128 letters, digits, "-" or "_", and not only digits; got "1".',
        );
    });
});

describe("MangumArgsError", () => {
    test("is a pulumi.RunError (printed without a stack trace) carrying every problem", () => {
        let error: unknown;
        try {
            validateMangumFunctionArgs("api", { code, timeout: 0, keepWarm: null as any });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(MangumArgsError);
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect((error as MangumArgsError).name).toBe("MangumArgsError");
        expect((error as MangumArgsError).resourceName).toBe("api");
        expect((error as MangumArgsError).problems).toEqual([
            "keepWarm is null; omit it to use its default, or give a value.",
            "timeout must be an integer from 1 to 900 seconds; got 0.",
        ]);
    });
});

describe("the component name", () => {
    test("1 to 39 letters, digits, - and _ are accepted", () => {
        expect(COMPONENT_NAME.max).toBe(39);
        for (const name of ["a", "orders-api_2", "x".repeat(39)]) expect(validateComponentName(name)).toBeUndefined();
    });
    test.each<[string, unknown]>([
        ["40 characters", "x".repeat(40)],
        ["a space", "my api"],
        ["a dot", "my.api"],
        ["empty", ""],
        ["not a string", 7],
    ])("%s is refused with the maximum and the allowed characters", (_label, name) => {
        expect(validateComponentName(name)).toMatch(
            /^The MangumFunction name must be 1 to 39 letters, digits, "-" or "_": AWS names of its children derive from it \(the longest, the role "<name>-pre-traffic-role-<7 random>", must fit IAM's 64 characters\); got /,
        );
    });
    test("is checked with the arguments, first", () => {
        expect(() => validateMangumFunctionArgs("my api", { code, memorySize: 1 })).toThrow(
            /Invalid arguments for MangumFunction "my api":\n  - The MangumFunction name must be 1 to 39[^\n]*\n  - memorySize must be an integer from 128 to 10240 MB; got 1\.$/,
        );
    });
});

describe("resolved settings the component builds from", () => {
    test("a custom config becomes a fresh frozen spec: later changes to the user's object do not reach the component", () => {
        const given = { kind: "custom", type: "Canary", percentage: 20, intervalMinutes: 3 } as any;
        const { settings, problems } = resolveMangumFunctionArgs({ code, deployment: { config: given } });
        expect(problems).toEqual([]);
        given.percentage = 0;
        expect(settings.deployment && settings.deployment.config).toEqual({ kind: "custom", type: "Canary", percentage: 20, intervalMinutes: 3 });
        expect(Object.isFrozen(settings.deployment && settings.deployment.config)).toBe(true);
    });
    test("alarms are resolved as given; httpApi throttling has defaults and takes the user's values", () => {
        const latency = pulumi.output("p99");
        const { settings } = resolveMangumFunctionArgs({ code, http: "http-api", httpApi: { throttlingRateLimit: 5 }, deployment: { alarms: ["a", latency] } });
        expect(settings.deployment && settings.deployment.alarms).toEqual(["a", latency]);
        expect(settings.httpApi).toEqual({ throttlingBurstLimit: 200, throttlingRateLimit: 5 });
    });
});

describe("one spelling for every language, and 0.1's TypeScript spellings still accepted", () => {
    // The schema (tests/schema.test.ts) has no `false | {...}` unions: "off" is an explicit value.
    // Programs written against 0.1 (JavaScript, or TypeScript through `any`) keep working.
    const resolve = (args: Record<string, unknown>) => {
        const { settings, problems } = resolveMangumFunctionArgs({ code, ...args } as MangumFunctionArgs);
        expect(problems).toEqual([]);
        return settings;
    };
    test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
        ["http", { http: "none" }, { http: false }],
        ["deployment", { deployment: { enabled: false } }, { deployment: false }],
        ["keepWarm", { keepWarm: [] }, { keepWarm: false }],
        ["keepWarm, one schedule", { keepWarm: [{ schedule: "rate(1 minute)" }] }, { keepWarm: { schedule: "rate(1 minute)" } }],
        ["errorAlarm on", { deployment: { errorAlarm: {} } }, { deployment: { errorAlarm: true } }],
        ["errorAlarm off", { deployment: { errorAlarm: { enabled: false } } }, { deployment: { errorAlarm: false } }],
        ["postTraffic smoke", { deployment: { postTraffic: { smoke: true } } }, { deployment: { postTraffic: "smoke" } }],
        ["postTraffic none", { deployment: { postTraffic: {} } }, { deployment: { postTraffic: false } }],
        ["a predefined config by name", { deployment: { config: { name: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" } } }, { deployment: { config: DeploymentConfig.Linear10PercentEvery1Minute } }],
        ["a custom config by its fields", { deployment: { config: { type: "Linear", percentage: 20, intervalMinutes: 3 } } }, { deployment: { config: DeploymentConfig.linear({ percentage: 20, intervalMinutes: 3 }) } }],
        [
            "an inline statement",
            { policyStatements: [{ Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/k"] }] },
            { policies: [{ Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/k"] }] },
        ],
    ])("%s: the new spelling resolves as 0.1's did", (_, now, before) => {
        const a = resolve(now);
        const b = resolve(before);
        // Inline statements keep the resource name they had (policies[i] → "inline-i"); everything else is equal.
        if ("policyStatements" in now) {
            expect(a.policies.statements.map((s) => s.statement)).toEqual(b.policies.statements.map((s) => s.statement));
            expect([a.policies.statements[0]!.key, b.policies.statements[0]!.key]).toEqual(["statement-0", "inline-0"]);
        } else {
            expect({ ...a, code: undefined }).toEqual({ ...b, code: undefined });
        }
    });
    test("inline statements are written in IAM's field order, whatever order the program used", () => {
        // A Python dict and a TypeScript literal must give the same policy text (tests/schema-cli.test.ts found this).
        const s = resolve({ policyStatements: [{ Resource: ["arn:aws:s3:::b/k"], Action: ["s3:GetObject"], Sid: "Read" }] });
        expect(Object.keys(s.policies.statements[0]!.statement)).toEqual(["Sid", "Action", "Resource"]);
    });
    test("a predefined config given by name resolves to the catalogue constant itself", () => {
        const s = resolve({ deployment: { config: { name: "CodeDeployDefault.LambdaAllAtOnce" } } });
        expect(s.deployment && s.deployment.config).toBe(DeploymentConfig.AllAtOnce);
    });
});

describe("validateScheduleExpression", () => {
    test.each([
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(2 days)",
        "rate(525600 minutes)",
        "rate(365 days)",
        "cron(0/5 8-18 ? * MON-FRI *)",
        "cron(0 12 * * ? *)",
        "cron(*/10 * ? * * *)",
        "cron(15 10 ? * 6L 2022-2199)",
        "cron(0 12 LW * ? *)",
        "cron(0 12 15W * ? *)",
        "cron(0 9 ? * 3#2 *)",
        "cron(0 9 1,15 JAN,JUL ? *)",
        "cron(59 23 31 12 ? 2199)",
    ])("accepts %s", (expr) => {
        expect(validateScheduleExpression("keepWarm.schedule", expr)).toBeUndefined();
    });
    test.each<[string, string]>([
        ["every 5 minutes", 'keepWarm.schedule must be a schedule expression like "rate(5 minutes)" or "cron(0/5 8-18 ? * MON-FRI *)"; got "every 5 minutes".'],
        ["rate(0 minutes)", 'keepWarm.schedule: a rate must be at least 1; got "rate(0 minutes)".'],
        ["cron(0 12 * * * *)", 'keepWarm.schedule: in a cron expression either day-of-month or day-of-week must be "?"; got "cron(0 12 * * * *)".'],
        ["cron(60 12 * * ? *)", 'keepWarm.schedule: cron minutes must be 0-59 (wildcards * , - /); got "60" in "cron(60 12 * * ? *)".'],
        ["cron(0 12 ? * 8 *)", 'keepWarm.schedule: cron day-of-week must be 1-7 or SUN-SAT (wildcards * , - ? L #); got "8" in "cron(0 12 ? * 8 *)".'],
        ["cron(0 12 ? * MON/2 *)", 'keepWarm.schedule: cron day-of-week must be 1-7 or SUN-SAT (wildcards * , - ? L #); got "MON/2" in "cron(0 12 ? * MON/2 *)".'],
        ["cron(0 12 1W-3 * ? *)", 'keepWarm.schedule: cron day-of-month must be 1-31 (wildcards * , - / ? L W); got "1W-3" in "cron(0 12 1W-3 * ? *)".'],
        ["cron(0 12 ? * ? *)", 'keepWarm.schedule: in a cron expression only one of day-of-month and day-of-week may be "?" (the other a value or "*"); got "cron(0 12 ? * ? *)".'],
        ["rate(525601 minutes)", 'keepWarm.schedule: a rate must be a whole number from 1 to 525600 minutes (one year); got "rate(525601 minutes)".'],
        ["rate(8761 hours)", 'keepWarm.schedule: a rate must be a whole number from 1 to 8760 hours (one year); got "rate(8761 hours)".'],
        ["rate(1.5 hours)", 'keepWarm.schedule: a rate is "rate(N unit)" with N a whole number from 1 and unit minute(s), hour(s) or day(s); got "rate(1.5 hours)".'],
    ])("rejects %s", (expr, message) => {
        expect(validateScheduleExpression("keepWarm.schedule", expr)).toBe(message);
    });
});

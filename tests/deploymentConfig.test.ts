import {
    DEFAULT_DEPLOYMENT_CONFIG,
    DeploymentConfig,
    DeploymentConfigError,
    deploymentConfigArgs,
    describeDeploymentConfig,
    estimateShiftMinutes,
    validateIntervalMinutes,
    validatePercentage,
    type CustomDeploymentConfig,
} from "../components/deploymentConfig";

describe("predefined Lambda deployment configs", () => {
    // Names as CodeDeploy lists them under "Predefined deployment configurations for an AWS Lambda compute platform".
    it.each([
        ["AllAtOnce", "CodeDeployDefault.LambdaAllAtOnce", "AllAtOnce", 100, 0, 0],
        ["Canary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "Canary", 10, 5, 5],
        ["Canary10Percent10Minutes", "CodeDeployDefault.LambdaCanary10Percent10Minutes", "Canary", 10, 10, 10],
        ["Canary10Percent15Minutes", "CodeDeployDefault.LambdaCanary10Percent15Minutes", "Canary", 10, 15, 15],
        ["Canary10Percent30Minutes", "CodeDeployDefault.LambdaCanary10Percent30Minutes", "Canary", 10, 30, 30],
        ["Linear10PercentEvery1Minute", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "Linear", 10, 1, 9],
        ["Linear10PercentEvery2Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes", "Linear", 10, 2, 18],
        ["Linear10PercentEvery3Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", "Linear", 10, 3, 27],
        ["Linear10PercentEvery10Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", "Linear", 10, 10, 90],
    ] as const)("%s is %s", (key, name, type, percentage, intervalMinutes, shiftMinutes) => {
        const config = DeploymentConfig[key];
        expect(config).toEqual({ kind: "predefined", name, type, percentage, intervalMinutes });
        expect(estimateShiftMinutes(config)).toBe(shiftMinutes);
    });

    it("defaults to the 5-minute 10% canary", () => {
        expect(DEFAULT_DEPLOYMENT_CONFIG.name).toBe("CodeDeployDefault.LambdaCanary10Percent5Minutes");
    });

    it("cannot be altered by a caller", () => {
        expect(() => {
            (DeploymentConfig.AllAtOnce as { percentage: number }).percentage = 50;
        }).toThrow(TypeError);
        expect(DeploymentConfig.AllAtOnce.percentage).toBe(100);
    });
});

describe("custom configs", () => {
    it("canary keeps its shape", () => {
        expect(DeploymentConfig.canary({ percentage: 5, intervalMinutes: 15 })).toEqual({
            kind: "custom",
            type: "Canary",
            percentage: 5,
            intervalMinutes: 15,
        });
    });

    it("linear keeps its shape", () => {
        expect(DeploymentConfig.linear({ percentage: 20, intervalMinutes: 3 })).toEqual({
            kind: "custom",
            type: "Linear",
            percentage: 20,
            intervalMinutes: 3,
        });
    });

    it("accepts the limits themselves", () => {
        expect(DeploymentConfig.canary({ percentage: 1, intervalMinutes: 2880 }).intervalMinutes).toBe(2880);
        expect(DeploymentConfig.canary({ percentage: 99, intervalMinutes: 1 }).percentage).toBe(99);
        // 2 steps of 50 %: one interval between the first and the last shift.
        expect(estimateShiftMinutes(DeploymentConfig.linear({ percentage: 50, intervalMinutes: 2880 }))).toBe(2880);
    });

    const bad: [string, () => unknown, string][] = [
        [
            "canary percentage 0",
            () => DeploymentConfig.canary({ percentage: 0, intervalMinutes: 5 }),
            "deployment.config: canary percentage must be an integer from 1 to 99 (got 0)",
        ],
        [
            "canary percentage 100",
            () => DeploymentConfig.canary({ percentage: 100, intervalMinutes: 5 }),
            "deployment.config: canary percentage must be an integer from 1 to 99 (got 100)",
        ],
        [
            "fractional percentage",
            () => DeploymentConfig.linear({ percentage: 12.5, intervalMinutes: 5 }),
            "deployment.config: linear percentage must be an integer from 1 to 99 (got 12.5)",
        ],
        [
            "percentage as text",
            () => DeploymentConfig.canary({ percentage: "10" as unknown as number, intervalMinutes: 5 }),
            'deployment.config: canary percentage must be an integer from 1 to 99 (got "10")',
        ],
        [
            "interval 0",
            () => DeploymentConfig.canary({ percentage: 10, intervalMinutes: 0 }),
            "deployment.config: canary intervalMinutes must be an integer from 1 to 2880 (got 0)",
        ],
        [
            "interval over 48 hours",
            () => DeploymentConfig.linear({ percentage: 10, intervalMinutes: 2881 }),
            "deployment.config: linear intervalMinutes must be an integer from 1 to 2880 (got 2881)",
        ],
        [
            "missing interval",
            () => DeploymentConfig.linear({ percentage: 10 } as never),
            "deployment.config: linear intervalMinutes must be an integer from 1 to 2880 (got undefined)",
        ],
        [
            "no options",
            () => DeploymentConfig.canary(undefined as never),
            "deployment.config: canary needs { percentage, intervalMinutes } (got undefined)",
        ],
        [
            "linear that cannot finish in 48 hours",
            () => DeploymentConfig.linear({ percentage: 10, intervalMinutes: 321 }),
            "deployment.config: linear 10% every 321 minutes needs 2889 minutes from the first to the last traffic shift; " +
                "CodeDeploy allows at most 2880 (48 hours): raise the percentage or shorten the interval",
        ],
    ];
    it.each(bad)("rejects %s", (_label, make, message) => {
        expect(make).toThrow(new DeploymentConfigError(message));
        expect(make).toThrow(DeploymentConfigError);
    });

    it("exports the validators for the component's own checks", () => {
        expect(validatePercentage("Linear", 25)).toBe(25);
        expect(validateIntervalMinutes("Canary", 60)).toBe(60);
        expect(() => validateIntervalMinutes("Canary", -1)).toThrow(
            "deployment.config: canary intervalMinutes must be an integer from 1 to 2880 (got -1)",
        );
    });
});

describe("deploymentConfigArgs", () => {
    it("turns a custom canary into a TimeBasedCanary Lambda config", () => {
        expect(deploymentConfigArgs(DeploymentConfig.canary({ percentage: 5, intervalMinutes: 15 }), "orders-canary")).toEqual({
            deploymentConfigName: "orders-canary",
            computePlatform: "Lambda",
            trafficRoutingConfig: { type: "TimeBasedCanary", timeBasedCanary: { percentage: 5, interval: 15 } },
        });
    });

    it("turns a custom linear into a TimeBasedLinear Lambda config, auto-named when no name is given", () => {
        expect(deploymentConfigArgs(DeploymentConfig.linear({ percentage: 20, intervalMinutes: 3 }))).toEqual({
            computePlatform: "Lambda",
            trafficRoutingConfig: { type: "TimeBasedLinear", timeBasedLinear: { percentage: 20, interval: 3 } },
        });
    });

    it("refuses a predefined config", () => {
        const predefined = DeploymentConfig.Canary10Percent5Minutes as unknown as CustomDeploymentConfig;
        expect(() => deploymentConfigArgs(predefined, "x")).toThrow(
            "deployment.config: CodeDeployDefault.LambdaCanary10Percent5Minutes is predefined by CodeDeploy and needs no DeploymentConfig resource",
        );
    });
});

describe("describeDeploymentConfig", () => {
    it.each([
        { config: DeploymentConfig.AllAtOnce, text: "all traffic at once" },
        { config: DeploymentConfig.Canary10Percent5Minutes, text: "10% of traffic, then the rest 5 minutes later" },
        { config: DeploymentConfig.Linear10PercentEvery1Minute, text: "10% more traffic every 1 minute, all of it after 9 minutes" },
        {
            config: DeploymentConfig.linear({ percentage: 30, intervalMinutes: 20 }),
            text: "30% more traffic every 20 minutes, all of it after 60 minutes",
        },
    ])("$text", ({ config, text }) => {
        expect(describeDeploymentConfig(config)).toBe(text);
    });
});

/**
 * CodeDeploy's Lambda traffic-routing configs and the steps they take. The
 * predefined names are CodeDeploy's own (CodeDeployDefault.Lambda*); custom
 * configs use the `trafficRoutingConfig` shape of CreateDeploymentConfig.
 */

export type TrafficRouting =
    | { type: "AllAtOnce" }
    | { type: "TimeBasedCanary"; timeBasedCanary: { canaryPercentage: number; canaryInterval: number } }
    | { type: "TimeBasedLinear"; timeBasedLinear: { linearPercentage: number; linearInterval: number } };

const canary = (canaryPercentage: number, canaryInterval: number): TrafficRouting => ({ type: "TimeBasedCanary", timeBasedCanary: { canaryPercentage, canaryInterval } });
const linear = (linearPercentage: number, linearInterval: number): TrafficRouting => ({ type: "TimeBasedLinear", timeBasedLinear: { linearPercentage, linearInterval } });

export const PREDEFINED_CONFIGS: Readonly<Record<string, TrafficRouting>> = {
    "CodeDeployDefault.LambdaAllAtOnce": { type: "AllAtOnce" },
    "CodeDeployDefault.LambdaCanary10Percent5Minutes": canary(10, 5),
    "CodeDeployDefault.LambdaCanary10Percent10Minutes": canary(10, 10),
    "CodeDeployDefault.LambdaCanary10Percent15Minutes": canary(10, 15),
    "CodeDeployDefault.LambdaCanary10Percent30Minutes": canary(10, 30),
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": linear(10, 1),
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": linear(10, 2),
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": linear(10, 3),
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": linear(10, 10),
};

/** One step of a shift: route `weight` of the traffic to the target version, then wait `waitMinutes`. */
export interface ShiftStep {
    weight: number;
    waitMinutes: number;
}

/**
 * The weighted steps before the final move to 100 %. A canary is one step; a
 * linear config adds its percentage every interval until 100 %, and the step
 * that would reach 100 % is the final move itself.
 */
export function shiftSteps(routing: TrafficRouting): ShiftStep[] {
    if (routing.type === "AllAtOnce") return [];
    if (routing.type === "TimeBasedCanary") {
        const { canaryPercentage, canaryInterval } = routing.timeBasedCanary;
        return [{ weight: canaryPercentage / 100, waitMinutes: canaryInterval }];
    }
    const { linearPercentage, linearInterval } = routing.timeBasedLinear;
    const steps: ShiftStep[] = [];
    for (let pct = linearPercentage; pct < 100; pct += linearPercentage) {
        steps.push({ weight: Math.round(pct * 100) / 10_000, waitMinutes: linearInterval });
    }
    return steps;
}

/** Checks a custom config the way CreateDeploymentConfig would; returns the problem or undefined. */
export function routingProblem(routing: TrafficRouting): string | undefined {
    const pctOk = (p: number): boolean => Number.isInteger(p) && p >= 1 && p <= 99;
    const intervalOk = (m: number): boolean => Number.isInteger(m) && m >= 1 && m <= 2880;
    if (routing.type === "TimeBasedCanary") {
        const c = routing.timeBasedCanary;
        if (!pctOk(c.canaryPercentage) || !intervalOk(c.canaryInterval)) return "canaryPercentage must be 1-99 and canaryInterval 1-2880 minutes";
    } else if (routing.type === "TimeBasedLinear") {
        const l = routing.timeBasedLinear;
        if (!pctOk(l.linearPercentage) || !intervalOk(l.linearInterval)) return "linearPercentage must be 1-99 and linearInterval 1-2880 minutes";
    }
    return undefined;
}

// The public surface of pulumi-mangum.
export { MangumFunction, MANGUM_FUNCTION_TYPE, hookBundlePath } from "./components/mangumFunction";
export type { DeploymentSummary, MangumHooks } from "./components/mangumFunction";
export * from "./components/args";
export {
    DeploymentConfig,
    DEFAULT_DEPLOYMENT_CONFIG,
    DeploymentConfigError,
    describeDeploymentConfig,
    estimateShiftMinutes,
    validateIntervalMinutes,
    validatePercentage,
} from "./components/deploymentConfig";
export type { CustomDeploymentConfig, DeploymentConfigSpec, PredefinedDeploymentConfig, TrafficShiftOptions } from "./components/deploymentConfig";
export {
    checkInteger,
    LIMITS,
    LOG_RETENTION_DAYS,
    MangumArgsError,
    resolveMangumFunctionArgs,
    validateAliasName,
    validateArchitecture,
    validateDeploymentConfigSpec,
    validateHandler,
    validateLogRetention,
    validateMangumFunctionArgs,
    validateRuntime,
    validateScheduleExpression,
} from "./components/validate";
export type { ResolvedSettings, ResolvedWarmup, ResolvedDeployment } from "./components/validate";
export type { WarmupReply, WarmupRequest, WarmupSettings, CheckResult } from "./hooks/contract";
export { WARMUP_EVENT_KEY, WARMUP_PROTOCOL_VERSION } from "./hooks/contract";

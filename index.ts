// The public surface of pulumi-mangum. The component package's schema (Python, Go, C#, YAML) is inferred
// from what this file reaches: see docs/multi-language.md and tests/schema.test.ts.
export { MangumFunction, MANGUM_FUNCTION_TYPE, ALIAS_MARKER, DeploymentSkipReason, DeploymentStatus, hookBundlePath } from "./components/mangumFunction";
export type { CodeDeployResources, DeploymentSummary, MangumHooks } from "./components/mangumFunction";
export * from "./components/args";
export {
    DeploymentConfig,
    DeploymentConfigKind,
    DEFAULT_DEPLOYMENT_CONFIG,
    DeploymentConfigError,
    describeDeploymentConfig,
    estimateShiftMinutes,
    TrafficShiftType,
    validateIntervalMinutes,
    validatePercentage,
} from "./components/deploymentConfig";
export type {
    CanonicalDeploymentConfig,
    CustomDeploymentConfig,
    DeploymentConfigSpec,
    PredefinedDeploymentConfig,
    TrafficShiftOptions,
} from "./components/deploymentConfig";
export {
    checkInteger,
    COMPONENT_NAME,
    HTTP_API_DEFAULTS,
    LIMITS,
    LOG_RETENTION_DAYS,
    MangumArgsError,
    RESERVED_ENVIRONMENT_KEYS,
    resolveMangumFunctionArgs,
    TRIGGER_EVENTS,
    validateAliasName,
    validateArchitecture,
    validateComponentName,
    validateDeploymentConfigSpec,
    validateHandler,
    validateLogRetention,
    validateMangumFunctionArgs,
    validateRuntime,
    validateScheduleExpression,
} from "./components/validate";
export type { ResolvedDeployment, ResolvedPolicies, ResolvedSettings, ResolvedWarmup } from "./components/validate";
export type { WarmupReply, WarmupRequest, WarmupSettings, CheckResult } from "./hooks/contract";
export { WARMUP_EVENT_KEY, WARMUP_PROTOCOL_VERSION } from "./hooks/contract";

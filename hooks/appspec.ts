/**
 * Reading the AppSpec of a Lambda deployment, as the deployer writes it
 * (hooks/deployer.ts, buildAppSpec) and CodeDeploy returns it: GetDeployment's
 * `revision.appSpecContent.content`, or `revision.string.content` for
 * revisions of type String ("AppSpec File example for an AWS Lambda
 * deployment", CodeDeploy User Guide,
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-example.html#appspec-file-example-lambda).
 * Only JSON is read: the pulumi-mangum deployer sends JSON, and a YAML
 * AppSpec comes from someone else.
 */
import type { RevisionLocation } from "@aws-sdk/client-codedeploy";

export interface LambdaAppSpec {
    /** `Properties.Name` of the first resource: a function name or ARN. */
    name: string | undefined;
    alias: string | undefined;
    currentVersion: string | undefined;
    targetVersion: string;
}

/** The AppSpec text of a revision, or undefined when the revision carries none (S3, GitHub). */
export function appSpecContent(revision: RevisionLocation | undefined): string | undefined {
    return revision?.appSpecContent?.content ?? revision?.string?.content;
}

/**
 * `Resources[0].<logical name>.Properties` of a JSON AppSpec, or a sentence
 * saying why it cannot be read (not JSON, no numeric TargetVersion).
 */
export function parseLambdaAppSpec(content: string): LambdaAppSpec | string {
    let appSpec: unknown;
    try {
        appSpec = JSON.parse(content);
    } catch {
        return "is not JSON (the pulumi-mangum deployer sends JSON AppSpecs; YAML is not read)";
    }
    const resources = (appSpec as { Resources?: unknown } | null)?.Resources;
    const first = Array.isArray(resources) ? (resources[0] as unknown) : undefined;
    const resource = typeof first === "object" && first !== null ? Object.values(first)[0] : undefined;
    const props = (resource as { Properties?: Record<string, unknown> } | undefined)?.Properties;
    const version = props?.TargetVersion;
    if ((typeof version !== "string" && typeof version !== "number") || !/^\d+$/.test(String(version))) {
        return "has no numeric Resources[0].*.Properties.TargetVersion";
    }
    const text = (v: unknown): string | undefined => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
    return { name: text(props?.Name), alias: text(props?.Alias), currentVersion: text(props?.CurrentVersion), targetVersion: String(version) };
}

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name → NAME. */
export function baseFunctionName(nameOrArn: string): string {
    const parts = nameOrArn.split(":");
    return nameOrArn.startsWith("arn:") && parts.length >= 7 ? parts[6]! : nameOrArn;
}

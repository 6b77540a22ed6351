/** Builds InvokeCommand outputs the way the SDK returns them, for aws-sdk-client-mock. */
import type { InvokeCommandInput, InvokeCommandOutput } from "@aws-sdk/client-lambda";

type Payload = InvokeCommandOutput["Payload"];

function bytes(text: string): Payload {
    // The SDK hands back a Uint8Array subclass; the hooks only read it as bytes.
    return new TextEncoder().encode(text) as Payload;
}

/** A successful RequestResponse invocation returning `body` as JSON. */
export function invokeOk(body: unknown, executedVersion?: string): InvokeCommandOutput {
    return { $metadata: { httpStatusCode: 200 }, StatusCode: 200, Payload: bytes(JSON.stringify(body)), ExecutedVersion: executedVersion };
}

/** A successful invocation whose payload is `text` verbatim (for non-JSON replies). */
export function invokeRaw(text: string): InvokeCommandOutput {
    return { $metadata: { httpStatusCode: 200 }, StatusCode: 200, Payload: bytes(text) };
}

/** An invocation in which the function raised: Lambda sets X-Amz-Function-Error and returns the error document. */
export function invokeFunctionError(errorType: string, errorMessage: string): InvokeCommandOutput {
    return {
        $metadata: { httpStatusCode: 200 },
        StatusCode: 200,
        FunctionError: "Unhandled",
        Payload: bytes(JSON.stringify({ errorType, errorMessage, stackTrace: [] })),
    };
}

/** Decodes the event a mocked InvokeCommand was sent (the hooks send bytes; a string is accepted too). */
export function sentEvent(input: InvokeCommandInput): unknown {
    const payload = input.Payload;
    return JSON.parse(typeof payload === "string" ? payload : new TextDecoder().decode(payload as Uint8Array));
}

/**
 * The same lifecycle as tests/engine/lifecycle.test.ts, from a Pulumi YAML
 * program: pulumi-language-yaml (built from the Go proxy by
 * scripts/pulumi-cli.sh) runs it, and MangumFunction is served as a component
 * provider plugin (rehearsal/engine/yaml), the path every non-TypeScript
 * language takes.
 */
import { EngineRig } from "../../rehearsal/engine/rig";
import { runLifecycle, type StepReport } from "../../rehearsal/engine/lifecycle";
import { checkLifecycle } from "../../rehearsal/engine/expectations";

jest.setTimeout(30 * 60_000);

let rig: EngineRig | undefined;
let reports: StepReport[] = [];

beforeAll(async () => {
    rig = await EngineRig.start({ language: "yaml", minuteMs: 200, scheduleMinuteMs: 200 });
    reports = await runLifecycle(rig);
}, 40 * 60_000);

afterAll(async () => {
    await rig?.stop();
});

test("a YAML program lives the same lifecycle as the TypeScript one", () => {
    expect(checkLifecycle(reports)).toEqual([]);
});

test("the component is constructed by its plugin: the engine's state holds it under the YAML program's stack", () => {
    const first = reports[0]!.facts.state;
    expect(Object.keys(first)).toEqual(expect.arrayContaining(["pulumi-mangum:index:MangumFunction::app", "aws:lambda/function:Function::app"]));
    expect(reports[0]!.step.outputs).toMatchObject({ version: "1", aliasArn: expect.stringMatching(/:live$/) });
});

/**
 * Which idle environment an invocation gets (LambdaOptions.placement). Lambda does not document it, so the
 * benchmark can run under each choice (`npm run bench -- --load-only --placement random`).
 */
import { chooseIdle, PLACEMENTS } from "../../rehearsal/lambda/service";

// In start order, as the stand-in keeps them; `lastUsed` is when each last ended an invocation.
const idle = [
    { id: "first", lastUsed: 1_000 },
    { id: "busiest", lastUsed: 9_000 },
    { id: "spare", lastUsed: 3_000 },
];

describe("chooseIdle", () => {
    test("first-started gives the oldest environment alive, whatever its use", () => {
        expect(chooseIdle(idle, "first-started", () => 0.99).id).toBe("first");
    });

    test("most-recent gives the one that ended an invocation last", () => {
        expect(chooseIdle(idle, "most-recent", () => 0).id).toBe("busiest");
    });

    test("random spreads over every idle environment, from the first to the last", () => {
        expect([0, 0.34, 0.67, 0.999999].map((r) => chooseIdle(idle, "random", () => r).id)).toEqual(["first", "busiest", "spare", "spare"]);
    });

    test("one idle environment is the answer under every placement", () => {
        for (const placement of PLACEMENTS) expect(chooseIdle([idle[2]!], placement, () => 0.5).id).toBe("spare");
    });
});

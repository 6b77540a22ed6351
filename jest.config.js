/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  transform: {
    // Transpile only: `tsc -p tsconfig.test.json` type-checks everything once
    // before jest runs (scripts/run.sh), instead of once per test file.
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json", isolatedModules: true }],
  },
  // Examples and docs import the package by name, as a user's program does.
  moduleNameMapper: { "^pulumi-mangum$": "<rootDir>/index.ts" },
  testTimeout: 30000,
};

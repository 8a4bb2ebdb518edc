import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{lib,functions,agent-host,gateway,web,bench,test}/**/*.test.ts'],
    // Native addons (onnxruntime, rtc-node) and child processes behave best in forked workers.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60000,
    // Builds build/nftvm.wasm when assembly/ changed (test/assembly/vm needs it).
    globalSetup: ['test/assembly/vm/global-setup.ts'],
  },
});

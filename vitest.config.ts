import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Two test worlds, like the two processes: main-process science in plain Node,
// renderer stores and components in jsdom.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'main',
          environment: 'node',
          include: ['test/main/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks'
        }
      },
      {
        plugins: [vue()],
        resolve: { alias: { '@contract': resolve(__dirname, 'src-main/api') } },
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['test/renderer/**/*.test.ts'],
          testTimeout: 30_000
        }
      },
      {
        // Browser mode end to end: needs `npm run build` (the test script builds first) and
        // Chromium at /usr/bin/chromium. One server for all files, started by the global setup.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})

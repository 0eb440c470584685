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
      }
    ]
  }
})

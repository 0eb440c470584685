/**
 * The events an API runtime publishes, recorded for a test, and a wait for a job's end
 * (job.done or job.error) among them.
 */
import type { createApiRuntime } from '../../src-main/api/runtime'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RecordedEvent = { name: string; payload: any }

export function recordEvents(api: ReturnType<typeof createApiRuntime>): {
  events: RecordedEvent[]
  jobEnd: (jobId: string) => Promise<RecordedEvent>
} {
  const events: RecordedEvent[] = []
  api.hub.subscribe((name, payload) => events.push({ name, payload }))
  const jobEnd = (jobId: string) =>
    new Promise<RecordedEvent>((resolve) => {
      const poll = setInterval(() => {
        const e = events.find((x) => (x.name === 'job.done' || x.name === 'job.error') && x.payload.jobId === jobId)
        if (e) {
          clearInterval(poll)
          resolve(e)
        }
      }, 20)
    })
  return { events, jobEnd }
}

/** Handlers of the viewer's requests (contracts/viewer.ts); the work is in src-main/viewer/ and src-main/attribution/. */
import type { AttributionSummary } from '../contracts/viewer'
import type { PartialHandlerTable } from '../handler-types'
import { computeAttribution, readAttribution } from '../../attribution'
import { buildSubjectView } from '../../viewer/subject-view'

export const viewerHandlers: PartialHandlerTable<'viewer.subject' | 'viewer.attribution' | 'viewer.attribution.compute'> = {
  'viewer.subject': async ({ study, subject, runId }) => buildSubjectView(study, subject, { runId }),

  'viewer.attribution': async (args) => readAttribution(args),

  'viewer.attribution.compute': async (args, ctx) => {
    // Unknown run or subject, unfinished run, missing scan or model files: refused at once.
    await readAttribution(args)
    const jobId = ctx.jobs.start('viewer.attribution', async (job): Promise<AttributionSummary> => {
      job.progress(null, `Reading ${args.subject}'s crop and the run's models`)
      const { map, cached } = await computeAttribution(args, { signal: job.signal, onProgress: (f, m) => job.progress(f, m) })
      return { runId: map.runId, subject: map.subject, modality: map.modality, cached, passes: map.passes, seconds: map.seconds }
    })
    return { jobId }
  }
}

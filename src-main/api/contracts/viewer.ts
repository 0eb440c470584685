/**
 * Requests of the volume viewer: one subject's sMRI and PET volumes on the MNI grid, the
 * hippocampal boxes the networks crop, and the Figure-7 summary (this subject against the
 * cohort's groups, each modality's diagnosis and the aggregator's).
 *
 * Volumes travel as Float32Array: natively over Electron IPC, as tagged base64 through the
 * loopback bridge (api/typed-codec.ts). Node- and DOM-free: the renderer bundles this module.
 */
import { z } from 'zod'
import { JobStarted, request } from '../define'
import { Path, RunId, SubjectId } from '../../domain/paths'
import { Modality } from '../../domain/modality'
import { AttributionMap, ViewerSubject } from '../../domain/viewer-records'

export * from '../../domain/viewer-records'

const AttributionArgs = z
  .object({
    study: Path,
    subject: SubjectId,
    modality: Modality,
    /** Run whose selected models to explain; default: the newest finished run. */
    runId: RunId.optional()
  })
  .strict()

export const viewerRequests = {
  'viewer.subject': request(
    z
      .object({
        study: Path,
        subject: SubjectId,
        /** Run whose verdicts to show; default: the newest finished run. */
        runId: RunId.optional()
      })
      .strict(),
    ViewerSubject,
    'One subject for the viewer: preprocessed sMRI and PET volumes (MNI grid), hippocampal boxes, cohort measures and the latest verdicts',
    { study: 'existing' }
  ),
  'viewer.attribution': request(
    AttributionArgs,
    AttributionMap.nullable(),
    "A subject's occlusion-sensitivity map for one modality, when already computed for the run's current models (null otherwise)",
    { study: 'existing' }
  ),
  'viewer.attribution.compute': request(
    AttributionArgs,
    JobStarted,
    'Job: compute (or read back) the occlusion-sensitivity map of one modality for one subject; result AttributionSummary, then read it with viewer.attribution',
    { study: 'existing' }
  )
} as const

/** `result` of a viewer.attribution.compute job. */

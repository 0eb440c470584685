/** Handlers of the viewer's requests (contracts/viewer.ts); the work is in src-main/viewer/. */
import type { PartialHandlerTable } from '../handler-types'
import { buildSubjectView } from '../../viewer/subject-view'

export const viewerHandlers: PartialHandlerTable<'viewer.subject'> = {
  'viewer.subject': async ({ study, subject, runId }) => buildSubjectView(study, subject, { runId })
}

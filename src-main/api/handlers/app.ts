/** Handlers of the app-level requests: app info, recent studies, the folder browser, jobs and
 *  native dialogs. */
import { productName, version } from '../../../package.json'
import { describeBackends } from '../../engine/backend/candidates'
import type { PartialHandlerTable } from '../handler-types'
import { listFolder, listRoots } from '../../files/allowed-roots'
import { readRecentStudies } from '../../settings/recent-studies'
import { trainingCatalogue } from '../../domain/training'
import { DEMO_VISIBLE_LABEL_RATE } from '../../domain/study-settings'

type AppRequest = 'app.info' | 'training.defaults' | 'studies.recent' | 'job.cancel' | 'files.roots' | 'files.list' | 'dialog.pick'

export const appHandlers: PartialHandlerTable<AppRequest> = {
  'app.info': async (_args, ctx) => ({
    name: productName,
    version,
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    shell: ctx.shell,
    // Looks for the packages without loading TensorFlow into the main process; the training
    // worker makes the final choice when it starts.
    backend: await describeBackends(),
    startWithDemo: ctx.startWithDemo
  }),

  'training.defaults': async () => trainingCatalogue(DEMO_VISIBLE_LABEL_RATE),

  'studies.recent': async (_args, ctx) => readRecentStudies(ctx.userDataDir),

  'job.cancel': async ({ jobId }, ctx) => ({ cancelled: ctx.jobs.cancel(jobId) }),

  'files.roots': async (_args, ctx) => listRoots(await ctx.paths.roots()),

  'files.list': async ({ path, extensions }, ctx) => listFolder(await ctx.paths.roots(), path, extensions),

  'dialog.pick': async (args, ctx) => {
    if (!ctx.pickNative) {
      throw new Error('dialog.pick: native dialogs exist only in the desktop app; in browser mode choose files with files.roots and files.list')
    }
    const path = await ctx.pickNative(args)
    // What the user chose is theirs to use in this session (api/path-access.ts).
    if (path !== null) ctx.paths.grant(path)
    return { path }
  }
}

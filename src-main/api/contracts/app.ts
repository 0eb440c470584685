/** Requests and events about the app itself, jobs, and file choice. */
import { z } from 'zod'
import { event, noArgs, request } from '../define'
import { Path } from '../../domain/paths'
import { BackendInfo } from '../../domain/backend'
import { FileEntry, RecentStudy } from '../../domain/app-records'
import { TrainingCatalogue } from '../../domain/training'

export { BackendInfo, FileEntry, RecentStudy, TrainingCatalogue }

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  arch: z.string(),
  node: z.string(),
  /** 'electron' or 'browser' (the loopback bridge of `npm run serve`). */
  shell: z.enum(['electron', 'browser']),
  backend: BackendInfo,
  /** Launched with --demo (`npm start`): on a first launch, with no study to reopen and none
   *  recent, the window creates and opens the built-in demo study by itself. */
  startWithDemo: z.boolean()
})
export type AppInfo = z.infer<typeof AppInfo>

export const JobProgress = z.object({
  jobId: z.string(),
  kind: z.string(),
  /** 0..1, or null when the total is not known yet. */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
  /** Job-specific structured detail (for training: epoch, losses, metrics). */
  detail: z.unknown().optional()
})
export type JobProgress = z.infer<typeof JobProgress>

export const appRequests = {
  'app.info': request(noArgs, AppInfo, 'Version, platform and the compute backend with the reason for the choice'),
  'training.defaults': request(
    noArgs,
    TrainingCatalogue,
    'The training form: every choice with its default and what it means (the window keeps no copy of a default)'
  ),
  'studies.recent': request(noArgs, z.array(RecentStudy), 'Studies opened recently, newest first'),
  'job.cancel': request(z.object({ jobId: z.string().min(1) }).strict(), z.object({ cancelled: z.boolean() }), 'Cancel a running job'),
  'files.roots': request(noArgs, z.array(FileEntry), 'Folders the user allowed for the in-app file browser (browser mode)'),
  'files.list': request(
    z.object({ path: Path, extensions: z.array(z.string().max(40)).max(50).optional() }).strict(),
    z.object({ path: z.string(), parent: z.string().nullable(), entries: z.array(FileEntry) }),
    'List a folder inside an allowed root (browser mode file choice)',
    { path: 'existing' }
  ),
  'dialog.pick': request(
    z
      .object({
        mode: z.enum(['openFolder', 'openFile', 'saveFolder']),
        title: z.string().max(200).optional(),
        extensions: z.array(z.string()).optional()
      })
      .strict(),
    z.object({ path: z.string().nullable() }),
    'Native file dialog (Electron only); null when the user cancelled'
  )
} as const

export const appEvents = {
  'job.progress': event(JobProgress, 'Progress of a long job'),
  'job.done': event(z.object({ jobId: z.string(), kind: z.string(), result: z.unknown() }), 'A job finished'),
  'job.error': event(z.object({ jobId: z.string(), kind: z.string(), message: z.string(), cancelled: z.boolean() }), 'A job failed or was cancelled'),
  'menu.command': event(z.object({ command: z.enum(['newStudy', 'openStudy', 'export', 'about']) }), 'The application menu asked the window to do something')
} as const

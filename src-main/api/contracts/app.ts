/** Requests and events about the app itself, jobs, and file choice. */
import { z } from 'zod'
import { Path, event, noArgs, request } from '../define'

export const BackendInfo = z.object({
  /** The backend the training worker will use: 'tensorflow-gpu', 'tensorflow', 'wasm' or 'cpu'. */
  name: z.string(),
  /** Why this one, and why each faster one was not used. */
  reason: z.string(),
  /** One line per backend tried, in order of preference. */
  tried: z.array(z.object({ name: z.string(), available: z.boolean(), detail: z.string() }))
})
export type BackendInfo = z.infer<typeof BackendInfo>

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

export const RecentStudy = z.object({ path: z.string(), name: z.string(), openedAt: z.string() })
export type RecentStudy = z.infer<typeof RecentStudy>

export const FileEntry = z.object({ name: z.string(), path: z.string(), kind: z.enum(['dir', 'file']), size: z.number().optional() })
export type FileEntry = z.infer<typeof FileEntry>

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
    z.object({
      mode: z.enum(['openFolder', 'openFile', 'saveFolder']),
      title: z.string().max(200).optional(),
      extensions: z.array(z.string()).optional()
    }).strict(),
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

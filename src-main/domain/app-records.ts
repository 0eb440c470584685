/** Records of the app itself: recently opened studies and the entries of the in-app folder browser. */
import { z } from 'zod'

export const RecentStudy = z.object({ path: z.string(), name: z.string(), openedAt: z.string() })
export type RecentStudy = z.infer<typeof RecentStudy>

export const FileEntry = z.object({ name: z.string(), path: z.string(), kind: z.enum(['dir', 'file']), size: z.number().optional() })
export type FileEntry = z.infer<typeof FileEntry>

/** A compute backend as a person and a run record see it: which one, and why. */
import { z } from 'zod'

export const BackendInfo = z.object({
  /** The backend the training worker will use: 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm' or 'cpu'. */
  name: z.string(),
  /** Why this one, and why each faster one was not used. */
  reason: z.string(),
  /** One line per backend tried, in order of preference. */
  tried: z.array(z.object({ name: z.string(), available: z.boolean(), detail: z.string() }))
})
export type BackendInfo = z.infer<typeof BackendInfo>

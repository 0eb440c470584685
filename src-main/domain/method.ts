/** The training methods a run can use. */
import { z } from 'zod'

/** 'tcgm' = CE steps then TC steps each epoch (the paper's Algorithm 1); 'ce' = CE steps only (the baseline). */
export const Method = z.enum(['tcgm', 'ce'])
export type Method = z.infer<typeof Method>

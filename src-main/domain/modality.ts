/**
 * The imaging modalities of a study, in the order the models, the tables and the run files use
 * (index 0 = sMRI, index 1 = PET). The one place that spells them.
 */
import { z } from 'zod'

export const MODALITIES = ['smri', 'pet'] as const
export const Modality = z.enum(MODALITIES)
export type Modality = z.infer<typeof Modality>

/** A modality, or 'ignore' for a series the researcher leaves out of an import. */
export const SeriesChoice = z.enum([...MODALITIES, 'ignore'])
export type SeriesChoice = z.infer<typeof SeriesChoice>

/** How each modality is named to a person. */
export const MODALITY_TITLES: Readonly<Record<Modality, string>> = { smri: 'sMRI', pet: 'PET' }

export function isModality(v: unknown): v is Modality {
  return typeof v === 'string' && (MODALITIES as readonly string[]).includes(v)
}

/**
 * What a study is set up with: its classes, the visit it pairs, the PET reference region, and
 * the import layouts and MCI policies it understands. Saved in study.json (study/schema.ts) and
 * carried by the API.
 */
import { z } from 'zod'

export const DEFAULT_CLASS_NAMES = ['NC', 'AD'] as const

export const ClassNames = z.array(z.string().min(1).max(40)).min(2).max(10)

/** SUVR reference region of the PET normalisation (pons for FDG by default). */
export const PetReference = z.enum(['pons', 'cerebellum'])
export type PetReference = z.infer<typeof PetReference>

export const StudySettings = z.object({
  /** Class names in index order (index 0 = proba0). Default ['NC', 'AD']. */
  classNames: ClassNames,
  /** Visit used when pairing sMRI and PET ('bl' = baseline, ADNI VISCODE or BIDS session label). */
  visit: z.string().min(1),
  /** PET normalisation: SUVR against this reference region. */
  petReference: PetReference,
  /** Divide grey-matter maps by the subject's mean grey matter before cropping (VBM convention). */
  proportionalScaling: z.boolean()
})
export type StudySettings = z.infer<typeof StudySettings>

export const ImportLayout = z.enum(['adni', 'bids', 'manifest', 'caps'])
export type ImportLayout = z.infer<typeof ImportLayout>

/** How MCI diagnoses from ADNIMERGE become labels. */
export const MciPolicy = z.enum(['exclude', 'as-first-class', 'as-second-class', 'converters-36m'])
export type MciPolicy = z.infer<typeof MciPolicy>

/** Subject-level data split. */
export const SplitName = z.enum(['train', 'val', 'test'])
export type SplitName = z.infer<typeof SplitName>

/** Default share of the demo's diagnoses left visible (stratified, seeded); the rest are hidden and
 *  used for evaluation only, so the demo shows the few-labels setting the app is for. */
export const DEMO_VISIBLE_LABEL_RATE = 0.1

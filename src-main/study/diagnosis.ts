/**
 * Diagnoses as sources write them (ADNI Group CN / AD / MCI / EMCI / LMCI / SMC, ADNIMERGE DX
 * CN / MCI / Dementia, or a class name) -> a class of the study. Only for the default two-class
 * names NC / AD are the ADNI synonyms used; otherwise a diagnosis must equal a class name.
 */
import type { MciPolicy } from '../domain/study-settings'

export type { MciPolicy }

const NC_SYNONYMS = ['cn', 'nc', 'normal', 'control', 'hc', 'smc']
const AD_SYNONYMS = ['ad', 'dementia', 'alzheimer', "alzheimer's disease"]
const MCI_SYNONYMS = ['mci', 'emci', 'lmci']

export type DiagnosisMapping = { label: string } | { label: null; reason: 'mci' | 'unknown' | 'empty' }

/**
 * @param classNames the study's classes (index 0 = negative class).
 * @param mci what MCI becomes: excluded, or the first / second class (converters-36m needs
 *   follow-up data and is resolved by the ADNIMERGE importer; here it excludes).
 */
export function mapDiagnosis(raw: string | null | undefined, classNames: readonly string[], mci: MciPolicy = 'exclude'): DiagnosisMapping {
  const v = (raw ?? '').trim()
  if (!v) return { label: null, reason: 'empty' }
  const exact = classNames.find((c) => c.toLowerCase() === v.toLowerCase())
  if (exact) return { label: exact }
  const lower = v.toLowerCase()
  const twoDefault = classNames.length === 2
  if (twoDefault && NC_SYNONYMS.includes(lower)) return { label: classNames[0]! }
  if (twoDefault && AD_SYNONYMS.includes(lower)) return { label: classNames[1]! }
  if (MCI_SYNONYMS.includes(lower)) {
    if (mci === 'as-first-class') return { label: classNames[0]! }
    if (mci === 'as-second-class') return { label: classNames[classNames.length - 1]! }
    return { label: null, reason: 'mci' }
  }
  return { label: null, reason: 'unknown' }
}

/**
 * Registration QC decisions: the scans a failed registration flagged, and the researcher's
 * choice to accept one into training (or take the acceptance back). A flagged scan never
 * enters training until accepted (schema.ts usableForTraining).
 */
import type { Modality } from '../domain/modality'
import { loadStudy, mutateStudy, saveStudyFile } from './study'

export interface FlaggedScan {
  subject: string
  modality: Modality
  path: string
  ncc: number
  threshold: number
  accepted: boolean
}

export async function flaggedScans(studyDir: string): Promise<FlaggedScan[]> {
  const s = await loadStudy(studyDir)
  return s.file.subjects.flatMap((x) =>
    (['smri', 'pet'] as const).flatMap((m) => {
      const scan = x.scans[m]
      return scan?.qc?.flagged
        ? [{ subject: x.id, modality: m, path: scan.path, ncc: scan.qc.ncc, threshold: scan.qc.threshold, accepted: scan.qc.accepted }]
        : []
    })
  )
}

/** @throws Error naming the subject when it has no such scan or the scan was not flagged. */
export async function acceptRegistration(studyDir: string, subject: string, modality: Modality, accepted: boolean): Promise<FlaggedScan> {
  return mutateStudy(studyDir, async (s) => {
    const rec = s.file.subjects.find((x) => x.id === subject)
    const scan = rec?.scans[modality]
    if (!scan) throw new Error(`${studyDir}: subject '${subject}' has no ${modality === 'smri' ? 'sMRI' : 'PET'} scan`)
    if (!scan.qc?.flagged)
      throw new Error(`${studyDir}: ${subject}'s ${modality === 'smri' ? 'sMRI' : 'PET'} scan was not flagged by registration QC; nothing to accept`)
    scan.qc.accepted = accepted
    await saveStudyFile(s)
    return { subject, modality, path: scan.path, ncc: scan.qc.ncc, threshold: scan.qc.threshold, accepted }
  })
}

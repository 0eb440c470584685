/**
 * What each planned scan is, decided before anything is written, so the preview can say what
 * will be done: a DICOM series or a NIfTI that does not look normalised is a native-space scan
 * (registered to MNI in the app); an MNI-space PET is used as it is; an MNI-space structural
 * scan is a grey-matter map or a T1-weighted image, told apart by its values on one sample scan
 * per series (every scan of a manifest, which has no series) (preprocessing/input-kind.ts). A series whose sample is neither is refused here,
 * with the numbers; every scan is checked again when it is preprocessed.
 */
import { promises as fsp } from 'node:fs'
import type { ScanInput } from '../../domain/input-kind'
import { readNiftiHeader } from '../../readers/nifti/read'
import { checkMniSpace, toMni2mm } from '../../preprocessing/resample'
import { recogniseStructuralKind } from '../../preprocessing/input-kind'
import { loadMniTemplates } from '../../preprocessing/templates'
import { readScan } from '../../readers'
import { type ImportModality, type ImportPlan, type InputSummary, type LayoutPlan, type PlannedScan, checkAborted } from './plan'

interface Placed {
  input: ScanInput
  reason: string
}

async function spaceOf(scan: PlannedScan): Promise<{ space: 'mni' | 'native'; reason: string; dicom: boolean }> {
  if (
    await fsp.stat(scan.path).then(
      (s) => s.isDirectory(),
      () => false
    )
  )
    return { space: 'native', reason: 'a DICOM series (scanner space)', dicom: true }
  const h = await readNiftiHeader(scan.path)
  const check = checkMniSpace({
    dims: h.dims,
    spacing: h.spacing,
    affine: h.affine,
    data: new Float32Array(0),
    header: { sformCode: h.sformCode, qformCode: h.qformCode, file: scan.path }
  })
  return check.ok
    ? { space: 'mni', reason: 'in MNI space (axes, field of view and centre of an MNI grid)', dicom: false }
    : { space: 'native', reason: `native space: ${check.reasons[0]}`, dicom: false }
}

/** Adds `input` to every scan of the plan and the summary lines; refused scans leave the plan with a problem. */
export async function describeInputs(plan: LayoutPlan, signal?: AbortSignal): Promise<ImportPlan> {
  const problems = [...plan.problems]
  const sampled = new Map<string, Placed | { refused: string }>()
  const summary = new Map<string, InputSummary>()
  const place = async (subject: string, modality: ImportModality, scan: PlannedScan): Promise<Placed | 'unread' | null> => {
    checkAborted(signal)
    const what = `${subject} ${modality === 'smri' ? 'sMRI' : 'PET'}`
    if (scan.input) return { input: scan.input, reason: `the layout says so (${scan.series ?? 'its folder'})` }
    let where: Awaited<ReturnType<typeof spaceOf>>
    try {
      where = await spaceOf(scan)
    } catch {
      // Unreadable: left in the plan without a kind; the preview's header check marks it
      // (scan-check.ts) and the import skips it with the reader's error.
      return 'unread'
    }
    if (modality === 'pet') return { input: { kind: 'pet', space: where.space }, reason: where.reason }
    if (where.space === 'native')
      return { input: { kind: 't1-weighted', space: 'native' }, reason: `${where.reason}; a structural scan in scanner space is T1-weighted` }
    // An MNI-space structural scan: a grey-matter map or a T1, from one sample per series.
    // Scans of one series are one kind; without a series (a manifest) each scan is its own sample.
    const group = `${modality}\u0000${scan.series ?? scan.path}`
    let decided = sampled.get(group)
    if (!decided) {
      try {
        const vol = await readScan(scan.path, { signal })
        const evidence = recogniseStructuralKind(toMni2mm({ ...vol, header: vol.header ?? undefined }, { allowNonMni: true }).volume, await loadMniTemplates())
        decided =
          evidence.kind === 'unknown'
            ? { refused: evidence.reason }
            : { input: { kind: evidence.kind, space: 'mni' }, reason: `${where.reason}; sample ${scan.path.split(/[/\\]/).pop()} ${evidence.reason}` }
      } catch (err) {
        decided = { refused: `the sample scan could not be read: ${(err as Error).message}` }
      }
      sampled.set(group, decided)
    }
    if ('refused' in decided) {
      problems.push({
        file: scan.path,
        severity: 'error',
        message: `${what} skipped: ${scan.series ? `series '${scan.series}' ` : ''}refused as neither kind of structural scan: ${decided.refused}`
      })
      return null
    }
    return decided
  }

  const subjects: LayoutPlan['subjects'] = []
  for (const s of plan.subjects) {
    const out = { ...s }
    for (const m of ['smri', 'pet'] as const) {
      const scan = s[m]
      if (!scan) continue
      const placed = await place(s.id, m, scan)
      if (placed === 'unread') continue
      out[m] = placed ? { ...scan, input: placed.input } : null
      if (!placed) continue
      const key = `${m}\u0000${scan.series ?? ''}\u0000${placed.input.kind}\u0000${placed.input.space}`
      const line = summary.get(key) ?? { modality: m, series: scan.series, kind: placed.input.kind, space: placed.input.space, scans: 0, reason: placed.reason }
      line.scans++
      summary.set(key, line)
    }
    if (out.smri || out.pet) subjects.push(out)
  }
  return { ...plan, subjects, problems, inputs: [...summary.values()] }
}

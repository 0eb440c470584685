/**
 * Import entry: detects the layout of a source (ADNI download, BIDS, manifest table) and plans.
 */
import { promises as fsp } from 'node:fs'
import { adniRoot, planAdni } from './adni'
import { isBids, planBids } from './bids'
import { planManifest } from './manifest'
import { isCaps, planCaps } from './caps'
import { describeInputs } from './inputs'
import type { ImportPlan, PlanOptions } from './plan'

export type { ImportPlan, PlanOptions } from './plan'

export async function detectLayout(source: string): Promise<ImportPlan['layout']> {
  const st = await fsp.stat(source).catch(() => null)
  if (!st) throw new Error(`${source} does not exist`)
  if (st.isFile()) {
    if (/\.(csv|tsv|txt)$/i.test(source)) return 'manifest'
    throw new Error(`${source} is a file but not a CSV/TSV manifest; choose a cohort folder (ADNI download or BIDS) or a manifest table`)
  }
  if (await adniRoot(source)) return 'adni'
  if (await isCaps(source)) return 'caps'
  if (await isBids(source)) return 'bids'
  throw new Error(
    `${source}: no scans found in a known layout (ADNI download: ADNI/<PTID>/<series>/<date>/<image id>/*.nii[.gz]; BIDS: sub-<id>/[ses-<id>/]anat|pet/*.nii[.gz]; Clinica CAPS: subjects/sub-<id>/ses-<id>/...; or a CSV/TSV manifest)`
  )
}

export async function planImport(source: string, layout: ImportPlan['layout'] | undefined, opts: PlanOptions): Promise<ImportPlan> {
  const l = layout ?? (await detectLayout(source))
  const plan =
    l === 'adni'
      ? await planAdni(source, opts)
      : l === 'bids'
        ? await planBids(source, opts)
        : l === 'caps'
          ? await planCaps(source, opts)
          : await planManifest(source, opts)
  return describeInputs(plan, opts.signal)
}

/**
 * The demo cohort's ground truth (ground_truth.tsv, written by the generator beside the cohort,
 * never read by training), for the benchmarks that compare runs with the oracle.
 */
import { readFileSync } from 'node:fs'
import { parseTable } from '../src-main/files/tables'

export interface GroundTruthRow {
  /** True class name (NC or AD). */
  y: string
  /** Oracle posterior P(AD | a, b) from both latent scores. */
  pAdGivenAb: number
  /** Oracle posteriors of each modality alone: P(AD | a) (sMRI's atrophy), P(AD | b) (PET's hypometabolism). */
  pAdGivenA: number
  pAdGivenB: number
}

export function readGroundTruth(path: string): Map<string, GroundTruthRow> {
  const table = parseTable(path, readFileSync(path, 'utf8'))
  return new Map(
    table.rows.map(({ values: r }) => [
      r.participant_id!,
      { y: r.y!, pAdGivenAb: Number(r.p_ad_given_ab), pAdGivenA: Number(r.p_ad_given_a), pAdGivenB: Number(r.p_ad_given_b) }
    ])
  )
}

/** Accuracy of the oracle (both modalities) on these subjects; every id must be in `gt`. */
export function oracleAccuracy(gt: ReadonlyMap<string, GroundTruthRow>, ids: readonly string[]): number {
  return ids.filter((id) => (gt.get(id)!.pAdGivenAb > 0.5 ? 'AD' : 'NC') === gt.get(id)!.y).length / ids.length
}

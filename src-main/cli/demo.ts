/** `demo --out DIR --subjects N --seed S`: writes the synthetic ADNI-style cohort (DEMO_COHORT.md). */
import { parseArgs } from 'node:util'
import { generateDemoCohort } from '../demo/cohort'
import { intOption, numberOption, progressPrinter, requireOption } from './study-args'

export const summary = 'Write the synthetic ADNI-style demo cohort (ADNI layout, collection CSV, ground truth)'

export const usage = 'usage: demo --out DIR [--subjects N (120)] [--seed S (1)] [--missing-pet F (0)] [--missing-smri F (0)]'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      subjects: { type: 'string' },
      seed: { type: 'string' },
      'missing-pet': { type: 'string' },
      'missing-smri': { type: 'string' }
    }
  })
  const out = requireOption('demo', 'out', values.out)
  const progress = progressPrinter()
  const r = await generateDemoCohort(
    out,
    {
      subjects: intOption('demo', 'subjects', values.subjects, 120),
      seed: intOption('demo', 'seed', values.seed, 1),
      missingPet: numberOption('demo', 'missing-pet', values['missing-pet'], 0),
      missingSmri: numberOption('demo', 'missing-smri', values['missing-smri'], 0)
    },
    { onProgress: (f, m) => progress.update(f, m) }
  )
  progress.done()
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`
  process.stdout.write(
    `wrote ${r.subjects.length} subjects to ${r.adniDir} in ${r.seconds.toFixed(1)} s\n` +
      `collection CSV: ${r.collectionCsv}\nground truth:   ${r.groundTruth}\n` +
      `oracle accuracy on this sample: sMRI ${pct(r.oracleAccuracy.smri)}, PET ${pct(r.oracleAccuracy.pet)}, both ${pct(r.oracleAccuracy.both)}\n`
  )
  return 0
}

/**
 * Child process for the concurrency test: sets `count` labels on a study through the path it is
 * given (maybe a second spelling of it) and prints the seq of each acknowledged write.
 */
import { setLabel } from '../../../src-main/study/study'

const [dir, subjectsText, countText, tag] = process.argv.slice(2)
const subjects = Number(subjectsText)
async function main(): Promise<void> {
  for (let k = 0; k < Number(countText); k++) {
    const r = await setLabel(dir!, `S${(k + Number(tag)) % subjects}`, k % 2 ? 'AD' : 'NC', `writer-${tag}`)
    process.stdout.write(`${r.seq}\n`)
  }
}
main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
})

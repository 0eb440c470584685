/**
 * Child process for the kill -9 test: sets labels in a loop on a study and prints the seq of
 * each acknowledged write. Subject k % n gets class (k % 2 ? 'AD' : 'NC') at step k (1-based).
 */
import { setLabel } from '../../../src-main/study/study'

const [dir, nText] = process.argv.slice(2)
const n = Number(nText)
async function main(): Promise<void> {
  for (let k = 1; ; k++) {
    const id = `S${k % n}`
    const r = await setLabel(dir!, id, k % 2 ? 'AD' : 'NC')
    process.stdout.write(`${r.seq}\n`)
  }
}
void main()

/**
 * The list of recently opened studies, kept in `<userData>/recent-studies.json` as
 * `{"version": 1, "studies": [{path, name, openedAt}]}`, newest first, at most
 * {@link maxRecentStudies} entries, one entry per study folder.
 *
 * The studies part of the app calls {@link recordRecentStudy} whenever a study is opened or
 * created; the Start view reads the list through the `studies.recent` request.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { RecentStudy } from '../domain/app-records'
import { writeFileAtomic } from '../files/atomic'
import { describeReadError } from '../files/read-error'

export const maxRecentStudies = 20
export const recentStudiesFileName = 'recent-studies.json'

const RecentStudiesFile = z.object({ version: z.literal(1), studies: z.array(RecentStudy) })

export function recentStudiesFile(userDataDir: string): string {
  return join(userDataDir, recentStudiesFileName)
}

/** Newest first; [] when the file does not exist yet. Throws naming the file when it is damaged. */
export async function readRecentStudies(userDataDir: string): Promise<RecentStudy[]> {
  const file = recentStudiesFile(userDataDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new Error(`could not read the recent studies list ${file}: ${(err as Error).message}`, { cause: err })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new Error(`the recent studies list ${file} is ${describeReadError(err)}; delete it to start a new list`, { cause: err })
  }
  const parsed = RecentStudiesFile.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)'
    throw new Error(`the recent studies list ${file} is malformed at ${where}: ${issue?.message ?? 'unknown problem'}; delete it to start a new list`)
  }
  return parsed.data.studies
}

/** Puts a study at the top of the list (replacing an older entry for the same folder). */
export async function recordRecentStudy(userDataDir: string, study: { path: string; name: string }, openedAt: Date = new Date()): Promise<RecentStudy[]> {
  const path = resolve(study.path)
  let previous: RecentStudy[]
  try {
    previous = await readRecentStudies(userDataDir)
  } catch {
    // A damaged list is replaced rather than blocking the opening of a study.
    previous = []
  }
  const studies = [{ path, name: study.name, openedAt: openedAt.toISOString() }, ...previous.filter((s) => s.path !== path)].slice(0, maxRecentStudies)
  await mkdir(userDataDir, { recursive: true })
  await writeFileAtomic(recentStudiesFile(userDataDir), JSON.stringify({ version: 1, studies }, null, 2) + '\n')
  return studies
}

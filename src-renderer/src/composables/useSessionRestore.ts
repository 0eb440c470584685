/**
 * Survives a page reload (or a crash of the window): reopens the study that was open and returns
 * to the view the researcher was on. Labels and runs are on disk already; this restores the
 * place. The view is kept per tab (sessionStorage); the study across launches (the study store).
 */
import { onMounted, watch } from 'vue'
import { useNavigationStore, viewIds, type ViewId, type ViewParams } from '../stores/navigation'
import { useStudyStore } from '../stores/study'

export const VIEW_KEY = 'tcgm-lab.view'

export function useSessionRestore(): void {
  const nav = useNavigationStore()
  const study = useStudyStore()

  onMounted(async () => {
    const saved = readPlace()
    const reopened = await study.restore()
    if (reopened && saved && saved.view !== 'start' && nav.current === 'start') nav.open(saved.view, saved.params)
    if (!reopened) await openDemoOnFirstLaunch()
    watch(
      () => [nav.current, nav.params] as const,
      ([view, params]) => writePlace(view, params)
    )
  })
}

/** `npm start` launches with --demo: a researcher's first launch lands in the built-in demo
 *  study (created with progress shown) instead of an empty window. Later launches reopen the
 *  last study, or show Start when the researcher closed it. */
async function openDemoOnFirstLaunch(): Promise<void> {
  const nav = useNavigationStore()
  const study = useStudyStore()
  if (!study.appInfo) await study.loadAppInfo()
  if (!study.appInfo?.startWithDemo || study.isOpen) return
  await study.loadRecent()
  if (study.recent.length > 0) return
  if (await study.createDemo()) nav.open('subjects')
}

function readPlace(): { view: ViewId; params: ViewParams } | null {
  try {
    const raw = sessionStorage.getItem(VIEW_KEY)
    if (!raw) return null
    const parsed = JSON.parse(raw) as { view?: unknown; params?: unknown }
    if (typeof parsed.view !== 'string' || !(viewIds as readonly string[]).includes(parsed.view)) return null
    const params = parsed.params && typeof parsed.params === 'object' ? (parsed.params as ViewParams) : {}
    return { view: parsed.view as ViewId, params }
  } catch {
    return null
  }
}

function writePlace(view: ViewId, params: ViewParams): void {
  try {
    sessionStorage.setItem(VIEW_KEY, JSON.stringify({ view, params }))
  } catch {
    // Storage unavailable: a reload lands on Start with the study reopened.
  }
}

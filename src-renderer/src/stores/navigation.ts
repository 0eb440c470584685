/**
 * Which view the window shows, with its parameters: `open('viewer', { subjectId: '002_S_0295' })`.
 * Views are looked up in the registry (views/index.ts); this store only holds the state and a
 * short history for Back. Menu commands from the application menu land here too, so the view
 * that handles one can watch `menuCommand`.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { PayloadOf } from '@contract/contract'

/** Every view of the app, in navigation order. */
export const viewIds = ['start', 'subjects', 'label', 'train', 'results', 'viewer'] as const
export type ViewId = (typeof viewIds)[number]

/** Simple values only, so a view's state could be written to a URL or storage. */
export type ViewParams = Readonly<Record<string, string | number | boolean | undefined>>

export type MenuCommand = PayloadOf<'menu.command'>['command']

interface Place {
  readonly view: ViewId
  readonly params: ViewParams
}

const maxHistory = 50

export const useNavigationStore = defineStore('navigation', () => {
  const current = ref<ViewId>('start')
  const params = shallowRef<ViewParams>({})
  const history = ref<Place[]>([])
  /** The last application-menu command, with a counter so repeating one still triggers watchers. */
  const menuCommand = shallowRef<{ command: MenuCommand; seq: number } | null>(null)
  let seq = 0

  const canGoBack = computed(() => history.value.length > 0)

  function open(view: ViewId, viewParams: ViewParams = {}): void {
    if (!viewIds.includes(view)) throw new Error(`open: unknown view '${String(view)}' (known: ${viewIds.join(', ')})`)
    if (view === current.value && sameParams(viewParams, params.value)) return
    history.value = [...history.value, { view: current.value, params: params.value }].slice(-maxHistory)
    current.value = view
    params.value = { ...viewParams }
  }

  function back(): void {
    const previous = history.value[history.value.length - 1]
    if (!previous) return
    history.value = history.value.slice(0, -1)
    current.value = previous.view
    params.value = previous.params
  }

  /**
   * Called by the shell for each `menu.command` event. Shows the view where the command is
   * carried out (New/Open study and About: Start; Export: Results); a view that wants to react
   * further (focus a field, open a dialog) watches `menuCommand`.
   */
  function receiveMenuCommand(command: MenuCommand): void {
    menuCommand.value = { command, seq: ++seq }
    open(command === 'export' ? 'results' : 'start')
  }

  return { current, params, history, canGoBack, menuCommand, open, back, receiveMenuCommand }
})

function sameParams(a: ViewParams, b: ViewParams): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

/** `dialog.pick` in the desktop app: the operating system's open dialog. */
import type { BrowserWindow, Dialog, OpenDialogOptions } from 'electron'
import type { z } from 'zod'
import type { Requests } from '../api/contract'

export type PickArgs = z.output<Requests['dialog.pick']['args']>

/** Dialog options for a pick request; extensions like 'nii.gz' or '.tsv' become one filter. */
export function openDialogOptions(args: PickArgs): OpenDialogOptions {
  const properties: OpenDialogOptions['properties'] =
    args.mode === 'openFile' ? ['openFile'] : args.mode === 'saveFolder' ? ['openDirectory', 'createDirectory', 'promptToCreate'] : ['openDirectory']
  const options: OpenDialogOptions = { properties }
  if (args.title) options.title = args.title
  if (args.mode === 'openFile' && args.extensions && args.extensions.length > 0) {
    // Filters match the last dot only, so '.nii.gz' is offered as 'gz' (plus 'nii.gz' for Linux).
    const exts = [
      ...new Set(
        args.extensions.flatMap((e) => {
          const x = e.replace(/^\./, '')
          const last = x.split('.').pop()!
          return x === last ? [x] : [x, last]
        })
      )
    ]
    options.filters = [
      { name: args.extensions.join(', '), extensions: exts },
      { name: 'All files', extensions: ['*'] }
    ]
  }
  return options
}

export async function pickWithDialog(dialog: Pick<Dialog, 'showOpenDialog'>, window: BrowserWindow | null, args: PickArgs): Promise<string | null> {
  const options = openDialogOptions(args)
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
  return result.canceled ? null : (result.filePaths[0] ?? null)
}

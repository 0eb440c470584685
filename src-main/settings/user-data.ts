/**
 * Where the app keeps its own state when Electron is not there to say (browser mode, CLI): the
 * same folder Electron's `app.getPath('userData')` uses for this product name, so the desktop
 * app and browser mode share recent studies and settings.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function defaultUserDataDir(productName: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = homedir()
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), productName)
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', productName)
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), productName)
}

/**
 * Keeps every window on the app's own page: navigation elsewhere and window.open are denied.
 * An https link the user clicked may open in the system browser after they confirm; nothing
 * else leaves the app.
 */
import type { WebContents } from 'electron'

/**
 * A predicate for "this URL is the app's page": the bundled index.html (file://, any query or
 * hash) or, in development, the dev server's origin.
 */
export function appUrlMatcher(indexHtmlFileUrl: string, devServerUrl?: string): (url: string) => boolean {
  const index = new URL(indexHtmlFileUrl)
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : null
  return (url: string) => {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      return false
    }
    if (u.protocol === 'file:') return index.protocol === 'file:' && u.pathname === index.pathname
    return devOrigin !== null && u.origin === devOrigin
  }
}

export interface NavigationGuardOptions {
  readonly isAppUrl: (url: string) => boolean
  /** Asks the user whether to open an external https link; resolves true to open it. */
  readonly confirmExternal: (url: string) => Promise<boolean>
  readonly openExternal: (url: string) => Promise<void>
}

type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>

function offerExternal(url: string, options: NavigationGuardOptions): void {
  let protocol: string
  try {
    protocol = new URL(url).protocol
  } catch {
    return
  }
  if (protocol !== 'https:') return
  void options
    .confirmExternal(url)
    .then((yes) => (yes ? options.openExternal(url) : undefined))
    .catch(() => undefined)
}

export function guardNavigation(contents: GuardedContents, options: NavigationGuardOptions): void {
  const deny = (event: { preventDefault(): void }, url: string): void => {
    if (options.isAppUrl(url)) return
    event.preventDefault()
    offerExternal(url, options)
  }
  contents.on('will-navigate', deny)
  contents.on('will-redirect', deny)
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    offerExternal(url, options)
    return { action: 'deny' }
  })
}

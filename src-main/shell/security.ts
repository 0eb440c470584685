/** Session-wide protections: the CSP as a response header, and no permission is ever granted
 *  (camera, microphone, notifications, geolocation, ...: the app needs none). */
import type { Session } from 'electron'
import { cspHeader } from '../api/csp'

type SecuredSession = Pick<Session, 'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>

export function secureSession(session: SecuredSession): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [cspHeader],
        'X-Content-Type-Options': ['nosniff']
      }
    })
  })
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

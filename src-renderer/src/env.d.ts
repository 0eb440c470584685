/// <reference types="vite/client" />
import type { ApiClient } from '@contract/contract'

declare global {
  interface Window {
    /** Set by the Electron preload (src-main/preload.ts); absent in browser mode. */
    api?: ApiClient
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

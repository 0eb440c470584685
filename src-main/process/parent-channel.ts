/**
 * The worker side of a WorkerChannel (process/fork.ts): how a worker entry talks to the process
 * that started it, whether that was child_process.fork (CLI, browser mode, tests: process.send)
 * or Electron's utilityProcess (the desktop app: process.parentPort). Both carry structured
 * clones, so typed arrays pass as they are.
 */

export interface ParentChannel {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
}

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

/** @throws when this process was not started as a worker (no IPC to a parent). */
export function connectToParent(proc: NodeJS.Process = process): ParentChannel {
  const port = (proc as NodeJS.Process & { parentPort?: ParentPort }).parentPort
  if (port) {
    return {
      send: (m) => port.postMessage(m),
      onMessage: (l) => port.on('message', (e) => l(e.data))
    }
  }
  if (typeof proc.send === 'function') {
    const send = proc.send.bind(proc)
    // A parent that died (kill -9, a crash) breaks the pipe under a message already on its way:
    // the callback receives that EPIPE instead of an uncaught 'error' with a stack trace. There
    // is no one left to tell; 'disconnect' follows and the worker ends.
    const ignoreLostParent = (): void => undefined
    return {
      send: (m) => {
        if (proc.connected) send(m as never, undefined, undefined, ignoreLostParent)
      },
      onMessage: (l) => proc.on('message', l)
    }
  }
  throw new Error('connectToParent: this process has no parent channel; start it through startWorker() (process/fork.ts)')
}

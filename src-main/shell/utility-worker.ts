/**
 * The WorkerFactory of the desktop app: worker entries run in Electron utility processes (a
 * Node process Electron manages; a crash never takes the window). Messages are structured
 * clones, so typed arrays travel without JSON. The worker side talks through
 * process/parent-channel.ts, which works under both this and child_process.fork.
 */
import { basename } from 'node:path'
import type { UtilityProcess } from 'electron'
import type { WorkerFactory } from '../process/fork'

type Fork = (modulePath: string, args: string[], options: { env: NodeJS.ProcessEnv; stdio: 'inherit'; serviceName: string }) => UtilityProcess

export function utilityWorkerFactory(fork: Fork): WorkerFactory {
  return (entryFile, env) => {
    const child = fork(entryFile, [], { env: { ...process.env, ...env }, stdio: 'inherit', serviceName: `TCGM Lab ${basename(entryFile, '.js')}` })
    let exited = false
    child.on('exit', () => {
      exited = true
    })
    return {
      send: (m) => {
        if (!exited) child.postMessage(m)
      },
      onMessage: (l) => child.on('message', l),
      // utilityProcess reports only the exit code; a kill shows as a non-zero code.
      onExit: (l) => child.on('exit', (code) => l(code, null)),
      kill: () => {
        if (!exited) child.kill()
      },
      get pid() {
        return child.pid
      }
    }
  }
}

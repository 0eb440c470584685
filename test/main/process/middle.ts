/** Middle process for the lost-parent test: forks the chatty worker with its stderr in a file,
 *  prints the worker's pid, then waits to be killed. */
import { fork } from 'node:child_process'
import { openSync } from 'node:fs'
import { resolve } from 'node:path'

const err = openSync(process.argv[2]!, 'w')
const child = fork(resolve(__dirname, 'chatty-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', err, 'ipc'] })
child.on('message', () => undefined)
child.once('message', () => process.stdout.write(`${child.pid}\n`))

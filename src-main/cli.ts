/**
 * The command line: the same jobs as the app, headless. `npm run cli -- <command> [options]`.
 * Each command lives in cli/<command>.ts and exports `run(argv: string[]): Promise<number>`
 * (the exit code). Commands are loaded lazily so `info` does not pay for TensorFlow.js.
 */
/** `usage`, when a command exports it, answers `<command> --help` (commands without it handle --help themselves). */
type CommandModule = { run(argv: string[]): Promise<number>; summary: string; usage?: string }

const commands: Record<string, () => Promise<CommandModule>> = {
  info: () => import('./cli/info'),
  crop: () => import('./cli/crop'),
  simulate: () => import('./cli/simulate'),
  'fit-tables': () => import('./cli/fit-tables'),
  demo: () => import('./cli/demo'),
  import: () => import('./cli/import'),
  label: () => import('./cli/label'),
  qc: () => import('./cli/qc'),
  train: () => import('./cli/train'),
  export: () => import('./cli/export'),
  sweep: () => import('./cli/sweep')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write('usage: npm run cli -- <command> [options]\n\ncommands:\n')
    for (const [cmd, load] of Object.entries(commands)) {
      const mod = await load()
      process.stdout.write(`  ${cmd.padEnd(12)} ${mod.summary}\n`)
    }
    return name ? 0 : 1
  }
  const load = commands[name]
  if (!load) {
    process.stderr.write(`unknown command '${name}'. Run 'npm run cli -- --help' for the list.\n`)
    return 2
  }
  const mod = await load()
  if (mod.usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${mod.usage}\n`)
    return 0
  }
  return mod.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  }
)

/** A levelled logger: one place decides what is printed (LOG_LEVEL=debug|info|warn|error|silent). */
const levels = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof levels)[number]

function currentLevel(): number {
  const env = (process.env.LOG_LEVEL ?? 'info') as LogLevel
  const i = levels.indexOf(env)
  return i < 0 ? 1 : i
}

export interface Logger {
  debug(msg: string, ...rest: unknown[]): void
  info(msg: string, ...rest: unknown[]): void
  warn(msg: string, ...rest: unknown[]): void
  error(msg: string, ...rest: unknown[]): void
}

export function createLogger(scope: string): Logger {
  const at =
    (level: number, fn: (...a: unknown[]) => void) =>
    (msg: string, ...rest: unknown[]) => {
      if (level >= currentLevel()) fn(`[${scope}] ${msg}`, ...rest)
    }
  return {
    debug: at(0, console.debug),
    info: at(1, console.error),
    warn: at(2, console.warn),
    error: at(3, console.error)
  }
}

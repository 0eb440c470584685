/**
 * Small helpers shared by the study commands (demo, import, label, train, export): parsing
 * numbers with messages that name the option, and printing import problems.
 */
import type { PlanProblem } from '../study/import/plan'

export function intOption(command: string, name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`${command}: --${name} is required`)
    return fallback
  }
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`${command}: --${name} must be a whole number, got '${v}'`)
  return n
}

export function numberOption(command: string, name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`${command}: --${name} is required`)
    return fallback
  }
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`${command}: --${name} must be a number, got '${v}'`)
  return n
}

export function requireOption(command: string, name: string, v: string | undefined): string {
  if (!v) throw new Error(`${command}: --${name} is required`)
  return v
}

export function printProblems(problems: readonly PlanProblem[], limit = 20): void {
  for (const p of problems.slice(0, limit)) process.stderr.write(`${p.severity}: ${p.file}: ${p.message}\n`)
  if (problems.length > limit) process.stderr.write(`... and ${problems.length - limit} more problem(s)\n`)
}

/** A one-line progress display: a bar on a TTY, plain lines (at most every 5 s) otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { update(fraction: number | null, message: string): void; done(): void } {
  const tty = Boolean(stream.isTTY)
  let last = 0
  let lastMessage = ''
  return {
    update(fraction, message) {
      const now = Date.now()
      if (tty) {
        const width = 30
        const f = fraction ?? 0
        const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '.')
        const line = `[${bar}] ${fraction === null ? '  ?' : `${Math.round(100 * f)}`.padStart(3)}% ${message}`
        stream.write(`\r${line.slice(0, (stream.columns || 100) - 1).padEnd((stream.columns || 100) - 1)}`)
      } else if (now - last > 5000 && message !== lastMessage) {
        stream.write(`${fraction === null ? '' : `${Math.round(100 * fraction)}% `}${message}\n`)
        last = now
        lastMessage = message
      }
    },
    done() {
      if (tty) stream.write('\n')
    }
  }
}

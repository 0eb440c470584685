/**
 * Errors that cross the API boundary. Both adapters carry an {@link ApiErrorShape}; the renderer
 * client turns it back into an {@link ApiError} so UI code can branch on `code` whichever
 * transport it runs over. Pure module (no Node, no DOM).
 */
import type { ApiErrorShape } from '../contract'

export type ApiErrorCode = 'invalid-args' | 'unknown-request' | 'unauthorized' | 'forbidden' | 'bad-request' | 'failed'

const codes: readonly ApiErrorCode[] = ['invalid-args', 'unknown-request', 'unauthorized', 'forbidden', 'bad-request', 'failed']

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }

  toShape(): ApiErrorShape {
    return { code: this.code, message: this.message }
  }

  static fromShape(shape: ApiErrorShape): ApiError {
    const code = (codes as readonly string[]).includes(shape.code) ? (shape.code as ApiErrorCode) : 'failed'
    return new ApiError(code, shape.message)
  }
}

/** One line for an Error that has to travel as text only (contextBridge keeps just the message). */
export function errorToText(shape: ApiErrorShape): string {
  return `[${shape.code}] ${shape.message}`
}

/** Inverse of {@link errorToText}; text without the prefix becomes a 'failed' error. */
export function errorFromText(text: string): ApiError {
  // Electron prefixes rejected invokes with "Error invoking remote method '...': Error: ".
  const m = /\[([a-z-]+)\] ([\s\S]*)$/.exec(text)
  if (m && (codes as readonly string[]).includes(m[1]!)) return new ApiError(m[1] as ApiErrorCode, m[2]!)
  return new ApiError('failed', text)
}

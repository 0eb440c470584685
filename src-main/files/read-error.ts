/** Messages about files that could not be read, without what the files hold. */
/**
 * What went wrong reading a file, for a message: the error's own text, except that JSON.parse's
 * messages quote the text they stopped at (`"root:x:0:0..." is not valid JSON`), which could
 * carry a file's contents to the window: those keep only the position.
 */
export function describeReadError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (!(err instanceof SyntaxError)) return message
  const at = /position (\d+)/.exec(message)
  return at ? `not valid JSON at character ${at[1]}` : 'not valid JSON'
}

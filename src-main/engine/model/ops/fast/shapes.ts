/** Shape checks at the boundaries of the fast ops (the kernels inside assume them). */

/** An expected shape: a number must match, null matches any size. */
export type ShapePattern = readonly (number | null)[]

const show = (shape: readonly (number | null)[]) => `[${shape.map((v) => (v === null ? '*' : v)).join(',')}]`

/** @throws `${op}: ${name} must have shape [..], got [..]` when `got` does not match `expected`. */
export function checkShape(op: string, name: string, got: readonly number[], expected: ShapePattern): void {
  if (got.length === expected.length && expected.every((v, i) => v === null || v === got[i])) return
  throw new Error(`${op}: ${name} must have shape ${show(expected)}, got ${show(got)}`)
}

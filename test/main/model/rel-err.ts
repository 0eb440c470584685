/** Largest |a - b| relative to the largest |b|: one scale per tensor, since the gradients of
 *  different layers differ in scale. Shared by the fast-ops equivalence tests. */
import { expect } from 'vitest'

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let diff = 0
  let scale = 1e-12
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return diff / scale
}

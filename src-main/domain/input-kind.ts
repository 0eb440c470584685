/**
 * What a scan file is, as opposed to which network it feeds (the modality): a grey-matter
 * probability map in MNI space (SPM/CAT/Clinica DARTEL output), a T1-weighted image (scanner
 * intensities, native or MNI space) or a PET image (native or MNI space). The preprocessing
 * pipeline chooses its steps from it; the study, the cache and the runs record it.
 */
import { z } from 'zod'
import type { Modality } from './modality'

export const InputKind = z.enum(['grey-matter-map', 't1-weighted', 'pet'])
export type InputKind = z.infer<typeof InputKind>

/** 'mni': already spatially normalised (resampled to the app's grid as it is); 'native':
 *  scanner space, registered to the bundled MNI template in the app. */
export const InputSpace = z.enum(['mni', 'native'])
export type InputSpace = z.infer<typeof InputSpace>

export const ScanInput = z.object({ kind: InputKind, space: InputSpace })
export type ScanInput = z.infer<typeof ScanInput>

/** The kinds a modality's network can be fed. */
export function kindsFor(modality: Modality): readonly InputKind[] {
  return modality === 'smri' ? ['grey-matter-map', 't1-weighted'] : ['pet']
}

/** What the import preview shows, e.g. "T1-weighted, native space (registered to MNI here)". */
export function describeInput(input: ScanInput): string {
  const kind = input.kind === 'grey-matter-map' ? 'grey-matter map' : input.kind === 't1-weighted' ? 'T1-weighted' : 'PET'
  return `${kind}, ${input.space === 'mni' ? 'MNI space' : 'native space (registered to MNI here)'}`
}

/** Today's inputs, for scans recorded before kinds were: a grey-matter map or a PET image in MNI space. */
export function legacyInput(modality: Modality): ScanInput {
  return { kind: modality === 'smri' ? 'grey-matter-map' : 'pet', space: 'mni' }
}

/** The scan a native PET is registered to: its subject's structural scan when that is a native T1. */
export function registrationT1For(smri: { path: string; input?: ScanInput | null } | null | undefined): string | null {
  return smri?.input?.kind === 't1-weighted' && smri.input.space === 'native' ? smri.path : null
}

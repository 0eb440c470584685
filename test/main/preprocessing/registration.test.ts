/**
 * Spatial normalisation against known transforms: native-space subjects made from the bundled
 * template with a known pose (demo/native-pose.ts) are registered back, and the recovered
 * transform is compared with the truth at every brain voxel of the MNI grid.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MNI_2MM } from '../../../src-main/volume/grid'
import type { Affine, Volume } from '../../../src-main/volume/types'
import { loadMniTemplates, type MniTemplates } from '../../../src-main/preprocessing/templates'
import {
  type Registration,
  composeRegistrations,
  elastixTransformText,
  registerRigid,
  registerT1ToTemplate,
  registrationQc,
  resampleOntoMni
} from '../../../src-main/preprocessing/registration'
import { type PoseSpec, makePose, poseErrorMm, toNative } from '../../../src-main/demo/native-pose'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'

let tpl: MniTemplates
beforeAll(async () => {
  tpl = await loadMniTemplates()
})

const T1_POSE: PoseSpec = {
  rotationDeg: [12, -8, 15],
  scale: [1.08, 0.95, 1.03],
  shiftMm: [6, -20, 35],
  voxelMm: [1.2, 1, 1],
  gridRotationDeg: [5, 0, -10],
  fovMm: [200, 250, 230]
}
/** The PET of the same head: another position in another scanner (rigid), coarser grid. */
const PET_IN_T1: PoseSpec = {
  rotationDeg: [-6, 9, 4],
  scale: [1, 1, 1],
  shiftMm: [-5, 7, 3],
  voxelMm: [2, 2, 2.4],
  gridRotationDeg: [0, 0, 0],
  fovMm: [256, 256, 220]
}

/** Mean and max distance (mm) between the recovered and the true MNI -> scanner mapping over the brain. */
const errorOverBrain = (recovered: Affine, truth: Affine) => poseErrorMm(recovered, truth, tpl.brainMask)

function nativeT1(seed: number): { vol: Volume; truth: Affine } {
  const pose = makePose(T1_POSE)
  const rng = new SeededRandom(seed)
  return { vol: toNative(tpl.t1, pose, { bias: 0.2, noise: 0.03, random: () => rng.next() }), truth: pose.worldFromMni }
}

describe('registration to the MNI template (elastix, itk-wasm)', () => {
  let t1: { vol: Volume; truth: Affine }
  let t1Reg: Registration

  beforeAll(async () => {
    t1 = nativeT1(1)
    t1Reg = await registerT1ToTemplate(t1.vol, tpl.t1, { model: 'affine' })
  }, 120_000)

  it('recovers a known T1 pose (rotated 15 degrees, scaled, oblique 1.2 mm grid, bias, noise) to under 1 mm mean, 2 mm max', async () => {
    expect(t1.vol.dims).toEqual([167, 250, 230])
    const err = errorOverBrain(t1Reg.worldFromMni!, t1.truth)
    expect(err.mean).toBeLessThan(1)
    expect(err.max).toBeLessThan(2)
    const onMni = await resampleOntoMni(t1.vol, t1Reg)
    expect(onMni.volume.dims).toEqual(MNI_2MM.dims)
    const qc = registrationQc(onMni.volume, tpl.t1, tpl.brainMask, 'MNI T1 template')
    expect(qc.flagged).toBe(false)
    expect(qc.ncc).toBeGreaterThan(0.8)
  })

  it('registers a PET to its T1 (rigid) and composes both into one transform from MNI, under 1 mm mean, 2 mm max', async () => {
    const petPose = makePose(PET_IN_T1, t1.truth)
    const rng = new SeededRandom(7)
    const pet = toNative(tpl.petLike, petPose, { bias: 0.1, noise: 0.05, random: () => rng.next() })
    const rigid = await registerRigid(t1.vol, pet, 'PET registered to its T1')
    const composed = composeRegistrations(t1Reg, rigid)
    const err = errorOverBrain(composed.worldFromMni!, petPose.worldFromMni)
    expect(err.mean).toBeLessThan(1)
    expect(err.max).toBeLessThan(2)
    const onMni = await resampleOntoMni(pet, composed)
    const qc = registrationQc(onMni.volume, tpl.petLike, tpl.brainMask, 'PET-like template')
    expect(qc.flagged).toBe(false)
    // The maps chain as elastix files: the PET's rigid map last, with the MNI grid.
    expect(composed.maps.map((m) => m.Transform![0])).toEqual(['AffineTransform', 'EulerTransform'])
    expect(composed.maps[1]!.Size).toEqual(t1Reg.maps[0]!.Size)
    const text = elastixTransformText(composed.maps[1]!, 'TransformParameters.0.txt')
    expect(text).toContain('(Transform "EulerTransform")')
    expect(text).toContain('(InitialTransformParametersFileName "TransformParameters.0.txt")')
  })

  it('flags a failed registration by QC: half of the scan missing, and a PET given as the T1', async () => {
    const cut = nativeT1(2)
    const [nx, ny] = cut.vol.dims
    cut.vol.data.fill(0, nx * ny * Math.floor(cut.vol.dims[2] / 2))
    const rng = new SeededRandom(3)
    const pet = toNative(tpl.petLike, makePose(T1_POSE), { bias: 0.1, noise: 0.05, random: () => rng.next() })
    for (const moving of [cut.vol, pet]) {
      const reg = await registerT1ToTemplate(moving, tpl.t1, { model: 'affine' })
      const qc = registrationQc((await resampleOntoMni(moving, reg)).volume, tpl.t1, tpl.brainMask, 'MNI T1 template')
      expect(qc.flagged, qc.step).toBe(true)
    }
  }, 120_000)
})

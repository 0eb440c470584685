/**
 * Architecture of the 3D DenseNet-BC (Huang et al. 2017, as adapted by the TCGM paper for ADNI):
 * a stem of two 3x3x3 convolutions (no max-pool), dense blocks of BN-ReLU-Conv1^3(bottleneck*k)-
 * BN-ReLU-Conv3^3(k) layers, transitions BN-ReLU-Conv1^3(compression) + 2x2x2 average pooling,
 * then BN-ReLU, global average pooling and a dense layer to the class logits.
 */
import type { ModelPresetId } from '../../domain/training'

export interface DenseNetConfig {
  /** Image channels of the input crop (1 per modality image; 2 for e.g. left/right crops). */
  inChannels: number
  /** Output channels of both stem convolutions. */
  stemChannels: number
  /** Where a 2x2x2 average pool downsamples early (8x less work after it, see bench/):
   *  'none' (the paper), 'afterStem' (after both stem convolutions) or 'afterConv1' (between
   *  them, so the second stem convolution also runs at half resolution). */
  stemPool: StemPool
  /** Layers per dense block. */
  blocks: number[]
  /** Growth rate k: channels added by each dense layer. */
  growth: number
  /** Bottleneck width as a multiple of k (DenseNet-BC: 4). */
  bottleneck: number
  /** Channel fraction kept by a transition (DenseNet-BC: 0.5). */
  compression: number
  numClasses: number
}

export const STEM_POOLS = ['none', 'afterStem', 'afterConv1'] as const
export type StemPool = (typeof STEM_POOLS)[number]

type PresetShape = Omit<DenseNetConfig, 'inChannels' | 'numClasses'>

/**
 * - paper: blocks 6-12-24-16 as in the TCGM paper; growth 12 (the paper does not give it).
 * - small: blocks 2-2-2, growth 8, with the 2x2x2 pool after the stem: trains the demo on a laptop
 *   CPU (at the demo's 17x21x20 input, a training step of a batch of 16 took 0.34-0.42 s of one
 *   core on wasm, measured with bench/densenet-bench.ts).
 * - tiny: for tests and the UI's quick end-to-end run.
 */
export const PRESETS: Readonly<Record<ModelPresetId, PresetShape>> = {
  paper: { stemChannels: 24, stemPool: 'none', blocks: [6, 12, 24, 16], growth: 12, bottleneck: 4, compression: 0.5 },
  small: { stemChannels: 16, stemPool: 'afterStem', blocks: [2, 2, 2], growth: 8, bottleneck: 4, compression: 0.5 },
  tiny: { stemChannels: 4, stemPool: 'none', blocks: [1, 1], growth: 4, bottleneck: 2, compression: 0.5 }
}

/** A preset name or a full config, checked. @throws naming the field and the value. */
export function resolveConfig(preset: string | DenseNetConfig, inChannels: number, numClasses: number): DenseNetConfig {
  let cfg: DenseNetConfig
  if (typeof preset === 'string') {
    const p = (PRESETS as Readonly<Record<string, PresetShape | undefined>>)[preset]
    if (!p) throw new Error(`DenseNet preset '${preset}' is unknown; expected one of ${Object.keys(PRESETS).join(', ')}`)
    cfg = { ...p, blocks: [...p.blocks], inChannels, numClasses }
  } else {
    cfg = { ...preset, blocks: [...preset.blocks] }
    if (cfg.inChannels !== inChannels) throw new Error(`DenseNet config has inChannels ${cfg.inChannels} but the crops have ${inChannels} channels`)
    if (cfg.numClasses !== numClasses) throw new Error(`DenseNet config has numClasses ${cfg.numClasses} but the model has ${numClasses} classes`)
  }
  validateConfig(cfg)
  return cfg
}

export function validateConfig(cfg: DenseNetConfig): void {
  const posInt = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`DenseNet config: ${name} must be a positive integer, got ${String(v)}`)
  }
  posInt('inChannels', cfg.inChannels)
  posInt('stemChannels', cfg.stemChannels)
  posInt('growth', cfg.growth)
  posInt('bottleneck', cfg.bottleneck)
  if (cfg.numClasses === undefined || !Number.isInteger(cfg.numClasses) || cfg.numClasses < 2)
    throw new Error(`DenseNet config: numClasses must be an integer >= 2, got ${cfg.numClasses}`)
  if (!Array.isArray(cfg.blocks) || cfg.blocks.length === 0) throw new Error('DenseNet config: blocks must be a non-empty list of layer counts')
  cfg.blocks.forEach((b, i) => posInt(`blocks[${i}]`, b))
  if (!(cfg.compression > 0 && cfg.compression <= 1)) throw new Error(`DenseNet config: compression must be in (0, 1], got ${cfg.compression}`)
  if (!STEM_POOLS.includes(cfg.stemPool)) throw new Error(`DenseNet config: stemPool must be one of ${STEM_POOLS.join(', ')}, got ${String(cfg.stemPool)}`)
}

/** Number of 2x downsamplings between the input and the global pool. */
export function downsamplings(cfg: DenseNetConfig): number {
  return (cfg.stemPool === 'none' ? 0 : 1) + cfg.blocks.length - 1
}

/** Smallest input edge (voxels) the network accepts: every pooled axis must keep >= 1 voxel. */
export function minInputEdge(cfg: DenseNetConfig): number {
  return 2 ** downsamplings(cfg)
}

/**
 * A sweep (an experiment of many runs): its grid of methods x label rates x seeds (x presets x
 * learning rates), the cells it expands into, where each cell runs (here or as a task of a Slurm
 * job array), and the states a cell can be in. The sweep folder that holds it is described in
 * runs/sweeps/folder.ts.
 */
import { z } from 'zod'
import { Method } from './method'
import { MetricsRow } from './runs'
import { ModelPresetId } from './training'

const distinct = <T>(xs: readonly T[]) => new Set(xs).size === xs.length

/** A sweep's name is its folder name under the study's sweeps/. */
export const SweepName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a sweep name is 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit')

export const SweepGrid = z.object({
  methods: z.array(Method).min(1).refine(distinct, 'methods repeat'),
  /** Fractions of the study's known labels kept visible in a cell, each in (0, 1]. */
  labelRates: z.array(z.number().gt(0).max(1)).min(1).refine(distinct, 'label rates repeat'),
  seeds: z.array(z.number().int().min(0)).min(1).refine(distinct, 'seeds repeat'),
  presets: z.array(ModelPresetId).min(1).refine(distinct, 'presets repeat'),
  /** Learning rates of both step kinds; empty = the app's defaults. */
  learningRates: z.array(z.number().positive().max(1)).refine(distinct, 'learning rates repeat')
})
export type SweepGrid = z.infer<typeof SweepGrid>

/** One run of the grid. */
export interface SweepCell {
  /** Position in the grid; also the cell's Slurm array task id. */
  index: number
  /** Folder name of the cell's run, e.g. 'tcgm-tiny-r10-s0' or 'ce-tiny-r5-lr0.001-s2'. */
  id: string
  method: Method
  preset: ModelPresetId
  labelRate: number
  /** null = the app's default learning rates. */
  learningRate: number | null
  seed: number
}

/** Resources of one Slurm task, from a profile file (JSON of these keys) and/or options. */
export const SlurmResources = z
  .object({
    partition: z
      .string()
      .regex(/^[\w.,-]+$/, 'partition names are letters, digits, dots, dashes or commas')
      .optional(),
    /** sbatch --time: minutes, or [D-]HH:MM[:SS]. */
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, "time as minutes or [D-]HH:MM:SS, e.g. '02:00:00'")
      .optional(),
    /** sbatch --mem, e.g. '8G'. */
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/, "memory as a number with K, M, G or T, e.g. '16G'")
      .optional(),
    /** GPUs per task (sbatch --gres=gpu:N). */
    gpus: z.number().int().min(0).max(16).optional(),
    account: z
      .string()
      .regex(/^[\w.-]+$/, 'account names are letters, digits, dots or dashes')
      .optional(),
    qos: z
      .string()
      .regex(/^[\w.-]+$/, 'QOS names are letters, digits, dots or dashes')
      .optional(),
    /** CPUs per task: a run trains one process per modality, so 2 by default. */
    cpusPerTask: z.number().int().min(1).max(256).optional(),
    /** At most this many tasks of the array at once (sbatch --array=...%N). */
    maxRunning: z.number().int().min(1).optional(),
    /** Further sbatch options, given as they are, e.g. ['--constraint=a100']. */
    extraArgs: z.array(z.string().regex(/^--[a-z][\w-]*(=.*)?$/, "extra sbatch options look like '--name=value'")).optional()
  })
  .strict()
export type SlurmResources = z.infer<typeof SlurmResources>

/** sweep.json: what was asked. Cells are derived from the grid (runs/sweeps/grid.ts). */
export const SweepFile = z.object({
  version: z.literal(1),
  name: SweepName,
  createdAt: z.string(),
  grid: SweepGrid,
  epochs: z.number().int().min(1).max(10000),
  /** Class names of the study when the sweep was made (the cells' label indices). */
  classNames: z.array(z.string()).min(2)
})
export type SweepFile = z.infer<typeof SweepFile>

/**
 * Where a cell stands. 'waiting': never started; 'queued' / 'running': in Slurm's queue or
 * training here; 'done': its run finished (it never runs again); 'failed', 'cancelled',
 * 'interrupted' (its process stopped without saying why): a new `sweep run` resumes it from its
 * last checkpoint.
 */
export const CellState = z.enum(['waiting', 'queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'])
export type CellState = z.infer<typeof CellState>

/** One line of a sweep's table: a model (each modality, 'aggregator') of one group of cells
 *  that differ only by seed, on the test split, mean and std over the group's finished seeds. */
export const SweepTableRow = MetricsRow.extend({
  method: Method,
  preset: ModelPresetId,
  learningRate: z.number().nullable(),
  labelRate: z.number()
})
export type SweepTableRow = z.infer<typeof SweepTableRow>

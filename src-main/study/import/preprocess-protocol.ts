/**
 * Messages between a preprocess pool (preprocess-pool.ts, parent) and a preprocess worker
 * (preprocess-worker-entry.ts). The worker says 'ready' once, then answers each 'run' with
 * exactly one 'result' carrying the same id. Crops (Float32Array) travel as structured clones
 * (the advanced serialization of process/fork.ts, or utilityProcess).
 */
import type { ScanContext, ScanPreprocessor } from './run'
import type { StudyFile } from '../schema'
import type { ImportModality, PlannedScan } from './plan'

export const PREPROCESS_PROTOCOL_VERSION = 2

export type PreprocessOutput = Awaited<ReturnType<ScanPreprocessor['run']>>

export interface PreprocessRequest {
  v: number
  type: 'run'
  id: number
  file: string
  modality: ImportModality
  settings: StudyFile['settings']
  suv: PlannedScan['suv']
  /** The scan's input kind, the T1 of a native PET, the DICOM series, the study (transform cache). */
  scan: ScanContext
}

export type FromPreprocessWorker =
  | { v: number; type: 'ready'; pid: number }
  | { v: number; type: 'result'; id: number; ok: true; result: PreprocessOutput }
  | { v: number; type: 'result'; id: number; ok: false; error: string }

/**
 * What can be known about a scan before importing it, from its header alone (no voxel data
 * read): that it is a readable NIfTI with a supported datatype, 3-D or a stack of frames. A scan
 * outside MNI space is not a problem: it is registered to MNI in the app (the preview's inputs,
 * inputs.ts, say so). A DICOM series folder is checked by its reader when it is read. The preview says these problems next to the subject, so an import never drops a
 * scan that the preview showed as fine for a reason it could have known.
 */
import { readNiftiHeader } from '../../readers/nifti/read'
import { promises as fsp } from 'node:fs'

/** Why the import would skip the scan, and what to do about it; null when the header passes. */
export async function scanHeaderProblem(file: string, signal?: AbortSignal): Promise<string | null> {
  if (
    await fsp.stat(file).then(
      (s) => s.isDirectory(),
      () => false
    )
  )
    return null
  try {
    await readNiftiHeader(file, { signal })
  } catch (err) {
    signal?.throwIfAborted()
    return `${(err as Error).message}. What to do: export the scan again as NIfTI (.nii or .nii.gz), e.g. with dcm2niix, and preview again.`
  }
  return null
}

/** The header problems of many scans, a few at a time (headers are small; .gz needs a partial inflate). */
export async function scanHeaderProblems(files: readonly string[], signal?: AbortSignal, lanes = 8): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!
      const p = await scanHeaderProblem(f, signal)
      if (p) out.set(f, p)
    }
  }
  await Promise.all(Array.from({ length: Math.min(lanes, files.length) }, worker))
  return out
}

/**
 * The one error type of the NIfTI layer. Its message always starts with the file it is about,
 * then says what is wrong, so a researcher can act on it without a stack trace:
 * `"/data/sub-01_pet.nii.gz: data is 1200 bytes but dims 91x109x91 of int16 need 1805538"`.
 */
export class NiftiError extends Error {
  override readonly name = 'NiftiError'
  /** The file the problem is about (as given by the caller). */
  readonly file: string
  /** The problem alone, without the file prefix. */
  readonly problem: string

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options)
    this.file = file
    this.problem = problem
  }
}

/** True when `err` is a NiftiError (also across module copies, by name). */
export function isNiftiError(err: unknown): err is NiftiError {
  return err instanceof NiftiError || (err instanceof Error && err.name === 'NiftiError' && 'file' in err)
}

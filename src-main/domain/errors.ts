/**
 * A request the researcher can fix: the folder is not a study, the subject or class is not in it,
 * the study is not ready for the step asked. The API answers these as bad requests (HTTP 400 in
 * browser mode) with the message, and keeps "failed" (500) for faults of the app itself.
 */
export class InputError extends Error {
  override readonly name = 'InputError'
}

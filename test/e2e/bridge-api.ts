/** Calls a request of the running browser-mode bridge directly (setup and checks beside the UI). */
export async function callBridge<T>(bridge: { origin: string; token: string }, name: string, args: unknown): Promise<T> {
  const res = await fetch(`${bridge.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tcgm-token': bridge.token },
    body: JSON.stringify({ name, args })
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (!res.ok || body.error) throw new Error(`${name}: ${body.error?.message ?? res.status}`)
  return body.result as T
}

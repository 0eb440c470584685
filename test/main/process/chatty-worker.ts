/** Child for the lost-parent test: works in long synchronous steps and sends its parent a reply
 *  after each, as a modality worker answers its training worker; ends when the parent goes. */
import { connectToParent } from '../../../src-main/process/parent-channel'

const parent = connectToParent()
process.on('disconnect', () => setTimeout(() => process.exit(0), 50))
let n = 0
setInterval(() => {
  // A training step: the event loop is blocked, so a parent that dies meanwhile is noticed only
  // after the reply below has been sent into the broken pipe.
  const until = Date.now() + 150
  while (Date.now() < until);
  parent.send({ n: n++ })
}, 1)

/**
 * jsdom does no layout: every element measures 0 x 0, so a virtualised list would render no row.
 * `fakeScrollerSize` gives the table scrollers (class `vt-scroll`) a size for the test's duration.
 */
export function fakeScrollerSize(width: number, height: number): () => void {
  const proto = HTMLElement.prototype
  const saved = {
    w: Object.getOwnPropertyDescriptor(proto, 'offsetWidth'),
    h: Object.getOwnPropertyDescriptor(proto, 'offsetHeight')
  }
  Object.defineProperty(proto, 'offsetWidth', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('vt-scroll') ? width : 0
    }
  })
  Object.defineProperty(proto, 'offsetHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('vt-scroll') ? height : 0
    }
  })
  return () => {
    if (saved.w) Object.defineProperty(proto, 'offsetWidth', saved.w)
    if (saved.h) Object.defineProperty(proto, 'offsetHeight', saved.h)
  }
}

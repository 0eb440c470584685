/** The views' cornerstone tool group: pan and zoom, bound to the mouse as the pointer mode says. */
import { Enums as ToolEnums, PanTool, ToolGroupManager, ZoomTool } from '@cornerstonejs/tools'
import type { PointerMode } from '../display'
import type { ViewerEngine } from './engine'

let toolGroupCounter = 0

export class ViewerTools {
  private groupId: string | null = null

  /** A new tool group over the engine's current views, destroyed when they are detached. */
  setUp(engine: ViewerEngine, mode: PointerMode): void {
    const groupId = `tcgm-viewer-tools-${++toolGroupCounter}`
    this.groupId = groupId
    engine.onDetach(() => {
      ToolGroupManager.destroyToolGroup(groupId)
      this.groupId = null
    })
    const group = ToolGroupManager.createToolGroup(groupId)
    if (!group || !engine.live) return
    // Pan and zoom draw nothing of their own, but the tool group redraws all its views whenever
    // a binding changes (9 software-GL draws for a mouse-mode switch): skip that. Private to
    // cornerstone; if the method goes away, this only stops saving the draws.
    ;(group as unknown as { _renderViewports?: () => void })._renderViewports = () => undefined
    group.addTool(PanTool.toolName)
    group.addTool(ZoomTool.toolName)
    this.applyBindings(mode)
    for (const s of engine.slots) group.addViewport(s.id, engine.id)
  }

  /** Middle button pans and right button zooms always; the left one too in their mode. */
  applyBindings(mode: PointerMode): void {
    const group = this.groupId ? ToolGroupManager.getToolGroup(this.groupId) : undefined
    if (!group) return
    const { Primary, Auxiliary, Secondary } = ToolEnums.MouseBindings
    const bind = (tool: string, always: number, primaryMode: PointerMode) => {
      group.setToolPassive(tool, { removeAllBindings: true })
      const bindings = [{ mouseButton: always }]
      if (mode === primaryMode) bindings.push({ mouseButton: Primary })
      group.setToolActive(tool, { bindings })
    }
    bind(PanTool.toolName, Auxiliary, 'pan')
    bind(ZoomTool.toolName, Secondary, 'zoom')
  }
}

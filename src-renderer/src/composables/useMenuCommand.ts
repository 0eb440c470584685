/**
 * Application-menu commands (File > New study, Open study, Export) for the component that
 * carries them out: calls `run` for each new command of the given kinds, including one that
 * arrived just before the component was mounted (the shell first switches to its view).
 */
import { watch } from 'vue'
import { useNavigationStore, type MenuCommand } from '../stores/navigation'

// Sequence numbers already carried out, so a view mounted again does not repeat a command.
let lastHandled = 0

export function useMenuCommand(kinds: readonly MenuCommand[], run: (command: MenuCommand) => void): void {
  const nav = useNavigationStore()
  watch(
    () => nav.menuCommand,
    (cmd) => {
      if (!cmd || cmd.seq <= lastHandled || !kinds.includes(cmd.command)) return
      lastHandled = cmd.seq
      run(cmd.command)
    },
    { immediate: true }
  )
}

/** The view that carries out each menu command (the shell opens it first). */
export const menuCommandView: Record<MenuCommand, 'start' | 'results'> = {
  newStudy: 'start',
  openStudy: 'start',
  export: 'results',
  about: 'start'
}

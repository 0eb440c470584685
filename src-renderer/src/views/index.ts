/**
 * The registry of views: the shell shows, in `viewIds` order, a navigation entry for each view
 * registered here. Add one line per view; heavy views (the viewer with cornerstone3D) are
 * loaded lazily so the first screen appears fast.
 */
import { defineAsyncComponent, type Component } from 'vue'
import type { ViewId } from '../stores/navigation'

export interface ViewEntry {
  /** Label of the navigation entry. */
  readonly label: string
  readonly component: Component
  /** When true the entry is disabled until a study is open. */
  readonly needsStudy?: boolean
}

export const views: Partial<Record<ViewId, ViewEntry>> = {
  start: { label: 'Start', component: defineAsyncComponent(() => import('./StartView.vue')) },
  subjects: { label: 'Subjects', component: defineAsyncComponent(() => import('./SubjectsView.vue')), needsStudy: true },
  label: { label: 'Label', component: defineAsyncComponent(() => import('./LabelView.vue')), needsStudy: true },
  train: { label: 'Train', component: defineAsyncComponent(() => import('./TrainView.vue')), needsStudy: true },
  results: { label: 'Results & export', component: defineAsyncComponent(() => import('./ResultsView.vue')), needsStudy: true },
  viewer: { label: 'Viewer', component: defineAsyncComponent(() => import('../viewer/ViewerView.vue')), needsStudy: true }
}

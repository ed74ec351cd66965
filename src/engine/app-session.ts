import type { LoadedComponent } from '../manifest/components.js'
import type { Session } from './session.js'

/** The sessions of an app with components: what components.ts opens and app-target.ts and shared-cluster.ts read. */

export interface ComponentSession {
  component: LoadedComponent
  session: Session
}

export interface AppSession {
  /** the components the command acts on, in the manifest's order */
  components: ComponentSession[]
  /** every component of the manifest (a destroy keeps the shared cluster while others use it) */
  all: LoadedComponent[]
  /** the app as one session: the composite target, the first component's names, every component's environment */
  session: Session
}

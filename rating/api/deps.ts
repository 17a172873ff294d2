/** What the rating routes need. */
import type { HashMapStore } from '../hashmap/hashmap-store.js';

export interface RatingApiDeps {
  /** the hashmap rules and the modules' states, on a `Sql` migrated with `migrateRating` */
  readonly store: HashMapStore;
}

/**
 * The result of a pure computation per key, remembered until the memo holds
 * `limit` keys, then forgotten whole: the keys (event types, resource ids,
 * the strings alarms share) are few in a cloud, and the bound keeps a stream
 * of odd ones from growing it without end. Shared by the collector and the
 * alarm evaluator.
 */
export class BoundedMemo<K, V extends NonNullable<unknown> | null> {
  private readonly results = new Map<K, V>();

  constructor(
    private readonly limit: number,
    private readonly compute: (key: K) => V,
  ) {}

  get(key: K): V {
    let result = this.results.get(key);
    if (result === undefined) {
      if (this.results.size >= this.limit) this.results.clear();
      result = this.compute(key);
      this.results.set(key, result);
    }
    return result;
  }
}

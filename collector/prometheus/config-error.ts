/** A scrape configuration that cannot be used; `field` is the path of the offending field, e.g. `scrape_configs[0].relabel_configs[1].regex`. */
export class ScrapeConfigError extends Error {
  readonly field: string;
  constructor(field: string, reason: string, file?: string) {
    super(`${file ? `${file}: ` : ''}${field}: ${reason}`);
    this.name = 'ScrapeConfigError';
    this.field = field;
  }
}

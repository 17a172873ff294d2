/**
 * What the index refuses, with Gnocchi's wording so the API can return it
 * unchanged, and the HTTP status Gnocchi answers it with by default.
 */
export class IndexError extends Error {
  readonly status: number = 400;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Something named does not exist: 404. */
export class NotFoundError extends IndexError {
  override readonly status: number = 404;
}
/** Something with that name exists already: 409. */
export class ConflictError extends IndexError {
  override readonly status: number = 409;
}
export class NoSuchArchivePolicy extends NotFoundError {
  constructor(name: string) { super(`Archive policy ${name} does not exist`); }
}
export class ArchivePolicyAlreadyExists extends ConflictError {
  constructor(name: string) { super(`Archive policy ${name} already exists`); }
}
export class ArchivePolicyInUse extends IndexError {
  constructor(name: string) { super(`Archive policy ${name} is still in use`); }
}
export class UnsupportedArchivePolicyChange extends IndexError {
  constructor(name: string, why: string) { super(`Archive policy ${name} does not support change: ${why}`); }
}
export class NoSuchArchivePolicyRule extends NotFoundError {
  constructor(name: string) { super(`Archive policy rule ${name} does not exist`); }
}
export class ArchivePolicyRuleAlreadyExists extends ConflictError {
  constructor(name: string) { super(`Archive policy rule ${name} already exists`); }
}
export class UnsupportedArchivePolicyRuleChange extends IndexError {
  constructor(name: string, why: string) { super(`Archive policy rule ${name} does not support change: ${why}`); }
}
export class NoArchivePolicyRuleMatch extends IndexError {
  constructor(metricName: string) { super(`No Archive policy rule found for metric ${metricName}`); }
}
export class NoSuchMetric extends NotFoundError {
  constructor(id: string) { super(`Metric ${id} does not exist`); }
}
export class NamedMetricAlreadyExists extends ConflictError {
  constructor(name: string) { super(`Named metric ${name} already exists`); }
}

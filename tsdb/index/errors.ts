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
export class NoSuchResourceType extends NotFoundError {
  constructor(name: string) { super(`Resource type ${name} does not exist`); }
}
export class ResourceTypeAlreadyExists extends ConflictError {
  constructor(name: string) { super(`Resource type ${name} already exists`); }
}
export class ResourceTypeInUse extends IndexError {
  constructor(name: string) { super(`Resource type ${name} is still in use`); }
}
export class UnexpectedResourceTypeState extends IndexError {
  constructor(name: string, expected: string, state: string) { super(`Resource type ${name} state is ${state} (expected: ${expected})`); }
}
export class NoSuchResource extends NotFoundError {
  constructor(id: string) { super(`Resource ${id} does not exist`); }
}
export class ResourceAlreadyExists extends ConflictError {
  constructor(id: string) { super(`Resource ${id} already exists`); }
}
export class ResourceAttributeError extends IndexError {
  constructor(type: string, attribute: string) { super(`Resource type ${type} has no ${attribute} attribute`); }
}
export class ResourceValueError extends IndexError {
  constructor(type: string, attribute: string, value: string) { super(`Value ${value} for attribute ${attribute} on resource type ${type} is invalid`); }
}
export class QueryValueError extends IndexError {
  constructor(value: string, field: string) { super(`Invalid value: \`${value}' for field \`${field}'`); }
}
export class InvalidPagination extends IndexError {
  constructor(reason: string) { super(`Invalid pagination: \`${reason}'`); }
}

/** What the index refuses, with Gnocchi's wording so the API can return it unchanged. */
export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class NoSuchArchivePolicy extends IndexError {
  constructor(name: string) { super(`Archive policy ${name} does not exist`); }
}
export class ArchivePolicyAlreadyExists extends IndexError {
  constructor(name: string) { super(`Archive policy ${name} already exists`); }
}
export class ArchivePolicyInUse extends IndexError {
  constructor(name: string) { super(`Archive policy ${name} is still in use`); }
}
export class UnsupportedArchivePolicyChange extends IndexError {
  constructor(name: string, why: string) { super(`Archive policy ${name} does not support change: ${why}`); }
}
export class NoSuchArchivePolicyRule extends IndexError {
  constructor(name: string) { super(`Archive policy rule ${name} does not exist`); }
}
export class ArchivePolicyRuleAlreadyExists extends IndexError {
  constructor(name: string) { super(`Archive policy rule ${name} already exists`); }
}
export class UnsupportedArchivePolicyRuleChange extends IndexError {
  constructor(name: string, why: string) { super(`Archive policy rule ${name} does not support change: ${why}`); }
}
export class NoArchivePolicyRuleMatch extends IndexError {
  constructor(metricName: string) { super(`No Archive policy rule found for metric ${metricName}`); }
}
export class NoSuchMetric extends IndexError {
  constructor(id: string) { super(`Metric ${id} does not exist`); }
}
export class NamedMetricAlreadyExists extends IndexError {
  constructor(name: string) { super(`Named metric ${name} already exists`); }
}

/**
 * Errors of the PromQL engine, each with the `errorType` Prometheus's HTTP
 * API reports for it, so that an HTTP layer maps them to a status without
 * inspecting messages: bad_data → 400, execution → 422, timeout → 503,
 * canceled → 499/503.
 */

export type PromErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled';

export abstract class PromQLError extends Error {
  abstract readonly errorType: PromErrorType;
}

/** A position in the query text, 0-based offsets. */
export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A query that does not parse or type-check. The message reads like
 * Prometheus's: `1:5: parse error: unexpected ...` (line and 1-based column).
 */
export class ParseError extends PromQLError {
  readonly errorType = 'bad_data' as const;
  constructor(
    readonly detail: string,
    readonly position: PositionRange,
    readonly query: string,
  ) {
    super(`${positionPrefix(query, position.start)} parse error: ${detail}`);
    this.name = 'ParseError';
  }
}

function positionPrefix(query: string, pos: number): string {
  if (pos < 0 || pos > query.length) return 'invalid position:';
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return `${line}:${pos - lastBreak}:`;
}

/** Bad parameters of a query (time range, step) rather than of its text. */
export class BadDataError extends PromQLError {
  readonly errorType = 'bad_data' as const;
  constructor(message: string) {
    super(message);
    this.name = 'BadDataError';
  }
}

/** A query that parsed but failed while evaluating (duplicate series, many-to-many matching, bad arguments). */
export class ExecutionError extends PromQLError {
  readonly errorType = 'execution' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionError';
  }
}

/** More samples in memory than `maxSamples` allows; Prometheus reports it as an execution error. */
export class TooManySamplesError extends ExecutionError {
  constructor() {
    super('query processing would load too many samples into memory in query execution');
    this.name = 'TooManySamplesError';
  }
}

export class TimeoutError extends PromQLError {
  readonly errorType = 'timeout' as const;
  constructor(where = 'expression evaluation') {
    super(`query timed out in ${where}`);
    this.name = 'TimeoutError';
  }
}

export class CanceledError extends PromQLError {
  readonly errorType = 'canceled' as const;
  constructor(where = 'expression evaluation') {
    super(`query was canceled in ${where}`);
    this.name = 'CanceledError';
  }
}

/**
 * CloudKitty's `metrics.yml`: which metrics are rated, how a measure becomes
 * a quantity (unit, factor, offset, mutate) and what a rated point carries
 * (groupby, metadata), with the gnocchi collector's `extra_args`. The same
 * keys, defaults and refusals as CloudKitty 17's own validation (unknown keys
 * are refused there too), so that a file CloudKitty loads loads here, and a
 * mistake is reported with the path of the key at fault.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { Decimal } from '../decimal.js';

export type Mutate = 'NONE' | 'NUMBOOL' | 'NOTNUMBOOL' | 'FLOOR' | 'CEIL' | 'MAP';
const MUTATES: readonly Mutate[] = ['NONE', 'NUMBOOL', 'NOTNUMBOOL', 'FLOOR', 'CEIL', 'MAP'];

const BASIC_METHODS = ['mean', 'sum', 'last', 'max', 'min', 'std', 'median', 'first', 'count'];
const RE_AGGREGATION_METHODS = new Set([...BASIC_METHODS, ...BASIC_METHODS.map((m) => `rate:${m}`)]);
const isAggregationMethod = (m: string): boolean => RE_AGGREGATION_METHODS.has(m) || /^(rate:)?([1-9]|[1-9][0-9])pct$/.test(m);

/** The rating scope: CloudKitty's `[collect] scope_key`, always part of a metric's groupby. */
export const SCOPE_KEY = 'project_id';

export interface MetricConfig {
  /** the metric's name in the store */
  readonly metric: string;
  /** the rated type: a hashmap service's name, and the `type` of summaries (alt_name, or the metric) */
  readonly type: string;
  readonly unit: string;
  /** as CloudKitty converts them: Python's Decimal of the float */
  readonly factor: Decimal;
  readonly offset: Decimal;
  readonly mutate: Mutate;
  /** MAP: measured value → quantity */
  readonly mutateMap: ReadonlyMap<number, number> | null;
  /** the keys a rated point is grouped by; the scope key and the resource key always among them */
  readonly groupby: readonly string[];
  readonly metadata: readonly string[];
  readonly resourceType: string;
  /** the groupby key that holds the resource's id */
  readonly resourceKey: string;
  readonly aggregationMethod: string;
  readonly reAggregationMethod: string;
  /** seconds; 0: none asked. tally reads the finest granularity the metric keeps whatever this says */
  readonly granularity: number;
}

export class MetricsConfigError extends Error {
  constructor(
    /** where, as a path of keys: `metrics.cpu.extra_args.resource_type` */
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'MetricsConfigError';
  }
}

type Yaml = unknown;
const isMap = (v: Yaml): v is Record<string, Yaml> => typeof v === 'object' && v !== null && !Array.isArray(v);

const METRIC_KEYS = new Set(['unit', 'factor', 'offset', 'alt_name', 'groupby', 'metadata', 'mutate', 'mutate_map', 'extra_args']);
const EXTRA_KEYS = new Set(['resource_type', 'resource_key', 'aggregation_method', 're_aggregation_method', 'force_granularity', 'use_all_resource_revisions', 'custom_query']);

/** A factor or offset: a number, or a fraction written "a/b" (CloudKitty takes the float of the fraction). */
function conversion(key: string, v: Yaml, fallback: number): Decimal {
  if (v === undefined) return Decimal.int(fallback);
  if (typeof v === 'number' && Number.isFinite(v)) return Decimal.fromNumber(v);
  if (typeof v === 'string') {
    const m = /^\s*([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(?:\/\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*)?$/.exec(v);
    if (m) {
      const value = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
      if (Number.isFinite(value)) return Decimal.fromNumber(value);
    }
  }
  throw new MetricsConfigError(key, `expected a number or a fraction such as 1/1048576, got ${JSON.stringify(v)}`);
}

function text(key: string, v: Yaml): string {
  if (typeof v !== 'string' || v.length === 0) throw new MetricsConfigError(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function texts(key: string, v: Yaml): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MetricsConfigError(key, `expected a list of strings, got ${JSON.stringify(v)}`);
  return v.map((x, i) => text(`${key}[${i}]`, x));
}

function metricConfig(name: string, raw: Yaml): MetricConfig {
  const at = `metrics.${name}`;
  if (!isMap(raw)) throw new MetricsConfigError(at, 'expected a mapping of settings');
  for (const k of Object.keys(raw)) if (!METRIC_KEYS.has(k)) throw new MetricsConfigError(`${at}.${k}`, 'unknown setting');
  const unit = text(`${at}.unit`, raw.unit);
  const mutate = raw.mutate ?? 'NONE';
  if (typeof mutate !== 'string' || !(MUTATES as readonly string[]).includes(mutate)) throw new MetricsConfigError(`${at}.mutate`, `expected one of ${MUTATES.join(', ')}, got ${JSON.stringify(mutate)}`);
  let mutateMap: Map<number, number> | null = null;
  if (raw.mutate_map !== undefined && raw.mutate_map !== null) {
    if (mutate !== 'MAP') throw new MetricsConfigError(`${at}.mutate_map`, 'given, but mutate is not MAP');
    if (!isMap(raw.mutate_map)) throw new MetricsConfigError(`${at}.mutate_map`, 'expected a mapping of measured values to quantities');
    mutateMap = new Map();
    for (const [k, v] of Object.entries(raw.mutate_map)) {
      if (!Number.isFinite(Number(k)) || typeof v !== 'number') throw new MetricsConfigError(`${at}.mutate_map.${k}`, 'expected a number mapped to a number');
      mutateMap.set(Number(k), v);
    }
  } else if (mutate === 'MAP') throw new MetricsConfigError(`${at}.mutate_map`, 'required with mutate MAP');

  const extra = raw.extra_args;
  if (!isMap(extra)) throw new MetricsConfigError(`${at}.extra_args`, 'required: a mapping with at least resource_type');
  for (const k of Object.keys(extra)) if (!EXTRA_KEYS.has(k)) throw new MetricsConfigError(`${at}.extra_args.${k}`, 'unknown setting');
  const resourceType = text(`${at}.extra_args.resource_type`, extra.resource_type);
  const resourceKey = extra.resource_key === undefined ? 'id' : text(`${at}.extra_args.resource_key`, extra.resource_key);
  const method = (key: string, v: Yaml, check: (m: string) => boolean): string => {
    if (v === undefined) return 'max';
    if (typeof v !== 'string' || !check(v)) throw new MetricsConfigError(`${at}.extra_args.${key}`, `not an aggregation method: ${JSON.stringify(v)}`);
    return v;
  };
  const aggregationMethod = method('aggregation_method', extra.aggregation_method, isAggregationMethod);
  const reAggregationMethod = method('re_aggregation_method', extra.re_aggregation_method, (m) => RE_AGGREGATION_METHODS.has(m));
  const granularity = extra.force_granularity ?? 3600;
  if (typeof granularity !== 'number' || !Number.isInteger(granularity) || granularity < 0) throw new MetricsConfigError(`${at}.extra_args.force_granularity`, `expected a whole number of seconds ≥ 0, got ${JSON.stringify(granularity)}`);
  if (extra.use_all_resource_revisions !== undefined && typeof extra.use_all_resource_revisions !== 'boolean') throw new MetricsConfigError(`${at}.extra_args.use_all_resource_revisions`, 'expected true or false');
  if (extra.custom_query !== undefined && extra.custom_query !== '') throw new MetricsConfigError(`${at}.extra_args.custom_query`, 'custom Gnocchi queries are not supported by tally\'s rating');

  const groupby = texts(`${at}.groupby`, raw.groupby);
  const metadata = texts(`${at}.metadata`, raw.metadata);
  // CloudKitty adds the scope and the resource key, then keeps each key once
  for (const k of [SCOPE_KEY, resourceKey]) if (!groupby.includes(k)) groupby.push(k);
  const both = [...new Set(groupby)].filter((k) => metadata.includes(k));
  if (both.length > 0) throw new MetricsConfigError(`${at}.metadata`, `${both.join(', ')} also in groupby`);

  return {
    metric: name,
    type: raw.alt_name === undefined ? name : text(`${at}.alt_name`, raw.alt_name),
    unit,
    factor: conversion(`${at}.factor`, raw.factor, 1),
    offset: conversion(`${at}.offset`, raw.offset, 0),
    mutate: mutate as Mutate,
    mutateMap,
    groupby: [...new Set(groupby)],
    metadata: [...new Set(metadata)],
    resourceType,
    resourceKey,
    aggregationMethod,
    reAggregationMethod,
    granularity,
  };
}

/** Reads a metrics.yml text; throws MetricsConfigError naming the key at fault. */
export function parseMetricsConfig(source: string): MetricConfig[] {
  let doc: Yaml;
  try {
    doc = parse(source) as Yaml;
  } catch (err) {
    throw new MetricsConfigError('(file)', `not YAML: ${(err as Error).message}`);
  }
  if (!isMap(doc)) throw new MetricsConfigError('(file)', 'expected a mapping with a metrics key');
  const metrics = doc.metrics;
  if (!isMap(metrics) || Object.keys(metrics).length === 0) throw new MetricsConfigError('metrics', 'required: a mapping of at least one metric');
  return Object.entries(metrics).map(([name, raw]) => metricConfig(name, raw));
}

export function loadMetricsConfig(path: string): MetricConfig[] {
  return parseMetricsConfig(readFileSync(path, 'utf8'));
}

/** The folder of the package.json above `dir` (this file runs from rating/ or from dist/rating/). */
function packageRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

/** tally's default metrics.yml, shipped in rating/config. */
export const DEFAULT_METRICS_FILE = join(packageRoot(import.meta.dirname), 'rating', 'config', 'metrics.yml');

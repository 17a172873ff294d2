/**
 * The alarms role from configuration: in all-in-one mode on the store's
 * database, listener and read side; with `tally alarms` on its own port,
 * its own database, and any Gnocchi-compatible API over HTTP.
 */
import { join } from 'node:path';
import { AlarmService } from '../alarms/alarm-service.js';
import type { TrustManager } from '../alarms/api/deps.js';
import { GnocchiHttpSource, type GnocchiCredentials } from '../alarms/evaluator/gnocchi-http-source.js';
import type { StatisticsSource } from '../alarms/evaluator/statistics-source.js';
import { KeystoneTrusts, OutboxWorker, SUPPORTED_SCHEMES, createNotifiers } from '../alarms/notifiers/index.js';
import type { KeystoneAuth } from '../tsdb/api/keystone.js';
import type { Sql } from '../tsdb/index/sql.js';
import { type Config, keystoneServiceOptions } from './config.js';

/** Keystone's service user, when auth_mode is keystone: it creates trusts and signs trust+http(s) calls. */
function keystoneTrusts(config: Config): KeystoneTrusts | null {
  if (config.auth_mode !== 'keystone') return null;
  return new KeystoneTrusts(keystoneServiceOptions(config));
}

/** The project part of the collector's creator ("user:project"): its resources are the cloud's. */
function externalProjectOwner(config: Config): string | null {
  if (config.alarm_external_project_owner) return config.alarm_external_project_owner;
  const i = config.collector_creator.indexOf(':');
  return i >= 0 && config.collector_creator.slice(i + 1) ? config.collector_creator.slice(i + 1) : null;
}

export async function startAlarmService(config: Config, sql: Sql, source: StatisticsSource, log: (line: string) => void): Promise<AlarmService> {
  const keystone = keystoneTrusts(config);
  const notifiers = createNotifiers({
    log,
    webhook: {
      timeoutMs: config.notifier_timeout * 1000,
      tls: {
        verify: config.rest_notifier_ssl_verify,
        caFile: config.rest_notifier_ca_bundle_certificate_path || undefined,
        certFile: config.rest_notifier_certificate_file || undefined,
        keyFile: config.rest_notifier_certificate_key || undefined,
      },
    },
    keystone,
    smtp: config.smtp_host
      ? { host: config.smtp_host, port: config.smtp_port, secure: config.smtp_secure, user: config.smtp_user || undefined, password: config.smtp_password || undefined, from: config.smtp_from }
      : null,
  });
  const trusts: TrustManager | null = keystone
    ? { createTrust: (t) => keystone.createTrust(t), deleteTrust: async (id, userToken) => void (await keystone.deleteTrust(id, userToken)) }
    : null;
  return AlarmService.start({
    sql,
    source,
    trusts,
    settings: {
      userAlarmQuota: config.user_alarm_quota,
      projectAlarmQuota: config.project_alarm_quota,
      alarmMaxActions: config.alarm_max_actions,
      recordHistory: config.record_history,
      externalProjectOwner: externalProjectOwner(config),
      actionSchemes: SUPPORTED_SCHEMES,
    },
    evaluationIntervalSeconds: config.evaluation_interval,
    evaluator: { ingestionLagSeconds: config.additional_ingestion_lag, eventAlarmCacheSeconds: config.event_alarm_cache_ttl },
    delivery: (store) =>
      new OutboxWorker({ store, notifiers, maxAttempts: config.notifier_max_attempts, backoffBaseSeconds: config.notifier_retry_base, log }),
    log,
  });
}

/** How `tally alarms` reads the Gnocchi API it is pointed at. */
export function gnocchiSource(config: Config, keystone: KeystoneAuth | null): GnocchiHttpSource {
  let credentials: GnocchiCredentials;
  if (config.gnocchi_auth_mode === 'keystone') {
    if (!keystone) throw new Error('gnocchi_auth_mode keystone needs auth_mode keystone (tally reads Gnocchi with its service token)');
    credentials = { kind: 'token', token: () => keystone.serviceTokenValue() };
  } else if (config.gnocchi_auth_mode === 'noauth') {
    credentials = { kind: 'noauth', userId: 'tally', projectId: 'service', roles: 'admin' };
  } else {
    credentials = { kind: 'basic', user: config.gnocchi_user, password: config.gnocchi_password };
  }
  return new GnocchiHttpSource({ url: config.gnocchi_url, prometheusUrl: config.prometheus_url || undefined, credentials });
}

/** Where `tally alarms` keeps its tables. */
export const alarmIndexTarget = (config: Config): string => config.alarm_index_url || join(config.data_dir, 'alarms');

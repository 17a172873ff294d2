/** What the alarm routes need: the store, the statistics source, the evaluator and the operator's settings. */
import type { Evaluator } from '../evaluator/evaluator.js';
import type { StatisticsSource } from '../evaluator/statistics-source.js';
import type { AlarmStore } from '../store/alarm-store.js';

export interface AlarmApiSettings {
  /** Aodh's api.user_alarm_quota; -1: none */
  readonly userAlarmQuota: number;
  /** Aodh's api.project_alarm_quota; -1: none */
  readonly projectAlarmQuota: number;
  /** Aodh's api.alarm_max_actions per state; ≤ 0: none */
  readonly alarmMaxActions: number;
  /** Aodh's record_history */
  readonly recordHistory: boolean;
  /**
   * The project whose resources count as a member's own when they carry the
   * member's project_id (Aodh's gnocchi_external_project_owner: the
   * collector's); null: only resources the member's project created.
   */
  readonly externalProjectOwner: string | null;
  /** action URL schemes the notifiers deliver */
  readonly actionSchemes: readonly string[];
}

/** Keystone trusts for `trust+http(s)` actions (keystone auth mode only). */
export interface TrustManager {
  createTrust(request: { userToken: string; trustorUserId: string; projectId: string; roles: readonly string[] }): Promise<string>;
  /** with the caller's token when there is one (Keystone lets the trustor delete its trust) */
  deleteTrust(trustId: string, userToken?: string): Promise<void>;
}

export interface AlarmApiDeps {
  readonly store: AlarmStore;
  readonly source: StatisticsSource;
  /** the evaluator of this process, for explain and cache invalidation */
  readonly evaluator: Evaluator | null;
  readonly settings: AlarmApiSettings;
  readonly trusts: TrustManager | null;
  /** serve GET /v2/capabilities (when the events API does not share the listener) */
  readonly capabilities: boolean;
}

/** Aodh's capabilities of its SQL storage. */
export const ALARM_CAPABILITIES = {
  api: { 'alarms:query:simple': true, 'alarms:query:complex': true, 'alarms:history:query:simple': true, 'alarms:history:query:complex': true },
  alarm_storage: { 'storage:production_ready': true },
} as const;

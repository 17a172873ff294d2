/**
 * mailto: actions (tally's own; Aodh has no e-mail notifier): a plain text
 * mail through an SMTP relay with nodemailer. `mailto:a@x,b@y?subject=…&cc=…`
 * as RFC 6068 writes it; the subject defaults to
 * "[tally] alarm NAME is now STATE (severity)".
 */
import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import type { AlarmNotification } from '../model.js';
import { type DeliveryResult, type Notifier, delivered, failed } from './notifier.js';

export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when the server offers it */
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
  /** the From address, e.g. "tally <tally@example.org>" */
  readonly from: string;
  /** connection, greeting and idle limits (default 10 s each) */
  readonly timeoutMs?: number;
  /** verify the server's certificate (default true) */
  readonly verify?: boolean;
}

export interface MailtoAddress {
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject?: string;
  readonly body?: string;
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
const addresses = (s: string): string[] => s.split(',').map((a) => decode(a).trim()).filter((a) => a !== '');

/** RFC 6068: recipients in the path and in `to`, `cc`, `bcc`; `subject` and `body`; other fields ignored. Null when not a mailto: URL. */
export function parseMailto(action: string): MailtoAddress | null {
  const m = /^mailto:([^?#]*)(?:\?([^#]*))?/i.exec(action);
  if (!m) return null;
  const to = addresses(m[1]);
  const cc: string[] = [];
  const bcc: string[] = [];
  let subject: string | undefined;
  let body: string | undefined;
  for (const field of (m[2] ?? '').split('&')) {
    if (!field) continue;
    const eq = field.indexOf('=');
    const name = decode(eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (name === 'to') to.push(...addresses(value));
    else if (name === 'cc') cc.push(...addresses(value));
    else if (name === 'bcc') bcc.push(...addresses(value));
    else if (name === 'subject') subject = decode(value);
    else if (name === 'body') body = decode(value);
  }
  return { to, cc, bcc, ...(subject !== undefined ? { subject } : {}), ...(body !== undefined ? { body } : {}) };
}

export const defaultSubject = (n: AlarmNotification): string => `[tally] alarm ${n.alarm_name} is now ${n.current} (${n.severity})`;

/** The text of the mail: what changed, then reason_data as indented JSON. */
export function mailText(n: AlarmNotification, intro?: string): string {
  const lines = [
    ...(intro ? [intro, ''] : []),
    `Alarm:      ${n.alarm_name}`,
    `Alarm ID:   ${n.alarm_id}`,
    `State:      ${n.previous} → ${n.current}`,
    `Severity:   ${n.severity}`,
    `Reason:     ${n.reason}`,
    '',
    'Reason data:',
    JSON.stringify(n.reason_data, null, 2),
    '',
  ];
  return lines.join('\n');
}

/** Errors without an SMTP reply are worth retrying (connection, TLS, DNS, timeouts), except these, which the next attempt would repeat. */
const LOCAL_PERMANENT = new Set(['ECONFIG', 'ENOAUTH', 'EENVELOPE', 'EMAXRECIPIENTS']);

export class MailtoNotifier implements Notifier {
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    this.transport = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      ...(options.user ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: { rejectUnauthorized: options.verify ?? true },
    });
  }

  async deliver(n: AlarmNotification, signal: AbortSignal): Promise<DeliveryResult> {
    const address = parseMailto(n.action);
    if (!address) return failed('not a mailto: URL', false);
    if (address.to.length + address.cc.length + address.bcc.length === 0) return failed('the mailto: action names no recipient', false);
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: [...address.to],
        cc: [...address.cc],
        bcc: [...address.bcc],
        subject: address.subject ?? defaultSubject(n),
        text: mailText(n, address.body),
        headers: { 'X-Tally-Alarm-Id': n.alarm_id },
        signal,
      });
      const code = /^(\d{3})/.exec(String(info.response ?? ''));
      return delivered(code ? Number(code[1]) : null, typeof info.messageId === 'string' ? info.messageId : undefined);
    } catch (err) {
      const e = err as NodemailerError;
      if (signal.aborted) return failed('interrupted: the notifier is stopping', true);
      const status = typeof e.responseCode === 'number' ? e.responseCode : null;
      const message = `${e.code ? `${e.code}: ` : ''}${e.response ?? e.message}`;
      const retryable = typeof e.permanent === 'boolean' ? !e.permanent : !LOCAL_PERMANENT.has(e.code ?? '');
      return failed(message, retryable, status);
    }
  }
}

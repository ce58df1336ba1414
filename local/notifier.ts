// The local stand-in for SNS delivery: subscriptions kept on disk, every delivery written to an outbox a person can
// read (`<dataDir>/outbox.jsonl`) and logged, email also sent by SMTP when a server is configured.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import {
  filterPolicyComplexity,
  MAX_FILTER_POLICY_COMBINATIONS,
  MAX_FILTER_POLICY_KEYS,
  matchesFilterPolicy,
} from '../lambdas/core/notify/filter-policy.ts';
import type {
  Contact,
  FilterPolicy,
  Notification,
  NotificationType,
  Severity,
  Subscription,
} from '../lambdas/core/notify/notification.ts';
import { messageAttributes } from '../lambdas/core/notify/notification.ts';
import type { Notifier } from '../lambdas/core/ports.ts';

/** The ARN the local release-events topic goes by; subscription ARNs are this plus `:<uuid>`, as in SNS. */
export const LOCAL_TOPIC_ARN = 'arn:aws:sns:local:000000000000:shipgate-release-events';

/** The file under the data directory that holds the subscriptions. */
export const SUBSCRIPTIONS_FILE = 'subscriptions.json';
/** The file under the data directory that every delivery is appended to, one JSON object a line. */
export const OUTBOX_FILE = 'outbox.jsonl';

/** One subscription as `subscriptions.json` keeps it: one per contact endpoint. */
export interface StoredSubscription {
  readonly subscriptionArn: string;
  readonly contactId: string;
  readonly protocol: 'email' | 'sms';
  readonly endpoint: string;
  readonly filterPolicy: FilterPolicy;
}

/** One line of the outbox: a notification delivered to one endpoint (or, `protocol: 'none'`, to nobody). */
export interface OutboxEntry {
  /** This entry's own id (uuid). */
  readonly id: string;
  /** When it was delivered (ISO timestamp). */
  readonly at: string;
  /** The message id publish resolved with; the entries of one publish share it. */
  readonly messageId: string;
  readonly notificationId: string;
  readonly releaseId: string;
  readonly type: NotificationType;
  readonly severity: Severity;
  /** `none`: no subscription's filter policy matched, so SNS would have delivered it to nobody. */
  readonly protocol: 'email' | 'sms' | 'none';
  /** The email address or phone number; empty for `none`. */
  readonly endpoint: string;
  /** The email subject (for `email` and `none`). */
  readonly subject?: string;
  /** The text this protocol gets: `text.email` for email, `text.sms` for SMS, `text.default` for `none`. */
  readonly body: string;
  /** `outbox`: recorded only (SMS, `none`, or email with no SMTP server configured). */
  readonly delivery: 'outbox' | 'smtp-sent' | 'smtp-failed';
  /** Why SMTP failed, with `smtp-failed`. */
  readonly error?: string;
}

/** How the local notifier is set up. */
export interface LocalNotifierOptions {
  /** The data directory of the local runtime; the subscriptions and the outbox are files in it. */
  readonly dataDir: string;
  /** `smtp://host:port` or `smtps://user:pass@host:port` (nodemailer's URL options allowed as query parameters). */
  readonly smtpUrl?: string | undefined;
  /** The sender of the emails. @default 'shipgate@localhost' */
  readonly from?: string | undefined;
  /** Where the one line per delivery goes. @default console.log */
  readonly log?: ((line: string) => void) | undefined;
}

/** What the outbox listing can be narrowed to. */
export interface OutboxQuery {
  readonly releaseId?: string | undefined;
  /** At most this many entries (a positive integer). @default 100 */
  readonly limit?: number | undefined;
}

/** The Notifier port on one machine, plus reading the outbox and shutting down. */
export type LocalNotifier = Notifier & {
  /** Outbox entries, newest first. */
  list(query?: OutboxQuery): Promise<OutboxEntry[]>;
  /** Waits for publishes under way, then closes the SMTP transport; later calls reject. Safe to call twice. */
  close(): Promise<void>;
};

const DEFAULT_FROM = 'shipgate@localhost';
const DEFAULT_LIMIT = 100;

/** Runs tasks one after another, in call order, whatever each one's outcome. */
function createSerializer(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One line for a terminal: no control characters (a subject is user text), runs of whitespace as one space. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
}

function isStoredSubscription(value: unknown): value is StoredSubscription {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.subscriptionArn === 'string' &&
    typeof entry.contactId === 'string' &&
    (entry.protocol === 'email' || entry.protocol === 'sms') &&
    typeof entry.endpoint === 'string' &&
    typeof entry.filterPolicy === 'object' &&
    entry.filterPolicy !== null
  );
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.id === 'string' && typeof entry.releaseId === 'string' && typeof entry.protocol === 'string';
}

/** Refuses, as SNS Subscribe does, a policy that is malformed or over SNS's limits (5 keys, 150 combinations). */
function checkFilterPolicy(policy: FilterPolicy): void {
  const { keys, combinations } = filterPolicyComplexity(policy);
  if (keys > MAX_FILTER_POLICY_KEYS) {
    throw new Error(`invalid filter policy: ${keys} keys, SNS allows ${MAX_FILTER_POLICY_KEYS}`);
  }
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    throw new Error(
      `invalid filter policy: ${combinations} combinations, SNS allows ${MAX_FILTER_POLICY_COMBINATIONS}`,
    );
  }
  // Evaluating checks every condition (operators and their operands), whatever the attributes.
  matchesFilterPolicy(policy, {});
}

function checkSmtpUrl(smtpUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    throw new TypeError('the SMTP URL must look like smtp://127.0.0.1:2525 (it does not parse as a URL)');
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    // Only the scheme is quoted: the URL may carry a password.
    throw new TypeError(`the SMTP URL must start with smtp:// or smtps://, not ${protocol}//`);
  }
}

/**
 * The local notifier: SNS delivery on one machine. Subscriptions live in `<dataDir>/subscriptions.json` (they
 * survive a restart); `publish` matches each subscription's filter policy against the notification's message
 * attributes exactly as SNS would and appends one outbox line per delivery (SMS never leaves the outbox; email is
 * also sent by SMTP when `smtpUrl` is set, an SMTP failure being recorded on the entry, not thrown).
 */
export function createLocalNotifier(options: LocalNotifierOptions): LocalNotifier {
  const dataDir = resolve(options.dataDir);
  const subscriptionsPath = join(dataDir, SUBSCRIPTIONS_FILE);
  const outboxPath = join(dataDir, OUTBOX_FILE);
  const from = options.from ?? DEFAULT_FROM;
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.smtpUrl !== undefined) checkSmtpUrl(options.smtpUrl);
  // Short timeouts so a dead SMTP server fails a delivery in seconds, not minutes; the URL's own query wins.
  const transport =
    options.smtpUrl === undefined
      ? undefined
      : createTransport({
          url: options.smtpUrl,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
        });

  // One writer per file in this process, so appends never interleave and read-modify-writes never lose an update.
  const outboxWrites = createSerializer();
  const subscriptionWrites = createSerializer();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  let closing: Promise<void> | undefined;
  let dataDirReady: Promise<unknown> | undefined;

  const ensureDataDir = () => {
    dataDirReady ??= mkdir(dataDir, { recursive: true }).catch((error: unknown) => {
      dataDirReady = undefined;
      throw error;
    });
    return dataDirReady;
  };

  /** Runs an operation unless closed, and lets close() wait for it. */
  const track = <T>(operation: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('the local notifier is closed'));
    const running = operation();
    inFlight.add(running);
    const forget = () => inFlight.delete(running);
    running.then(forget, forget);
    return running;
  };

  async function readSubscriptions(): Promise<StoredSubscription[]> {
    let text: string;
    try {
      text = await readFile(subscriptionsPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`${subscriptionsPath} is not valid JSON (${errorMessage(error)}); fix or remove it`);
    }
    const list = (parsed as { subscriptions?: unknown } | null)?.subscriptions;
    if (!Array.isArray(list) || !list.every(isStoredSubscription)) {
      throw new Error(`${subscriptionsPath} does not hold a list of subscriptions; fix or remove it`);
    }
    return list;
  }

  /** Replaces the file whole (write then rename), so a reader never sees half of it. */
  async function writeSubscriptions(subscriptions: readonly StoredSubscription[]): Promise<void> {
    await ensureDataDir();
    const temporary = `${subscriptionsPath}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify({ topicArn: LOCAL_TOPIC_ARN, subscriptions }, null, 2)}\n`);
      await rename(temporary, subscriptionsPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async function sendEmail(notification: Notification, to: string): Promise<Pick<OutboxEntry, 'delivery' | 'error'>> {
    if (!transport) return { delivery: 'outbox' };
    try {
      await transport.sendMail({
        from,
        to,
        subject: notification.subject,
        text: notification.text.email,
        headers: { 'X-Shipgate-Notification-Id': notification.id, 'X-Shipgate-Release-Id': notification.releaseId },
      });
      return { delivery: 'smtp-sent' };
    } catch (error) {
      return { delivery: 'smtp-failed', error: errorMessage(error) };
    }
  }

  /** The one console line of a delivery: `notify  <protocol>  <endpoint>  <type>  <subject or SMS text>`. */
  function logLine(entry: OutboxEntry): string {
    const endpoint = entry.protocol === 'none' ? '(no subscriber)' : oneLine(entry.endpoint);
    const summary = oneLine(entry.protocol === 'sms' ? entry.body : (entry.subject ?? entry.body));
    const line = `notify  ${entry.protocol}  ${endpoint}  ${entry.type}  ${summary}`;
    if (entry.delivery === 'smtp-sent') return `${line}  (sent by SMTP)`;
    if (entry.delivery === 'smtp-failed') return `${line}  (SMTP failed: ${oneLine(entry.error ?? 'unknown error')})`;
    return line;
  }

  async function publish(notification: Notification): Promise<{ messageId: string }> {
    const messageId = randomUUID();
    const attributes = messageAttributes(notification);
    const matching = (await readSubscriptions()).filter((subscription) => {
      try {
        return matchesFilterPolicy(subscription.filterPolicy, attributes);
      } catch (error) {
        // Only a hand-edited subscriptions.json gets here (subscribe refuses bad policies): skip it, say so.
        log(`notify  skipped ${subscription.subscriptionArn}: ${oneLine(errorMessage(error))}`);
        return false;
      }
    });
    const base = {
      messageId,
      notificationId: notification.id,
      releaseId: notification.releaseId,
      type: notification.type,
      severity: notification.severity,
    };
    const entries: OutboxEntry[] =
      matching.length === 0
        ? [
            {
              id: randomUUID(),
              at: new Date().toISOString(),
              ...base,
              protocol: 'none',
              endpoint: '',
              subject: notification.subject,
              body: notification.text.default,
              delivery: 'outbox',
            },
          ]
        : await Promise.all(
            matching.map(async (subscription): Promise<OutboxEntry> => {
              if (subscription.protocol === 'sms') {
                // SMS never leaves the machine: the outbox is where a person reads it.
                return {
                  id: randomUUID(),
                  at: new Date().toISOString(),
                  ...base,
                  protocol: 'sms',
                  endpoint: subscription.endpoint,
                  body: notification.text.sms,
                  delivery: 'outbox',
                };
              }
              const outcome = await sendEmail(notification, subscription.endpoint);
              return {
                id: randomUUID(),
                at: new Date().toISOString(),
                ...base,
                protocol: 'email',
                endpoint: subscription.endpoint,
                subject: notification.subject,
                body: notification.text.email,
                ...outcome,
              };
            }),
          );
    await outboxWrites(async () => {
      await ensureDataDir();
      // One append for the whole publish: its lines stay together and in order.
      await appendFile(outboxPath, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    });
    for (const entry of entries) log(logLine(entry));
    return { messageId };
  }

  async function subscribe(contact: Contact, filterPolicy: FilterPolicy): Promise<Subscription[]> {
    const wanted: { protocol: 'email' | 'sms'; endpoint: string }[] = [
      ...(contact.email ? [{ protocol: 'email' as const, endpoint: contact.email }] : []),
      ...(contact.phone ? [{ protocol: 'sms' as const, endpoint: contact.phone }] : []),
    ];
    // A plain JSON copy: what the file will hold is what publish will match against.
    const policy = JSON.parse(JSON.stringify(filterPolicy)) as FilterPolicy;
    checkFilterPolicy(policy);
    return subscriptionWrites(async () => {
      const all = await readSubscriptions();
      const previous = all.filter((subscription) => subscription.contactId === contact.id);
      // Subscribing again replaces the contact's subscriptions: an endpoint it keeps keeps its ARN and takes the
      // new filter policy; an endpoint it no longer has is removed.
      const next = wanted.map(
        ({ protocol, endpoint }): StoredSubscription => ({
          subscriptionArn:
            previous.find((old) => old.protocol === protocol && old.endpoint === endpoint)?.subscriptionArn ??
            `${LOCAL_TOPIC_ARN}:${randomUUID()}`,
          contactId: contact.id,
          protocol,
          endpoint,
          filterPolicy: policy,
        }),
      );
      await writeSubscriptions([...all.filter((subscription) => subscription.contactId !== contact.id), ...next]);
      // In SNS an email subscription stays 'pending-confirmation' until the recipient clicks the link it is sent;
      // locally there is no one to click it, so every subscription is confirmed at once.
      return next.map(
        (subscription): Subscription => ({
          protocol: subscription.protocol,
          endpoint: subscription.endpoint,
          arn: subscription.subscriptionArn,
          state: 'confirmed',
        }),
      );
    });
  }

  async function unsubscribe(contact: Contact): Promise<void> {
    await subscriptionWrites(async () => {
      const all = await readSubscriptions();
      const kept = all.filter((subscription) => subscription.contactId !== contact.id);
      if (kept.length !== all.length) await writeSubscriptions(kept);
    });
  }

  async function list(query: OutboxQuery = {}): Promise<OutboxEntry[]> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
    // Read through the writer, so every publish that resolved before is in what is read.
    const text = await outboxWrites(async () => {
      try {
        return await readFile(outboxPath, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw error;
      }
    });
    const entries: OutboxEntry[] = [];
    const lines = text.split('\n');
    for (let index = lines.length - 1; index >= 0 && entries.length < limit; index -= 1) {
      const line = lines[index]?.trim();
      if (!line) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        // A line torn by a crash mid-append: skipped, the rest of the outbox still reads.
        continue;
      }
      if (!isOutboxEntry(value)) continue;
      if (query.releaseId !== undefined && value.releaseId !== query.releaseId) continue;
      entries.push(value);
    }
    return entries;
  }

  return {
    publish: (notification) => track(() => publish(notification)),
    subscribe: (contact, filterPolicy) => track(() => subscribe(contact, filterPolicy)),
    unsubscribe: (contact) => track(() => unsubscribe(contact)),
    // Locally nobody confirms a subscription by email: each is confirmed when it is made.
    refresh: async (contact) => [...contact.subscriptions],
    list,
    close() {
      closed = true;
      closing ??= (async () => {
        await Promise.allSettled([...inFlight]);
        transport?.close();
      })();
      return closing;
    },
  };
}

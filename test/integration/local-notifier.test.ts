// Integration tests for the local notifier: filter policies routing to email and SMS, real email through an SMTP
// server started here, the outbox on disk, subscriptions across restarts, SMTP failures and the console lines.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { filterPolicyFor } from '../../lambdas/core/notify/filter-policy.ts';
import type { Contact, FilterPolicy, Notification } from '../../lambdas/core/notify/notification.ts';
import {
  createLocalNotifier,
  LOCAL_TOPIC_ARN,
  type LocalNotifier,
  type LocalNotifierOptions,
  type OutboxEntry,
} from '../../local/notifier.ts';

/** One email as the SMTP server received it, with the few headers the tests read. */
interface ReceivedMail {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly headers: ReadonlyMap<string, string>;
  readonly text: string;
}

interface TestSmtp {
  readonly url: string;
  readonly messages: ReceivedMail[];
  close(): Promise<void>;
}

/** Undoes quoted-printable: soft line breaks, then `=XX` bytes, read as UTF-8. */
function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < joined.length; index += 1) {
    const hex = joined.slice(index + 1, index + 3);
    if (joined[index] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(joined.charCodeAt(index));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Enough of RFC 5322 for a single-part text email: unfolded headers by lower-case name, and the decoded text. */
function parseMail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, 'the message has a header section');
  const headers = new Map<string, string>();
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  assert.match(headers.get('content-type') ?? '', /^text\/plain/, 'a single text part');
  const body = raw.slice(split + 4);
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  assert.ok(['7bit', '8bit', 'quoted-printable'].includes(encoding), `an encoding this parser reads, not ${encoding}`);
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
  return { headers, text: text.replace(/\r\n/g, '\n').replace(/\n+$/, '') };
}

/** A real SMTP server on 127.0.0.1 that accepts everything and keeps what it receives. */
async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP as a local mail catcher speaks it: its self-signed STARTTLS would only test TLS setup.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        const { headers, text } = parseMail(Buffer.concat(chunks).toString('utf8'));
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((address) => address.address),
          headers,
          text,
        });
        callback();
      });
    },
  });
  await new Promise<void>((settle, fail) => {
    server.server.once('error', fail);
    server.listen(0, '127.0.0.1', () => settle());
  });
  const address = server.server.address();
  assert.ok(address && typeof address === 'object', 'the SMTP server listens on a TCP port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    messages,
    close: () => new Promise<void>((settle) => server.close(() => settle())),
  };
}

/** A port that was free a moment ago and has nothing listening on it now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((settle) => server.listen(0, '127.0.0.1', () => settle()));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((settle) => server.close(() => settle()));
  return address.port;
}

const SIGNOFF_SUBJECT = '[Shipgate] ToolBoxAI 1.1.0: sign-off needed from qa-lead';
const SIGNOFF_EMAIL = [
  'Hello,',
  '',
  'ToolBoxAI 1.1.0 is waiting for the qa-lead sign-off of phase "QA" before it can go on. Open the release to review the checklist and sign off: http://localhost:3000/releases/rel-1',
  '',
  '-- Shipgate',
].join('\n');
const SIGNOFF_SMS =
  'Shipgate: ToolBoxAI 1.1.0 needs the qa-lead sign-off (phase QA). http://localhost:3000/releases/rel-1';

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: 'evt-0001.0',
    releaseId: 'rel-1',
    eventId: 'evt-0001',
    type: 'signoff.requested',
    severity: 'info',
    phase: 'qa',
    roles: ['qa-lead'],
    subject: SIGNOFF_SUBJECT,
    text: { default: SIGNOFF_SMS, email: SIGNOFF_EMAIL, sms: SIGNOFF_SMS },
    createdAt: '2025-06-02T09:00:00.000Z',
    ...overrides,
  };
}

const ROLLBACK = notification({
  id: 'evt-0002.0',
  eventId: 'evt-0002',
  type: 'rollback.triggered',
  severity: 'critical',
  phase: 'monitoring',
  subject: '[Shipgate] ToolBoxAI 1.1.0: rollback triggered',
  text: {
    default: 'ToolBoxAI 1.1.0 is rolling back.',
    email: 'ToolBoxAI 1.1.0 is rolling back: the error-rate alarm fired during monitoring.',
    sms: 'Shipgate: ToolBoxAI 1.1.0 ROLLBACK triggered (error-rate alarm).',
  },
});

function contact(id: string, fields: Partial<Contact>): Contact {
  return {
    id,
    name: id,
    roles: [],
    subscriptions: [],
    createdAt: '2025-06-01T09:00:00.000Z',
    createdBy: { id: 'alice', name: 'Alice Ng' },
    ...fields,
  };
}

const qaLead = contact('c-qa', { name: 'Quinn QA', email: 'qa@example.com', roles: ['qa-lead'] });
const securityLead = contact('c-sec', { name: 'Sam Sec', email: 'security@example.com', roles: ['security-lead'] });
const qaPager = contact('c-qa-sms', { name: 'QA pager', phone: '+14155550123', roles: ['qa-lead'] });
const qaOnCall = contact('c-qa-oncall', {
  name: 'QA on call',
  email: 'qa-oncall@example.com',
  roles: ['qa-lead'],
  events: ['rollback.triggered'],
});
const QA: FilterPolicy = { roles: ['qa-lead'] };
const SECURITY: FilterPolicy = { roles: ['security-lead'] };
const QA_ROLLBACKS: FilterPolicy = { roles: ['qa-lead'], eventType: ['rollback.triggered'] };

/** A notifier on a fresh data directory, closed and removed when the test ends; its console lines are kept. */
async function setUp(
  t: TestContext,
  options: Partial<LocalNotifierOptions> = {},
): Promise<{ notifier: LocalNotifier; dataDir: string; lines: string[] }> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'shipgate-notifier-')));
  const lines: string[] = [];
  const notifier = createLocalNotifier({ ...options, dataDir, log: (line) => lines.push(line) });
  t.after(async () => {
    await notifier.close();
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  });
  return { notifier, dataDir, lines };
}

async function outboxLines(dataDir: string): Promise<OutboxEntry[]> {
  const text = await readFile(join(dataDir, 'outbox.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as OutboxEntry);
}

describe('local notifier', () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp.close();
  });
  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.rcptTo.includes(address));

  it('emails a sign-off request to the QA lead and not to the security lead', async (t) => {
    const { notifier } = await setUp(t, { smtpUrl: smtp.url, from: 'Shipgate <shipgate@test.local>' });
    const qaSubscriptions = await notifier.subscribe(qaLead, QA);
    await notifier.subscribe(securityLead, SECURITY);
    assert.equal(qaSubscriptions.length, 1);
    assert.equal(qaSubscriptions[0]?.protocol, 'email');
    assert.equal(qaSubscriptions[0]?.endpoint, 'qa@example.com');
    assert.equal(qaSubscriptions[0]?.state, 'confirmed');

    const { messageId } = await notifier.publish(notification());

    assert.match(messageId, /^[0-9a-f-]{36}$/);
    const received = mailsTo('qa@example.com');
    assert.equal(received.length, 1);
    const mail = received[0];
    assert.ok(mail);
    assert.equal(mail.mailFrom, 'shipgate@test.local');
    assert.deepEqual(mail.rcptTo, ['qa@example.com']);
    assert.equal(mail.headers.get('from'), 'Shipgate <shipgate@test.local>');
    assert.equal(mail.headers.get('to'), 'qa@example.com');
    assert.equal(mail.headers.get('subject'), SIGNOFF_SUBJECT);
    assert.equal(mail.text, SIGNOFF_EMAIL);
    assert.equal(mailsTo('security@example.com').length, 0);

    const entries = await notifier.list();
    assert.equal(entries.length, 1);
    assert.deepEqual(
      { ...entries[0], id: undefined, at: undefined },
      {
        id: undefined,
        at: undefined,
        messageId,
        notificationId: 'evt-0001.0',
        releaseId: 'rel-1',
        type: 'signoff.requested',
        severity: 'info',
        protocol: 'email',
        endpoint: 'qa@example.com',
        subject: SIGNOFF_SUBJECT,
        body: SIGNOFF_EMAIL,
        delivery: 'smtp-sent',
      },
    );
  });

  it('keeps an SMS in the outbox only, within 160 characters', async (t) => {
    const { notifier, dataDir, lines } = await setUp(t, { smtpUrl: smtp.url });
    const [subscription] = await notifier.subscribe(qaPager, QA);
    assert.deepEqual(
      { ...subscription, arn: undefined },
      { protocol: 'sms', endpoint: '+14155550123', arn: undefined, state: 'confirmed' },
    );
    const before = smtp.messages.length;

    await notifier.publish(notification());

    assert.equal(smtp.messages.length, before, 'no email for an SMS subscription');
    const entries = await outboxLines(dataDir);
    assert.equal(entries.length, 1);
    const entry = entries[0];
    assert.ok(entry);
    assert.equal(entry.protocol, 'sms');
    assert.equal(entry.endpoint, '+14155550123');
    assert.equal(entry.delivery, 'outbox');
    assert.equal(entry.body, SIGNOFF_SMS);
    assert.ok(entry.body.length <= 160, `${entry.body.length} characters`);
    assert.equal(entry.subject, undefined);
    assert.deepEqual(lines, [`notify  sms  +14155550123  signoff.requested  ${SIGNOFF_SMS}`]);
  });

  it('gives a contact limited to rollbacks nothing else', async (t) => {
    const { notifier } = await setUp(t, { smtpUrl: smtp.url });
    await notifier.subscribe(qaOnCall, QA_ROLLBACKS);

    await notifier.publish(notification());
    assert.equal(mailsTo('qa-oncall@example.com').length, 0);
    const [nobody] = await notifier.list();
    assert.equal(nobody?.protocol, 'none', 'the sign-off request went to nobody');

    await notifier.publish(ROLLBACK);
    const received = mailsTo('qa-oncall@example.com');
    assert.equal(received.length, 1);
    assert.equal(received[0]?.headers.get('subject'), '[Shipgate] ToolBoxAI 1.1.0: rollback triggered');
    const [latest] = await notifier.list();
    assert.equal(latest?.type, 'rollback.triggered');
    assert.equal(latest?.delivery, 'smtp-sent');
  });

  it('keeps subscriptions for a new notifier on the same data directory', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shipgate-notifier-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const first = await setUp(t, { dataDir });
    const [email] = await first.notifier.subscribe(qaLead, QA);
    await first.notifier.subscribe(qaPager, QA);
    await first.notifier.close();

    const stored = JSON.parse(await readFile(join(dataDir, 'subscriptions.json'), 'utf8')) as {
      subscriptions: { subscriptionArn: string; contactId: string; protocol: string; endpoint: string }[];
    };
    assert.deepEqual(
      stored.subscriptions.map(({ contactId, protocol, endpoint }) => ({ contactId, protocol, endpoint })),
      [
        { contactId: 'c-qa', protocol: 'email', endpoint: 'qa@example.com' },
        { contactId: 'c-qa-sms', protocol: 'sms', endpoint: '+14155550123' },
      ],
    );
    for (const { subscriptionArn } of stored.subscriptions) {
      assert.ok(subscriptionArn.startsWith(`${LOCAL_TOPIC_ARN}:`), subscriptionArn);
      assert.match(subscriptionArn.slice(LOCAL_TOPIC_ARN.length + 1), /^[0-9a-f-]{36}$/);
    }
    assert.equal(stored.subscriptions[0]?.subscriptionArn, email?.arn);
    await assert.rejects(first.notifier.publish(notification()), /closed/);

    const second = await setUp(t, { dataDir });
    await second.notifier.publish(notification());
    const entries = await second.notifier.list();
    assert.deepEqual(entries.map((entry) => [entry.protocol, entry.endpoint]).sort(), [
      ['email', 'qa@example.com'],
      ['sms', '+14155550123'],
    ]);

    // Subscribing again keeps the endpoint's ARN and takes the new filter policy.
    const [again] = await second.notifier.subscribe(qaLead, QA_ROLLBACKS);
    assert.equal(again?.arn, email?.arn);
    await second.notifier.publish(notification({ id: 'evt-0003.0' }));
    const latest = (await second.notifier.list()).filter((entry) => entry.notificationId === 'evt-0003.0');
    assert.deepEqual(
      latest.map((entry) => entry.protocol),
      ['sms'],
    );
  });

  it('stops delivering once a contact unsubscribes', async (t) => {
    const { notifier, dataDir } = await setUp(t, { smtpUrl: smtp.url });
    await notifier.subscribe(qaLead, QA);
    await notifier.subscribe(qaPager, QA);
    await notifier.unsubscribe(qaLead);
    const before = mailsTo('qa@example.com').length;

    await notifier.publish(notification());

    assert.equal(mailsTo('qa@example.com').length, before);
    const entries = await outboxLines(dataDir);
    assert.deepEqual(
      entries.map((entry) => entry.endpoint),
      ['+14155550123'],
    );
    await notifier.unsubscribe(qaPager);
    await notifier.unsubscribe(qaPager);
    await notifier.publish(notification({ id: 'evt-0001.1' }));
    const [latest] = await notifier.list();
    assert.equal(latest?.protocol, 'none');
  });

  it('records a refused SMTP connection on the entry and still resolves', async (t) => {
    const { notifier, lines } = await setUp(t, { smtpUrl: `smtp://127.0.0.1:${await closedPort()}` });
    await notifier.subscribe(qaLead, QA);
    await notifier.subscribe(qaPager, QA);

    const { messageId } = await notifier.publish(notification());

    assert.match(messageId, /^[0-9a-f-]{36}$/);
    const entries = await notifier.list();
    const email = entries.find((entry) => entry.protocol === 'email');
    assert.equal(email?.delivery, 'smtp-failed');
    assert.match(email?.error ?? '', /ECONNREFUSED|connect/i);
    assert.equal(entries.find((entry) => entry.protocol === 'sms')?.delivery, 'outbox');
    const emailLine = lines.find((line) => line.startsWith('notify  email  '));
    assert.match(
      emailLine ?? '',
      /^notify {2}email {2}qa@example\.com {2}signoff\.requested {2}.+ {2}\(SMTP failed: .+\)$/,
    );
  });

  it('records a message no subscription matches once, to nobody', async (t) => {
    const { notifier, lines } = await setUp(t);
    await notifier.subscribe(securityLead, SECURITY);

    await notifier.publish(notification());

    const entries = await notifier.list();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.protocol, 'none');
    assert.equal(entries[0]?.endpoint, '');
    assert.equal(entries[0]?.subject, SIGNOFF_SUBJECT);
    assert.equal(entries[0]?.body, SIGNOFF_SMS);
    assert.equal(entries[0]?.delivery, 'outbox');
    assert.deepEqual(lines, [`notify  none  (no subscriber)  signoff.requested  ${SIGNOFF_SUBJECT}`]);
  });

  it('prints one readable line per delivery', async (t) => {
    const { notifier, lines } = await setUp(t);
    await notifier.subscribe(qaLead, QA);
    await notifier.subscribe(qaPager, QA);
    await notifier.subscribe(securityLead, SECURITY);

    // A subject is user text: a line break or a terminal escape in it must not reach the console.
    await notifier.publish(notification({ subject: `${SIGNOFF_SUBJECT}\n` }));
    await notifier.publish(notification({ roles: [], subject: 'Bell\u0007 \u001b[2J' }));

    assert.deepEqual(lines, [
      `notify  email  qa@example.com  signoff.requested  ${SIGNOFF_SUBJECT}`,
      `notify  sms  +14155550123  signoff.requested  ${SIGNOFF_SMS}`,
      'notify  none  (no subscriber)  signoff.requested  Bell [2J',
    ]);
    const smtpLines = await setUp(t, { smtpUrl: smtp.url });
    await smtpLines.notifier.subscribe(qaLead, QA);
    await smtpLines.notifier.publish(notification());
    assert.deepEqual(smtpLines.lines, [
      `notify  email  qa@example.com  signoff.requested  ${SIGNOFF_SUBJECT}  (sent by SMTP)`,
    ]);
  });

  it('lists newest first, by release, up to a limit', async (t) => {
    const { notifier } = await setUp(t);
    await notifier.subscribe(qaLead, QA);
    for (let n = 1; n <= 5; n += 1) {
      await notifier.publish(notification({ id: `evt-${n}.0`, releaseId: n % 2 === 0 ? 'rel-even' : 'rel-odd' }));
    }
    assert.deepEqual(
      (await notifier.list()).map((entry) => entry.notificationId),
      ['evt-5.0', 'evt-4.0', 'evt-3.0', 'evt-2.0', 'evt-1.0'],
    );
    assert.deepEqual(
      (await notifier.list({ releaseId: 'rel-odd', limit: 2 })).map((entry) => entry.notificationId),
      ['evt-5.0', 'evt-3.0'],
    );
    assert.deepEqual(await notifier.list({ releaseId: 'rel-none' }), []);
    await assert.rejects(notifier.list({ limit: 0 }), RangeError);
  });

  it('never interleaves concurrent appends', async (t) => {
    const { notifier, dataDir } = await setUp(t);
    await Promise.all([notifier.subscribe(qaLead, QA), notifier.subscribe(qaPager, QA)]);
    const stored = JSON.parse(await readFile(join(dataDir, 'subscriptions.json'), 'utf8')) as {
      subscriptions: unknown[];
    };
    assert.equal(stored.subscriptions.length, 2, 'concurrent subscribes both kept');
    // A long body makes each line bigger than one write chunk.
    const long = 'x'.repeat(70_000);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        notifier.publish(notification({ id: `evt-${n}.0`, text: { default: long, email: long, sms: 'short' } })),
      ),
    );

    const entries = await outboxLines(dataDir);
    assert.equal(entries.length, 80);
    for (const { messageId } of results) {
      const indexes = entries.flatMap((entry, index) => (entry.messageId === messageId ? [index] : []));
      assert.equal(indexes.length, 2);
      assert.equal(indexes[1], (indexes[0] ?? -2) + 1, 'the lines of one publish stay together');
    }
  });

  it('refuses a filter policy SNS would refuse, and skips one edited into the file', async (t) => {
    const { notifier, dataDir, lines } = await setUp(t);
    await assert.rejects(notifier.subscribe(qaLead, { roles: 'qa-lead' }), /must be an array/);
    await assert.rejects(
      notifier.subscribe(qaLead, { roles: [{ 'starts-with': 'qa' }] }),
      /unsupported filter operator/,
    );
    await assert.rejects(
      notifier.subscribe(qaLead, { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] }),
      /6 keys/,
    );
    await notifier.subscribe(qaLead, QA);
    await notifier.subscribe(qaPager, QA);
    const file = join(dataDir, 'subscriptions.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"qa-lead"', '{"starts-with":"qa"}'));

    await notifier.publish(notification());

    assert.deepEqual(
      (await notifier.list()).map((entry) => entry.protocol),
      ['sms'],
    );
    assert.match(lines[0] ?? '', /^notify {2}skipped arn:aws:sns:local:000000000000:shipgate-release-events:\S+: /);
  });

  it('routes with the policies filterPolicyFor builds, escalation levels included', async (t) => {
    const { notifier } = await setUp(t);
    const levelTwo = contact('c-l2', { email: 'l2@example.com', roles: ['sre'], escalationLevel: 2 });
    await notifier.subscribe(levelTwo, filterPolicyFor(levelTwo));
    await notifier.subscribe(qaOnCall, filterPolicyFor(qaOnCall));

    await notifier.publish(notification({ id: 'e.0', type: 'escalation', roles: [], escalationLevel: 2 }));
    await notifier.publish(notification({ id: 'e.1', type: 'escalation', roles: [], escalationLevel: 3 }));
    await notifier.publish(notification({ id: 'e.2' }));
    await notifier.publish({ ...ROLLBACK, id: 'e.3' });

    assert.deepEqual(
      (await notifier.list()).map((entry) => [entry.notificationId, entry.endpoint]),
      [
        ['e.3', 'qa-oncall@example.com'],
        ['e.2', ''],
        ['e.1', ''],
        ['e.0', 'l2@example.com'],
      ],
    );
  });

  it('turns away an SMTP URL it cannot use', () => {
    assert.throws(() => createLocalNotifier({ dataDir: tmpdir(), smtpUrl: 'http://127.0.0.1:2525' }), TypeError);
    assert.throws(() => createLocalNotifier({ dataDir: tmpdir(), smtpUrl: 'not a url' }), TypeError);
  });
});

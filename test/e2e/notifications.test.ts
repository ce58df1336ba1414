// Notifications through the local runtime: contacts subscribe by role and event, audit events become notifications
// (recorded, then published), the local notifier delivers to the outbox and, for email, to a real SMTP server.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { drive, driver } from '../support/drive.ts';
import {
  api,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

interface Mail {
  readonly to: string[];
  readonly raw: string;
}

/** The Subject header of a raw message, unfolded (long headers continue on lines that start with a space). */
const subjectOf = (mail: Mail): string => {
  const head = mail.raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, ' ') ?? '';
  return /^Subject: (.*)$/im.exec(head)?.[1]?.trim() ?? '';
};

/** A real SMTP server on loopback that keeps every message it is given. */
async function startSmtp(): Promise<{ url: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('notifications through the local runtime', () => {
  let dataDir: string;
  let local: LocalProcess;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let rm: string;

  before(async () => {
    smtp = await startSmtp();
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir, { SHIPGATE_SMTP_URL: smtp.url, SHIPGATE_TIME_SCALE: '302400' });
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
  });

  after(async () => {
    await local?.stop();
    await smtp?.close();
    if (dataDir) removeDataDir(dataDir);
  });

  const contact = async (body: Record<string, unknown>) => {
    const response = await api(local.url, 'POST', '/contacts', { token: rm, body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  };

  it('validates contacts: email, E.164 phone, at least one endpoint, known events', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', email: 'not-an-email', roles: ['qa-lead'] }, 'email'],
      [{ name: 'x', phone: '0415 555 0123', roles: ['qa-lead'] }, 'phone'],
      [{ name: 'x', roles: ['qa-lead'] }, 'email'],
      [{ name: 'x', email: 'a@example.com', roles: [] }, 'roles'],
      [{ name: 'x', email: 'a@example.com', roles: ['qa-lead'], events: ['lunch.served'] }, 'events.0'],
    ];
    for (const [body, field] of cases) {
      const response = await api(local.url, 'POST', '/contacts', { token: rm, body });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.ok(
        response.body.errors.some((error: { field: string }) => error.field === field),
        `${field}: ${JSON.stringify(response.body.errors)}`,
      );
    }
  });

  it('sends the QA lead a real email asking for the QA sign-off, and nothing for other roles', async () => {
    const qa = await contact({ name: 'Quinn QA', email: 'quinn@example.com', roles: ['qa-lead'] });
    assert.equal(qa.subscriptions[0].protocol, 'email');
    const sec = await contact({ name: 'Sam Sec', phone: '+14155550123', roles: ['security-lead'] });
    await contact({ name: 'On call', phone: '+14155550999', roles: ['devops-lead'], events: ['rollback.triggered'] });
    const listed = await api(local.url, 'GET', '/contacts', { token: rm });
    assert.equal(listed.body.items.length, 3);

    const created = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'toolboxai-v1', name: 'ToolBoxAI 1.1.0', version: '1.1.0' },
    });
    const release = created.body as ReleaseView;
    const mail = await eventually('the QA sign-off email', async () =>
      smtp.mails.find((m) => m.to.includes('quinn@example.com') && /sign-off needed/.test(subjectOf(m))),
    );
    assert.equal(subjectOf(mail), '[Shipgate] ToolBoxAI 1.1.0: sign-off needed from qa-lead at pre-release');
    assert.match(mail.raw, /^From: shipgate@localhost/im);
    const toQuinn = smtp.mails.filter((m) => m.to.includes('quinn@example.com')).map(subjectOf);
    assert.ok(!toQuinn.some((subject) => /security-lead|engineering-manager/.test(subject)), toQuinn.join(' | '));

    const outbox = await eventually('the security lead SMS', async () => {
      const response = await api(local.url, 'GET', `/notifications?releaseId=${release.id}`, { token: rm });
      const sms = response.body.items.filter(
        (entry: { protocol: string; endpoint: string }) => entry.protocol === 'sms',
      );
      return sms.some((entry: { endpoint: string }) => entry.endpoint === sec.phone) ? sms : undefined;
    });
    for (const entry of outbox) assert.ok(entry.body.length <= 160, entry.body);
    assert.ok(
      !outbox.some((entry: { endpoint: string }) => entry.endpoint === '+14155550999'),
      'on-call gets only rollbacks',
    );

    const recorded = await eventually('five sign-off requests, all published', async () => {
      const response = await api(local.url, 'GET', `/releases/${release.id}/notifications`, { token: rm });
      const items = response.body.items as { type: string; roles: string[]; delivery: { state: string } }[];
      const requests = items.filter((item) => item.type === 'signoff.requested');
      return requests.length === 5 && items.every((item) => item.delivery.state === 'published') ? items : undefined;
    });
    const requested = recorded.filter((item) => item.type === 'signoff.requested').flatMap((item) => item.roles);
    assert.deepEqual(requested.sort(), [
      'devops-lead',
      'engineering-manager',
      'product-manager',
      'qa-lead',
      'security-lead',
    ]);
  });

  it('removes a contact: its subscriptions stop, while a contact that stays still receives', async () => {
    // technical-lead signs only MantisDB's gate, so nothing earlier in this file was addressed to it.
    const gone = await contact({ name: 'Leaving', email: 'leaving@example.com', roles: ['technical-lead'] });
    await contact({ name: 'Staying', email: 'staying@example.com', roles: ['technical-lead'] });
    const removed = await api(local.url, 'DELETE', `/contacts/${gone.id}`, { token: rm });
    assert.equal(removed.status, 200);
    const again = await api(local.url, 'DELETE', `/contacts/${gone.id}`, { token: rm });
    assert.equal(again.status, 404);
    await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'mantisdb-v1', name: 'MantisDB', version: '1.0.0' },
    });
    await eventually('the staying contact to be asked for the technical-lead sign-off', async () =>
      smtp.mails.find((m) => m.to.includes('staying@example.com') && /technical-lead/.test(subjectOf(m))),
    );
    assert.ok(!smtp.mails.some((m) => m.to.includes('leaving@example.com')));
  });

  it('tells each contact of a full release exactly what concerns their role, from creation to the announcement', async () => {
    const endpoints = {
      manager: 'manager@example.com',
      devops: '+14155550777',
      stakeholder: 'board@example.com',
    };
    await contact({ name: 'Release manager', email: endpoints.manager, roles: ['release-manager'] });
    await contact({ name: 'DevOps', phone: endpoints.devops, roles: ['devops-lead'] });
    await contact({ name: 'Board', email: endpoints.stakeholder, roles: ['stakeholder'] });
    const created = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'toolboxai-v1', name: 'ToolBoxAI 1.1.1', version: '1.1.1' },
    });
    const id = (created.body as ReleaseView).id;
    const end = await drive(driver(local), id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']);
    assert.equal(end.status, 'COMPLETED');
    const received = async (endpoint: string) => {
      const response = await api(local.url, 'GET', `/notifications?releaseId=${id}&limit=1000`, { token: rm });
      return (response.body.items as { endpoint: string; type: string }[])
        .filter((entry) => entry.endpoint === endpoint)
        .map((entry) => entry.type)
        .reverse();
    };
    const announced = await eventually('the announcement', async () =>
      (await received(endpoints.stakeholder)).length > 0 ? received(endpoints.stakeholder) : undefined,
    );
    assert.deepEqual(announced, ['release.announced'], 'stakeholders hear only the announcement');
    const manager = await received(endpoints.manager);
    assert.equal(manager.filter((type) => type === 'phase.advanced').length, 4, manager.join(', '));
    assert.ok(manager.includes('release.created') && manager.includes('release.completed'), manager.join(', '));
    assert.deepEqual(
      manager.filter((type) => type === 'signoff.requested'),
      ['signoff.requested'],
      'asked once, for the release-manager sign-off of the confirmation gate',
    );
    assert.equal(manager.filter((type) => type === 'window.passed').length, 3, manager.join(', '));
    assert.ok(!manager.some((type) => type === 'escalation' || type.startsWith('rollback.')), manager.join(', '));
    const devops = await received(endpoints.devops);
    assert.equal(devops.filter((type) => type === 'step.started').length, 4, devops.join(', '));
    assert.equal(devops.filter((type) => type === 'step.completed').length, 4, devops.join(', '));
    assert.deepEqual(
      devops.filter((type) => type === 'signoff.requested'),
      ['signoff.requested'],
      'asked once, for the devops-lead sign-off of the pre-release gate',
    );
    assert.ok(!devops.some((type) => type.startsWith('window.')), 'windows go to the release manager and on-call');
  });
});

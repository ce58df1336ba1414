// The browser's way back to the CLI (RFC 8252 section 7.3): an HTTP server on the loopback address that takes one
// redirect at /callback, checks its `state` against the one this login sent, and hands over the code. The redirect
// names `localhost`, not 127.0.0.1: Cognito accepts plain http for http://localhost only. So that a browser that
// resolves localhost to ::1 reaches it too, the server listens on both loopback addresses (::1 when the host has it).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, EXIT } from '../errors.ts';

export interface Loopback {
  /** `http://localhost:<port>/callback`: the redirect_uri of the authorize request and of the code exchange. */
  readonly redirectUri: string;
  /** Resolves with the code once the redirect with the right state arrives; rejects on a wrong one or a timeout. */
  readonly code: Promise<string>;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  readonly state: string;
  /** 0 (the default) lets the system pick a free port. */
  readonly port?: number | undefined;
  /** How long to wait for the browser. @default 300 000 */
  readonly timeoutMs?: number | undefined;
}

const page = (response: ServerResponse, status: number, title: string, text: string): void => {
  const html = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  response.end(
    `<!doctype html><meta charset="utf-8"><title>Shipgate: ${html(title)}</title>` +
      `<h1>${html(title)}</h1><p>${html(text)}</p>`,
  );
};

const sameState = (got: string, want: string): boolean => {
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Listens on the loopback addresses for the one redirect of this login. */
export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may close before awaiting `code`; an unobserved rejection must not end the process.
  code.catch(() => {});
  let done = false;
  const finish = (outcome: { code: string } | { error: Error }) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if ('code' in outcome) settle?.resolve(outcome.code);
    else settle?.reject(outcome.error);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET' || url.pathname !== '/callback') {
      page(response, 404, 'Not found', 'This address only takes the sign-in redirect of `shipgate login`.');
      return;
    }
    if (done) {
      page(response, 409, 'Already done', 'This login has finished; run shipgate login again to sign in.');
      return;
    }
    const state = url.searchParams.get('state') ?? '';
    if (!sameState(state, options.state)) {
      page(response, 400, 'Sign-in refused', 'The answer does not belong to this login (its state differs).');
      finish({
        error: new CliError(
          EXIT.auth,
          'the sign-in redirect carried a state this login did not send, so it was refused and nothing was stored ' +
            '(a forged redirect, or the answer to another login): run shipgate login again',
        ),
      });
      return;
    }
    const error = url.searchParams.get('error');
    if (error) {
      const description = url.searchParams.get('error_description');
      page(response, 400, 'Sign-in failed', description ?? error);
      finish({ error: new CliError(EXIT.auth, `sign-in failed: ${error}${description ? `: ${description}` : ''}`) });
      return;
    }
    const value = url.searchParams.get('code');
    if (!value) {
      page(response, 400, 'Sign-in failed', 'The redirect carried no authorization code.');
      finish({ error: new CliError(EXIT.auth, 'the sign-in redirect carried no authorization code') });
      return;
    }
    page(response, 200, 'Signed in', 'You are signed in to Shipgate; you can close this tab.');
    finish({ code: value });
  });

  const timeoutMs = options.timeoutMs ?? 300_000;
  const timer = setTimeout(
    () =>
      finish({
        error: new CliError(
          EXIT.timedOut,
          `no sign-in arrived within ${Math.round(timeoutMs / 1000)} s: run shipgate login again`,
        ),
      }),
    timeoutMs,
  );
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new CliError(
          error.code === 'EADDRINUSE' ? EXIT.usage : EXIT.failed,
          `cannot listen for the sign-in redirect on 127.0.0.1:${options.port ?? 0}: ${error.message}`,
        ),
      );
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // The same handler on [::1]:port; a host without IPv6 (or with the port taken there) keeps 127.0.0.1 alone.
  const server6 = createServer((request, response) => server.emit('request', request, response));
  const listening6 = await new Promise<boolean>((resolve) => {
    server6.once('error', () => resolve(false));
    server6.listen(port, '::1', () => resolve(true));
  });

  return {
    redirectUri: `http://localhost:${port}/callback`,
    code,
    close: () =>
      new Promise<void>((resolve) => {
        finish({ error: new CliError(EXIT.failed, 'the login was stopped') });
        // Every answer says `connection: close`, so the last page reaches the browser before its socket ends; a
        // connection that lingers anyway is cut after a second.
        const linger = setTimeout(() => server.closeAllConnections(), 1000);
        linger.unref();
        if (listening6) {
          server6.close();
          server6.closeAllConnections();
        }
        server.close(() => {
          clearTimeout(linger);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

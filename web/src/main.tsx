// The console's start: read /config.json, finish a sign-in redirect or send the person to sign in, then render.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ApiError, createApi } from './api.ts';
import { Auth, CALLBACK_PATH, type Person } from './auth.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';
import { navigate } from './router.tsx';
import { SessionContext } from './session.tsx';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not get better by asking again; a moment of unavailability may.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 3,
      refetchOnWindowFocus: true,
      staleTime: 2_000,
    },
  },
});

function Root({ config, auth, person }: { config: RuntimeConfig; auth: Auth; person: Person }) {
  const [signedIn, setSignedIn] = useState(person);
  const api = useMemo(
    () =>
      createApi(config.apiUrl, auth, () => {
        // The token was refused (expired, revoked): sign in again and come back here.
        void auth.manager.removeUser().then(() => auth.signIn());
      }),
    [config, auth],
  );
  useEffect(() => {
    // A renewed token (refresh) replaces the one requests carry.
    const loaded = () => void auth.current().then((next) => next && setSignedIn(next));
    auth.manager.events.addUserLoaded(loaded);
    return () => auth.manager.events.removeUserLoaded(loaded);
  }, [auth]);
  return (
    <SessionContext.Provider value={{ config, auth, api, person: signedIn }}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </SessionContext.Provider>
  );
}

function Failure({ message }: { message: string }) {
  return (
    <main id="main" className="start-failure">
      <h1>Shipgate</h1>
      <div className="problem" role="alert">
        <strong>The console cannot start</strong>
        <p>{message}</p>
      </div>
      <p>
        <a href="/">Try again</a>
      </p>
    </main>
  );
}

async function start(): Promise<void> {
  const element = document.getElementById('root');
  if (!element) return;
  const root = createRoot(element);
  try {
    const config = await loadConfig();
    const auth = new Auth(config);
    if (window.location.pathname === CALLBACK_PATH) {
      const returnTo = await auth.completeSignIn();
      navigate(returnTo, { replace: true });
    }
    const person = await auth.fresh();
    if (!person) {
      await auth.signIn();
      return;
    }
    root.render(
      <StrictMode>
        <Root config={config} auth={auth} person={person} />
      </StrictMode>,
    );
  } catch (error) {
    root.render(<Failure message={error instanceof Error ? error.message : String(error)} />);
  }
}

void start();

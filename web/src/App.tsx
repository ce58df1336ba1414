// The console's frame: a skip link, the navigation, who is signed in, the theme, and the page of the current route.
import { useEffect, useState } from 'react';
import { Board } from './pages/Board.tsx';
import { Contacts } from './pages/Contacts.tsx';
import { ReleasePage } from './pages/Release.tsx';
import { TemplatePage } from './pages/Template.tsx';
import { TemplateImport } from './pages/TemplateImport.tsx';
import { Templates } from './pages/Templates.tsx';
import { Link, match, useLocation } from './router.tsx';
import { useSession } from './session.tsx';

type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'shipgate.theme';

function useTheme(): [Theme, (theme: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? 'system');
  useEffect(() => {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return [theme, setTheme];
}

function Page() {
  const { path } = useLocation();
  const release = match('/releases/:releaseId', path);
  if (release?.releaseId) return <ReleasePage releaseId={release.releaseId} />;
  if (match('/templates/import', path)) return <TemplateImport />;
  const template = match('/templates/:templateId', path);
  if (template?.templateId) return <TemplatePage templateId={template.templateId} />;
  if (match('/templates', path)) return <Templates />;
  if (match('/contacts', path)) return <Contacts />;
  if (match('/', path) || match('/releases', path)) return <Board />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/">Back to the releases</Link>.
      </p>
    </section>
  );
}

export function App() {
  const { person, auth, config } = useSession();
  const { path } = useLocation();
  const [theme, setTheme] = useTheme();
  const current = (prefix: string) =>
    (prefix === '/' ? path === '/' || path.startsWith('/releases') : path.startsWith(prefix)) ? 'page' : undefined;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          Shipgate
          {config.environment === 'local' && <span className="badge badge-info">local</span>}
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/" aria-current={current('/')}>
                Releases
              </Link>
            </li>
            <li>
              <Link href="/templates" aria-current={current('/templates')}>
                Templates
              </Link>
            </li>
            <li>
              <Link href="/contacts" aria-current={current('/contacts')}>
                Contacts
              </Link>
            </li>
          </ul>
        </nav>
        <div className="who">
          <span className="who-name" data-testid="signed-in-as">
            {person.name}
            <span className="who-roles">{person.roles.length ? person.roles.join(', ') : 'no role'}</span>
          </span>
          <label className="theme">
            <span className="visually-hidden">Theme</span>
            <select value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
              <option value="system">System theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <button type="button" className="button button-quiet" onClick={() => void auth.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page />
      </main>
    </>
  );
}

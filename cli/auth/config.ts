// The CLI's own files: the login profiles (where an API is and how to sign in to it) and, apart from them, each
// profile's tokens. Profiles hold no secret; tokens are bearer credentials, so their files are the user's alone
// (0600 in a 0700 folder) and a token file anyone else can read is refused rather than used.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from '../errors.ts';
import type { Streams } from '../output.ts';

type Env = Streams['env'];

/** How a profile gets its tokens. */
export type Grant = 'local' | 'client_credentials' | 'authorization_code';

/** Who a local dev token names, kept so an expired one can be signed again with the same claims. */
export interface LocalIdentity {
  readonly user?: string | undefined;
  readonly name?: string | undefined;
  readonly roles?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly machine?: boolean | undefined;
  readonly expiresInSeconds?: number | undefined;
}

/** A login profile: everything `shipgate login --profile <name>` was told, but never a secret. */
export interface Profile {
  readonly grant: Grant;
  /** The API's base URL; absent for a local profile that follows the local runtime wherever it listens. */
  readonly url?: string | undefined;
  /** The Cognito domain base (`https://<prefix>.auth.<region>.amazoncognito.com`): /oauth2/authorize. */
  readonly authUrl?: string | undefined;
  /** The OAuth 2.0 token endpoint. */
  readonly tokenUrl?: string | undefined;
  readonly clientId?: string | undefined;
  /** The scopes asked for, for a client-credentials or code grant. */
  readonly scopes?: readonly string[] | undefined;
  readonly local?: LocalIdentity | undefined;
}

/** A profile's cached tokens. */
export interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken?: string | undefined;
  /** When the access token expires (ISO 8601); absent when the endpoint said nothing and the token is no JWT. */
  readonly expiresAt?: string | undefined;
  readonly scope?: string | undefined;
  readonly obtainedAt: string;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROFILES_FILE = 'profiles.json';
const TOKENS_DIR = 'tokens';

const strings = z.array(z.string());
const ProfileSchema = z.object({
  grant: z.enum(['local', 'client_credentials', 'authorization_code']),
  url: z.string().optional(),
  authUrl: z.string().optional(),
  tokenUrl: z.string().optional(),
  clientId: z.string().optional(),
  scopes: strings.optional(),
  local: z
    .object({
      user: z.string().optional(),
      name: z.string().optional(),
      roles: strings.optional(),
      scopes: strings.optional(),
      machine: z.boolean().optional(),
      expiresInSeconds: z.number().optional(),
    })
    .optional(),
});
const ProfilesFileSchema = z.object({ profiles: z.record(z.string(), ProfileSchema) });
const TokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().optional(),
  expiresAt: z.string().optional(),
  scope: z.string().optional(),
  obtainedAt: z.string(),
});

/** The config folder: $SHIPGATE_CONFIG_DIR, else $XDG_CONFIG_HOME/shipgate, else ~/.config/shipgate. */
export function configDir(env: Env): string {
  if (env.SHIPGATE_CONFIG_DIR) return resolve(env.SHIPGATE_CONFIG_DIR);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and to be ignored.
  if (env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)) return join(env.XDG_CONFIG_HOME, 'shipgate');
  return join(env.HOME || homedir(), '.config', 'shipgate');
}

/** Refuses a profile name that is not a plain file name, so it can never point outside the config folder. */
export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new CliError(
      EXIT.usage,
      `${JSON.stringify(name)} is not a profile name: letters, digits, '.', '_' and '-', at most 64, ` +
        'starting with a letter or digit',
    );
  }
  return name;
}

export const profilesPath = (env: Env): string => join(configDir(env), PROFILES_FILE);
export const tokensPath = (env: Env, profile: string): string =>
  join(configDir(env), TOKENS_DIR, `${checkProfileName(profile)}.json`);

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Writes a whole file under a temporary name, then renames it over the old one: a reader sees old or new. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

function readProfilesFile(env: Env): Record<string, Profile> {
  const path = profilesPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errno(error) === 'ENOENT') return {};
    throw new CliError(EXIT.failed, `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.usage, `${path} is not JSON: fix it, or delete it and log in again`);
  }
  const result = ProfilesFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? ` (${issue.path.join('.')}: ${issue.message})` : '';
    throw new CliError(EXIT.usage, `${path} is not a Shipgate profiles file${where}: fix it, or delete it`);
  }
  return result.data.profiles;
}

/** Every stored profile by name. */
export function listProfiles(env: Env): Readonly<Record<string, Profile>> {
  return readProfilesFile(env);
}

export function readProfile(env: Env, name: string): Profile | undefined {
  checkProfileName(name);
  return readProfilesFile(env)[name];
}

/** Stores a profile, writing the file only when it changes (so logins in parallel CI jobs rarely write it). */
export function writeProfile(env: Env, name: string, profile: Profile): void {
  checkProfileName(name);
  const profiles = readProfilesFile(env);
  const next = JSON.stringify(profile);
  if (profiles[name] !== undefined && JSON.stringify(profiles[name]) === next) return;
  ensureDir(configDir(env));
  const all = { ...profiles, [name]: JSON.parse(next) as Profile };
  writeAtomically(profilesPath(env), `${JSON.stringify({ profiles: all }, null, 2)}\n`);
}

/**
 * Opens a token file only if it is a regular file of this user that no one else may read or change, as ssh does
 * with private keys; the checks are made on the open file, so a swap after the check cannot slip through.
 */
function readPrivateFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    if (errno(error) === 'ELOOP') {
      throw new CliError(EXIT.auth, `the token file ${path} is a symbolic link: delete it and log in again`);
    }
    throw new CliError(EXIT.auth, `cannot read the token file ${path}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CliError(EXIT.auth, `the token file ${path} is not a file: delete it`);
    // Windows has no POSIX mode bits; its ACLs keep a profile folder private by default.
    if (process.platform !== 'win32') {
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) {
        throw new CliError(
          EXIT.auth,
          `the token file ${path} belongs to another user (uid ${stat.uid}); refusing to use it: delete it and log in again`,
        );
      }
      const mode = stat.mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new CliError(
          EXIT.auth,
          `the token file ${path} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); ` +
            `refusing to use it. Fix it with: chmod 600 ${path} (or delete it and log in again)`,
        );
      }
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A profile's cached tokens, or undefined when there are none. Refuses a file other users can read. */
export function readTokens(env: Env, profile: string): StoredTokens | undefined {
  const path = tokensPath(env, profile);
  const text = readPrivateFile(path);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = TokensSchema.safeParse(parsed);
  if (!result.success) {
    throw new CliError(
      EXIT.auth,
      `the token file ${path} is damaged: run shipgate logout --profile ${profile}, then log in again`,
    );
  }
  return result.data;
}

/** Caches a profile's tokens: mode 0600 in a 0700 folder. */
export function writeTokens(env: Env, profile: string, tokens: StoredTokens): void {
  const path = tokensPath(env, profile);
  ensureDir(join(configDir(env), TOKENS_DIR));
  writeAtomically(path, `${JSON.stringify(tokens, null, 2)}\n`);
}

/** Removes a profile's tokens; true when there were some. */
export function removeTokens(env: Env, profile: string): boolean {
  try {
    unlinkSync(tokensPath(env, profile));
    return true;
  } catch (error) {
    if (errno(error) === 'ENOENT') return false;
    throw new CliError(EXIT.failed, `cannot remove ${tokensPath(env, profile)}: ${(error as Error).message}`);
  }
}

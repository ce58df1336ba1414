// The on-call contacts subscribed to the alarms topic at deploy time: read from the `shipgate:onCall` context (or the
// stack's `onCall` property) and checked at synthesis, so a typo fails `cdk synth`, not the first page.

/** The CDK context key of the on-call contacts. */
export const ON_CALL_CONTEXT = 'shipgate:onCall';

/**
 * Who gets every state change of every alarm acting on the alarms topic (see docs/notifications.md). Each entry
 * becomes one SNS subscription of the alarms topic.
 *
 * In `cdk.json`, under `context`, or on the command line as JSON:
 * ```sh
 * cdk deploy -c 'shipgate:onCall={"emails":["oncall@example.com"],"phones":["+4915112345678"],
 *   "urls":["https://events.example.com/integration/abc"]}'   # (one line)
 * ```
 */
export interface OnCallContacts {
  /** Email addresses; each must confirm the subscription from the message SNS sends it. */
  readonly emails?: readonly string[];
  /** Phone numbers in E.164 (`+` and up to 15 digits), texted by SNS (the account's SMS settings apply). */
  readonly phones?: readonly string[];
  /**
   * HTTPS endpoints of a paging tool, which receive SNS's JSON notification and must confirm the subscription. They
   * are stored in the template as given: an integration key in a URL is visible to whoever can read the stack.
   */
  readonly urls?: readonly string[];
}

// A pragmatic address check: one `@`, no spaces, a dot in the domain. SNS asks the address to confirm anyway.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;
// E.164: a `+`, a country code not starting with 0, at most 15 digits in all.
const E164 = /^\+[1-9]\d{1,14}$/;

const KEYS = ['emails', 'phones', 'urls'] as const;

/**
 * Checks on-call contacts and returns them with every list present. `source` names where they came from (the context
 * key or the property) in the error, which also names the offending entry. Throws on anything but an object with
 * `emails`, `phones` and `urls` lists of strings (a misspelt key too), an invalid address, number or URL, a URL that
 * is not HTTPS, and a contact listed twice. A JSON string (what `-c key=value` passes) is parsed first; `undefined`
 * means no contacts.
 */
export function parseOnCall(value: unknown, source: string = `context ${ON_CALL_CONTEXT}`): Required<OnCallContacts> {
  const fail = (problem: string): never => {
    throw new Error(`${source}: ${problem}`);
  };
  if (value === undefined || value === null) return { emails: [], phones: [], urls: [] };
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      fail('is not valid JSON; expected {"emails": [...], "phones": [...], "urls": [...]}');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('must be an object {"emails": [...], "phones": [...], "urls": [...]}');
  }
  for (const key of Object.keys(parsed)) {
    if (!(KEYS as readonly string[]).includes(key)) fail(`unknown key "${key}" (expected ${KEYS.join(', ')})`);
  }
  const record = parsed as Record<string, unknown>;
  const listOf = (key: (typeof KEYS)[number], valid: (entry: string) => string | undefined): string[] => {
    const list = record[key];
    if (list === undefined) return [];
    if (!Array.isArray(list)) return fail(`${key} must be a list of strings`);
    const seen = new Set<string>();
    return list.map((entry: unknown, index) => {
      if (typeof entry !== 'string') return fail(`${key}[${index}] must be a string`);
      const problem = valid(entry);
      if (problem !== undefined) fail(`${key}[${index}] ${JSON.stringify(entry)} ${problem}`);
      if (seen.has(entry)) fail(`${key}[${index}] ${JSON.stringify(entry)} is listed twice`);
      seen.add(entry);
      return entry;
    });
  };
  return {
    emails: listOf('emails', (email) => (EMAIL.test(email) ? undefined : 'is not an email address')),
    phones: listOf('phones', (phone) =>
      E164.test(phone) ? undefined : 'is not an E.164 phone number (+, country code, number; digits only)',
    ),
    urls: listOf('urls', (url) => {
      let parsedUrl: URL;
      try {
        parsedUrl = new URL(url);
      } catch {
        return 'is not a URL';
      }
      return parsedUrl.protocol === 'https:' ? undefined : 'is not an HTTPS URL (SNS would send alarms in the clear)';
    }),
  };
}

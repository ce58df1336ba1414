// SNS subscription filter policies (MessageAttributes scope): the policy that routes notifications to a contact, and
// an evaluator with SNS's semantics, so the local runtime delivers exactly what SNS would.
//
// Semantics and limits follow the Amazon SNS Developer Guide:
// - https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html (each policy key must match)
// - https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html (exact, anything-but, equals-ignore-case,
//   prefix, suffix, wildcard, cidr; String.Array elements are matched one by one)
// - https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html (numeric =, <, <=, >, >=, ranges)
// - https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html (exists true / false)
// - https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html (AND across keys, OR within a key, `$or`, and the
//   complexity of a policy with `$or`: the sum over its OR branches of the product of their value counts)
// - https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html (5 keys, 150 combinations,
//   numbers within ±10^9, no nesting in MessageAttributes scope, case-sensitive strings)
import { ValidationFailed } from '../errors.ts';
import type { Contact, FilterPolicy, MessageAttributes } from './notification.ts';

/** SNS: "A filter policy can have a maximum of five keys." */
export const MAX_FILTER_POLICY_KEYS = 5;
/** SNS: "The total combination of values in a filter policy must not exceed 150." */
export const MAX_FILTER_POLICY_COMBINATIONS = 150;
/** SNS: numeric matching covers -10^9 to 10^9. */
const MAX_NUMERIC = 1e9;

const OPERATORS = [
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
] as const;
type Operator = (typeof OPERATORS)[number];
const isOperator = (key: string): key is Operator => (OPERATORS as readonly string[]).includes(key);

/** One attribute's value, as SNS types it: String (string), Number (number) or String.Array (string[]). */
type AttributeValue = MessageAttributes[string];

/**
 * The policy a contact subscribes with. A message reaches the contact when it is for one of their roles (the
 * `roles` String.Array attribute has one of them) or pages their escalation level (`escalationLevel` = theirs), and,
 * when the contact chose events, its `eventType` is one of them. `$or` is used only when the contact has an
 * escalation level (and roles); without roles, the level alone decides. Throws ValidationFailed (an Error that
 * names the field; a 400 when it comes from a request) when the contact could receive nothing (no role and no
 * level, or an empty event list), or when its policy would break SNS's limits: 5 keys, and 150 combinations, which
 * here are roles x events, plus events once more with an escalation level.
 */
export function filterPolicyFor(contact: Pick<Contact, 'roles' | 'escalationLevel' | 'events'>): FilterPolicy {
  const roles = [...new Set(contact.roles)];
  const level = contact.escalationLevel;
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= MAX_NUMERIC)) {
    throw ValidationFailed.field('escalationLevel', `must be a positive integer, not ${level}`);
  }
  if (roles.length === 0 && level === undefined) {
    throw ValidationFailed.field(
      'roles',
      'a contact needs at least one role or an escalation level, or no notification would reach it',
    );
  }
  const events = contact.events === undefined ? undefined : [...new Set(contact.events)];
  if (events?.length === 0) {
    throw ValidationFailed.field(
      'events',
      'is empty, so no notification would reach the contact: leave it out to receive every event',
    );
  }
  const byLevel = level === undefined ? undefined : { escalationLevel: [{ numeric: ['=', level] }] };
  const byRole = roles.length > 0 ? { roles } : undefined;
  const audience = byRole && byLevel ? { $or: [byRole, byLevel] } : (byRole ?? byLevel);
  const policy: FilterPolicy = { ...audience, ...(events ? { eventType: events } : {}) };
  const { keys, combinations } = filterPolicyComplexity(policy);
  if (keys > MAX_FILTER_POLICY_KEYS || combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    throw ValidationFailed.field(
      'roles',
      `this contact's SNS filter policy would have ${keys} keys and ${combinations} combinations of values; SNS allows ` +
        `${MAX_FILTER_POLICY_KEYS} keys and ${MAX_FILTER_POLICY_COMBINATIONS} combinations (roles x events, plus ` +
        'events once more with an escalation level): choose fewer roles or events',
    );
  }
  return policy;
}

/**
 * One AND-branch of a policy: attribute names, each with the conditions (OR-ed) its value must meet. A name may
 * come twice (outside and inside a `$or`): both must then be met.
 */
type Branch = readonly (readonly [key: string, conditions: readonly unknown[]])[];

/**
 * The size of a policy as SNS counts it: `keys`, the distinct attribute names it names (across all `$or` branches),
 * and `combinations`, the sum over its OR branches of the product of the number of values of each key. Throws when
 * the policy is malformed (a key whose value is not a non-empty array, or nested objects).
 */
export function filterPolicyComplexity(policy: FilterPolicy): { keys: number; combinations: number } {
  const branches = flatten(policy);
  const keys = new Set(branches.flatMap((branch) => branch.map(([key]) => key)));
  const combinations = branches.reduce(
    (sum, branch) => sum + branch.reduce((product, [, values]) => product * values.length, 1),
    0,
  );
  return { keys: keys.size, combinations };
}

/** Whether SNS treats a `$or` entry as the OR operator: an array of at least two objects naming no operator. */
function isOrOperator(value: unknown): value is readonly Readonly<Record<string, unknown>>[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((entry) => isPlainObject(entry) && !Object.keys(entry).some(isOperator))
  );
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The policy as OR-ed AND-branches (disjunctive normal form), `$or` expanded. */
function flatten(policy: Readonly<Record<string, unknown>>): Branch[] {
  let branches: Branch[] = [[]];
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or' && isOrOperator(value)) {
      const alternatives = value.flatMap((entry) => flatten(entry));
      branches = branches.flatMap((branch) => alternatives.map((alternative) => [...branch, ...alternative]));
      continue;
    }
    if (!Array.isArray(value)) {
      throw new Error(
        isPlainObject(value)
          ? `filter policy key '${key}': nested policies are not allowed for message attributes`
          : `filter policy key '${key}' must be an array of values`,
      );
    }
    if (value.length === 0) throw new Error(`filter policy key '${key}': empty arrays are not allowed`);
    branches = branches.map((branch) => [...branch, [key, value]]);
  }
  return branches;
}

/**
 * Whether SNS would deliver a message with these attributes to a subscription with this policy (MessageAttributes
 * scope): some OR branch has every key met, a key being met when at least one of its conditions matches. A string
 * is `String`, a number `Number`, a string array `String.Array` (met when any element matches a condition). A key
 * the message lacks meets only `{"exists": false}`. Comparisons are type-strict: string conditions never match a
 * Number, numeric ones never a String; `anything-but` matches any value that is not one of its values (of whatever
 * type) and, like every condition but `exists: false`, fails on a missing key. An empty policy matches everything.
 * Throws on a malformed condition, as SNS would refuse the policy.
 */
export function matchesFilterPolicy(policy: FilterPolicy, attributes: MessageAttributes): boolean {
  const branches = flatten(policy);
  for (const branch of branches) for (const [, conditions] of branch) conditions.forEach(validate);
  return branches.some((branch) =>
    branch.every(([key, conditions]) => {
      const value = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      return conditions.some((condition) => meets(condition, value));
    }),
  );
}

/** One (validated) condition against one attribute, undefined when the message lacks it. */
function meets(condition: unknown, value: AttributeValue | undefined): boolean {
  if (isPlainObject(condition) && 'exists' in condition) return condition.exists === (value !== undefined);
  if (value === undefined) return false;
  if (typeof value === 'string' || typeof value === 'number') return meetsScalar(condition, value);
  // String.Array: "each element in the array is treated as a separate string for matching purposes". For
  // anything-but, string-value-matching.html's examples have ["rugby", "baseball"] match {"anything-but": ["rugby",
  // "tennis"]} ("because it contains a value that isn't rugby or tennis") and ["rugby"] not match; its prose ("none
  // of the array elements are listed") contradicts that example, so this follows the examples: any element.
  return value.some((element) => meetsScalar(condition, element));
}

function operand(condition: Readonly<Record<string, unknown>>, key: Operator): unknown {
  const keys = Object.keys(condition);
  if (keys.length !== 1) throw new Error(`a filter condition has one operator, not ${keys.join(', ') || 'none'}`);
  return condition[key];
}

/** Throws on a condition SNS would refuse; returns when it is well formed. */
function validate(condition: unknown): void {
  if (isPlainObject(condition) && 'exists' in condition) {
    if (typeof operand(condition, 'exists') !== 'boolean') throw new Error('"exists" takes true or false');
    return;
  }
  if (typeof condition === 'string' || condition === null || typeof condition === 'boolean') return;
  if (typeof condition === 'number') {
    checkNumber(condition);
    return;
  }
  if (!isPlainObject(condition)) throw new Error(`unsupported filter condition ${JSON.stringify(condition)}`);
  const [key] = Object.keys(condition);
  if (key === undefined || !isOperator(key)) {
    throw new Error(`unsupported filter operator ${key === undefined ? '(none)' : `'${key}'`}`);
  }
  const value = operand(condition, key);
  switch (key) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
    case 'cidr':
      if (typeof value !== 'string') throw new Error(`"${key}" takes a string`);
      if (key === 'cidr') parseCidr(value);
      return;
    case 'numeric':
      numericRange(value);
      return;
    case 'anything-but':
      anythingBut(value);
      return;
    case 'exists':
      return;
  }
}

function checkNumber(value: number): void {
  if (!Number.isFinite(value) || Math.abs(value) > MAX_NUMERIC) {
    throw new Error(`numeric filter values must lie within -1e9 and 1e9, not ${value}`);
  }
}

type Bound = { readonly op: '=' | '<' | '<=' | '>' | '>='; readonly value: number };

/** `["=", 5]`, `[">", 0]`, or a range `[">", 0, "<=", 150]` (lower bound first). */
function numericRange(value: unknown): readonly Bound[] {
  const ops = ['=', '<', '<=', '>', '>='] as const;
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) {
    throw new Error('"numeric" takes [operator, number] or [lower operator, number, upper operator, number]');
  }
  const bounds: Bound[] = [];
  for (let index = 0; index < value.length; index += 2) {
    const op = ops.find((candidate) => candidate === value[index]);
    const number: unknown = value[index + 1];
    if (!op || typeof number !== 'number')
      throw new Error(`"numeric": bad operator or value in ${JSON.stringify(value)}`);
    checkNumber(number);
    bounds.push({ op, value: number });
  }
  const [lower, upper] = bounds;
  if (upper && !(lower && (lower.op === '>' || lower.op === '>=') && (upper.op === '<' || upper.op === '<='))) {
    throw new Error(
      `"numeric" range must be a lower bound (>, >=) then an upper bound (<, <=): ${JSON.stringify(value)}`,
    );
  }
  return bounds;
}

type AnythingBut =
  | { readonly kind: 'values'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'prefix' | 'suffix' | 'wildcard' | 'equals-ignore-case'; readonly value: string };

/** `"x"`, `5`, `["x", "y"]`, `[1, 2]`, or `{"prefix" | "suffix" | "wildcard" | "equals-ignore-case": "x"}`. */
function anythingBut(value: unknown): AnythingBut {
  if (typeof value === 'string' || typeof value === 'number') return anythingBut([value]);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Error('"anything-but" takes a non-empty list');
    const values: (string | number)[] = [];
    for (const entry of value) {
      if (typeof entry === 'number') checkNumber(entry);
      else if (typeof entry !== 'string') throw new Error('"anything-but" lists strings or numbers');
      values.push(entry);
    }
    return { kind: 'values', values };
  }
  if (isPlainObject(value)) {
    const [key] = Object.keys(value);
    if (key === 'prefix' || key === 'suffix' || key === 'wildcard' || key === 'equals-ignore-case') {
      const inner = operand(value, key);
      if (typeof inner === 'string') return { kind: key, value: inner };
    }
  }
  throw new Error(`unsupported "anything-but" value ${JSON.stringify(value)}`);
}

/** A validated condition against one String or Number value. */
function meetsScalar(condition: unknown, value: string | number): boolean {
  if (typeof condition === 'string') return value === condition;
  if (typeof condition === 'number') return typeof value === 'number' && value === condition;
  if (!isPlainObject(condition)) return false; // null and booleans match no String, Number or String.Array value
  const [key] = Object.keys(condition);
  const operandValue = key === undefined ? undefined : condition[key];
  switch (key) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(operandValue as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(operandValue as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && foldCase(value) === foldCase(operandValue as string);
    case 'wildcard':
      return typeof value === 'string' && wildcard(operandValue as string).test(value);
    case 'cidr':
      return typeof value === 'string' && inCidr(value, operandValue as string);
    case 'numeric':
      return typeof value === 'number' && numericRange(operandValue).every((bound) => compare(value, bound));
    case 'anything-but':
      return !anythingButHits(anythingBut(operandValue), value);
    default:
      return false;
  }
}

/** Whether the value is one of what `anything-but` excludes. */
function anythingButHits(excluded: AnythingBut, value: string | number): boolean {
  if (excluded.kind === 'values') return excluded.values.some((entry) => entry === value);
  if (typeof value !== 'string') return false;
  switch (excluded.kind) {
    case 'prefix':
      return value.startsWith(excluded.value);
    case 'suffix':
      return value.endsWith(excluded.value);
    case 'equals-ignore-case':
      return foldCase(value) === foldCase(excluded.value);
    case 'wildcard':
      return wildcard(excluded.value).test(value);
  }
}

const foldCase = (text: string): string => text.toLowerCase();

function compare(value: number, bound: Bound): boolean {
  switch (bound.op) {
    case '=':
      return value === bound.value;
    case '<':
      return value < bound.value;
    case '<=':
      return value <= bound.value;
    case '>':
      return value > bound.value;
    case '>=':
      return value >= bound.value;
  }
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcard(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    const next = pattern[index + 1];
    if (char === '\\' && (next === '*' || next === '\\')) {
      source += `\\${next}`;
      index += 1;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((address, octet) => address * 256 + octet, 0);
}

/** An IPv4 CIDR block as [network, prefix length]; IPv6 blocks are not evaluated locally and throw. */
function parseCidr(cidr: string): { network: number; bits: number } {
  const [address = '', bitsText = '32', ...rest] = cidr.split('/');
  const network = ipv4(address);
  const bits = Number(bitsText);
  if (network === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bitsText) || bits > 32) {
    throw new Error(`"cidr": '${cidr}' is not an IPv4 CIDR block (IPv6 is not evaluated locally)`);
  }
  return { network, bits };
}

function inCidr(value: string, cidr: string): boolean {
  const address = ipv4(value);
  if (address === undefined) return false;
  const { network, bits } = parseCidr(cidr);
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(network / size);
}

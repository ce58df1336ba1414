// Input schemas of the HTTP API: strict (unknown fields are errors) and bounded (every string and array has a limit).
import { z } from 'zod';
import { NOTIFICATION_TYPES } from '../core/notify/notification.ts';
import { MAX_SAMPLES_PER_BATCH } from '../core/ports.ts';
import { ITEM_STATUSES, RELEASE_STATUSES } from '../core/release/status.ts';
import { MetricUnit } from '../core/template/template.ts';

const slug = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug such as qa-lead');

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** Ids in paths: what Shipgate issues is URL-safe; anything else cannot name a stored thing. */
const pathId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, - and _');

export const ReleaseParams = z.object({ releaseId: pathId });
export const TemplateParams = z.object({ templateId: pathId });
export const ItemParams = z.object({ releaseId: pathId, itemId: pathId });
export const SignoffParams = z.object({ releaseId: pathId, gate: slug, role: slug });

/** A template version in a path or a query: a positive whole number. */
const templateVersion = z.coerce
  .number({ message: 'must be a version number such as 2' })
  .int('must be a whole number')
  .min(1, 'must be 1 or more')
  .max(1_000_000);

export const CreateReleaseBody = z.strictObject({
  templateId: slug,
  /** @default the template's latest version */
  templateVersion: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(1_000_000).optional(),
  name: text(200),
  version: text(64),
  description: text(4000).optional(),
  plannedAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2026-12-01T09:00:00Z' })
    .optional(),
  /** CloudWatch alarm names (1-255 characters, no control characters). */
  alarmNames: z
    .array(
      z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^\p{Cc}]+$/u, 'must be a CloudWatch alarm name')
        // Shipgate's own alarms (`<stack>.rollback-…` of other releases, `<stack>.health-…` of the service) are not a
        // release's to watch: naming one would roll a release back whenever Shipgate itself degrades.
        .refine((name) => !/^[A-Za-z][A-Za-z0-9-]*\.(rollback|health)-/.test(name), {
          message:
            "is one of Shipgate's own alarms (<stack>.rollback-… or <stack>.health-…); name your service's alarms",
        }),
    )
    .max(20)
    .optional(),
});

/** Query strings arrive as text; a limit is a whole number within bounds. */
const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(max)
    .default(fallback);

export const ListReleasesQuery = z.strictObject({
  status: z.enum(RELEASE_STATUSES).optional(),
  limit: limit(100, 20),
  cursor: z.string().min(1).max(2048).optional(),
});

export const PageQuery = z.strictObject({
  limit: limit(200, 50),
  cursor: z.string().min(1).max(2048).optional(),
});

export const UpdateItemBody = z.strictObject({
  status: z.enum(ITEM_STATUSES),
  evidence: z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
        .max(2048)
        .optional(),
      note: text(4000).optional(),
    })
    .optional(),
  reason: text(2000).optional(),
  expectedVersion: z.number().int().min(0).optional(),
});

export const SignoffBody = z.strictObject({
  gate: slug,
  role: slug,
  decision: z.enum(['approve', 'reject']),
  comment: text(4000).optional(),
});

export const ReasonBody = z.strictObject({ reason: text(2000) });

/** E.164: a plus, a country code and the number, 8 to 15 digits in all. */
const e164 = z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +14155550123');

export const ContactBody = z
  .strictObject({
    name: text(200),
    email: z.email({ message: 'must be an email address' }).max(254).optional(),
    phone: e164.optional(),
    roles: z.array(slug).min(1, 'must name at least one role').max(20),
    escalationLevel: z.number().int().min(1).max(10).optional(),
    events: z.array(z.enum(NOTIFICATION_TYPES)).min(1).max(NOTIFICATION_TYPES.length).optional(),
  })
  .refine((contact) => contact.email !== undefined || contact.phone !== undefined, {
    message: 'a contact needs an email address or a phone number',
    path: ['email'],
  });

export const ContactParams = z.object({ contactId: pathId });

export const AcknowledgeBody = z.strictObject({ note: text(2000).optional() });

/** A batch of metric samples; names are the template's dotted metric names (`api.latency.p95`). */
export const MetricsBody = z.strictObject({
  samples: z
    .array(
      z.strictObject({
        name: z
          .string()
          .max(200)
          .regex(/^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/, 'must be a dotted metric name such as api.latency.p95'),
        // Bounded so every value is kept exactly: the store's numbers are exact up to 2^53.
        value: z.number().finite().min(-1e15, 'must be at least -1e15').max(1e15, 'must be at most 1e15'),
        unit: MetricUnit.optional(),
        // Kept in UTC: samples sort and are compared by their timestamp text, which only UTC keeps in time order.
        at: z.iso
          .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
          .transform((value) => new Date(value).toISOString())
          .optional(),
      }),
    )
    .min(1)
    // A batch is stored whole or not at all, in one DynamoDB transaction of at most 100 rows, one of them the mark of
    // the request's Idempotency-Key record.
    .max(
      MAX_SAMPLES_PER_BATCH,
      `at most ${MAX_SAMPLES_PER_BATCH} samples per request: a batch is stored whole or not at all; send more in several requests`,
    ),
});

/** The largest checklist or template document POST /templates takes, in bytes (2 MiB). */
export const MAX_TEMPLATE_BYTES = 2 * 1024 * 1024;

export const ImportTemplateQuery = z.strictObject({
  id: slug.max(64).optional(),
  dryRun: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
});

export const TemplateVersionParams = z.object({ templateId: pathId, version: templateVersion });

export const ExportTemplateQuery = z.strictObject({ version: templateVersion.optional() });

export const ArchiveTemplateBody = z.strictObject({
  /** @default true; false brings an archived template back. */
  archived: z.boolean({ message: 'must be true or false' }).optional(),
});

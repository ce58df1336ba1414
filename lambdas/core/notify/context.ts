// What every message reads off the event and the release: the release's name, the event's data, an item's state.

import { itemStatus } from '../release/items.ts';
import type { AuditEvent } from '../release/release.ts';
import type { TemplateItem } from '../template/template.ts';
import type { Action, Context } from './draft.ts';
import { oneLine } from './text.ts';

/** The release's name for messages, on one line; its id when the name is empty. */
export const nameOf = (ctx: Context): string => oneLine(ctx.agg.release.name) || ctx.agg.release.id;

/** A string field of an event's data. */
export const dataString = (event: AuditEvent, key: string): string | undefined => {
  const value = event.data[key];
  return typeof value === 'string' ? value : undefined;
};

/** The call to action of a message that asks for nothing: the release's status. */
export const look = (ctx: Context): Action => ({ label: 'Status:', method: 'GET', path: ctx.releasePath });

/** A checklist item as one line of an email, with its state in this release. */
export const itemLine = (ctx: Context, item: TemplateItem): string =>
  `${oneLine(item.title)} (${item.id})${item.required ? '' : ', optional'}: ${itemStatus(ctx.agg, item)}`;

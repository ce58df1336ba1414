// Reading a CloudWatch alarm state-change notification, as SNS delivers it (the Message is the alarm's JSON).
import { z } from 'zod';
import { RELEASE_DIMENSION } from '../core/monitoring/alarms.ts';

const AlarmMessage = z.object({
  AlarmName: z.string().min(1),
  NewStateValue: z.string().min(1),
  NewStateReason: z.string().default(''),
  Trigger: z
    .object({
      Dimensions: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
    })
    .partial()
    .optional(),
});

export interface AlarmChange {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
  readonly releaseId?: string | undefined;
}

/** The alarm change an SNS message carries, or undefined when the message is not a CloudWatch alarm notification. */
export function alarmChangeOf(message: string): AlarmChange | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  const result = AlarmMessage.safeParse(parsed);
  if (!result.success) return undefined;
  const alarm = result.data;
  const releaseId = alarm.Trigger?.Dimensions?.find((dimension) => dimension.name === RELEASE_DIMENSION)?.value;
  return { name: alarm.AlarmName, state: alarm.NewStateValue, reason: alarm.NewStateReason, releaseId };
}

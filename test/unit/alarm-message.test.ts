import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alarmChangeOf } from '../../lambdas/events/alarm-message.ts';

describe('CloudWatch alarm notifications', () => {
  it('reads the alarm name, new state, reason and the ReleaseId dimension', () => {
    const message = JSON.stringify({
      AlarmName: 'shipgate-p95',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: 1 datapoint [612.0] was greater than the threshold (500.0).',
      OldStateValue: 'OK',
      Trigger: { MetricName: 'api.latency.p95', Dimensions: [{ name: 'ReleaseId', value: '01ABC' }] },
    });
    assert.deepEqual(alarmChangeOf(message), {
      name: 'shipgate-p95',
      state: 'ALARM',
      reason: 'Threshold Crossed: 1 datapoint [612.0] was greater than the threshold (500.0).',
      releaseId: '01ABC',
    });
  });

  it('refuses what is not an alarm notification', () => {
    assert.equal(alarmChangeOf('not json'), undefined);
    assert.equal(alarmChangeOf(JSON.stringify({ hello: 'world' })), undefined);
    assert.equal(alarmChangeOf(JSON.stringify({ AlarmName: 'a', NewStateValue: 'ALARM' }))?.releaseId, undefined);
  });
});

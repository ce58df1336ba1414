// CloudWatch's state reasons read for their figures, so rollbacks are explained in words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alarmFigures } from '../../lambdas/core/monitoring/alarm-reason.ts';

describe('alarm reasons', () => {
  it("reads the quoted datapoints and the threshold of CloudWatch's wording", () => {
    const reason =
      'Threshold Crossed: 2 out of the last 3 datapoints [612.0 (04/12/26 10:02:00), 540.5 (04/12/26 10:01:00)] ' +
      'were greater than the threshold (500.0) (minimum 2 datapoints for OK -> ALARM transition).';
    assert.deepEqual(alarmFigures(reason), { observed: [612, 540.5], threshold: 500 });
    assert.deepEqual(alarmFigures('Threshold Crossed: 1 datapoint [1.2E-4] was greater than the threshold (1.0E-5).'), {
      observed: [0.00012],
      threshold: 0.00001,
    });
  });

  it('gives nothing for a reason without figures', () => {
    assert.equal(alarmFigures('Threshold Crossed: 5xx > 2%'), undefined);
    assert.equal(alarmFigures('Insufficient Data: 1 datapoint was unknown.'), undefined);
    assert.equal(alarmFigures(''), undefined);
  });
});

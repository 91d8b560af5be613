import { comparePaired, confidenceInterval, studentTCdf, studentTQuantile } from '../../ts/report/statistics.js';

describe('Student t distribution', () => {
  // Two-sided 95% critical values from printed t tables.
  test.each([
    [1, 12.7062],
    [2, 4.3027],
    [4, 2.7764],
    [9, 2.2622],
    [30, 2.0423],
  ])('when df = %i then the 97.5%% quantile is %f', (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 3);
  });

  test('when t = 0 then the CDF is one half; with df = 1 it is the Cauchy CDF', () => {
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
    expect(studentTCdf(1, 1)).toBeCloseTo(0.5 + Math.atan(1) / Math.PI, 10);
    expect(studentTCdf(-2, 1)).toBeCloseTo(0.5 + Math.atan(-2) / Math.PI, 10);
  });
});

describe('confidenceInterval', () => {
  test('when the values are 1..5 then the interval is 3 +- 2.7764 * sqrt(2.5 / 5)', () => {
    const interval = confidenceInterval([1, 2, 3, 4, 5]);
    const half = 2.776445105 * Math.sqrt(2.5 / 5);
    expect(interval.mean).toBe(3);
    expect(interval.low).toBeCloseTo(3 - half, 6);
    expect(interval.high).toBeCloseTo(3 + half, 6);
  });

  test('when n = 1 then there is a mean but no interval', () => {
    expect(confidenceInterval([4])).toEqual({ mean: 4, low: null, high: null, n: 1 });
  });
});

describe('comparePaired', () => {
  test('when differences are 1, 2, 3 then t = 2 * sqrt(3) and p matches the t table', () => {
    // d = [1, 2, 3]: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.4641 with df 2;
    // two-sided p = 2 * (1 - F(3.4641)) = 1 / ... computed in closed form for
    // df = 2: F(t) = 0.5 + t / (2 sqrt(2 + t^2)).
    const result = comparePaired([11, 12, 13], [10, 10, 10]);
    const t = 2 * Math.sqrt(3);
    const expectedP = 2 * (1 - (0.5 + t / (2 * Math.sqrt(2 + t * t))));
    expect(result.mean).toBe(2);
    expect(result.p_value).toBeCloseTo(expectedP, 10);
    expect(result.low).toBeCloseTo(2 - 4.302652730 / Math.sqrt(3), 6);
  });

  test('when every difference is zero then p is 1', () => {
    expect(comparePaired([1, 2], [1, 2]).p_value).toBe(1);
  });
});

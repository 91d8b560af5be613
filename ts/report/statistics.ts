// Small-sample statistics for comparing arms over seeds: Student-t
// confidence intervals and the paired t-test. The t distribution comes from
// the regularised incomplete beta function (Numerical Recipes, 3rd ed.,
// section 6.4), evaluated by its continued fraction.

export function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

// With n - 1 in the denominator; undefined (null) for fewer than two values.
export function sampleStandardDeviation(values: number[]): number | null {
  const centre = mean(values);
  if (centre === null || values.length < 2) return null;
  const squares = values.reduce((sum, value) => sum + (value - centre) ** 2, 0);
  return Math.sqrt(squares / (values.length - 1));
}

export interface Interval {
  mean: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

// Two-sided interval for the mean at `level` (0.95 by default), from the
// Student t distribution with n - 1 degrees of freedom.
export function confidenceInterval(values: number[], level = 0.95): Interval {
  const centre = mean(values);
  const sd = sampleStandardDeviation(values);
  if (centre === null || sd === null) {
    return { mean: centre, low: null, high: null, n: values.length };
  }
  const halfWidth = studentTQuantile(1 - (1 - level) / 2, values.length - 1) * (sd / Math.sqrt(values.length));
  return { mean: centre, low: centre - halfWidth, high: centre + halfWidth, n: values.length };
}

export interface PairedComparison extends Interval {
  p_value: number | null;
  test: 'paired t-test (two-sided)';
}

// arm - baseline, paired by seed: the interval of the mean difference and
// the two-sided p-value of the paired t-test.
export function comparePaired(arm: number[], baseline: number[], level = 0.95): PairedComparison {
  if (arm.length !== baseline.length) {
    throw new Error(`paired comparison needs equal lengths, got ${arm.length} and ${baseline.length}`);
  }
  const differences = arm.map((value, i) => value - (baseline[i] as number));
  const interval = confidenceInterval(differences, level);
  return { ...interval, p_value: pairedPValue(differences), test: 'paired t-test (two-sided)' };
}

function pairedPValue(differences: number[]): number | null {
  const centre = mean(differences);
  const sd = sampleStandardDeviation(differences);
  if (centre === null || sd === null) return null;
  if (sd === 0) return centre === 0 ? 1 : 0;
  const t = centre / (sd / Math.sqrt(differences.length));
  return 2 * (1 - studentTCdf(Math.abs(t), differences.length - 1));
}

export function studentTCdf(t: number, degreesOfFreedom: number): number {
  const x = degreesOfFreedom / (degreesOfFreedom + t * t);
  const tail = 0.5 * regularizedIncompleteBeta(x, degreesOfFreedom / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

// Inverse of the CDF by bisection: slow but exact to 1e-12, and only ever
// called a handful of times per report.
export function studentTQuantile(probability: number, degreesOfFreedom: number): number {
  let low = -1e3;
  let high = 1e3;
  for (let i = 0; i < 200 && high - low > 1e-12; i++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, degreesOfFreedom) < probability) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let result = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const numerator of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      c = Math.abs(c) < tiny ? tiny : c;
      result *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return result;
}

// Lanczos approximation (g = 7, n = 9), accurate to about 1e-15.
function logGamma(z: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const shifted = z - 1;
  let sum = coefficients[0] as number;
  for (let i = 1; i < 9; i++) sum += (coefficients[i] as number) / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

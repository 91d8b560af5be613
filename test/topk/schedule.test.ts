import { getKForEpoch, getKForStep, getKPerStep, type ScheduleSettings } from '../../ts/topk/schedule.js';

describe('getKForEpoch', () => {
  // The worked example: B = 64, gamma = 0.99, nu = 0.5.
  test.each([
    [0, 64],
    [1, 63],
    [2, 62],
    [10, 57],
    [50, 38],
    [65, 33],
    [66, 32],
    [500, 32],
  ])('when epoch is %i then k is %i', (epoch, expected) => {
    expect(getKForEpoch(epoch, 64, 0.99, 0.5)).toBe(expected);
  });

  test('when gamma is 1 then k stays at the batch size', () => {
    expect(getKForEpoch(1000, 256, 1, 0.75)).toBe(256);
  });

  test('when nu * B is fractional then the floor is rounded up', () => {
    expect(getKForEpoch(10_000, 10, 0.5, 0.25)).toBe(3);
  });

  test('when nu is 1 then k never decays', () => {
    expect(getKForEpoch(40, 256, 0.9, 1)).toBe(256);
  });
});

describe('getKForStep', () => {
  const settings: ScheduleSettings = { batchSize: 64, gamma: 0.99, nu: 0.5, decay: 'epoch', stepsPerEpoch: 10 };

  test('when decaying per epoch then k is constant within an epoch', () => {
    const ks = [0, 9, 10, 19, 20].map((step) => getKForStep(step, settings));
    expect(ks).toEqual([64, 64, 63, 63, 62]);
  });

  test('when decaying per step then k follows the fractional epoch', () => {
    const perStep = { ...settings, decay: 'step' as const };
    expect(getKForStep(5, perStep)).toBe(Math.floor(64 * 0.99 ** 0.5));
    expect(getKForStep(100, perStep)).toBe(57);
  });
});

describe('getKPerStep', () => {
  const settings: ScheduleSettings = { batchSize: 8, gamma: 0.5, nu: 0.25, decay: 'epoch', stepsPerEpoch: 2 };

  test('when the mode is top then the chunk carries one scheduled k per step', () => {
    expect(getKPerStep(1, 4, 'top', settings)).toEqual([8, 4, 4, 2]);
  });

  test('when the mode is none then every step keeps the whole batch', () => {
    expect(getKPerStep(1, 4, 'none', settings)).toEqual([8, 8, 8, 8]);
  });

  test('when the ablations run then they get the same k as top', () => {
    expect(getKPerStep(0, 6, 'bottom', settings)).toEqual(getKPerStep(0, 6, 'top', settings));
  });
});

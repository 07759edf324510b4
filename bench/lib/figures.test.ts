import { describe, expect, it } from 'vitest';
import {
  failures,
  fromAutocannon,
  markdownTable,
  median,
  profileShare,
  ratio,
  summarise,
  textTable,
  verdict,
  type CpuProfile,
  type RunFigures,
} from './figures.js';

const run = (over: Partial<RunFigures> = {}): RunFigures => ({
  reqPerSec: 1000,
  p50: 10,
  p99: 40,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  ...over,
});

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([30, 10, 20])).toBe(20);
  });
  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('is NaN for no values, or when a round has no figure, rather than a made-up one', () => {
    expect(median([])).toBeNaN();
    expect(median([10, Number.NaN, 30])).toBeNaN();
  });
});

describe('failures', () => {
  it('counts a timeout once: autocannon already counts every timeout among its errors', () => {
    const figures = fromAutocannon({
      requests: { average: 10 },
      latency: { p50: 1, p99: 2 },
      '2xx': 10,
      non2xx: 3,
      errors: 5,
      timeouts: 4,
    });
    expect(failures(figures)).toBe(8);
    expect(figures.timeouts).toBe(4);
  });
});

describe('fromAutocannon', () => {
  it('has no latency for a run without a 2xx answer, so that no latency budget can pass on it', () => {
    const figures = fromAutocannon({
      requests: { average: 0 },
      latency: { p50: 0, p99: 0 },
      '2xx': 0,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
    });
    expect(figures.p99).toBeNaN();
    expect(verdict({ name: 'x', kind: 'max', limit: 50, unit: 'ms', value: figures.p99 }).met).toBeNull();
  });
});

describe('summarise', () => {
  it('takes each figure’s median over the rounds and sums the failures of every round', () => {
    const s = summarise([
      run({ reqPerSec: 900, p99: 50, non2xx: 1 }),
      run({ reqPerSec: 1200, p99: 30, errors: 2, timeouts: 1 }),
      run({ reqPerSec: 1000, p99: 70 }),
    ]);
    expect(s).toMatchObject({ rounds: 3, reqPerSec: 1000, p99: 50, non2xx: 1, errors: 2, timeouts: 1 });
  });
  it('refuses to summarise no runs', () => {
    expect(() => summarise([])).toThrow(/no runs/);
  });
});

describe('ratio', () => {
  it('divides one throughput by another', () => {
    expect(ratio(800, 1000)).toBeCloseTo(0.8);
  });
  it('is null when a side is missing or the divisor is not positive', () => {
    expect(ratio(800, null)).toBeNull();
    expect(ratio(undefined, 1000)).toBeNull();
    expect(ratio(800, 0)).toBeNull();
    expect(ratio(Number.NaN, 1000)).toBeNull();
  });
});

describe('verdict', () => {
  it('meets a minimum exactly at the limit', () => {
    expect(verdict({ name: 'x', kind: 'min', limit: 0.8, unit: '×', value: 0.8 })).toEqual({
      met: true,
      text: 'met: 0.80× (budget ≥ 0.80×)',
    });
  });
  it('says by how much a minimum is missed', () => {
    expect(verdict({ name: 'x', kind: 'min', limit: 1.4, unit: '×', value: 0.7 })).toEqual({
      met: false,
      text: 'MISSED by 50 % (0.70× short): 0.70× (budget ≥ 1.40×)',
    });
  });
  it('says by how much a maximum is exceeded', () => {
    expect(verdict({ name: 'x', kind: 'max', limit: 50, unit: 'ms', value: 75 }).text).toBe(
      'MISSED by 50 % (25 ms over): 75 ms (budget ≤ 50 ms)',
    );
  });
  it('misses a zero budget with the count itself, not a percentage of zero', () => {
    expect(verdict({ name: 'x', kind: 'max', limit: 0, unit: 'requests', value: 3 })).toEqual({
      met: false,
      text: 'MISSED by 3: 3 (budget ≤ 0)',
    });
  });
  it('reports a figure that was not measured as neither met nor missed', () => {
    expect(verdict({ name: 'x', kind: 'max', limit: 3, unit: 's', value: null })).toEqual({
      met: null,
      text: 'not measured (budget ≤ 3.00 s)',
    });
  });
  it('carries the caveat of a run that is not the budget’s conditions', () => {
    expect(verdict({ name: 'x', kind: 'max', limit: 5, unit: '%', value: 2, caveat: 'a --quick run' }).text).toBe(
      'met: 2.0 % (budget ≤ 5.0 %); a --quick run',
    );
  });
});

describe('profileShare', () => {
  // root → (idle), root → handler → auth → verify, root → handler → serialise
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)' }, children: [2, 3] },
      { id: 2, callFrame: { functionName: '(idle)' } },
      { id: 3, callFrame: { functionName: 'handler' }, children: [4, 6] },
      { id: 4, callFrame: { functionName: 'auth' }, children: [5] },
      { id: 5, callFrame: { functionName: 'verify' } },
      { id: 6, callFrame: { functionName: 'serialise' } },
    ],
    samples: [2, 2, 2, 5, 4, 6, 6],
  };
  it('counts samples with a chosen frame anywhere on their stack, over the busy samples only', () => {
    const { share, samples } = profileShare(profile, (n) => n.callFrame.functionName === 'auth');
    expect(samples).toBe(4); // the three idle samples are not work
    expect(share).toBe(50); // verify (under auth) and auth itself
  });
  it('is NaN for a profile without work', () => {
    expect(profileShare({ nodes: profile.nodes, samples: [2] }, () => true).share).toBeNaN();
  });
});

describe('tables', () => {
  const rows = [
    {
      scenario: 'list-cursor',
      target: 'crewdesk',
      summary: summarise([run({ errors: 2, timeouts: 2 })]),
      vsFloor: 0.5,
      vsPeer: null,
      rssMiB: 180.4,
    },
  ];
  it('shows missing ratios as a dash and the timeouts inside the failed count', () => {
    expect(textTable(rows).split('\n')[1]).toMatch(
      /list-cursor\s+crewdesk\s+1000\s+10\.0\s+40\.0\s+0\.50\s+–\s+2 \(2 timeouts\)\s+180/,
    );
  });
  it('writes the same cells as a Markdown table', () => {
    expect(markdownTable(rows).split('\n')).toEqual([
      '| scenario | target | req/s | p50 ms | p99 ms | ×floor | ×peer | failed | RSS MiB |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| list-cursor | crewdesk | 1000 | 10.0 | 40.0 | 0.50 | – | 2 (2 timeouts) | 180 |',
    ]);
  });
});

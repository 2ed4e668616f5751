import { describe, expect, it } from 'vitest';
import { gkeAllocatable, machineShape, podCapacity } from '../../../../shared/deploy/index.js';

describe('the GKE fit rule', () => {
  it.each([
    // vCPU, GiB → allocatable (GKE's reservation table and 100 MiB eviction) → what the pod gets
    [2, 4, 1930, 2972, 1500, 2432],
    [4, 8, 3920, 6248, 3500, 5632],
    [8, 16, 7910, 13621, 7500, 13056],
    [8, 64, 7910, 59824, 7500, 59264],
  ])('%i vCPU / %i GiB', (vcpus, memoryGiB, cpu, memory, podCpu, podMemory) => {
    expect(gkeAllocatable({ vcpus, memoryGiB })).toEqual({ cpuMillis: cpu, memoryMiB: memory });
    expect(podCapacity({ vcpus, memoryGiB })).toEqual({ cpuMillis: podCpu, memoryMiB: podMemory });
  });

  it('reserves 255 MiB on machines under 1 GiB and 0.25% per core above 4', () => {
    expect(gkeAllocatable({ vcpus: 1, memoryGiB: 0.5 })).toEqual({ cpuMillis: 940, memoryMiB: 157 });
    expect(gkeAllocatable({ vcpus: 32, memoryGiB: 128 }).cpuMillis).toBe(32000 - 80 - 70);
  });
});

describe('machineShape', () => {
  it.each([
    ['n2-custom-8-16384', { vcpus: 8, memoryGiB: 16 }],
    ['custom-2-4096', { vcpus: 2, memoryGiB: 4 }],
    ['n2-custom-4-8192-ext', { vcpus: 4, memoryGiB: 8 }],
    ['n2-highmem-8', { vcpus: 8, memoryGiB: 64 }],
    ['e2-standard-8', { vcpus: 8, memoryGiB: 32 }],
    ['n1-standard-4', { vcpus: 4, memoryGiB: 15 }],
    ['c2-highmem-8', undefined],
    ['t2d-standard-8', undefined],
  ])('%s', (type, shape) => {
    expect(machineShape(type)).toEqual(shape);
  });
});

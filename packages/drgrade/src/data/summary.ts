import { GRADES, type DataItem, type Grade } from './types.ts';

export interface DatasetSummary {
  images: number;
  patients: number;
  /** Images per grade 0..4. */
  grades: Record<Grade, number>;
  /** Smallest and largest stored width and height (null without images). */
  width: { min: number; max: number } | null;
  height: { min: number; max: number } | null;
}

export function summarize(items: readonly DataItem[], sizes: readonly { width: number; height: number }[] = []): DatasetSummary {
  const grades = Object.fromEntries(GRADES.map((g) => [g, 0])) as Record<Grade, number>;
  for (const item of items) grades[item.grade]++;
  // A loop, not Math.min(...values): spreading 100 000 arguments overflows the stack.
  const range = (values: number[]): { min: number; max: number } | null =>
    values.length === 0 ? null : values.reduce((r, v) => ({ min: Math.min(r.min, v), max: Math.max(r.max, v) }), { min: Infinity, max: -Infinity });
  return {
    images: items.length,
    patients: new Set(items.map((i) => i.group)).size,
    grades,
    width: range(sizes.map((s) => s.width)),
    height: range(sizes.map((s) => s.height)),
  };
}

// Row shards: a weight larger than one kernel may bind (maxTensorBytes: 128 MiB on CPU adapters and
// in browsers' default limits; AlexNet's 9216x4096 and VGG16's 25088x4096 classifier weights are
// more) lives on the device as consecutive blocks of its rows, `name:0`, `name:1`, ... Files
// always hold the whole tensor under its own (torchvision's) name: writers join the blocks on the
// CPU and readers split a too-large tensor with the same rule, so a file reads the same on every
// adapter and names match a module's shards wherever both were made on one device.
import { concat, maxTensorBytes, tensor, toFloat, type Tensor } from '@drgrade/tensor';

const SHARD = /^(.*):(\d+)$/;

/** The state-dict name of shard `index` of `name`. */
export function shardName(name: string, index: number): string {
  return `${name}:${index}`;
}

/** The whole tensor's name and the shard's index, or null for a name that is not a shard's. */
export function parseShardName(name: string): { name: string; index: number } | null {
  const m = SHARD.exec(name);
  return m ? { name: m[1]!, index: Number(m[2]) } : null;
}

/**
 * Rows per shard of a tensor `shape` (4-byte elements) so that no shard exceeds `limitBytes`
 * (default: this device's maxTensorBytes): `[rows]` when the whole tensor fits, else blocks as
 * even as possible, the last one no larger than the others. Null when one row alone is too large.
 */
export function shardRows(shape: readonly number[], limitBytes = maxTensorBytes()): number[] | null {
  const rows = shape[0] ?? 1;
  const rowBytes = 4 * shape.slice(1).reduce((a, b) => a * b, 1);
  if (rows * rowBytes <= limitBytes) return [rows];
  if (rowBytes > limitBytes) return null;
  let k = Math.ceil((rows * rowBytes) / limitBytes);
  while (Math.ceil(rows / k) * rowBytes > limitBytes) k++;
  const per = Math.ceil(rows / k);
  return Array.from({ length: Math.ceil(rows / per) }, (_, i) => Math.min(per, rows - i * per));
}

/**
 * Device tensors for one named tensor read from a file: the whole tensor when it fits the device,
 * else its row shards (`name:0`, ...). The caller owns them.
 */
export function deviceTensors(name: string, data: Float32Array | Int32Array, shape: readonly number[]): [string, Tensor][] {
  const dtype = data instanceof Int32Array ? 'int32' : 'float32';
  const rows = shardRows(shape);
  if (!rows || rows.length === 1) return [[name, tensor(data, [...shape], { dtype, name })]];
  const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  let start = 0;
  return rows.map((r, i) => {
    const key = shardName(name, i);
    const t = tensor(data.subarray(start * rowSize, (start + r) * rowSize), [r, ...shape.slice(1)], { dtype, name: key });
    start += r;
    return [key, t];
  });
}

/** One tensor of a state dict as the module or file holds it: whole (one part) or its row shards in order. */
export interface ShardedEntry<T> {
  /** The whole tensor's shape. */
  shape: number[];
  /** The parts, each with the first row of the whole it starts at. */
  parts: { value: T; shape: readonly number[]; row: number }[];
}

/**
 * Groups a state dict's entries by whole-tensor name: a shard set `name:0..n-1` becomes one entry
 * (its parts in index order). A shard set with a gap or parts that disagree beyond their first
 * dimension is reported by name.
 */
export function groupShards<T>(entries: Iterable<[string, T]>, shapeOf: (value: T) => readonly number[]): Map<string, ShardedEntry<T>> {
  const shards = new Map<string, Map<number, T>>();
  const out = new Map<string, ShardedEntry<T>>();
  for (const [key, value] of entries) {
    const s = parseShardName(key);
    if (!s) { out.set(key, { shape: [...shapeOf(value)], parts: [{ value, shape: shapeOf(value), row: 0 }] }); continue; }
    if (!shards.has(s.name)) { shards.set(s.name, new Map()); out.set(s.name, { shape: [], parts: [] }); }
    shards.get(s.name)!.set(s.index, value);
  }
  for (const [name, byIndex] of shards) {
    const entry = out.get(name)!;
    let row = 0;
    const found = [...byIndex.keys()].sort((a, b) => a - b);
    for (let i = 0; i <= found[found.length - 1]!; i++) {
      const value = byIndex.get(i);
      if (value === undefined) throw new Error(`tensor '${name}': row shard ${i} is missing (found ${found.join(', ')})`);
      const shape = shapeOf(value);
      const tail = entry.parts[0]?.shape.slice(1).join(',');
      if (tail !== undefined && shape.slice(1).join(',') !== tail) throw new Error(`tensor '${name}': row shard ${i} has shape [${shape.join(', ')}], shard 0 [${entry.parts[0]!.shape.join(', ')}]`);
      entry.parts.push({ value, shape, row });
      row += shape[0] ?? 1;
    }
    entry.shape = [row, ...entry.parts[0]!.shape.slice(1)];
  }
  return out;
}

/**
 * Rows [row, row + shape[0]) of a state-dict entry as a tensor of `shape` and `dtype`: a view of a
 * whole part, else the overlapping parts' rows sliced and joined. A view shares the source's
 * storage, so assign copies it instead of taking it over.
 */
export function rowsOf(entry: ShardedEntry<Tensor>, row: number, shape: readonly number[], dtype: Tensor['dtype']): Tensor {
  const end = row + (shape[0] ?? 1);
  const pieces: Tensor[] = [];
  for (const p of entry.parts) {
    const first = Math.max(row, p.row), last = Math.min(end, p.row + (p.shape[0] ?? 1));
    if (first >= last) continue;
    const whole = first === p.row && last === p.row + (p.shape[0] ?? 1);
    pieces.push(whole ? p.value : p.value.slice([first - p.row], [last - p.row]));
  }
  const joined = pieces.length === 1 ? pieces[0]! : concat(pieces, 0);
  return joined.dtype === dtype ? joined.view([...shape]) : toFloat(joined);
}

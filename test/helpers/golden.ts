// Golden fixtures written by the PyTorch scripts in test/fixtures/ (safetensors files, float32
// or int64 tensors). Parsed here independently of @drgrade/nn's reader.
import { readRepoFile } from './env.ts';

export interface GoldenTensor {
  shape: number[];
  data: Float32Array;
}

export async function loadGolden(name: string): Promise<Map<string, GoldenTensor>> {
  const bytes = await readRepoFile(`test/fixtures/${name}.safetensors`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLen;
  const out = new Map<string, GoldenTensor>();
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const raw = bytes.slice(base + start, base + end);
    let data: Float32Array;
    if (info.dtype === 'F32') data = new Float32Array(raw.buffer);
    else if (info.dtype === 'I64') data = Float32Array.from(new BigInt64Array(raw.buffer), (v) => Number(v));
    else throw new Error(`golden ${name}/${key}: unsupported dtype ${info.dtype}`);
    out.set(key, { shape: info.shape, data });
  }
  return out;
}

/** The fixture's metadata (a JSON string under __metadata__.cases, listing the cases and their parameters). */
export async function loadGoldenCases<T>(name: string): Promise<T[]> {
  const bytes = await readRepoFile(`test/fixtures/${name}.safetensors`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as { __metadata__?: { cases?: string } };
  return JSON.parse(header.__metadata__?.cases ?? '[]') as T[];
}

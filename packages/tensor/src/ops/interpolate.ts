// Spatial resizing of NCHW tensors, as torch.nn.functional.interpolate with align_corners = false
// ('nearest' and 'bilinear'), with a gather-formulated backward kernel. float16 tensors are
// resized in their storage (blends and gradient sums in f32, rounded once), their outputs and
// gradients float16.
import fwdSrc from '../../shaders/interpolate.wgsl';
import bwdSrc from '../../shaders/interpolate_backward.wgsl';
import indexSrc from '../../shaders/interpolate_index.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { specialize } from './kernels.ts';
import { rowLaunch, rowsSrc, store4 } from './planes.ts';
import { storageWgsl } from './storage.ts';

/** Outputs each lane of the forward kernel computes along a row (the backward kernel's lanes take groups of 4 inputs). */
const PER_LANE = 4;

/** The uniform block of both kernels: x viewed as [rows, H, W] (rows of the output, or of dx backward). */
const interpolateParams = uniformBlock({ rows: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', shift: 'u32', scaleH: 'f32', scaleW: 'f32' });

export interface InterpolateOptions {
  /** Output size [H, W] (or one number for both); give this or scaleFactor. */
  size?: number | readonly [number, number];
  /** Output = floor(input · factor) per axis; index arithmetic uses 1 / factor, as PyTorch. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest', as PyTorch. */
  mode?: 'nearest' | 'bilinear';
}

function pairOf(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** torch.nn.functional.interpolate(x, size | scale_factor, mode, align_corners=False) for NCHW x. */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const mode = opts.mode ?? 'nearest';
  const label = `interpolate ${x.describe()} ${mode}`;
  if (x.rank !== 4) throw new TensorError(`${label}: expected an NCHW input of rank 4`);
  if (x.dtype === 'int32') throw new TensorError(`${label}: input must be float32 or float16`);
  if (mode !== 'nearest' && mode !== 'bilinear') throw new TensorError(`${label}: mode must be 'nearest' or 'bilinear'`);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new TensorError(`${label}: give exactly one of size and scaleFactor`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  let oh: number, ow: number, scaleH: number, scaleW: number;
  if (opts.scaleFactor !== undefined) {
    const [fh, fw] = pairOf(opts.scaleFactor);
    if (!(fh > 0 && fw > 0 && Number.isFinite(fh) && Number.isFinite(fw))) {
      throw new TensorError(`${label}: scaleFactor must be positive, got ${JSON.stringify(opts.scaleFactor)}`);
    }
    [oh, ow] = [Math.floor(h * fh), Math.floor(w * fw)];
    // PyTorch keeps the user's factor for the index arithmetic: scale = (float)(1.0 / factor), not in / out.
    [scaleH, scaleW] = [1 / fh, 1 / fw];
  } else {
    [oh, ow] = pairOf(opts.size!);
    // PyTorch's (float)in / out; the uniform stores it rounded to float32.
    [scaleH, scaleW] = [h / oh, w / ow];
  }
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1 || h < 1 || w < 1) {
    throw new TensorError(`${label}: output size ${oh}x${ow} from input ${h}x${w} must be positive`);
  }
  const bilinear = mode === 'bilinear';
  const planes = n * c;
  const s = storageWgsl(x.dtype);
  const run = (src: Tensor, dst: Tensor, rows: number, width: number, backward: boolean) => {
    const l = backward ? rowLaunch(label, rows, Math.ceil(width / 4), 1) : rowLaunch(label, rows, width, PER_LANE);
    getEngine().dispatch({
      label: `${label} to ${oh}x${ow}${backward ? ' backward' : ''}`, key: `interpolate:${s.T}:${backward}:${bilinear}:${backward && w % 4 === 0}`,
      source: () => specialize(backward ? bwdSrc : fwdSrc, {
        ENABLE: s.ENABLE, S: s.T, PARAMS: interpolateParams.wgsl, ROWS: rowsSrc, INTERPOLATE_INDEX: indexSrc, BILINEAR: bilinear, ...store4(w, x.dtype),
      }),
      buffers: [src.buffer, dst.buffer],
      uniforms: interpolateParams.pack({ rows, H: h, W: w, OH: oh, OW: ow, shift: l.shift, scaleH, scaleW }),
      workgroups: l.workgroups, cost: src.size + dst.size,
    });
  };
  const y = Tensor.empty([n, c, oh, ow], x.dtype);
  run(x, y, planes * oh, ow, false);
  return record(y, 'interpolate', [x], (g) => {
    const dx = Tensor.empty(x.shape, x.dtype);
    run(g, dx, planes * h, w, true);
    return [dx];
  });
}

// pngjs ships no type declarations and @types/pngjs is not a dependency; this declares the
// synchronous API that drgrade uses (decoded data is always 8-bit RGBA).
declare module 'pngjs' {
  interface PngPixels {
    width: number;
    height: number;
    data: Uint8Array;
  }
  interface PngWriteOptions {
    colorType?: 0 | 2 | 4 | 6;
    inputColorType?: 0 | 2 | 4 | 6;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
    deflateLevel?: number;
  }
  interface PngReadOptions {
    checkCRC?: boolean;
    skipRescale?: boolean;
  }
  export const PNG: {
    sync: {
      read(buffer: Uint8Array, options?: PngReadOptions): PngPixels;
      write(png: PngPixels, options?: PngWriteOptions): Uint8Array;
    };
  };
  const pngjs: { PNG: typeof PNG };
  export default pngjs;
}

// Commands that run the network on some photographs and exit (predict, gradcam). Their first
// photograph waits while the WebGPU pipelines are compiled (a second or two on a CPU adapter).
// The autotuner used to start timing kernel candidates as soon as a shape repeated, slowing the
// photographs after the first (by 40 % on SwiftShader) for decisions the process exited before
// saving; these commands now time nothing, though a decision persisted by an earlier training
// run still applies, and they say on a CPU adapter what the first wait is.
import { getDevice, setAutotune, type DeviceInfo } from '@drgrade/tensor';
import type { CliContext } from './command.ts';

export interface OneShot {
  device: DeviceInfo;
  /** Call before each run of the network: the first call says what the wait is, on a CPU adapter. */
  beforeRun(): void;
  /** Lets later work in this process time kernels again. */
  end(): void;
}

export async function startOneShot(command: string, context: CliContext): Promise<OneShot> {
  const { info } = await getDevice();
  setAutotune({ timeNew: false });
  let announced = false;
  return {
    device: info,
    beforeRun() {
      if (announced) return;
      announced = true;
      if (info.kind === 'cpu') context.stderr.write(`drgrade ${command}: compiling the network's kernels for the CPU adapter ${info.family} (a few seconds, before the first photograph only)\n`);
    },
    end() {
      setAutotune({ timeNew: true });
    },
  };
}

// The widthDivisor option of the torchvision backbones (ResNet, AlexNet, GoogLeNet): every channel
// count divided by it gives a narrow net with the same layers and names, small enough for tests.

/** `channels` / `divisor`, or an error naming the model when it does not divide. */
export function divideWidth(model: string, channels: number, divisor: number): number {
  if (!Number.isInteger(divisor) || divisor < 1 || channels % divisor !== 0) {
    throw new Error(`${model}: widthDivisor ${divisor} must be a positive integer dividing every channel count (${channels} is not divisible)`);
  }
  return channels / divisor;
}

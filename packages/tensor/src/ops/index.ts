export * from './elementwise.ts';
export * from './reduce.ts';
export * from './movement.ts';
export * from './matmul.ts';
export * from './softmax.ts';
export * from './creation.ts';
export * from './autograd.ts';

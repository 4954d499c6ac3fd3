export * from './env.ts';
export * from './check.ts';
export * from './golden.ts';
export * from './gradcheck.ts';
export * from './cases.ts';

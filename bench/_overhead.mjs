import { loadOurs, loadTfjs, waiters } from './common.js';
import { performance } from 'node:perf_hooks';
const dg = await loadOurs();
const tf = await loadTfjs();
const { oursWait, tfjsWait } = waiters(dg, tf);
const [C,H,O,k,p] = (process.argv[2]||'8,8,8,3,1').split(',').map(Number);
const x = dg.randn([1,C,H,H],{seed:1}), w = dg.randn([O,C,k,k],{seed:2}), dy = dg.randn([1,O,H,H],{seed:3});
const opts={stride:1,padding:p};
const tx = tf.randomNormal([1,H,H,C]), tw = tf.randomNormal([k,k,C,O]), tdy = tf.randomNormal([1,H,H,O]);
const pad = p===0?'valid':'same';
const ours = {
 fwd: () => dg.conv2d(x,w,null,opts),
 bin: () => dg.conv2dBackwardInput(dy,w,x.shape,opts),
 bw: () => dg.conv2dBackwardWeight(x,dy,w.shape,opts),
};
const theirs = {
 fwd: () => tf.conv2d(tx,tw,1,pad),
 bin: () => tf.engine().runKernel('Conv2DBackpropInput',{dy:tdy,filter:tw},{strides:[1,1],pad,dataFormat:'NHWC',inputShape:[1,H,H,C]}),
 bw: () => tf.engine().runKernel('Conv2DBackpropFilter',{x:tx,dy:tdy},{strides:[1,1],pad,dataFormat:'NHWC',filterShape:[k,k,C,O]}),
};
async function go(lib, f, wait, dispose) {
  await wait(f()); await wait(f());
  let bestE=1e9, bestT=1e9;
  for (let r=0;r<5;r++){
    const t0=performance.now(); let last=null;
    for(let i=0;i<200;i++){ if(last) dispose(last); last=f(); }
    const t1=performance.now(); await wait(last); const t2=performance.now();
    bestE=Math.min(bestE,(t1-t0)/200*1000); bestT=Math.min(bestT,(t2-t0)/200*1000);
  }
  return [bestE,bestT];
}
for (const op of ['fwd','bin','bw']) {
  const a = await go('ours', ours[op], oursWait, (t)=>t.dispose());
  const b = await go('tf', theirs[op], tfjsWait, (t)=>t.dispose());
  console.log(op, 'ours enqueue µs', a[0].toFixed(1), 'total', a[1].toFixed(1), '| tfjs enqueue', b[0].toFixed(1), 'total', b[1].toFixed(1));
}
process.exit(0);

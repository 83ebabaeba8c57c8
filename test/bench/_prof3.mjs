import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../runtime/train/backend.ts";
import { AdamW } from "../../runtime/train/optim.ts";
import { Mlp } from "../../runtime/train/models/mlp.ts";
const [B, I, H, O] = [64, 256, 1024, 512];
await initBackend("wasm", { wasmKernelFixes: true });
const mlp = new Mlp({ in: I, out: O, hidden: H, layers: 2 }, 1);
const vars = mlp.params.variables();
const opt = new AdamW(vars, { schedule: 1e-3, totalSteps: 1e9, weightDecay: 0.01, measureGradNorm: false });
const x = tf.randomNormal([B, I], 0, 1, "float32", 1);
const y = tf.randomNormal([B, O], 0, 1, "float32", 2);
const f = () => tf.mean(tf.squaredDifference(mlp.apply(x), y));
for (let i=0;i<20;i++) await opt.minimize(f);
const agg = new Map();
const R=30;
for (let r=0;r<R;r++){
const prof = await tf.profile(async () => { await opt.minimize(f); });
for (const k of prof.kernels) { const key = k.name + " " + JSON.stringify(k.inputShapes); const t = await k.kernelTimeMs; agg.set(key, (agg.get(key) ?? [])); agg.get(key).push(typeof t === "number" ? t : 0); }
}
const rows = [...agg].map(([k,ts]) => [k, ts.reduce((a,b)=>a+b,0)/R, ts.length/R]);
let tot=0; for (const r of rows) tot+=r[1];
console.log("total", tot.toFixed(2), "kernels/step", rows.reduce((a,r)=>a+r[2],0));
console.log(rows.sort((a,b)=>b[1]-a[1]).slice(0,12).map(([k,t,n])=>t.toFixed(3)+" x"+n+" "+k).join("\n"));
for (let k=0;k<3;k++){ let t0=performance.now(); for(let i=0;i<50;i++) await opt.minimize(f); console.log("step", ((performance.now()-t0)/50).toFixed(2)); }

// Writes a generated pipeline of N stages (default 10,000) to stdout: a seeded random DAG of sft,
// eval and command stages over a few models and datasets, the shape of a large sweep.
// Usage: node test/bench/gen-pipeline.mjs [N] [SEED] > big.sc
const n = Number(process.argv[2] ?? 10000);
let seed = Number(process.argv[3] ?? 7) >>> 0;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const out = [];
out.push("pipeline generated {", "  seed = 1", '  cluster = { gpu: "H100-80GB", count: 8, mfu: 0.4 }', "}", "");
out.push("model enc = vision_encoder(image: 8, patch: 4, width: 32) frozen");
out.push("model proj = mlp(in: 32, out: 64)");
out.push("model lm = decoder_lm(width: 64, layers: 2, heads: 4, context: 64) frozen");
out.push('dataset base = synthetic("visual_arith", rows: 100K)');
out.push('scorer q = rule("quality")');
out.push("schedule sched = warmup(3%) then cosine(from: 1e-3)");
out.push("defaults sft { batch = 32  epochs = 1  train = [proj] }", "");
const trainers = [];
for (let i = 0; i < n; i++) {
  const r = rnd();
  if (trainers.length === 0) {
    out.push(`stage s${i} : sft { model = enc >> proj >> lm  data = base | take(1K)  lr = sched }`);
    trainers.push(i);
  } else if (r < 0.6) {
    const from = trainers[Math.floor(rnd() * trainers.length)];
    const k = 1 + Math.floor(rnd() * 4);
    out.push(`stage s${i} : sft { from = s${from}  data = base | score(quality: q) | where quality >= ${k} | take(${k}K)  lr = ${k}e-4 }`);
    trainers.push(i);
  } else if (r < 0.85) {
    const m = trainers[Math.floor(rnd() * trainers.length)];
    out.push(`stage s${i} : eval { from = s${m}  data = base | take(500) }`);
  } else {
    const dep = Math.floor(rnd() * i);
    out.push(`stage s${i} : command { run = ["echo", "${i}"]  after = [s${dep}]  outputs = ["out/${i}.txt"] }`);
  }
}
process.stdout.write(`${out.join("\n")}\n`);

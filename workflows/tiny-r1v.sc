# The Skywork-R1V recipe (workflows/skywork-r1v.sc) in miniature, small enough for the built-in
# TensorFlow.js runtime to train on two CPU cores in a few minutes. Same structure: adapter
# initialisation with a stand-in LM (full data, then judge-filtered, then CoT data), swap in the
# reasoning LM, SFT, four filtered rounds with the previous round's failures added back, GRPO.
# Instead of downloaded models, every part is a built-in architecture pretrained earlier in this
# file; instead of JSONL files, the data comes from built-in generators; instead of external
# judges, built-in rule scorers. A held-out set is evaluated after every phase.

pipeline tiny_r1v {
  seed = 7
}

# ---- Models ------------------------------------------------------------------------------------
# The reasoner is the stand-in trained further on worked solutions (pre_reasoner below), as
# R1-Distill-Qwen2.5-32B is Qwen2.5-32B fine-tuned on reasoning traces: one width, related
# embeddings, so the adapter carries over the swap, imperfectly.
model enc = vision_encoder(image: 8, patch: 4, width: 32, layers: 2, classes: 10)
model direct = decoder_lm(width: 64, layers: 2, heads: 4, context: 128)  # stand-in: answers directly
model adapter = mlp(in: enc.width, out: direct.width, layers: 2)  # the only part trained after pretraining

# ---- Data --------------------------------------------------------------------------------------
dataset glyphs = synthetic("glyphs", rows: 2K, seed: 11)  # digit images with their class
dataset arith = synthetic("arith_text", rows: 2K, seed: 12)  # text arithmetic with worked steps
dataset arith_direct = synthetic("arith_text", rows: 2K, seed: 12, rationale: false)  # the same, answers only
dataset va = synthetic("visual_arith", rows: 1K, seed: 13)  # D: image + question, answer in \boxed{}
dataset va_direct = synthetic("visual_arith", rows: 1K, seed: 13, rationale: false)  # D as the stand-in answers
dataset va_cot = synthetic("visual_arith", rows: 100, seed: 14)  # stands in for the 40K CoT samples
dataset heldout = synthetic("visual_arith", rows: 500, seed: 99)  # never trained on; 500 rows: ±2 points

# ---- Scorers -----------------------------------------------------------------------------------
scorer judge_quality = rule("quality")  # stands in for GPT-4's quality judgement
scorer rm = rule("quality")  # stands in for the reward model, 0..5
scorer answer_judge = rule("judge")  # stands in for the AL-CoTD answer judge
scorer qdam = rule("qdam")  # writes s_v, s_t
scorer vtia = rule("vtia")  # writes s_i

defaults eval {
  max_new_tokens = 56  # the reasoner's completions run about 45 characters
}

# ---- Pretraining: what the real recipe downloads ------------------------------------------------
defaults pretrain {
  batch = 16
  weight_decay = 0.01
}
schedule pre_lr = warmup(10%) then cosine(from: 3e-3, min: 3e-4)

stage pre_enc : pretrain {
  model = enc
  data = glyphs
  objective = "classify"
  steps = 800
  batch = 32
  lr = pre_lr
}
stage pre_direct : pretrain {
  model = direct
  data = arith_direct
  context = 128
  steps = 500
  lr = pre_lr
}
stage pre_reasoner : pretrain {
  from = pre_direct  # learns to write <think> steps before its answer
  data = arith
  context = 128
  steps = 600
  lr = pre_lr
}

# ---- Adapter initialisation with the stand-in LM -----------------------------------------------
# Stages train for a fixed number of steps rather than one epoch: at this size one epoch is only a
# few dozen optimizer steps, and the adapter needs a few hundred at a higher rate than the recipe's.
dataset va_judged = va_direct | score(judged: judge_quality) | top(500, by: judged)

schedule init = warmup(10%) then cosine(from: 3e-3, min: 3e-4)
schedule refine = warmup(10%) then cosine(from: 1e-3, min: 1e-4)

defaults sft {
  steps = 100
  context = 128
  weight_decay = 0.01
  batch = 16
  train = [adapter]
}

stage init_full : sft {
  model = pre_enc >> adapter >> pre_direct
  data = va_direct
  steps = 250
  lr = init
}
stage init_hq : sft {
  from = init_full
  data = va_judged
  lr = refine
}
stage init_cot : sft {
  from = init_hq
  data = va_cot  # worked solutions the stand-in cannot write: a short, gentle pass
  steps = 50
  lr = 3e-4
}

stage test_init_full : eval {
  from = init_full
  data = heldout
}
stage test_init_hq : eval {
  from = init_hq
  data = heldout
}
stage test_init_cot : eval {
  from = init_cot
  data = heldout
}

# ---- Re-assembly: the reasoner replaces the stand-in, the adapter is kept -----------------------
stage swap_llm : swap {
  from = init_cot
  replace = direct with pre_reasoner
}
stage test_swap : eval {
  from = swap_llm
  data = heldout
}

# ---- AL-CoTD: per-row repetition penalty from normalised scores ---------------------------------
param alpha = 1.0
param beta = 1.0
param gamma = 1.0

dataset va_scored = va | score(rm: rm, s_v: qdam.s_v, s_t: qdam.s_t, s_i: vtia.s_i)

# ---- Stage 1: SFT on the full (distilled) data ------------------------------------------------
dataset cot_0 = va_scored
    | normalize(s_v, s_t, s_i)
    | distill(
        teacher: swap_llm,
        judge: answer_judge,
        retries: 2,
        max_new_tokens: 56,
        repetition_penalty: min(
          2,
          exp(alpha * (1 - (s_v + beta * s_t + gamma * s_i) / (1 + beta + gamma)))
        )
      )
    | where cot_accepted  # chains the judge rejected after every retry are dropped

stage hybrid_0 : sft {
  from = swap_llm
  data = cot_0
  steps = 150
  lr = refine
}
stage test_hybrid_0 : eval {
  from = hybrid_0
  data = heldout
}

# ---- Stage 2: four rounds; round t keeps rm >= t + 1 and adds back the previous round's failures
for t in 1..4 {
  stage eval_{t-1} : eval {
    from = hybrid_{t-1}
    data = va_scored
  }

  dataset d_{t} = (va_scored | where rm >= t + 1) union eval_{t-1}.failures

  dataset cot_{t} = d_{t}
      | normalize(s_v, s_t, s_i)
      | distill(
          teacher: hybrid_{t-1},
          judge: answer_judge,
          retries: 2,
          max_new_tokens: 56,
          repetition_penalty: min(
            2,
            exp(alpha * (1 - (s_v + beta * s_t + gamma * s_i) / (1 + beta + gamma)))
          )
        )
      | where cot_accepted

  stage hybrid_{t} : sft {
    from = hybrid_{t-1}
    data = cot_{t}
    steps = 60
    lr = t == 1 ? 1e-3 : 3e-4
  }
  stage test_hybrid_{t} : eval {
    from = hybrid_{t}
    data = heldout
  }
}

# ---- Stage 3: GRPO on the top-scored rows -------------------------------------------------------
reward accuracy = boxed_answer == answer
reward format = matches(/\\boxed\{[^}]+\}/)
reward tiny_r1v = 1.0 * accuracy + 0.5 * format

stage rl : grpo {
  from = hybrid_4
  data = va_scored | where rm >= 4
  reward = tiny_r1v
  group = 4
  temperature = 1.0
  lr = 5e-4
  max_completion = 56
  batch = 8
  steps = 160
  context = 128
  train = [adapter]
}
stage test_rl : eval {
  from = rl
  data = heldout
}

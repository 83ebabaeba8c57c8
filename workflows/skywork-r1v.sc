# Skywork-R1V (Peng et al., 2025, arXiv 2504.05599): DeepSeek-R1-Distill-Qwen-32B extended to images
# by training one MLP adapter between a frozen vision encoder and the frozen LLM.
#
# Every number below is from the paper, except where a line says otherwise:
#   `# unpublished`  the paper does not give it; it is a `param`, to be set by whoever reruns this;
#   `# estimate`     only feeds `plan`'s cost estimate;
#   `# assumed`      a choice this file makes where the paper is silent.
#
# MMMU as the paper reports it after each phase:
#   adapter initialisation, with the stand-in LLM   64.0
#   LLM swapped in, no further training             60.2
#   hybrid optimisation, stage 1                    62.5
#   stage 2, rounds 1 to 4                          63.9, 64.7, 65.2, 65.6
#   stage 3 (GRPO)                                  69.0

pipeline skywork_r1v {
  seed = 42  # assumed
  cluster = { gpu: "H100-80GB", count: 64, mfu: 0.40 }  # estimate: the hardware plan's cost figures assume
}

# ---- Models (paper, efficient multimodal transfer) ----------------------------------------------
# Vision encoder and both LLMs stay frozen; the adapter is the only trained weights. The composed
# model uses its LLM's tokenizer, which is how the runtime treats every `vision >> mlp >> llm`.
model vit = vision("OpenGVLab/InternViT-6B-448px-V2_5", params: 5.9B, width: 3200) frozen
model qwen = llm("Qwen/Qwen2.5-32B-Instruct", params: 32.8B, width: 5120) frozen  # stand-in LLM
model r1 = llm("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", params: 32.8B, width: 5120) frozen  # reasoning LLM
model proj = mlp(in: vit.width, out: qwen.width, layers: 2)  # the adapter

# ---- Data --------------------------------------------------------------------------------------
# D: the full multimodal SFT set (2M samples). tokens_per_row values are estimates.
dataset vl = jsonl(
  "data/vl-2m.jsonl",
  rows: 2M,
  tokens_per_row: 1.2K,  # estimate
  fields: ["id", "image", "question", "answer"]
)
# The 40K chain-of-thought samples of the last adapter-initialisation stage.
dataset cot_40k = jsonl(
  "data/cot-40k.jsonl",
  rows: 40K,
  tokens_per_row: 4K,  # estimate
  fields: ["id", "image", "question", "answer", "cot"]
)

# ---- Scorers and judges ------------------------------------------------------------------------
# Each reads JSONL rows on stdin and writes one JSON object of scores per row.
scorer gpt4 = command("python", "scripts/gpt4_judge.py", "--model", "gpt-4")  # quality judgement
scorer rm = command("python", "scripts/reward_model.py")  # RM(x), 0..5
scorer qdam = command("python", "scripts/qdam.py", outputs: ["s_v", "s_t"])  # S_v, S_t
scorer vtia = command("python", "scripts/vtia.py", outputs: ["s_i"])  # S_I
# Checks a distilled chain's final answer against the reference: 1 right, 0 wrong.
scorer answer_judge = command("python", "scripts/answer_judge.py")  # judge model unpublished

# ---- Adapter initialisation with the stand-in LLM (paper, efficient multimodal transfer) ---------
# Three SFT stages: the full 2M; the 200K a GPT-4 quality judgement keeps; the 40K CoT samples.
# Each: 1 epoch, context 16,384, weight decay 0.05, warm-up ratio 0.03, batch 512.
dataset vl_judged = vl | score(quality: gpt4) | top(200K, by: quality)

param min_lr = 0  # unpublished: the decay after warm-up; cosine down to min_lr is assumed
schedule init = warmup(3%) then cosine(from: 2e-4, min: min_lr)
schedule refine = warmup(3%) then cosine(from: 4e-5, min: min_lr)

# Shared by every SFT stage. The hybrid-optimisation SFT stages below inherit these too (assumed:
# the paper gives only their learning rates).
defaults sft {
  epochs = 1
  context = 16384
  weight_decay = 0.05
  batch = 512
  train = [proj]
}

stage init_full : sft {
  model = vit >> proj >> qwen
  data = vl
  lr = init
}
stage init_hq : sft {
  from = init_full
  data = vl_judged
  lr = refine
}
stage init_cot : sft {
  from = init_hq
  data = cot_40k
  lr = refine
}
# MMMU 64.0

# ---- Re-assembly (paper, efficient multimodal transfer) ----------------------------------------
# The reasoning LLM replaces the stand-in; the trained adapter is kept.
stage swap_llm : swap {
  from = init_cot
  replace = qwen with r1
}
# MMMU 60.2

# ---- Adaptive-length CoT distillation, AL-CoTD (paper, adaptive-length chain-of-thought distillation)
# Per sample: vision score S_v (image clarity, image necessity) and text score S_t (question
# quality, difficulty, reasoning demand) from QDAM; integration score S_I from VTIA (high for
# why/how questions); each min-max normalised over the data being distilled. The teacher then
# generates with the per-sample repetition penalty
#   P = min(2, exp(alpha * (1 - (S_v + beta*S_t + gamma*S_I) / (1 + beta + gamma))))
# a judge checks each answer and wrong chains are regenerated. The raw scores are computed once
# over D, together with the RM score used by the round thresholds and Stage 3.
param alpha = 1.0  # unpublished: AL-CoTD penalty scale
param beta = 1.0  # unpublished: weight of S_t
param gamma = 1.0  # unpublished: weight of S_I
param judge_retries = 2  # unpublished: regenerations of a chain the judge rejects
param think_budget = 8K  # unpublished: generation budget when distilling and evaluating

dataset vl_scored = vl | score(rm: rm, s_v: qdam.s_v, s_t: qdam.s_t, s_i: vtia.s_i)

defaults eval {
  max_new_tokens = think_budget
}

# ---- Hybrid optimisation, Stage 1 (paper, hybrid optimization framework) ----------------------
# SFT on the full data, distilled by AL-CoTD. The recipe does not name the teacher; the current
# model (the swapped one here, the previous round's below) is assumed.
dataset cot_0 = vl_scored
    | normalize(s_v, s_t, s_i)
    | distill(
        teacher: swap_llm,
        judge: answer_judge,
        retries: judge_retries,
        max_new_tokens: think_budget,
        repetition_penalty: min(
          2,
          exp(alpha * (1 - (s_v + beta * s_t + gamma * s_i) / (1 + beta + gamma)))
        )
      )

param stage1_lr = 1e-4  # unpublished: Stage 1's rate (round 1's is assumed)
stage hybrid_0 : sft {
  from = swap_llm
  data = cot_0
  lr = stage1_lr
}
# MMMU 62.5

# ---- Hybrid optimisation, Stage 2: T = 4 rounds of iterative SFT -------------------------------
# Round t trains on D_t = {x in D : RM(x) >= tau_t} ∪ E_{t-1}, tau_t = t + 1 (2, 3, 4, 5), where
# E_{t-1} holds the samples the previous round's model got wrong (answer extracted and compared).
# AL-CoTD runs again before every round. lr 1e-4 in round 1, 2e-5 after.
for t in 1..4 {
  stage eval_{t-1} : eval {
    from = hybrid_{t-1}
    data = vl_scored
  }

  dataset d_{t} = (vl_scored | where rm >= t + 1) union eval_{t-1}.failures

  dataset cot_{t} = d_{t}
      | normalize(s_v, s_t, s_i)
      | distill(
          teacher: hybrid_{t-1},
          judge: answer_judge,
          retries: judge_retries,
          max_new_tokens: think_budget,
          repetition_penalty: min(
            2,
            exp(alpha * (1 - (s_v + beta * s_t + gamma * s_i) / (1 + beta + gamma)))
          )
        )

  stage hybrid_{t} : sft {
    from = hybrid_{t-1}
    data = cot_{t}
    lr = t == 1 ? 1e-4 : 2e-5
  }
}
# MMMU after rounds 1..4: 63.9, 64.7, 65.2, 65.6

# ---- Hybrid optimisation, Stage 3: GRPO (paper, hybrid optimization framework) ------------------
# On {x : RM(x) >= 5}, with a rule-based accuracy reward (the \boxed{} answer equals the
# reference) and a format reward (think block, then a boxed answer).
reward accuracy = boxed_answer == answer
reward format = matches(/^<think>.*<\/think>.*\\boxed\{.*\}/s)
param w_accuracy = 1.0  # unpublished: weight of the accuracy reward
param w_format = 0.5  # unpublished: weight of the format reward
reward r1v = w_accuracy * accuracy + w_format * format

stage rl : grpo {
  from = hybrid_4
  data = vl_scored | where rm >= 5
  reward = r1v
  group = 8
  temperature = 1.0
  lr = 1e-6
  max_completion = 8K
  context = 16384  # assumed: the SFT context; Stage 3's is unpublished
  train = [proj]
}
# MMMU 69.0

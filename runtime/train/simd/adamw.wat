;; One AdamW update over float32 arrays in the TensorFlow.js wasm backend's own memory (imported),
;; four lanes at a time with a scalar tail. Pointers are byte offsets; n is the element count.
;; PyTorch's order of operations, in float32 as PyTorch computes it:
;;   g' = g·clip;  m' = β₁·m + c₁·g';  v' = β₂·v + (c₂·g')·g'
;;   w' = w·decay − step·(m' / (√v' / bc₂ + ε))
;; adamw-kernel.ts holds the same arithmetic for the cpu backend; the compiled bytes are in
;; modules.ts, written by scripts/gen-simd-kernels.mjs.
(module
  (import "env" "memory" (memory 0))
  (func (export "adamw")
    (param $w i32) (param $m i32) (param $v i32) (param $g i32)
    (param $w1 i32) (param $m1 i32) (param $v1 i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32)
    (param $eps f32) (param $clip f32) (param $decay f32) (param $step f32) (param $bc2 f32)
    (local $o i32) (local $end i32) (local $last i32)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local $G v128) (local $M v128) (local $V v128)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $last (i32.shl (local.get $n) (i32.const 2)))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $G (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.splat (local.get $clip))))
        (local.set $M
          (f32x4.add
            (f32x4.mul (f32x4.splat (local.get $b1)) (v128.load (i32.add (local.get $m) (local.get $o))))
            (f32x4.mul (f32x4.splat (local.get $c1)) (local.get $G))))
        (local.set $V
          (f32x4.add
            (f32x4.mul (f32x4.splat (local.get $b2)) (v128.load (i32.add (local.get $v) (local.get $o))))
            (f32x4.mul (f32x4.mul (f32x4.splat (local.get $c2)) (local.get $G)) (local.get $G))))
        (v128.store (i32.add (local.get $m1) (local.get $o)) (local.get $M))
        (v128.store (i32.add (local.get $v1) (local.get $o)) (local.get $V))
        (v128.store (i32.add (local.get $w1) (local.get $o))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $w) (local.get $o))) (f32x4.splat (local.get $decay)))
            (f32x4.mul
              (f32x4.splat (local.get $step))
              (f32x4.div
                (local.get $M)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $V)) (f32x4.splat (local.get $bc2))) (f32x4.splat (local.get $eps)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $four)))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $o) (local.get $last)))
        (local.set $gs (f32.mul (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $clip)))
        (local.set $ms
          (f32.add
            (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $o))))
            (f32.mul (local.get $c1) (local.get $gs))))
        (local.set $vs
          (f32.add
            (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $o))))
            (f32.mul (f32.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $m1) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $v1) (local.get $o)) (local.get $vs))
        (f32.store (i32.add (local.get $w1) (local.get $o))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $w) (local.get $o))) (local.get $decay))
            (f32.mul
              (local.get $step)
              (f32.div
                (local.get $ms)
                (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $bc2)) (local.get $eps))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))))

;; Exact GELU and its derivative over float32 arrays in the TensorFlow.js wasm backend's memory
;; (imported), four lanes at a time; the last n mod 4 elements go through the same code one lane
;; at a time. Pointers are byte offsets; n is the element count.
;;   gelu(x)  = x·Φ(x),   Φ(x) = ½(1 + erf(x/√2))
;;   gelu′(x) = Φ(x) + x·φ(x),   φ(x) = exp(−x²/2)/√(2π)
;; erf is Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7, the polynomial TensorFlow.js's erf uses),
;; and exp the Cephes single-precision polynomial (about 1 ulp).
(module
  (import "env" "memory" (memory 0))

  ;; exp(x) for x ≤ 0 (lanes below −87 give 0, as float32 exp does after underflow)
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128) (local $small v128)
    (local.set $small (f32x4.lt (local.get $x) (f32x4.splat (f32.const -87))))
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
        (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; p·r² + r + 1
    (local.set $p
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
    ;; · 2^k, built in the exponent bits
    (local.set $p
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))
    (v128.andnot (local.get $p) (local.get $small)))

  ;; Φ(x) in the first result, exp(−x²/2) in the second
  (func $phi (param $x v128) (result v128 v128)
    (local $z v128) (local $a v128) (local $e v128) (local $t v128) (local $q v128) (local $y v128)
    (local.set $z (f32x4.mul (local.get $x) (f32x4.splat (f32.const 0.70710678118654752))))
    (local.set $a (f32x4.abs (local.get $z)))
    (local.set $e (call $exp (f32x4.neg (f32x4.mul (local.get $a) (local.get $a)))))
    (local.set $t
      (f32x4.div (f32x4.splat (f32.const 1))
        (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (f32x4.splat (f32.const 0.3275911)) (local.get $a)))))
    (local.set $q (f32x4.splat (f32.const 1.061405429)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
    ;; erf(|z|) = 1 − q·t·e
    (local.set $y (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.mul (f32x4.mul (local.get $q) (local.get $t)) (local.get $e))))
    ;; 1 + erf(z): 1 + y where z ≥ 0, 1 − y where z < 0
    (local.set $y
      (v128.bitselect
        (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $y))
        (f32x4.add (f32x4.splat (f32.const 1)) (local.get $y))
        (f32x4.lt (local.get $z) (f32x4.splat (f32.const 0)))))
    (f32x4.mul (local.get $y) (f32x4.splat (f32.const 0.5)))
    (local.get $e))

  (func $gelu4 (param $x v128) (result v128)
    (local $p v128)
    (call $phi (local.get $x))
    (drop)
    (local.set $p)
    (f32x4.mul (local.get $x) (local.get $p)))

  (func $grad4 (param $dy v128) (param $x v128) (result v128)
    (local $p v128) (local $e v128)
    (call $phi (local.get $x))
    (local.set $e)
    (local.set $p)
    (f32x4.mul
      (local.get $dy)
      (f32x4.add
        (local.get $p)
        (f32x4.mul (local.get $x) (f32x4.mul (local.get $e) (f32x4.splat (f32.const 0.39894228040143268)))))))

  ;; y[i] = gelu(x[i])
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $o i32) (local $end i32) (local $last i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $last (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $y) (local.get $o)) (call $gelu4 (v128.load (i32.add (local.get $x) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $four)))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $o) (local.get $last)))
        (f32.store (i32.add (local.get $y) (local.get $o))
          (f32x4.extract_lane 0 (call $gelu4 (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $o)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one))))

  ;; g[i] = dy[i]·gelu′(x[i])
  (func (export "gelu_grad") (param $dy i32) (param $x i32) (param $g i32) (param $n i32)
    (local $o i32) (local $end i32) (local $last i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $last (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $g) (local.get $o))
          (call $grad4 (v128.load (i32.add (local.get $dy) (local.get $o))) (v128.load (i32.add (local.get $x) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $four)))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $o) (local.get $last)))
        (f32.store (i32.add (local.get $g) (local.get $o))
          (f32x4.extract_lane 0
            (call $grad4
              (f32x4.splat (f32.load (i32.add (local.get $dy) (local.get $o))))
              (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $o)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))))

;; The blas backend's element-wise kernels, in WebAssembly SIMD (four float32 lanes at once).
;; They read and write the tfjs wasm backend's own memory (imported), so nothing is copied;
;; every pointer is a byte offset into it. Float32 throughout, and WebAssembly never fuses a
;; multiply with an add, so results are the same on every machine.
;;
;; This is the source; simd_kernels_wasm.ts holds its assembled bytes, made by
;; `deno task kernels` (npm's wabt), and a test checks that the two agree.
;;
;; exp and ln are Cephes's single-precision polynomials (Moshier, "Methods and Programs for
;; Mathematical Functions", 1989), within 2 ulp of the true values.
(module
  (import "env" "memory" (memory 1))

  ;; e^x for each lane; x is clamped to [-87.3, 88.3], where the result is a normal float.
  ;; (pmin/pmax, not min/max: the latter's NaN and −0 rules cost several instructions each.)
  (func $exp (param $x v128) (result v128)
    (local $big v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3))
                              (v128.const f32x4 88.3 88.3 88.3 88.3)))
    ;; x = n·ln 2 + r, |r| ≤ ½ ln 2. Adding 1.5·2²³ rounds x·log₂e to an integer (ties to even)
    ;; held in the low mantissa bits, with 127 added there too: those bits, shifted into the
    ;; exponent field, are 2^n.
    (local.set $big (f32x4.add (f32x4.mul (local.get $x)
                                          (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
                               (v128.const f32x4 12583039 12583039 12583039 12583039)))
    (local.set $n (f32x4.sub (local.get $big) (v128.const f32x4 12583039 12583039 12583039 12583039)))
    ;; ln 2 in two parts, so that n times the first is exact.
    (local.set $r (f32x4.sub (local.get $x)
                             (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r)
                             (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    ;; e^r = 1 + r + r²·P(r)
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                             (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                             (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                             (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                             (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                             (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r))
                                        (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $p) (i32x4.shl (local.get $big) (i32.const 23))))

  ;; ln x for each lane, for normal x > 0: Cephes's polynomial, within 2 ulp.
  (func $log (param $x v128) (result v128)
    (local $e v128) (local $m v128) (local $small v128) (local $z v128) (local $p v128) (local $y v128)
    ;; x = m·2^e with m in [½, 1), from the bits.
    (local.set $e (f32x4.convert_i32x4_s
                    (i32x4.sub (i32x4.shr_u (local.get $x) (i32.const 23)) (v128.const i32x4 126 126 126 126))))
    (local.set $m (v128.or (v128.and (local.get $x) (v128.const i32x4 0x807fffff 0x807fffff 0x807fffff 0x807fffff))
                           (v128.const f32x4 0.5 0.5 0.5 0.5)))
    ;; Keep m in [√½, √2): where m < √½ use 2m and e − 1. Then m − 1 is small.
    (local.set $small (f32x4.lt (local.get $m) (v128.const f32x4 0.707106781 0.707106781 0.707106781 0.707106781)))
    (local.set $e (f32x4.sub (local.get $e) (v128.and (local.get $small) (v128.const f32x4 1 1 1 1))))
    (local.set $m (f32x4.sub (f32x4.add (local.get $m) (v128.and (local.get $small) (local.get $m)))
                             (v128.const f32x4 1 1 1 1)))
    (local.set $z (f32x4.mul (local.get $m) (local.get $m)))
    ;; ln(1 + m) = m − m²/2 + m³·P(m)
    (local.set $p (v128.const f32x4 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $m))
                             (v128.const f32x4 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1)))
    (local.set $y (f32x4.mul (f32x4.mul (local.get $p) (local.get $m)) (local.get $z)))
    ;; + e·ln 2 (ln 2 split in two, as in exp), − m²/2, + m
    (local.set $y (f32x4.add (local.get $y)
                             (f32x4.mul (local.get $e) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $y (f32x4.sub (local.get $y) (f32x4.mul (local.get $z) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (f32x4.add (f32x4.add (local.get $m) (local.get $y))
               (f32x4.mul (local.get $e) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))

  ;; σ(l) = 1 / (1 + e^-l), with e^-l at most e^80, so that σ stays a normal float (≥ 1.8e-35;
  ;; the true value is smaller still, an error below 2e-35) and never a slow subnormal one.
  (func $sigmoid (param $l v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
               (f32x4.add (v128.const f32x4 1 1 1 1)
                          (call $exp (f32x4.pmin (f32x4.neg (local.get $l)) (v128.const f32x4 80 80 80 80))))))

  ;; out[r] = Σ_j softplus(l[r, j]) − x[r', j]·l[r, j]: the Bernoulli negative log-likelihood
  ;; of each row, where x holds one row for each `repeat` rows of l (r' = floor(r / repeat): one
  ;; image against many decodings of it, without copying the image). cols must be a multiple
  ;; of 4. With softplus(l) = max(l, 0) + ln(1 + e^-|l|), the logarithms are summed as the log
  ;; of a product: each lane multiplies 32 factors 1 + e^-|l| in (1, 2] (at most 2³², no
  ;; overflow) before one ln, so a pixel costs an exp and a multiply, not an exp and a log.
  (func (export "bernoulli_nll_rows")
        (param $l i32) (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
        (param $repeat i32)
    (local $r i32) (local $end i32) (local $xp i32) (local $k i32)
    (local $acc v128) (local $prod v128) (local $v v128)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $prod (v128.const f32x4 1 1 1 1))
        (local.set $k (i32.const 0))
        (local.set $end (i32.add (local.get $l) (i32.shl (local.get $cols) (i32.const 2))))
        (local.set $xp (i32.add (local.get $x)
                                (i32.shl (i32.mul (i32.div_u (local.get $r) (local.get $repeat))
                                                  (local.get $cols))
                                         (i32.const 2))))
        (block $row_done
          (loop $col
            (br_if $row_done (i32.ge_u (local.get $l) (local.get $end)))
            (local.set $v (v128.load (local.get $l)))
            ;; max(l, 0) − x·l, summed; 1 + e^-|l|, multiplied.
            (local.set $acc (f32x4.add (local.get $acc)
                                       (f32x4.sub (f32x4.pmax (local.get $v) (v128.const f32x4 0 0 0 0))
                                                  (f32x4.mul (v128.load (local.get $xp)) (local.get $v)))))
            (local.set $prod (f32x4.mul (local.get $prod)
                                        (f32x4.add (v128.const f32x4 1 1 1 1)
                                                   (call $exp (f32x4.neg (f32x4.abs (local.get $v)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (if (i32.eq (local.get $k) (i32.const 32))
              (then
                (local.set $acc (f32x4.add (local.get $acc) (call $log (local.get $prod))))
                (local.set $prod (v128.const f32x4 1 1 1 1))
                (local.set $k (i32.const 0))))
            (local.set $l (i32.add (local.get $l) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $col)))
        (local.set $acc (f32x4.add (local.get $acc) (call $log (local.get $prod))))
        (f32.store (local.get $out)
                   (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; bernoulli_nll_rows's out (here `nll`, with repeat 1), and beside it mse[r] = Σ_j (x − σ(l))²,
  ;; the squared error of the pixel means, from the same e^-|l|: σ(l) = 1/(1 + e^-|l|) for
  ;; l ≥ 0, e^-|l|/(1 + e^-|l|) below. For evaluation, which reports both.
  (func (export "bernoulli_recon_rows")
        (param $l i32) (param $x i32) (param $nll i32) (param $mse i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $end i32) (local $k i32)
    (local $acc v128) (local $sq v128) (local $prod v128) (local $v v128) (local $t v128) (local $d v128)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $sq (v128.const f32x4 0 0 0 0))
        (local.set $prod (v128.const f32x4 1 1 1 1))
        (local.set $k (i32.const 0))
        (local.set $end (i32.add (local.get $l) (i32.shl (local.get $cols) (i32.const 2))))
        (block $row_done
          (loop $col
            (br_if $row_done (i32.ge_u (local.get $l) (local.get $end)))
            (local.set $v (v128.load (local.get $l)))
            (local.set $acc (f32x4.add (local.get $acc)
                                       (f32x4.sub (f32x4.pmax (local.get $v) (v128.const f32x4 0 0 0 0))
                                                  (f32x4.mul (v128.load (local.get $x)) (local.get $v)))))
            (local.set $t (call $exp (f32x4.neg (f32x4.abs (local.get $v)))))
            (local.set $prod (f32x4.mul (local.get $prod)
                                        (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t))))
            (local.set $d (f32x4.sub (v128.load (local.get $x))
                                     (f32x4.div (v128.bitselect (v128.const f32x4 1 1 1 1) (local.get $t)
                                                                (f32x4.ge (local.get $v) (v128.const f32x4 0 0 0 0)))
                                                (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t)))))
            (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (if (i32.eq (local.get $k) (i32.const 32))
              (then
                (local.set $acc (f32x4.add (local.get $acc) (call $log (local.get $prod))))
                (local.set $prod (v128.const f32x4 1 1 1 1))
                (local.set $k (i32.const 0))))
            (local.set $l (i32.add (local.get $l) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $col)))
        (local.set $acc (f32x4.add (local.get $acc) (call $log (local.get $prod))))
        (f32.store (local.get $nll)
                   (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (f32.store (local.get $mse)
                   (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sq)) (f32x4.extract_lane 1 (local.get $sq)))
                            (f32.add (f32x4.extract_lane 2 (local.get $sq)) (f32x4.extract_lane 3 (local.get $sq)))))
        (local.set $nll (i32.add (local.get $nll) (i32.const 4)))
        (local.set $mse (i32.add (local.get $mse) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; The logits' gradient of bernoulli_nll_rows given dy [rows]: dl = dy[r]·(σ(l) − x).
  ;; cols must be a multiple of 4.
  (func (export "bernoulli_nll_grad")
        (param $l i32) (param $x i32) (param $dy i32) (param $dl i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $end i32) (local $d v128)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $d (v128.load32_splat (local.get $dy)))
        (local.set $end (i32.add (local.get $l) (i32.shl (local.get $cols) (i32.const 2))))
        (block $row_done
          (loop $col
            (br_if $row_done (i32.ge_u (local.get $l) (local.get $end)))
            (v128.store (local.get $dl)
                        (f32x4.mul (local.get $d)
                                   (f32x4.sub (call $sigmoid (v128.load (local.get $l))) (v128.load (local.get $x)))))
            (local.set $l (i32.add (local.get $l) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $dl (i32.add (local.get $dl) (i32.const 16)))
            (br $col)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Adam's update of n parameters (adam.ts): m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g²,
  ;; p' = p − step·m' / (√v'·s + ε), with step = lr/(1 − β1^t) and s = 1/√(1 − β2^t).
  ;; Four lanes at a time, then the rest one by one with the same operations.
  (func (export "adam")
        (param $p i32) (param $m i32) (param $v i32) (param $g i32)
        (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
        (param $beta1 f32) (param $beta2 f32) (param $epsilon f32) (param $step f32) (param $s f32)
    (local $end i32) (local $end4 i32)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $c2 v128) (local $eps v128)
    (local $st v128) (local $sv v128) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $c1 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $c2 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))))
    (local.set $eps (f32x4.splat (local.get $epsilon)))
    (local.set $st (f32x4.splat (local.get $step)))
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $mv (f32x4.add (f32x4.mul (local.get $b1) (v128.load (local.get $m)))
                                  (f32x4.mul (local.get $c1) (local.get $gv))))
        (local.set $vv (f32x4.add (f32x4.mul (local.get $b2) (v128.load (local.get $v)))
                                  (f32x4.mul (local.get $c2) (f32x4.mul (local.get $gv) (local.get $gv)))))
        (v128.store (local.get $mOut) (local.get $mv))
        (v128.store (local.get $vOut) (local.get $vv))
        (v128.store (local.get $pOut)
                    (f32x4.sub (v128.load (local.get $p))
                               (f32x4.div (f32x4.mul (local.get $st) (local.get $mv))
                                          (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vv)) (local.get $sv))
                                                     (local.get $eps)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $pOut (i32.add (local.get $pOut) (i32.const 16)))
        (local.set $mOut (i32.add (local.get $mOut) (i32.const 16)))
        (local.set $vOut (i32.add (local.get $vOut) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $gs (f32.load (local.get $g)))
        (local.set $ms (f32.add (f32.mul (local.get $beta1) (f32.load (local.get $m)))
                                (f32.mul (f32.sub (f32.const 1) (local.get $beta1)) (local.get $gs))))
        (local.set $vs (f32.add (f32.mul (local.get $beta2) (f32.load (local.get $v)))
                                (f32.mul (f32.sub (f32.const 1) (local.get $beta2))
                                         (f32.mul (local.get $gs) (local.get $gs)))))
        (f32.store (local.get $mOut) (local.get $ms))
        (f32.store (local.get $vOut) (local.get $vs))
        (f32.store (local.get $pOut)
                   (f32.sub (f32.load (local.get $p))
                            (f32.div (f32.mul (local.get $step) (local.get $ms))
                                     (f32.add (f32.mul (f32.sqrt (local.get $vs)) (local.get $s))
                                              (local.get $epsilon)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $pOut (i32.add (local.get $pOut) (i32.const 4)))
        (local.set $mOut (i32.add (local.get $mOut) (i32.const 4)))
        (local.set $vOut (i32.add (local.get $vOut) (i32.const 4)))
        (br $tail))))

  ;; tanh for each lane: tanh|x| = (1 − t)/(1 + t) with t = e^-2|x|, then the sign of x.
  (func $tanh (param $v v128) (result v128)
    (local $t v128)
    (local.set $t (call $exp (f32x4.mul (f32x4.abs (local.get $v)) (v128.const f32x4 -2 -2 -2 -2))))
    (v128.or (v128.and (local.get $v) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
             (f32x4.div (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $t))
                        (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t)))))

  ;; tanh of n floats in place, four at a time, then the last n mod 4 one by one through the
  ;; same four-lane code.
  (func (export "tanh_in_place") (param $p i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $p) (local.get $end4)))
        (v128.store (local.get $p) (call $tanh (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p)
                   (f32x4.extract_lane 0 (call $tanh (f32x4.splat (f32.load (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail))))

  ;; tanh's gradient from its output: out = dy·(1 − y²), for n floats (any n).
  (func (export "tanh_grad") (param $y i32) (param $dy i32) (param $out i32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $v v128) (local $s f32)
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $y) (local.get $end4)))
        (local.set $v (v128.load (local.get $y)))
        (v128.store (local.get $out)
                    (f32x4.mul (v128.load (local.get $dy))
                               (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $v) (local.get $v)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $y) (local.get $end)))
        (local.set $s (f32.load (local.get $y)))
        (f32.store (local.get $out)
                   (f32.mul (f32.load (local.get $dy))
                            (f32.sub (f32.const 1) (f32.mul (local.get $s) (local.get $s)))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail))))
)

//! The matrix product under the convolution kernels: `dst [m, n] (+)= lhs [m, k] · rhs [k, n]`
//! on one thread.
//!
//! Natively this is the `gemm` crate, which picks AVX2/AVX-512 kernels with fused multiply-add
//! at run time. In wasm it is [`packed`], written here. The browser's profile of a DogSet CNN
//! epoch showed `gemm`'s simd128 path packing both operands on every call, and the
//! convolutions' big operand (the unfolded image) meets only 16 or 32 channels, so each packed
//! value was used a few times: packing cost about a seventh of the epoch. [`packed`] reads an
//! operand in place when its rows are contiguous, and keeps a 4x8 register tile (8
//! accumulators and 3 operand registers, inside the 15 vector registers V8 gives wasm on
//! x86-64; `gemm`'s 12x4 tile needs 16). In a node micro-benchmark of the CNN's shapes the two
//! micro-kernels ran at about the same speed (15-29 GFLOP/s, noisy); the epoch gained from the
//! packing saved. Built with the `relaxed-simd` feature (the `worker_relaxed` engine), the
//! micro-kernel's multiply-adds are relaxed SIMD's `f32x4.relaxed_madd`, one fused instruction
//! on processors with FMA: 1.2-1.4x faster in the same micro-benchmark, though on paper this
//! machine's cores issue two multiplies and two adds a cycle either way (V8's code for the
//! separate pair is the longer loop).

/// A read-only matrix view: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: cols, col_stride: 1 }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: 1, col_stride: cols }
    }

    /// One past the largest index a `rows x cols` view reads.
    fn extent(&self, rows: usize, cols: usize) -> usize {
        if rows == 0 || cols == 0 { 0 } else { (rows - 1) * self.row_stride + (cols - 1) * self.col_stride + 1 }
    }

    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// `dst [m, n] (+)= lhs [m, k] · rhs [k, n]`, `dst` row-major; `accumulate` adds to what `dst`
/// holds instead of overwriting it.
pub fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, lhs: Mat, rhs: Mat) {
    assert!(dst.len() >= m * n && lhs.data.len() >= lhs.extent(m, k) && rhs.data.len() >= rhs.extent(k, n));
    #[cfg(target_arch = "wasm32")]
    packed::matmul(m, n, k, dst, accumulate, lhs, rhs);
    // SAFETY: the assert keeps every view inside its slice; `dst` is exclusively borrowed.
    #[cfg(not(target_arch = "wasm32"))]
    unsafe {
        with_gemm_crate(m, n, k, dst.as_mut_ptr(), accumulate, lhs, rhs)
    };
}

/// `lhs [m, k] · rhs [k, n]` in a new row-major buffer, which is not cleared first: the first
/// block of the product writes every element without reading it. The DogSet MLP's 6.3 MB
/// first-layer weight gradient was cleared and then copied into an aligned buffer on every step
/// when burn's own product allocated it (a fifth of the native epoch in `perf`; clearing alone
/// was 4 % of the browser's).
pub fn product(m: usize, n: usize, k: usize, lhs: Mat, rhs: Mat) -> Vec<f32> {
    assert!(lhs.data.len() >= lhs.extent(m, k) && rhs.data.len() >= rhs.extent(k, n));
    #[cfg(target_arch = "wasm32")]
    return packed::product(m, n, k, lhs, rhs);
    #[cfg(not(target_arch = "wasm32"))]
    if k > 0 {
        let mut dst = Vec::with_capacity(m * n);
        // SAFETY: the assert bounds the operands' reads; `dst` has room for `m * n` values,
        // which gemm writes (it reads none of them without `accumulate`) before `set_len`.
        unsafe {
            with_gemm_crate(m, n, k, dst.as_mut_ptr(), false, lhs, rhs);
            dst.set_len(m * n);
        }
        return dst;
    }
    #[cfg(not(target_arch = "wasm32"))]
    vec![0.0; m * n]
}

/// # Safety
/// `dst` must be valid for writes of `m * n` row-major values (and reads, with `accumulate`),
/// not aliasing the operands, whose views must stay inside their slices for `m x k` and `k x n`.
#[cfg(not(target_arch = "wasm32"))]
unsafe fn with_gemm_crate(m: usize, n: usize, k: usize, dst: *mut f32, accumulate: bool, lhs: Mat, rhs: Mat) {
    // SAFETY: the caller's contract: every index gemm forms, `i * rs + j * cs` for `i < rows`
    // and `j < cols`, is inside the operands' slices and `dst`'s buffer.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// A cache-blocked product (the usual GotoBLAS/BLIS loop nest) with a register tile that fits
/// wasm's vector registers in V8. An operand whose layout already suits the micro-kernel (`lhs`
/// rows or `rhs` rows contiguous) is read in place, not packed: the convolutions' big operand
/// (the unfolded image) meets a small one (16 or 32 channels), so packing it cost as much as
/// half the arithmetic (14 % of a DogSet CNN epoch in the browser's profile). Built on every
/// target so native tests check it against the `gemm` crate; only wasm uses it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub mod packed {
    use super::Mat;
    use lanes::F4;
    use std::cell::RefCell;
    use std::mem::MaybeUninit;

    /// Rows of `dst` per micro-tile: one broadcast `lhs` value each.
    pub const MR: usize = 4;
    /// Columns of `dst` per micro-tile: two 4-lane vectors.
    pub const NR: usize = 8;
    /// Depth of one block: an `lhs` panel (`KC x MR`, 4 KB) and an `rhs` panel (`KC x NR`,
    /// 8 KB) stay in the 32 KB L1 cache through a micro-kernel call.
    const KC: usize = 256;
    /// Rows of `lhs` per block (64 KB, in L2).
    const MC: usize = 64;
    /// Columns of `rhs` per block (512 KB at most).
    const NC: usize = 512;

    thread_local! {
        /// Packing buffers, reused across calls: the convolutions call this once per image.
        static BUFFERS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    }

    /// Where a micro-kernel reads one operand: element `(lane, p)` of its panel (lane: the
    /// tile's row for `lhs`, its column for `rhs`; p: depth) is at `at + lane * lane_step +
    /// p * depth_step`.
    #[derive(Clone, Copy)]
    struct Panel {
        at: usize,
        lane_step: usize,
        depth_step: usize,
    }

    pub fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, lhs: Mat, rhs: Mat) {
        // SAFETY: `MaybeUninit<f32>` has `f32`'s layout, and only initialised values are written.
        let dst = unsafe { &mut *(std::ptr::from_mut(dst) as *mut [MaybeUninit<f32>]) };
        // SAFETY: every element is initialised (it is a `&mut [f32]`).
        unsafe { run(m, n, k, dst, accumulate, lhs, rhs) }
    }

    /// [`super::product`]: the first depth block overwrites the fresh buffer.
    pub fn product(m: usize, n: usize, k: usize, lhs: Mat, rhs: Mat) -> Vec<f32> {
        let mut dst = Vec::with_capacity(m * n);
        // SAFETY: `accumulate` is false, so `run` reads no element it has not written, and it
        // writes all `m * n` of them before `set_len`.
        unsafe {
            run(m, n, k, &mut dst.spare_capacity_mut()[..m * n], false, lhs, rhs);
            dst.set_len(m * n);
        }
        dst
    }

    /// `dst (+)= lhs · rhs`; without `accumulate` every element of `dst[..m * n]` is written
    /// before any is read.
    ///
    /// # Safety
    /// With `accumulate`, `dst[..m * n]` must be initialised.
    unsafe fn run(m: usize, n: usize, k: usize, dst: &mut [MaybeUninit<f32>], accumulate: bool, lhs: Mat, rhs: Mat) {
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            if !accumulate {
                dst[..m * n].fill(MaybeUninit::new(0.0));
            }
            return;
        }
        // In place when the tile's lanes are contiguous in memory (and, for `rhs`, a vector
        // load of them is).
        let lhs_in_place = lhs.col_stride == 1;
        let rhs_in_place = rhs.col_stride == 1;
        BUFFERS.with_borrow_mut(|(a_pack, b_pack)| {
            a_pack.resize(KC * MC.min(m).next_multiple_of(MR), 0.0);
            b_pack.resize(KC * NC.min(n).next_multiple_of(NR), 0.0);
            for jc in (0..n).step_by(NC) {
                let nc = NC.min(n - jc);
                for pc in (0..k).step_by(KC) {
                    let kc = KC.min(k - pc);
                    // The first depth block writes `dst` unless it holds a sum to add to.
                    let overwrite = pc == 0 && !accumulate;
                    // Packed: every panel, or only a last partial one.
                    let b_from = if rhs_in_place { nc - nc % NR } else { 0 };
                    pack::<NR>(nc - b_from, kc, |j, p| rhs.at(pc + p, jc + b_from + j), b_pack);
                    for ic in (0..m).step_by(MC) {
                        let mc = MC.min(m - ic);
                        let a_from = if lhs_in_place { mc - mc % MR } else { 0 };
                        pack::<MR>(mc - a_from, kc, |i, p| lhs.at(ic + a_from + i, pc + p), a_pack);
                        for jr in (0..nc).step_by(NR) {
                            let (b, b_data) = if jr < b_from {
                                let at = pc * rhs.row_stride + jc + jr;
                                (Panel { at, lane_step: 1, depth_step: rhs.row_stride }, rhs.data)
                            } else {
                                (Panel { at: (jr - b_from) * kc, lane_step: 1, depth_step: NR }, &b_pack[..])
                            };
                            for ir in (0..mc).step_by(MR) {
                                let (a, a_data) = if ir < a_from {
                                    let at = (ic + ir) * lhs.row_stride + pc;
                                    (Panel { at, lane_step: lhs.row_stride, depth_step: 1 }, lhs.data)
                                } else {
                                    (Panel { at: (ir - a_from) * kc, lane_step: 1, depth_step: MR }, &a_pack[..])
                                };
                                let tile =
                                    Tile { row: ic + ir, col: jc + jr, rows: MR.min(mc - ir), cols: NR.min(nc - jr) };
                                // SAFETY: a tile is read only where `overwrite` is false: an
                                // initialised `dst`, or one the first block wrote.
                                unsafe { micro_kernel(kc, (a_data, a), (b_data, b), dst, n, tile, overwrite) };
                            }
                        }
                    }
                }
            }
        });
    }

    /// `count` lanes (rows of `lhs` or columns of `rhs`) as panels of `L` lanes, each
    /// `[kc][L]`, zero-padded past `count`; `value(lane, p)` reads the operand.
    fn pack<const L: usize>(count: usize, kc: usize, value: impl Fn(usize, usize) -> f32, out: &mut [f32]) {
        for (panel, first) in (0..count).step_by(L).enumerate() {
            let block = &mut out[panel * L * kc..(panel + 1) * L * kc];
            let lanes = L.min(count - first);
            for (p, dst) in block.chunks_exact_mut(L).enumerate() {
                for (lane, d) in dst.iter_mut().enumerate() {
                    *d = if lane < lanes { value(first + lane, p) } else { 0.0 };
                }
            }
        }
    }

    /// Where a micro-tile lands in `dst`, and how much of it is inside the matrix.
    #[derive(Clone, Copy)]
    struct Tile {
        row: usize,
        col: usize,
        rows: usize,
        cols: usize,
    }

    /// `dst[tile] += A · B` over depth `kc` (`=` with `overwrite`), in registers; `a` and `b`
    /// are full `MR`- and `NR`-lane panels (in place or packed).
    ///
    /// # Safety
    /// Without `overwrite`, `dst[tile]` must be initialised.
    ///
    /// With relaxed SIMD (the `relaxed-simd` build) this is a function of its own, the only one
    /// that may use it; otherwise it is inlined into the loop nest.
    #[cfg_attr(all(target_arch = "wasm32", feature = "relaxed-simd"), target_feature(enable = "relaxed-simd"))]
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "relaxed-simd")), inline(always))]
    #[allow(clippy::too_many_arguments)]
    unsafe fn micro_kernel(
        kc: usize,
        a: (&[f32], Panel),
        b: (&[f32], Panel),
        dst: &mut [MaybeUninit<f32>],
        ldc: usize,
        tile: Tile,
        overwrite: bool,
    ) {
        let ((a_data, a), (b_data, b)) = (a, b);
        let last = |p: Panel, lanes: usize| p.at + (lanes - 1) * p.lane_step + (kc - 1) * p.depth_step;
        assert!(last(a, MR) < a_data.len() && last(b, NR) < b_data.len() && b.lane_step == 1);
        let (a_ptr, b_ptr) = (a_data[a.at..].as_ptr(), b_data[b.at..].as_ptr());
        let mut acc = [[F4::ZERO; 2]; MR];
        for p in 0..kc {
            // SAFETY: the assert above bounds every index read here: lane < MR (NR for `b`,
            // whose lanes are contiguous), p < kc.
            unsafe {
                let b_row = b_ptr.add(p * b.depth_step);
                let (b0, b1) = (F4::load_ptr(b_row), F4::load_ptr(b_row.add(4)));
                for (i, row) in acc.iter_mut().enumerate() {
                    let a_i = F4::splat(*a_ptr.add(i * a.lane_step + p * a.depth_step));
                    row[0] = row[0].mul_add(a_i, b0);
                    row[1] = row[1].mul_add(a_i, b1);
                }
            }
        }
        for (i, row) in acc.iter().enumerate().take(tile.rows) {
            let at = (tile.row + i) * ldc + tile.col;
            let out = &mut dst[at..at + tile.cols];
            if tile.cols == NR && overwrite {
                row[0].store(&mut out[..4]);
                row[1].store(&mut out[4..]);
            } else if tile.cols == NR {
                // SAFETY: the caller's promise for a tile not overwritten.
                unsafe {
                    row[0].add_to(&mut out[..4]);
                    row[1].add_to(&mut out[4..]);
                }
            } else {
                let mut lanes = [MaybeUninit::new(0.0); NR];
                row[0].store(&mut lanes[..4]);
                row[1].store(&mut lanes[4..]);
                for (d, v) in out.iter_mut().zip(lanes) {
                    // SAFETY: `lanes` is initialised; `d` is when not overwritten (the
                    // caller's promise).
                    let v = unsafe { v.assume_init() };
                    *d = MaybeUninit::new(if overwrite { v } else { v + unsafe { d.assume_init() } });
                }
            }
        }
    }

    /// Four `f32` lanes: wasm's `v128` in the browser, a plain array elsewhere (where only the
    /// tests run this code).
    mod lanes {
        #[cfg(target_arch = "wasm32")]
        use core::arch::wasm32::*;
        use std::mem::MaybeUninit;

        #[derive(Clone, Copy)]
        pub struct F4(#[cfg(target_arch = "wasm32")] v128, #[cfg(not(target_arch = "wasm32"))] [f32; 4]);

        #[cfg(target_arch = "wasm32")]
        impl F4 {
            pub const ZERO: Self = Self(f32x4(0.0, 0.0, 0.0, 0.0));

            #[inline(always)]
            pub fn splat(x: f32) -> Self {
                Self(f32x4_splat(x))
            }

            /// # Safety
            /// Four floats from `p` on must be readable.
            #[inline(always)]
            pub unsafe fn load_ptr(p: *const f32) -> Self {
                // SAFETY: the caller's promise; v128 loads need no alignment.
                Self(unsafe { v128_load(p.cast()) })
            }

            #[inline(always)]
            pub fn store(self, s: &mut [MaybeUninit<f32>]) {
                assert!(s.len() >= 4);
                // SAFETY: four floats are in bounds (asserted); v128 stores need no alignment.
                unsafe { v128_store(s.as_mut_ptr().cast(), self.0) }
            }

            /// `self + a * b`, rounded twice (wasm SIMD has no fused multiply-add).
            #[cfg(not(feature = "relaxed-simd"))]
            #[inline(always)]
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                Self(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
            }

            /// `self + a * b` as relaxed SIMD's multiply-add: fused (rounded once) where the
            /// processor has FMA, as on every x86-64 and ARM core that runs Chrome today, else
            /// rounded twice. Either way the same machine always gives the same result.
            #[cfg(feature = "relaxed-simd")]
            #[target_feature(enable = "relaxed-simd")]
            #[inline]
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                Self(f32x4_relaxed_madd(a.0, b.0, self.0))
            }

            /// # Safety
            /// `s[..4]` must be initialised.
            #[inline(always)]
            pub unsafe fn add_to(self, s: &mut [MaybeUninit<f32>]) {
                assert!(s.len() >= 4);
                // SAFETY: four initialised floats (the caller's promise); no alignment needed.
                let old = unsafe { v128_load(s.as_ptr().cast()) };
                Self(f32x4_add(old, self.0)).store(s)
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        impl F4 {
            pub const ZERO: Self = Self([0.0; 4]);

            pub fn splat(x: f32) -> Self {
                Self([x; 4])
            }

            /// # Safety
            /// Four floats from `p` on must be readable.
            pub unsafe fn load_ptr(p: *const f32) -> Self {
                // SAFETY: the caller's promise.
                Self(unsafe { [*p, *p.add(1), *p.add(2), *p.add(3)] })
            }

            pub fn store(self, s: &mut [MaybeUninit<f32>]) {
                for (d, v) in s[..4].iter_mut().zip(self.0) {
                    *d = MaybeUninit::new(v);
                }
            }

            pub fn mul_add(self, a: Self, b: Self) -> Self {
                Self(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
            }

            /// # Safety
            /// `s[..4]` must be initialised.
            pub unsafe fn add_to(self, s: &mut [MaybeUninit<f32>]) {
                for (d, v) in s[..4].iter_mut().zip(self.0) {
                    // SAFETY: the caller's promise.
                    *d = MaybeUninit::new(unsafe { d.assume_init() } + v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every transposition, tile edge (sizes around `MR`, `NR` and the block sizes) and both
    /// modes: the packed product equals the `gemm` crate's to float rounding, and [`product`]
    /// (a fresh buffer) equals the overwriting mode.
    #[test]
    fn the_packed_product_equals_the_gemm_crate() {
        let sizes = [(1, 1, 1), (3, 7, 5), (4, 8, 256), (5, 9, 257), (16, 3600, 75), (70, 530, 300), (400, 13, 32)];
        for (m, n, k) in sizes {
            for (lhs_t, rhs_t) in [(false, false), (true, false), (false, true), (true, true)] {
                let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
                let b: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 97) as f32 - 48.0) / 24.0).collect();
                let view = |data, rows: usize, cols: usize, t: bool| {
                    if t { Mat::transposed(data, rows) } else { Mat::rows(data, cols) }
                };
                let (lhs, rhs) = (view(&a[..], m, k, lhs_t), view(&b[..], k, n, rhs_t));
                for accumulate in [false, true] {
                    let start: Vec<f32> = (0..m * n).map(|i| (i % 7) as f32).collect();
                    let (mut want, mut got) = (start.clone(), start);
                    super::matmul(m, n, k, &mut want, accumulate, lhs, rhs); // the gemm crate
                    packed::matmul(m, n, k, &mut got, accumulate, lhs, rhs);
                    if !accumulate {
                        // The fresh, uncleared buffers get every value.
                        assert_eq!(super::product(m, n, k, lhs, rhs), want, "{m}x{n}x{k} {lhs_t} {rhs_t}");
                        assert_eq!(packed::product(m, n, k, lhs, rhs), got, "{m}x{n}x{k} {lhs_t} {rhs_t}");
                    }
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        let tol = 1e-5 * (k as f32).sqrt() * w.abs().max(1.0) * 10.0;
                        assert!((g - w).abs() <= tol, "{m}x{n}x{k} {lhs_t} {rhs_t} {accumulate}: [{i}] {g} vs {w}");
                    }
                }
            }
        }
    }
}

//! Sobol' low-discrepancy sequence (Sobol' IM, USSR Comput Math Math Phys 1967;7:86) with the
//! direction numbers of Joe S & Kuo FY, SIAM J Sci Comput 2008;30:2635 (`new-joe-kuo-6.21201`,
//! its first 256 dimensions in `data/new-joe-kuo-6.256.txt`).
//!
//! Point `n` in dimension `j` is `x = ⊕ { v_{j,k} : bit k of g(n) is set } / 2^32`, with
//! `g(n) = n ⊕ (n >> 1)` the Gray code of `n` (the Antonov–Saleev ordering, as in Joe & Kuo's
//! reference code and `scipy.stats.qmc.Sobol(scramble=False)`), so any point can be computed
//! alone from its index: a sweep point is a function of its id only. Dimension 1 has all
//! `m_k = 1` (van der Corput); dimension `j ≥ 2` uses the primitive polynomial of degree `s`
//! with inner coefficients `a` and initial numbers `m_1..m_s`, and for `k > s`
//! `m_k = 2 a_1 m_{k−1} ⊕ 2² a_2 m_{k−2} ⊕ … ⊕ 2^s m_{k−s} ⊕ m_{k−s}`; `v_{j,k} = m_k 2^{32−k}`.
//!
//! Why our own code: the crates on crates.io were checked (2026-12): `sobol` 1.0.2 (last release
//! 2020, decompresses all 21 201 dimensions with libflate at start-up), its fork `sobol-qmc`,
//! `sobol_burley` (Owen-scrambled only, so not comparable with the published points) and
//! `salib` (first released 2026-05, one maintainer, pulls rand, ChaCha and rayon). A
//! 100-line generator with the published numbers, tested against the published points, is
//! smaller than any of them and random-access by point id.

use std::sync::OnceLock;

/// Bits of each coordinate (points are multiples of 2^-32).
pub const BITS: usize = 32;

/// Dimensions available (2 × the largest number of inputs of a Saltelli design).
pub const MAX_DIMENSIONS: usize = 256;

const JOE_KUO: &str = include_str!("../data/new-joe-kuo-6.256.txt");

/// Direction numbers `v[j][k]` (already shifted to 32 bits) of every dimension.
fn directions() -> &'static Vec<[u32; BITS]> {
    static V: OnceLock<Vec<[u32; BITS]>> = OnceLock::new();
    V.get_or_init(|| {
        let mut all = Vec::with_capacity(MAX_DIMENSIONS);
        // Dimension 1: m_k = 1 for every k.
        let mut first = [0u32; BITS];
        for (k, v) in first.iter_mut().enumerate() {
            *v = 1u32 << (BITS - 1 - k);
        }
        all.push(first);
        for line in JOE_KUO.lines().skip(1) {
            let nums: Vec<u32> = line
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect();
            let (s, a) = (nums[1] as usize, nums[2]);
            let mut m = [0u32; BITS];
            m[..s].copy_from_slice(&nums[3..3 + s]);
            for k in s..BITS {
                let mut mk = m[k - s] ^ (m[k - s] << s);
                for i in 1..s {
                    if (a >> (s - 1 - i)) & 1 == 1 {
                        mk ^= m[k - i] << i;
                    }
                }
                m[k] = mk;
            }
            let mut v = [0u32; BITS];
            for k in 0..BITS {
                v[k] = m[k] << (BITS - 1 - k);
            }
            all.push(v);
        }
        all
    })
}

/// Coordinate `dim` (0-based, below [`MAX_DIMENSIONS`]) of point `index` as a 32-bit integer
/// (the value times 2^32). Indices above 2^32 − 1 wrap.
pub fn sobol_bits(index: u64, dim: usize) -> u32 {
    let v = &directions()[dim];
    let gray = (index ^ (index >> 1)) as u32;
    let mut x = 0u32;
    for (k, vk) in v.iter().enumerate() {
        if (gray >> k) & 1 == 1 {
            x ^= vk;
        }
    }
    x
}

/// Coordinate `dim` of point `index` in [0, 1).
pub fn sobol(index: u64, dim: usize) -> f64 {
    f64::from(sobol_bits(index, dim)) / 4_294_967_296.0
}

/// Coordinate `dim` of point `index` after a digital shift (XOR of the 32 bits with `shift`),
/// mapped to the centre of its cell of width 2^-32: always inside (0, 1), so the inverse CDF of
/// an unbounded distribution stays finite. A digital shift keeps the net structure of the
/// points (every elementary interval still holds its share) and, drawn from a seed, makes the
/// design random (Owen AB, "On dropping the first Sobol' point", 2022: do not drop point 0,
/// randomise instead).
pub fn shifted(index: u64, dim: usize, shift: u32) -> f64 {
    (f64::from(sobol_bits(index, dim) ^ shift) + 0.5) / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scipy.stats.qmc.Sobol(d=256, scramble=False, bits=32).random(70000)` (SciPy 1.17.1,
    /// Joe & Kuo's new-joe-kuo-6.21201 numbers), times 2^32, at these indices and dimensions.
    const DIMS: [usize; 7] = [0, 1, 2, 3, 9, 99, 255];
    const REFERENCE: [(u64, [u32; 7]); 11] = [
        (1, [2147483648; 7]),
        (
            2,
            [
                3221225472, 1073741824, 1073741824, 1073741824, 3221225472, 3221225472, 3221225472,
            ],
        ),
        (
            3,
            [
                1073741824, 3221225472, 3221225472, 3221225472, 1073741824, 1073741824, 1073741824,
            ],
        ),
        (
            4,
            [
                1610612736, 1610612736, 2684354560, 3758096384, 2684354560, 3758096384, 1610612736,
            ],
        ),
        (
            5,
            [
                3758096384, 3758096384, 536870912, 1610612736, 536870912, 1610612736, 3758096384,
            ],
        ),
        (
            6,
            [
                2684354560, 536870912, 3758096384, 2684354560, 1610612736, 536870912, 2684354560,
            ],
        ),
        (
            7,
            [
                536870912, 2684354560, 1610612736, 536870912, 3758096384, 2684354560, 536870912,
            ],
        ),
        (
            100,
            [
                1778384896, 1107296256, 3321888768, 3120562176, 2986344448, 3791650816, 2449473536,
            ],
        ),
        (
            1000,
            [
                943718400, 415236096, 2227175424, 2906652672, 297795584, 801112064, 1069547520,
            ],
        ),
        (
            65535,
            [
                65536, 4294901760, 2421489664, 3271884800, 703922176, 2030501888, 604307456,
            ],
        ),
        (
            69999,
            [
                463044608, 2852618240, 4138565632, 1020428288, 401047552, 2370338816, 1385791488,
            ],
        ),
    ];

    #[test]
    fn matches_the_published_points() {
        // Joe & Kuo's notes ("Notes on generating Sobol' sequences", 2008): the first points
        // of the first three dimensions.
        let first = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
        ];
        for (n, p) in first.iter().enumerate() {
            for (d, x) in p.iter().enumerate() {
                assert_eq!(sobol(n as u64, d), *x, "point {n}, dimension {d}");
            }
        }
        for (n, row) in REFERENCE {
            for (d, want) in DIMS.iter().zip(row) {
                assert_eq!(sobol_bits(n, *d), want, "point {n}, dimension {d}");
            }
        }
    }

    #[test]
    fn every_dimension_is_a_net_in_base_two() {
        // The first 2^m points put exactly one point in each interval [i/2^m, (i+1)/2^m) of
        // every dimension, and (dims 1, 2) form a (0, m, 2)-net: one point per 2^a x 2^(m-a) box.
        let m = 10u32;
        let n = 1u64 << m;
        for d in 0..MAX_DIMENSIONS {
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let cell = (sobol_bits(i, d) >> (32 - m)) as usize;
                assert!(!seen[cell], "dimension {d}: two points in cell {cell}");
                seen[cell] = true;
            }
        }
        for a in 0..=m {
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let x = (sobol_bits(i, 0) >> (32 - a.max(1))) as usize * usize::from(a > 0);
                let y = if a == m {
                    0
                } else {
                    (sobol_bits(i, 1) >> (32 - (m - a))) as usize
                };
                let cell = (x << (m - a)) | y;
                assert!(!seen[cell], "box {a}: two points in cell {cell}");
                seen[cell] = true;
            }
        }
    }

    #[test]
    fn a_digital_shift_keeps_the_net_and_leaves_zero() {
        let m = 8u32;
        let mut seen = vec![false; 1 << m];
        for i in 0..(1u64 << m) {
            let u = shifted(i, 5, 0x9E37_79B9);
            assert!(u > 0.0 && u < 1.0);
            let cell = (u * f64::from(1u32 << m)) as usize;
            assert!(!seen[cell]);
            seen[cell] = true;
        }
    }
}

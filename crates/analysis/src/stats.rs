//! Small statistics: means, quantiles, the Wilson interval of a proportion, the area under the
//! ROC curve, and a seeded generator for bootstrap resampling.

/// Mean (NaN for no values).
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation (n − 1; NaN for fewer than two values).
pub fn sd(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)).sqrt()
}

/// Population variance (n in the denominator), as in the Sobol' estimators.
pub fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64
}

/// Quantile `q` of `x` by linear interpolation between order statistics (Hyndman & Fan type 7,
/// the default of R, NumPy and pandas); NaN for no values.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

/// Wilson score interval of a proportion `k / n` at the normal quantile `z` (1.96 for 95 %;
/// Wilson EB, J Am Stat Assoc 1927;22:209).
pub fn wilson(k: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

/// Area under the ROC curve of `x` separating `positive` from `negative` values: the
/// probability that a random positive has a larger `x` than a random negative, ties counted
/// one half (the Mann–Whitney U / (n₁ n₀)). 0.5: no separation; 1 or 0: complete.
pub fn auc(positive: &[f64], negative: &[f64]) -> f64 {
    if positive.is_empty() || negative.is_empty() {
        return f64::NAN;
    }
    // Ranks of the pooled values (midranks for ties).
    let mut all: Vec<(f64, bool)> = positive
        .iter()
        .map(|v| (*v, true))
        .chain(negative.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let midrank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += all[i..=j].iter().filter(|p| p.1).count() as f64 * midrank;
        i = j + 1;
    }
    let (n1, n0) = (positive.len() as f64, negative.len() as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// A seeded generator for resampling (PCG-XSH-RR 64/32; O'Neill ME, 2014), so bootstrap
/// intervals are the same on every machine.
#[derive(Debug, Clone)]
pub struct Pcg32 {
    state: u64,
}

impl Pcg32 {
    const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
    const INCREMENT: u64 = 1_442_695_040_888_963_407;

    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut g = Pcg32 { state: 0 };
        g.next_u32();
        g.state = g.state.wrapping_add(seed);
        g.next_u32();
        g
    }

    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(Self::INCREMENT);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; n ≤ 2^32).
    pub fn below(&mut self, n: usize) -> usize {
        ((u64::from(self.next_u32()) * n as u64) >> 32) as usize
    }
}

/// The equal-tailed percentile interval of bootstrap replicates at `confidence` (e.g. 0.95).
pub fn percentile_interval(replicates: &[f64], confidence: f64) -> (f64, f64) {
    let a = (1.0 - confidence) / 2.0;
    (quantile(replicates, a), quantile(replicates, 1.0 - a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_default() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // numpy.quantile(x, [0.25, 0.5, 0.9]) = 1.75, 3.5, 6.9
        assert!((quantile(&x, 0.25) - 1.75).abs() < 1e-12);
        assert!((quantile(&x, 0.5) - 3.5).abs() < 1e-12);
        assert!((quantile(&x, 0.9) - 6.9).abs() < 1e-12);
        assert!(
            (sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - 2.138_089_935_299_395).abs() < 1e-12
        );
    }

    #[test]
    fn wilson_interval_of_a_known_case() {
        // 8 of 10 at 95 %: 0.4902 to 0.9433 (the closed form worked by hand; also
        // statsmodels' proportion_confint(8, 10, method="wilson")).
        let (lo, hi) = wilson(8, 10, 1.959_963_984_540_054);
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
    }

    #[test]
    fn auc_counts_pairs_with_ties_as_half() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(auc(&[1.0, 2.0], &[3.0, 4.0]), 0.0);
        assert_eq!(auc(&[1.0, 1.0], &[1.0]), 0.5);
        // Pairs: (2>1), (2=2: 1/2), (3>1), (3>2) -> 3.5 of 4.
        assert!((auc(&[2.0, 3.0], &[1.0, 2.0]) - 0.875).abs() < 1e-12);
    }

    #[test]
    fn generator_is_uniform_and_reproducible() {
        let mut g = Pcg32::new(42);
        let mut counts = [0usize; 10];
        for _ in 0..100_000 {
            counts[g.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|c| (9_500..10_500).contains(c)),
            "{counts:?}"
        );
        let (mut a, mut b) = (Pcg32::new(7), Pcg32::new(7));
        assert!((0..100).all(|_| a.next_u32() == b.next_u32()));
    }
}
